"""Catalog reports under ``/api/v1/stores/{store_slug}/reports/``: the product matrix, SKU
health, open compliance findings and price-protection exposure. They call the same runners
and functions as the catalog pages (``catalog.matrix``, ``catalog.health``,
``catalog.compliance``, ``catalog.pricing``) and answer JSON, CSV or XLSX."""

import dataclasses
import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.compliance import CLEAR_WITHIN, open_findings
from catalog.health import SkuHealth, SkuHealthRunner, health_query
from catalog.matrix import MatrixQuery, ProductMatrixRunner
from catalog.models import BannedTerm, Sku
from catalog.pricing import price_change_previews
from opsdesk.api.reports import (
    DateRangeQuerySerializer,
    ReportRenderingMixin,
    Table,
    iso,
    report_schema,
    validated,
)
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store

from .report_serializers import (
    ComplianceQuerySerializer,
    ComplianceReportSerializer,
    ExposureQuerySerializer,
    ExposureReportSerializer,
    HealthQuerySerializer,
    HealthReportSerializer,
    MatrixReportSerializer,
)

HOURS = Decimal("0.01")
_ROLE_FIELDS = [
    "role",
    "skus",
    "gmv",
    "gross_profit",
    "views",
    "first_orders",
    "units",
    "sku_share",
    "gmv_share",
    "gross_profit_share",
    "views_share",
    "first_orders_share",
    "margin",
]
_POINT_FIELDS = [
    "sku_id",
    "code",
    "title",
    "role",
    "price",
    "cost",
    "list_margin",
    "units",
    "gmv",
    "gross_profit",
    "views",
    "first_orders",
]
_SUGGESTION_FIELDS = ["sku_id", "code", "title", "current_role", "suggested_role", "reason"]
_HEALTH_FIELDS = [f.name for f in dataclasses.fields(SkuHealth)]
_FINDING_FIELDS = [
    "id",
    "sku_id",
    "sku_code",
    "field",
    "term",
    "position",
    "first_seen_at",
    "age_hours",
    "overdue",
    "replacement",
]
_EXPOSURE_FIELDS = [
    "sku_id",
    "code",
    "old_price",
    "new_price",
    "orders",
    "lines",
    "units",
    "amount",
]
_HEALTH_ONLY = {
    "delisting_candidate": lambda row: row.delisting_candidate,
    "stockout_risk": lambda row: row.stockout_risk,
    "overstock": lambda row: row.overstock,
    "replenish": lambda row: row.replenish_units > 0,
}


def _hours(age: datetime.timedelta) -> Decimal:
    return (Decimal(age.total_seconds()) / 3600).quantize(HOURS)


