"""Analytics resources under ``/api/v1/stores/{store_slug}/``: orders (read), events and ad
spend (read, and batch push), and reports (runners of ``analytics.reports`` rendered as JSON or
CSV; no metric is computed here)."""

import datetime
from dataclasses import fields
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
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
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner, SkuRow
from analytics.reports.flags import FlagsQuery, FlagsRunner
from analytics.reports.funnel import FunnelQuery, FunnelRunner, build_steps
from analytics.reports.rfm import RfmQuery, RfmRunner
from analytics.reports.tiers import TierQuery, TierRunner
from analytics.rollups.days import local_yesterday
from opsdesk.api.exceptions import PayloadTooLarge
from opsdesk.api.reports import ReportRenderingMixin, Table, report_schema, validated
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store
from opsdesk.roles import Capability
from users.tiers import TIER_ORDER

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
    FlagsQuerySerializer,
    FlagsReportSerializer,
    FunnelQuerySerializer,
    FunnelReportSerializer,
    OrderSerializer,
    RfmQuerySerializer,
    RfmReportSerializer,
    TierQuerySerializer,
    TierReportSerializer,
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
_SKU_HEADER = [field.name for field in fields(SkuRow)]
_SKU_MONEY = {"gmv", "gross_profit"}
CENT = Decimal("0.01")


def _sku_cells(row: SkuRow) -> list:
    """A SKU row's cells, money to the cent like the JSON (SQLite sums drop the scale)."""
    return [
        getattr(row, name).quantize(CENT) if name in _SKU_MONEY else getattr(row, name)
        for name in _SKU_HEADER
    ]


_FUNNEL_HEADER = [
    "channel",
    "step",
    "visitors",
    "conversion_from_previous",
    "conversion_from_first",
    "drop_off",
    "drop_off_rate",
]
_SEGMENT_FIELDS = [
    "code",
    "name",
    "name_zh",
    "customers",
    "revenue",
    "revenue_share",
    "average_recency_days",
    "average_frequency",
    "average_monetary",
]
_RFM_CUSTOMER_FIELDS = [
    "customer_id",
    "external_id",
    "name",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
]
_TIER_ENTRY_FIELDS = [
    "customer_id",
    "external_id",
    "name",
    "previous_tier",
    "tier",
    "recommended_action",
]
_ALL = "all"


def _steps_rows(channel: str, steps) -> list[list]:
    return [
        [
            channel,
            step.step,
            step.visitors,
            step.conversion_from_previous,
            step.conversion_from_first,
            step.drop_off,
            step.drop_off_rate,
        ]
        for step in steps
    ]


