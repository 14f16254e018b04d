"""Promotion-calendar resources under ``/api/v1/stores/{store_slug}/campaigns/``: campaigns
(with their channel budgets), per campaign its ``lineup/`` and ``mechanics/``, and its
reports ``plan/``, ``lineup-suggestions/``, ``monitoring/`` and ``review/`` in JSON, CSV or
XLSX (``opsdesk.api.reports``)."""

import datetime
from dataclasses import fields
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.lineup import lineup_suggestions
from campaigns.models import Campaign, ChannelBudget, LineupItem, Mechanic
from campaigns.monitoring import campaign_pace, default_monitor_day
from campaigns.plan import plan_breakdown
from campaigns.review import campaign_review
from campaigns.review_export import review_rows
from campaigns.services import (
    campaign_create,
    campaign_delete,
    campaign_hours_refresh,
    campaign_update,
    lineup_accept,
    lineup_item_add,
    lineup_item_remove,
    lineup_item_update,
    mechanic_create,
    mechanic_delete,
    mechanic_update,
    target_fields_changed,
)
from campaigns.targets import preheat_target
from catalog.models import Sku
from opsdesk.api.reports import (
    REPORT_RENDERERS,
    ReportResponseMixin,
    Table,
    iso,
    report_schema,
    validated,
)
from opsdesk.api.schema import ErrorSerializer
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.exports import XLSX_TYPE, rows_to_csv_response, rows_to_xlsx_response
from opsdesk.models import Store
from opsdesk.roles import Capability

from .serializers import (
    CampaignReviewResponseSerializer,
    CampaignSerializer,
    LineupAcceptSerializer,
    LineupItemSerializer,
    LineupSuggestionsSerializer,
    MechanicSerializer,
    MonitorQuerySerializer,
    MonitorRefreshSerializer,
    PaceSerializer,
    PlanBreakdownSerializer,
    RefreshResultSerializer,
)
from .tables import review_tables

_JSON_ERRORS = {
    (code, "application/json"): ErrorSerializer for code in (400, 401, 403, 404, 406, 429)
}

#: The writes on a report's route answer JSON only: no ``format`` parameter in their schema.
_NO_FORMAT = OpenApiParameter("format", exclude=True)

_PLAN_FIELDS = [
    "source",
    "source_name",
    "start",
    "end",
    "missing_days",
    "conversion_rate",
    "spend_per_buyer",
    "uv_value",
    "target",
    "burst_days",
    "implied_uv",
    "implied_buyers",
    "implied_uv_per_day",
]
_PREHEAT_FIELDS = [
    "source",
    "total",
    "per_day",
    "days",
    "baseline_ratio",
    "recent_gmv_per_day",
    "reference_start",
    "reference_end",
]
_SUGGESTION_FIELDS = [
    "sku_id",
    "code",
    "title",
    "conversion_rate",
    "buyers",
    "visitors",
    "units_30d",
    "expected_units",
    "stock",
    "stock_ok",
    "in_lineup",
]
_SUGGESTIONS_SUMMARY_FIELDS = [
    "start",
    "end",
    "min_conversion",
    "uplift",
    "baseline_name",
    "missing_days",
]
_HOUR_FIELDS = [
    "hour",
    "local_hour",
    "complete",
    "gmv",
    "paid_orders",
    "paying_buyers",
    "uv",
    "conversion_rate",
    "cumulative_gmv",
    "day_uv",
    "day_buyers",
    "day_conversion_rate",
    "target_gmv",
    "cumulative_target",
]
_PACE_SUMMARY_FIELDS = [
    "day",
    "is_burst_day",
    "day_target",
    "target_source",
    "curve_source",
    "gmv",
    "complete_hours",
    "target_so_far",
    "projected_gmv",
    "progress",
    "behind_pace",
    "refreshed_at",
    "burst_gmv",
    "burst_progress",
]
_ALERT_FIELDS = [
    "sku_id",
    "code",
    "title",
    "stock",
    "units_per_hour",
    "hours_left",
    "hours_of_cover",
]

_CRUD = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
)