class CatalogReportViewSet(ReportRenderingMixin, StoreScopedViewSet):
    """Catalog reports of the store, from the runners the catalog pages read. Each answers
    JSON, CSV (``format=csv``: one table) or XLSX (``format=xlsx``: one sheet per table)."""

    model = Sku

    def scoped_queryset(self, store: Store) -> QuerySet[Sku]:
        return Sku.objects.filter(store=store)

    @report_schema(
        MatrixReportSerializer,
        tables=["roles", "skus", "flags", "suggestions"],
        parameters=[DateRangeQuerySerializer],
        summary="Product matrix (traffic / profit / image)",
    )
    @action(detail=False, methods=["get"], url_path="product-matrix")
    def product_matrix(self, request: Request, store_slug: str) -> Response:
        """Per role: share of SKUs, GMV, gross profit, views and first orders over the range
        against the target mix; the role checks as flags; role suggestions."""
        params = validated(DateRangeQuerySerializer, request)
        query = MatrixQuery(start=params["start"], end=params["end"])
        result = ProductMatrixRunner(store=self.store, query=query).run()
        flags = [
            {
                "code": flag.code,
                "role": flag.role,
                "message": flag.message,
                "numbers": {key: str(value) for key, value in flag.numbers.items()},
                "skus": list(flag.skus),
            }
            for flag in result.flags
        ]
        body = {
            **{
                name: getattr(result, name)
                for name in (
                    "start",
                    "end",
                    "total_skus",
                    "total_gmv",
                    "total_gross_profit",
                    "store_margin",
                    "traffic_share_target",
                    "traffic_share_tolerance",
                    "roles",
                    "skus",
                    "suggestions",
                )
            },
            "flags": flags,
        }

        def tables() -> list[Table]:
            return [
                Table(
                    "roles",
                    _ROLE_FIELDS,
                    [[getattr(r, n) for n in _ROLE_FIELDS] for r in result.roles],
                ),
                Table(
                    "skus",
                    _POINT_FIELDS,
                    [[getattr(p, n) for n in _POINT_FIELDS] for p in result.skus],
                ),
                Table(
                    "flags",
                    ["code", "role", "message", "numbers", "skus"],
                    [
                        [
                            f["code"],
                            f["role"],
                            f["message"],
                            "; ".join(f"{k}={v}" for k, v in f["numbers"].items()),
                            " ".join(f["skus"]),
                        ]
                        for f in flags
                    ],
                ),
                Table(
                    "suggestions",
                    _SUGGESTION_FIELDS,
                    [[getattr(s, n) for n in _SUGGESTION_FIELDS] for s in result.suggestions],
                ),
            ]

        return self.report_response(
            request,
            filename=f"product-matrix-{self.store.slug}-{query.start}-{query.end}",
            body=lambda: MatrixReportSerializer(body).data,
            tables=tables,
        )

    @report_schema(
        HealthReportSerializer,
        tables=["skus", "summary"],
        parameters=[HealthQuerySerializer],
        summary="SKU health (sell-through, cover, turnover)",
    )
    @action(detail=False, methods=["get"], url_path="sku-health")
    def sku_health(self, request: Request, store_slug: str) -> Response:
        """Per SKU: 30-day sell-through, days of cover, stock flags, turnover, delisting
        candidates and replenishment; the store's sell-through and turnover. An ``as_of``
        before yesterday reads the stock of that day from the daily snapshots and the status
        and on-shelf day of that day from the status history, as the page does."""
        params = validated(HealthQuerySerializer, request)
        query = health_query(
            store=self.store,
            as_of=params.get("as_of"),
            target_cover_days=params["target_cover_days"],
        )
        result = SkuHealthRunner(store=self.store, query=query).run()
        keep = _HEALTH_ONLY.get(params.get("only", ""), lambda row: True)
        skus = [row for row in result.skus if keep(row)]
        summary_fields = [
            "as_of",
            "window_start",
            "cover_start",
            "on_shelf",
            "on_shelf_selling",
            "store_sell_through",
            "cogs_30d",
            "average_stock_value",
            "store_turnover",
            "delisting_threshold",
            "lead_days",
            "overstock_days",
            "target_cover_days",
            "stock_from_snapshots",
        ]
        body = {**{name: getattr(result, name) for name in summary_fields}, "skus": skus}

        def tables() -> list[Table]:
            return [
                Table(
                    "skus", _HEALTH_FIELDS, [[getattr(r, n) for n in _HEALTH_FIELDS] for r in skus]
                ),
                Table("summary", summary_fields, [[getattr(result, n) for n in summary_fields]]),
            ]

        return self.report_response(
            request,
            filename=f"sku-health-{self.store.slug}-{query.as_of}",
            body=lambda: HealthReportSerializer(body).data,
            tables=tables,
        )

    @report_schema(
        ComplianceReportSerializer,
        tables=["findings"],
        parameters=[ComplianceQuerySerializer],
        summary="Open compliance findings (广告法极限词)",
    )
    @action(detail=False, methods=["get"], url_path="compliance")
    def compliance(self, request: Request, store_slug: str) -> Response:
        """Open findings of banned absolute terms in titles and descriptions, oldest first,
        with their age against the 24-hour rule."""
        params = validated(ComplianceQuerySerializer, request)
        now = timezone.now()
        report = open_findings(store=self.store, now=now)
        replacements = dict(
            BannedTerm.objects.filter(store=self.store).values_list("term", "replacement")
        )
        findings = [
            {
                "id": f.pk,
                "sku_id": f.sku_id,
                "sku_code": f.sku.code,
                "field": f.field,
                "term": f.term,
                "position": f.position,
                "first_seen_at": f.first_seen_at,
                "age_hours": _hours(now - f.first_seen_at),
                "overdue": now - f.first_seen_at > CLEAR_WITHIN,
                "replacement": replacements.get(f.term, ""),
            }
            for f in report.findings
            if params.get("field") in (None, f.field)
        ]
        body = {
            "open": len(report.findings),
            "overdue": report.overdue,
            "oldest_age_hours": None if report.oldest_age is None else _hours(report.oldest_age),
            "clear_within_hours": int(CLEAR_WITHIN.total_seconds() // 3600),
            "findings": findings,
        }

        def tables() -> list[Table]:
            zone = self.store.zone
            rows = [
                [iso(f[n], zone) if n == "first_seen_at" else f[n] for n in _FINDING_FIELDS]
                for f in findings
            ]
            return [Table("findings", _FINDING_FIELDS, rows)]

        return self.report_response(
            request,
            filename=f"compliance-{self.store.slug}",
            body=lambda: (
                ComplianceReportSerializer(body, context=self.get_serializer_context()).data
            ),
            tables=tables,
        )

    @report_schema(
        ExposureReportSerializer,
        tables=["exposure"],
        parameters=[ExposureQuerySerializer],
        summary="Price-protection exposure (保价) of a price change",
    )
    @action(detail=False, methods=["get"], url_path="price-exposure")
    def price_exposure(self, request: Request, store_slug: str) -> Response:
        """What a price change would expose to price-protection claims: paid orders in the
        protection window that paid more than the new price, and the most buyers could claim.
        For one SKU and a new price, or a cut of N percent for one SKU or every SKU on shelf.
        Writes nothing."""
        params = validated(ExposureQuerySerializer, request, store=self.store)
        now = timezone.now()
        skus = params["skus"]
        if "new_price" in params:
            new_prices = {sku.pk: params["new_price"] for sku in skus}
        else:
            factor = (Decimal(100) - params["cut_percent"]) / 100
            new_prices = {sku.pk: (sku.price * factor).quantize(Decimal("0.01")) for sku in skus}
        exposures = price_change_previews(skus=skus, new_prices=new_prices, at=now)
        rows = []
        for sku in skus:
            exposure = exposures[sku.pk]
            rows.append(
                {
                    "sku_id": sku.pk,
                    "code": sku.code,
                    "old_price": exposure.old_price,
                    "new_price": exposure.new_price,
                    "orders": exposure.orders,
                    "lines": exposure.lines,
                    "units": exposure.units,
                    "amount": exposure.amount,
                    "confirmation": exposure.confirmation if exposure.has_exposure else "",
                }
            )
        days = self.store.price_protection_days
        body = {
            "at": now,
            "window_start": now - datetime.timedelta(days=days),
            "protection_days": days,
            "orders": sum(row["orders"] for row in rows),
            "amount": sum((row["amount"] for row in rows), Decimal("0.00")),
            "rows": rows,
        }

        def tables() -> list[Table]:
            return [
                Table(
                    "exposure",
                    _EXPOSURE_FIELDS,
                    [[row[n] for n in _EXPOSURE_FIELDS] for row in rows],
                )
            ]

        return self.report_response(
            request,
            filename=f"price-exposure-{self.store.slug}",
            body=lambda: ExposureReportSerializer(body, context=self.get_serializer_context()).data,
            tables=tables,
        )