class ReportViewSet(ReportRenderingMixin, StoreScopedViewSet):
    """Reports of the store, read from the analytics engine's runners (the pages read the
    same runners). Each answers JSON, CSV (``format=csv``: one table, UTF-8 with BOM,
    formula-like text cells escaped) or XLSX (``format=xlsx``: one sheet per table)."""

    model = DailyStoreMetrics

    def scoped_queryset(self, store: Store) -> QuerySet[DailyStoreMetrics]:
        return DailyStoreMetrics.objects.filter(store=store)

    def _yesterday(self) -> datetime.date:
        return local_yesterday(self.store.zone)

    @report_schema(
        DailyMetricsSerializer,
        tables=["series", "channels", "skus"],
        parameters=[DailyMetricsQuerySerializer],
        summary="Daily metrics over a range",
    )
    @action(detail=False, methods=["get"], url_path="daily-metrics")
    def daily_metrics(self, request: Request, store_slug: str) -> Response:
        """GMV, orders, buyers, UV, conversion, ROI... over a range of store-local days, with a
        series by day, week or month and optionally a channel breakdown."""
        params = validated(DailyMetricsQuerySerializer, request)
        query = DailyMetricsQuery(
            start=params["start"],
            end=params["end"],
            interval=params["group_by"],
            by_channel=params["channels"],
            by_sku=params["skus"],
            sku_limit=params["sku_limit"],
        )
        result = DailyMetricsRunner(store=self.store, query=query).run()

        def tables() -> list[Table]:
            series = Table(
                "series",
                ["start", "end", *_METRIC_NAMES],
                [
                    [p.start, p.end, *(getattr(p.metrics, n) for n in _METRIC_NAMES)]
                    for p in result.series
                ],
            )
            channels = Table(
                "channels",
                ["channel", *_METRIC_NAMES],
                [
                    [row.channel, *(getattr(row.metrics, n) for n in _METRIC_NAMES)]
                    for row in result.channels
                ],
            )
            skus = Table(
                "skus",
                _SKU_HEADER,
                [_sku_cells(row) for row in result.skus],
            )
            return [series, channels, skus]

        return self.report_response(
            request,
            filename=f"daily-metrics-{self.store.slug}-{query.start}-{query.end}",
            body=lambda: DailyMetricsSerializer(result, context=self.get_serializer_context()).data,
            tables=tables,
        )

    @report_schema(
        FunnelReportSerializer,
        tables=["steps", "abandoned_carts"],
        parameters=[FunnelQuerySerializer],
        summary="Funnel view -> cart -> order -> pay",
    )
    @action(detail=False, methods=["get"], url_path="funnel")
    def funnel(self, request: Request, store_slug: str) -> Response:
        """Visitors whose first step (a view) is in the range, and how far they got within the
        conversion window; per channel of that view; abandoned carts."""
        params = validated(FunnelQuerySerializer, request, store=self.store)
        channel = params.get("channel")
        query = FunnelQuery(
            start=params["start"],
            end=params["end"],
            by_channel=params["channels"] or channel is not None,
            sku_ids=params["sku"],
            category_id=params.get("category"),
            window_hours=params.get("window_hours"),
        )
        result = FunnelRunner(store=self.store, query=query).run()
        channels = list(result.channels)
        steps = result.steps
        if channel is not None:
            channels = [c for c in channels if c.channel == channel]
            steps = channels[0].steps if channels else build_steps([0, 0, 0, 0])
        body = {
            "start": result.start,
            "end": result.end,
            "window_hours": result.window_hours,
            "channel": channel,
            "steps": steps,
            "channels": channels,
            "abandoned_cart_visitors": result.abandoned_cart_visitors,
            "abandoned_cart_sample": list(result.abandoned_cart_sample),
        }

        def tables() -> list[Table]:
            rows = _steps_rows(channel or _ALL, steps)
            if channel is None:
                for row in channels:
                    rows += _steps_rows(row.channel, row.steps)
            abandoned = Table(
                "abandoned_carts",
                ["visitor_id"],
                [[visitor] for visitor in result.abandoned_cart_sample],
            )
            return [Table("steps", _FUNNEL_HEADER, rows), abandoned]

        return self.report_response(
            request,
            filename=f"funnel-{self.store.slug}-{query.start}-{query.end}",
            body=lambda: FunnelReportSerializer(body).data,
            tables=tables,
        )

    @report_schema(
        RfmReportSerializer,
        tables=["segments", "grid", "customers"],
        parameters=[RfmQuerySerializer],
        summary="RFM segments and the 5x5 grid",
    )
    @action(detail=False, methods=["get"], url_path="rfm")
    def rfm(self, request: Request, store_slug: str) -> Response:
        """RFM scores as of a day: segment sizes and spend, the R-by-F grid, and optionally a
        segment's customers."""
        params = validated(RfmQuerySerializer, request)
        query = RfmQuery(
            as_of=params.get("as_of") or self._yesterday(),
            segment=params.get("segment"),
            customer_limit=params["limit"],
        )
        result = RfmRunner(store=self.store, query=query).run()

        def tables() -> list[Table]:
            return [
                Table(
                    "segments",
                    _SEGMENT_FIELDS,
                    [[getattr(s, n) for n in _SEGMENT_FIELDS] for s in result.segments],
                ),
                Table(
                    "grid",
                    ["r_score", *(f"f{f}" for f in range(1, 6))],
                    [[r, *result.grid[r - 1]] for r in range(5, 0, -1)],
                ),
                Table(
                    "customers",
                    _RFM_CUSTOMER_FIELDS,
                    [[getattr(c, n) for n in _RFM_CUSTOMER_FIELDS] for c in result.customers],
                ),
            ]

        return self.report_response(
            request,
            filename=f"rfm-{self.store.slug}-{query.as_of}",
            body=lambda: RfmReportSerializer(result).data,
            tables=tables,
        )

    @report_schema(
        TierReportSerializer,
        tables=["sizes", "flows", "entered"],
        parameters=[TierQuerySerializer],
        summary="Lifecycle tier sizes and flows",
    )
    @action(detail=False, methods=["get"], url_path="tiers")
    def tiers(self, request: Request, store_slug: str) -> Response:
        """Tier sizes per day of the range; tier-to-tier flows between two days; who entered
        a tier on a day."""
        params = validated(TierQuerySerializer, request)
        query = TierQuery(
            start=params["start"],
            end=params["end"],
            flow_from=params.get("flow_from"),
            flow_to=params.get("flow_to"),
            entered_day=params.get("entered_day"),
            entered_tier=params.get("entered_tier"),
            entered_limit=params["limit"],
        )
        result = TierRunner(store=self.store, query=query).run()
        body = {
            "start": query.start,
            "end": query.end,
            "sizes": [
                {"day": s.day, "tiers": [{"tier": t, "customers": n} for t, n in s.sizes]}
                for s in result.sizes
            ],
            "flows": result.flows,
            "entered": result.entered,
        }

        def tables() -> list[Table]:
            return [
                Table(
                    "sizes",
                    ["day", *TIER_ORDER],
                    [[s.day, *(n for _t, n in s.sizes)] for s in result.sizes],
                ),
                Table(
                    "flows",
                    ["from_tier", "to_tier", "customers"],
                    [[f.from_tier, f.to_tier, f.customers] for f in result.flows],
                ),
                Table(
                    "entered",
                    _TIER_ENTRY_FIELDS,
                    [[getattr(e, n) for n in _TIER_ENTRY_FIELDS] for e in result.entered],
                ),
            ]

        return self.report_response(
            request,
            filename=f"tiers-{self.store.slug}-{query.start}-{query.end}",
            body=lambda: TierReportSerializer(body).data,
            tables=tables,
        )

    @report_schema(
        FlagsReportSerializer,
        tables=["flags", "contributors"],
        parameters=[FlagsQuerySerializer],
        summary="Flags of a day",
    )
    @action(detail=False, methods=["get"], url_path="flags")
    def flags(self, request: Request, store_slug: str) -> Response:
        """Paid channels to consider pausing, CPC jumps and GMV anomalies of a store-local
        day, with the biggest contributors of an anomaly."""
        params = validated(FlagsQuerySerializer, request)
        query = FlagsQuery(day=params.get("day") or self._yesterday())
        result = FlagsRunner(store=self.store, query=query).run()

        def tables() -> list[Table]:
            return [
                Table(
                    "flags",
                    ["kind", "day", "channel", "value", "low", "high", "message"],
                    [
                        [f.kind, f.day, f.channel, f.value, f.low, f.high, f.message]
                        for f in result.flags
                    ],
                ),
                Table(
                    "contributors",
                    ["flag", "kind", "key", "value", "baseline", "delta"],
                    [
                        [f.kind, c.kind, c.key, c.value, c.baseline, c.delta]
                        for f in result.flags
                        for c in f.contributors
                    ],
                ),
            ]

        return self.report_response(
            request,
            filename=f"flags-{self.store.slug}-{query.day}",
            body=lambda: FlagsReportSerializer(result).data,
            tables=tables,
        )