class CampaignViewSet(ReportResponseMixin, *_CRUD, StoreScopedViewSet):
    """The store's campaigns, latest burst first, with channel budgets, lineup and mechanics.
    Writes need edit_campaigns; setting or changing ``gmv_target``, ``preheat_gmv_target``,
    ``ad_budget`` or ``channel_budgets`` also needs set_targets (403 otherwise, nothing
    written)."""

    model = Campaign
    serializer_class = CampaignSerializer
    write_capability = Capability.EDIT_CAMPAIGNS
    ordering = ["-burst_start"]
    ordering_fields = ["burst_start", "preparation_start", "name", "created_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[Campaign]:
        return (
            Campaign.objects.filter(store=store)
            .select_related("created_by")
            .prefetch_related(
                Prefetch(
                    "lineup",
                    queryset=LineupItem.objects.select_related("sku", "chosen_by").order_by(
                        "sku__code", "pk"
                    ),
                ),
                Prefetch("mechanics", queryset=Mechanic.objects.order_by("pk")),
                Prefetch("channel_budgets", queryset=ChannelBudget.objects.order_by("channel")),
            )
        )

    def _check_targets(self, campaign: Campaign | None, data: dict) -> None:
        changed = target_fields_changed(campaign, data)
        if changed and not self.allows(Capability.SET_TARGETS):
            raise exceptions.PermissionDenied(
                _(
                    "Setting %(fields)s needs the 'set_targets' capability (manager or admin); "
                    "leave these fields out or unchanged."
                )
                % {"fields": " and ".join(changed)}
            )

    def perform_create(self, serializer: CampaignSerializer) -> None:
        self._check_targets(None, serializer.validated_data)
        serializer.instance = campaign_create(
            store=self.store, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer: CampaignSerializer) -> None:
        self._check_targets(serializer.instance, serializer.validated_data)
        serializer.instance = campaign_update(
            campaign=serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Campaign) -> None:
        campaign_delete(campaign=instance, actor=self.actor)

    # --- reports of one campaign: JSON, CSV or XLSX (``report_response``) -----------------------

    def _today(self) -> datetime.date:
        return timezone.localdate(timezone=self.store.zone)

    @staticmethod
    def _json_only(request: Request) -> None:
        """The writes on a report's route answer JSON only."""
        if request.accepted_renderer.format != "json":
            raise exceptions.NotAcceptable(_("This write answers JSON only."))

    @report_schema(
        PlanBreakdownSerializer,
        tables=["plan"],
        summary="The plan: what the GMV target implies, and the pre-heat target",
    )
    @action(detail=True, methods=["get"], url_path="plan", renderer_classes=REPORT_RENDERERS)
    def plan(self, request: Request, store_slug: str, pk: str) -> Response:
        """The GMV target split into the UV, conversion and spend per buyer it implies, at the
        baseline's or the store's recent rates; and the pre-heat days' GMV target (set, or
        derived from the baseline's pre-heat share or the store's usual day)."""
        campaign = self.get_object()
        today = self._today()
        result = plan_breakdown(store=self.store, campaign=campaign, today=today)
        preheat = preheat_target(store=self.store, campaign=campaign, today=today)
        body = {**{f.name: getattr(result, f.name) for f in fields(result)}}
        body["preheat_target"] = preheat

        def tables() -> list[Table]:
            row = [body[name] for name in _PLAN_FIELDS]
            row += [getattr(preheat, name) for name in _PREHEAT_FIELDS]
            header = [*_PLAN_FIELDS, *(f"preheat_{name}" for name in _PREHEAT_FIELDS)]
            return [Table("plan", header, [row])]

        return self.report_response(
            request,
            filename=f"campaign-plan-{self.store.slug}-{campaign.pk}",
            body=lambda: PlanBreakdownSerializer(body).data,
            tables=tables,
        )

    @report_schema(
        LineupSuggestionsSerializer,
        tables=["suggestions", "summary"],
        summary="Lineup suggestion (选品)",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="lineup-suggestions",
        renderer_classes=REPORT_RENDERERS,
    )
    def lineup_suggestions(self, request: Request, store_slug: str, pk: str) -> Response:
        """SKUs whose 30-day conversion reaches the store's minimum, with expected units and
        the stock check."""
        campaign = self.get_object()
        result = lineup_suggestions(store=self.store, campaign=campaign, today=self._today())

        def tables() -> list[Table]:
            return [
                Table(
                    "suggestions",
                    _SUGGESTION_FIELDS,
                    [[getattr(s, n) for n in _SUGGESTION_FIELDS] for s in result.suggestions],
                ),
                Table(
                    "summary",
                    _SUGGESTIONS_SUMMARY_FIELDS,
                    [[getattr(result, n) for n in _SUGGESTIONS_SUMMARY_FIELDS]],
                ),
            ]

        return self.report_response(
            request,
            filename=f"campaign-lineup-suggestions-{self.store.slug}-{campaign.pk}",
            body=lambda: LineupSuggestionsSerializer(result).data,
            tables=tables,
        )

    @extend_schema(
        request=LineupAcceptSerializer,
        parameters=[_NO_FORMAT],
        responses={
            (201, "application/json"): LineupItemSerializer(many=True),
            **_JSON_ERRORS,
        },
    )
    @lineup_suggestions.mapping.post
    def lineup_suggestions_accept(self, request: Request, store_slug: str, pk: str) -> Response:
        """Accept suggested (or any) SKUs of this store into the lineup, all or nothing; saved
        as chosen by the caller."""
        self._json_only(request)
        campaign = self.get_object()
        body = LineupAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = body.validated_data["items"]
        skus = {
            sku.pk: sku
            for sku in Sku.objects.filter(store=self.store, pk__in=[i["sku"] for i in items])
        }
        unknown = [str(i["sku"]) for i in items if i["sku"] not in skus]
        if unknown:
            raise exceptions.ValidationError(
                {"items": [_("No such SKU in this store: %(ids)s.") % {"ids": ", ".join(unknown)}]}
            )
        try:
            created = lineup_accept(
                campaign=campaign,
                actor=self.actor,
                picks=[(skus[i["sku"]], i["planned_units"]) for i in items],
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from error
        return Response(
            LineupItemSerializer(created, many=True, context=self.get_serializer_context()).data,
            status=201,
        )

    @report_schema(
        PaceSerializer,
        tables=["hours", "summary", "stock_alerts"],
        parameters=[MonitorQuerySerializer],
        summary="Hour-by-hour monitoring (实时盯盘) against the target pace",
    )
    @action(detail=True, methods=["get"], url_path="monitoring", renderer_classes=REPORT_RENDERERS)
    def monitoring(self, request: Request, store_slug: str, pk: str) -> Response:
        """One pre-heat or burst day hour by hour against the target pace, with the projected
        finish and the behind-pace and stock flags."""
        campaign = self.get_object()
        params = validated(MonitorQuerySerializer, request)
        day = params.get("day") or default_monitor_day(campaign, self._today())
        _check_monitored(campaign, day)
        pace = campaign_pace(store=self.store, campaign=campaign, day=day, now=timezone.now())
        zone = self.store.zone

        def tables() -> list[Table]:
            hours = [
                [iso(h.hour, zone) if name == "hour" else getattr(h, name) for name in _HOUR_FIELDS]
                for h in pace.hours
            ]
            summary = [
                iso(pace.refreshed_at, zone) if name == "refreshed_at" else getattr(pace, name)
                for name in _PACE_SUMMARY_FIELDS
            ]
            alerts = [[getattr(a, n) for n in _ALERT_FIELDS] for a in pace.stock_alerts]
            return [
                Table("hours", _HOUR_FIELDS, hours),
                Table("summary", _PACE_SUMMARY_FIELDS, [summary]),
                Table("stock_alerts", _ALERT_FIELDS, alerts),
            ]

        return self.report_response(
            request,
            filename=f"campaign-monitoring-{self.store.slug}-{campaign.pk}-{day.isoformat()}",
            body=lambda: PaceSerializer(pace).data,
            tables=tables,
        )

    @extend_schema(
        request=MonitorRefreshSerializer,
        parameters=[_NO_FORMAT],
        responses={(200, "application/json"): RefreshResultSerializer, **_JSON_ERRORS},
    )
    @monitoring.mapping.post
    def monitoring_refresh(self, request: Request, store_slug: str, pk: str) -> Response:
        """Recompute a day's hours from the facts now (Celery does it every 15 minutes)."""
        self._json_only(request)
        campaign = self.get_object()
        body = MonitorRefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        day = body.validated_data["day"]
        _check_monitored(campaign, day)
        hours = campaign_hours_refresh(campaign=campaign, day=day, actor=self.actor)
        return Response(RefreshResultSerializer({"day": day, "hours": hours}).data)

    @report_schema(
        CampaignReviewResponseSerializer,
        tables=["summary", "effects", "pareto", "lineup", "channels", "stockouts"],
        summary="The campaign review (复盘)",
    )
    @action(detail=True, methods=["get"], url_path="review", renderer_classes=REPORT_RENDERERS)
    def review(self, request: Request, store_slug: str, pk: str) -> Response:
        """The review: target vs actual, the gap split against plan and baseline, Pareto SKUs,
        lineup, ROI by channel against the budgets, new buyers, stockouts and refunds.
        ``review`` is null until the burst is over (and the CSV/XLSX tables have no rows)."""
        campaign = self.get_object()
        result = campaign_review(store=self.store, campaign=campaign, today=self._today())
        body = {
            "available": result is not None,
            "available_from": campaign.burst_end + datetime.timedelta(days=1),
            "review": result,
        }
        return self.report_response(
            request,
            filename=f"campaign-review-{self.store.slug}-{campaign.pk}",
            body=lambda: CampaignReviewResponseSerializer(body).data,
            tables=lambda: review_tables(result, self.store.zone),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "file",
                OpenApiTypes.STR,
                enum=["csv", "xlsx"],
                description="csv (default; UTF-8 with BOM) or xlsx.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The review as a long table."
            ),
            (200, XLSX_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The review as a long table."
            ),
            **_JSON_ERRORS,
        },
    )
    @action(detail=True, methods=["get"], url_path="review/export")
    def review_export(self, request: Request, store_slug: str, pk: str) -> HttpResponse:
        """The review as a file to read: one row per (section, item, measure, value), labels
        in the caller's language; the same numbers as ``review/`` (whose ``format=csv|xlsx``
        answers the same numbers as machine-readable tables). 400 until the burst is over."""
        campaign = self.get_object()
        chosen = request.query_params.get("file", "csv")
        if chosen not in ("csv", "xlsx"):
            raise exceptions.ValidationError({"file": [_("Choose file csv or xlsx.")]})
        result = campaign_review(store=self.store, campaign=campaign, today=self._today())
        if result is None:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("The review is available once the burst is over (%(day)s).")
                        % {"day": (campaign.burst_end + datetime.timedelta(days=1)).isoformat()}
                    ]
                }
            )
        header, rows = review_rows(result)
        filename = f"campaign-review-{self.store.slug}-{campaign.pk}.{chosen}"
        if chosen == "xlsx":
            return rows_to_xlsx_response(
                filename=filename, header=header, rows=rows, sheet="review"
            )
        return rows_to_csv_response(filename=filename, header=header, rows=rows)


