"""Analytics resources under ``/api/v1/stores/{store_slug}/``: orders (read), events and ad
spend (read, and batch push), and reports (runners of ``analytics.reports`` rendered as JSON or
CSV; no metric is computed here)."""

from dataclasses import fields

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from analytics.ingest import (
    MAX_BATCH_SIZE,
    BatchTooLarge,
    ad_spend_upsert,
    events_ingest,
)
from analytics.metrics import MetricValues
from analytics.models import AdSpend, BehaviourEvent, DailyStoreMetrics, Order, OrderLine, Refund
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from opsdesk.api.exceptions import PayloadTooLarge
from opsdesk.api.renderers import CsvRenderer
from opsdesk.api.schema import ErrorSerializer
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store
from opsdesk.roles import Capability

from .filters import AdSpendFilter, EventFilter, OrderFilter
from .serializers import (
    AdSpendInputSerializer,
    AdSpendSerializer,
    AdSpendUpsertResultSerializer,
    DailyMetricsQuerySerializer,
    DailyMetricsSerializer,
    EventIngestResultSerializer,
    EventInputSerializer,
    EventSerializer,
    OrderSerializer,
)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """The store's orders with their lines and refunds, newest first."""

    model = Order
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    ordering = ["-created_at"]
    ordering_fields = ["created_at", "paid_at", "paid_amount", "number"]

    def scoped_queryset(self, store: Store) -> QuerySet[Order]:
        return (
            Order.objects.filter(store=store)
            .select_related("customer")
            .prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("pk")),
                Prefetch("refunds", queryset=Refund.objects.order_by("-refunded_at", "-pk")),
            )
        )


def _batch(request: Request) -> list:
    """The request body as a batch: a JSON array of at most ``MAX_BATCH_SIZE`` items."""
    if not isinstance(request.data, list):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON array of objects.")]})
    if len(request.data) > MAX_BATCH_SIZE:
        raise PayloadTooLarge(
            _("A batch holds at most %(max)d items; this one has %(count)d. Split it.")
            % {"max": MAX_BATCH_SIZE, "count": len(request.data)}
        )
    if not request.data:
        raise exceptions.ValidationError({"non_field_errors": [_("The batch is empty.")]})
    return request.data


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """Behaviour events (行为事件). POST a JSON array of up to 1000 events; an event whose
    ``client_event_id`` was already received is skipped, so a batch can be re-sent safely."""

    model = BehaviourEvent
    serializer_class = EventSerializer
    filterset_class = EventFilter
    write_capability = Capability.IMPORT_DATA
    schema_extra_errors = {"POST": ["413"]}
    ordering = ["-occurred_at"]
    ordering_fields = ["occurred_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[BehaviourEvent]:
        return BehaviourEvent.objects.filter(store=store)

    @extend_schema(
        request=EventInputSerializer(many=True),
        responses={200: EventIngestResultSerializer},
        summary="Push a batch of events (idempotent on client_event_id)",
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        items = _batch(request)
        serializer = EventInputSerializer(
            data=items, many=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        rows = [EventInputSerializer().to_row(item) for item in serializer.validated_data]
        try:
            result = events_ingest(store=self.store, actor=self.actor, rows=rows)
        except BatchTooLarge as error:
            raise PayloadTooLarge(str(error)) from error
        return Response(EventIngestResultSerializer(result).data)


class AdSpendViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """Ad spend (推广花费) per channel and store-local day. POST a JSON array of up to 1000
    rows: each replaces the figures of its (channel, day)."""

    model = AdSpend
    serializer_class = AdSpendSerializer
    filterset_class = AdSpendFilter
    write_capability = Capability.IMPORT_DATA
    schema_extra_errors = {"POST": ["413"]}
    ordering = ["-day", "channel"]
    ordering_fields = ["day", "channel", "spend"]

    def scoped_queryset(self, store: Store) -> QuerySet[AdSpend]:
        return AdSpend.objects.filter(store=store)

    @extend_schema(
        request=AdSpendInputSerializer(many=True),
        responses={200: AdSpendUpsertResultSerializer},
        summary="Upsert a batch of ad spend on (channel, day)",
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        items = _batch(request)
        serializer = AdSpendInputSerializer(
            data=items, many=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        rows = [AdSpendInputSerializer().to_row(item) for item in serializer.validated_data]
        try:
            result = ad_spend_upsert(store=self.store, actor=self.actor, rows=rows)
        except BatchTooLarge as error:
            raise PayloadTooLarge(str(error)) from error
        return Response(AdSpendUpsertResultSerializer(result).data)


_METRIC_NAMES = [field.name for field in fields(MetricValues)]


class ReportViewSet(StoreScopedViewSet):
    """Reports of the store, read from the analytics engine's runners. ``format=csv`` gives
    the series as CSV (UTF-8 with BOM, formula-like text cells escaped)."""

    model = DailyStoreMetrics
    renderer_classes = [JSONRenderer, CsvRenderer]
    filter_backends = []
    pagination_class = None

    def scoped_queryset(self, store: Store) -> QuerySet[DailyStoreMetrics]:
        return DailyStoreMetrics.objects.filter(store=store)

    def perform_content_negotiation(self, request: Request, force: bool = False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404 as error:
            raise exceptions.ValidationError(
                {"format": [_("Choose format json or csv.")]}
            ) from error

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            # Errors are always JSON in the API's error shape, whatever format was asked.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=[
            DailyMetricsQuerySerializer,
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "csv"],
                description="json (default) or csv (the series, one row per bucket).",
            ),
        ],
        responses={
            (200, "application/json"): DailyMetricsSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The series."),
            **{(code, "application/json"): ErrorSerializer for code in (400, 401, 403, 404, 429)},
        },
    )
    @action(detail=False, methods=["get"], url_path="daily-metrics")
    def daily_metrics(self, request: Request, store_slug: str) -> Response:
        """GMV, orders, buyers, UV, conversion, ROI... over a range of store-local days, with a
        series by day, week or month and optionally a channel breakdown."""
        params = DailyMetricsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = DailyMetricsQuery(
            start=params.validated_data["start"],
            end=params.validated_data["end"],
            interval=params.validated_data["group_by"],
            by_channel=params.validated_data["channels"],
        )
        result = DailyMetricsRunner(store=self.store, query=query).run()
        if request.accepted_renderer.format == "csv":
            header = ["start", "end", *_METRIC_NAMES]
            rows = [
                [point.start, point.end, *(getattr(point.metrics, n) for n in _METRIC_NAMES)]
                for point in result.series
            ]
            filename = f"daily-metrics-{self.store.slug}-{query.start}-{query.end}.csv"
            return Response(
                {"header": header, "rows": rows},
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        body = DailyMetricsSerializer(result, context=self.get_serializer_context()).data
        return Response(body)