def _check_monitored(campaign: Campaign, day: datetime.date) -> None:
    if not campaign.preheat_start <= day <= campaign.burst_end:
        raise exceptions.ValidationError(
            {
                "day": [
                    _("Choose a pre-heat or burst day, %(first)s to %(last)s.")
                    % {
                        "first": campaign.preheat_start.isoformat(),
                        "last": campaign.burst_end.isoformat(),
                    }
                ]
            }
        )


CAMPAIGN_PARAMETER = OpenApiParameter(
    "campaign_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Campaign id."
)


class _CampaignChild(StoreScopedViewSet):
    """Rows of one campaign of the store (``{campaign_pk}`` in the URL): a campaign of
    another store, or none, is a 404."""

    write_capability = Capability.EDIT_CAMPAIGNS

    @cached_property
    def campaign(self) -> Campaign:
        campaign = Campaign.objects.filter(
            store=self.store, pk=self.kwargs.get("campaign_pk")
        ).first()
        if campaign is None:
            raise exceptions.NotFound(_("No such campaign in this store."))
        return campaign

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not self._schema_only():
            context["campaign"] = self.campaign
        return context


@extend_schema(parameters=[CAMPAIGN_PARAMETER])
class LineupItemViewSet(*_CRUD, _CampaignChild):
    """The campaign's lineup: SKUs of this store with their planned units."""

    model = LineupItem
    serializer_class = LineupItemSerializer
    ordering = ["sku__code"]
    ordering_fields = ["planned_units", "chosen_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[LineupItem]:
        return LineupItem.objects.filter(store=store, campaign=self.campaign).select_related(
            "sku", "chosen_by"
        )

    def perform_create(self, serializer: LineupItemSerializer) -> None:
        serializer.instance = lineup_item_add(
            campaign=self.campaign, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer: LineupItemSerializer) -> None:
        planned = serializer.validated_data.get("planned_units", serializer.instance.planned_units)
        serializer.instance = lineup_item_update(
            item=serializer.instance, actor=self.actor, planned_units=planned
        )

    def perform_destroy(self, instance: LineupItem) -> None:
        lineup_item_remove(item=instance, actor=self.actor)


@extend_schema(parameters=[CAMPAIGN_PARAMETER])
class MechanicViewSet(*_CRUD, _CampaignChild):
    """The campaign's mechanics (玩法): coupons, full reductions, discounts, deposits."""

    model = Mechanic
    serializer_class = MechanicSerializer
    ordering = ["id"]
    ordering_fields = ["id", "kind"]

    def scoped_queryset(self, store: Store) -> QuerySet[Mechanic]:
        return Mechanic.objects.filter(store=store, campaign=self.campaign)

    def perform_create(self, serializer: MechanicSerializer) -> None:
        serializer.instance = mechanic_create(
            campaign=self.campaign, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer: MechanicSerializer) -> None:
        serializer.instance = mechanic_update(
            mechanic=serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Mechanic) -> None:
        mechanic_delete(mechanic=instance, actor=self.actor)
