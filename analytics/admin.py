"""Admin of the raw facts and, view-only, of the rolled-up tables.

The tables are large: foreign keys use autocomplete, lists load their relations in the same
query and skip the full-table count.

A fact written through the admin (added, changed or deleted; an order's lines and refunds
inline too) marks the store-local days it affects stale, in the same transaction, like an
import or an API push: the day before and after the edit (an order whose payment moves from
one day to another changes both), and for orders the day that held the customer's first
order (``analytics.rollups.services.mark_orders_stale``). The hourly re-roll then brings the
dashboards in line with the edited facts.
"""

import datetime
from collections.abc import Iterable

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from opsdesk.admin_scoping import (
    ReadOnlyStoreAdmin,
    StoreListFilter,
    StoreScopedAdmin,
    StoreScopedInline,
)
from opsdesk.models import Store
from opsdesk.roles import Capability

from .models import (
    AdSpend,
    BehaviourEvent,
    BuyerDay,
    BuyerSet,
    CustomerStateSnapshot,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    FunnelDay,
    Order,
    OrderLine,
    Refund,
    RfmScore,
    StaleDay,
    TierDailyCount,
    Visitor,
    VisitorSet,
)
from .rollups.services import mark_days_stale, mark_instants_stale, mark_orders_stale


class FactsAdmin(StoreScopedAdmin):
    """Admin of one kind of fact: its writes mark the affected days stale (module docstring).

    Subclasses say which rows a write affects through ``mark_stale(store, rows)``, called with
    the row as stored before the write (when there was one) and as written."""

    write_capability = Capability.IMPORT_DATA

    def mark_stale(self, store: Store, rows: list[models.Model]) -> None:
        raise NotImplementedError

    def _stored(self, obj: models.Model) -> models.Model | None:
        if obj.pk is None:
            return None
        return type(obj)._default_manager.filter(pk=obj.pk).first()

    def save_model(self, request: HttpRequest, obj: models.Model, form, change: bool) -> None:
        before = self._stored(obj) if change else None
        super().save_model(request, obj, form, change)
        self.mark_stale(obj.store, [row for row in (before, obj) if row is not None])

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        store = obj.store
        self.mark_stale(store, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        by_store: dict[int, list] = {}
        for obj in queryset.select_related("store"):
            by_store.setdefault(obj.store_id, []).append(obj)
        for rows in by_store.values():
            self.mark_stale(rows[0].store, rows)
        super().delete_queryset(request, queryset)


def _mark_orders(store: Store, orders: Iterable[Order]) -> None:
    """An order's paid day (and its customer's first-order day) and its refunds' days."""
    orders = list(orders)
    mark_orders_stale(store=store, orders=orders)
    refunds = Refund.objects.filter(store=store, order__in=[o.pk for o in orders if o.pk])
    mark_instants_stale(store=store, instants=refunds.values_list("refunded_at", flat=True))


class OrderLineInline(StoreScopedInline):
    model = OrderLine
    write_capability = Capability.IMPORT_DATA
    autocomplete_fields = ("sku",)
    fields = ("sku", "quantity", "unit_price", "unit_cost")


class RefundInline(StoreScopedInline):
    model = Refund
    write_capability = Capability.IMPORT_DATA
    fields = ("number", "amount", "refunded_at")


@admin.register(Order)
class OrderAdmin(FactsAdmin):
    list_display = (
        "number",
        "customer",
        "created_at",
        "paid_at",
        "status",
        "channel",
        "paid_amount",
        "store",
    )
    list_filter = (StoreListFilter, "status", "channel", "is_presale")
    list_select_related = ("customer", "store")
    search_fields = ("number", "customer__external_id")
    autocomplete_fields = ("customer",)
    inlines = (OrderLineInline, RefundInline)

    _BEFORE = "_opsdesk_order_before"

    def mark_stale(self, store: Store, rows: list[models.Model]) -> None:
        _mark_orders(store, rows)

    def save_model(self, request: HttpRequest, obj: Order, form, change: bool) -> None:
        # The order as stored and its refunds' days, before the order and its inline lines and
        # refunds are written; everything is marked once the inlines are saved too.
        before = self._stored(obj) if change else None
        refund_days = set()
        if before is not None:
            refund_days = set(
                Refund.objects.filter(order=before).values_list("refunded_at", flat=True)
            )
        setattr(request, self._BEFORE, (before, refund_days))
        StoreScopedAdmin.save_model(self, request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        order = form.instance
        before, refund_days = getattr(request, self._BEFORE, (None, set()))
        _mark_orders(order.store, [row for row in (before, order) if row is not None])
        mark_instants_stale(store=order.store, instants=refund_days)


@admin.register(OrderLine)
class OrderLineAdmin(FactsAdmin):
    list_display = ("order", "sku", "quantity", "unit_price", "unit_cost", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("order", "sku", "store")
    search_fields = ("order__number", "sku__code")
    autocomplete_fields = ("order", "sku")

    def mark_stale(self, store: Store, rows: list[models.Model]) -> None:
        # A line counts on its order's paid day (SKU units, GMV of lines, gross profit).
        _mark_orders(store, Order.objects.filter(pk__in={row.order_id for row in rows}))


@admin.register(Refund)
class RefundAdmin(FactsAdmin):
    list_display = ("number", "order", "amount", "refunded_at", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("order", "store")
    search_fields = ("number", "order__number")
    autocomplete_fields = ("order",)

    def mark_stale(self, store: Store, rows: list[models.Model]) -> None:
        mark_instants_stale(store=store, instants=[row.refunded_at for row in rows])


@admin.register(BehaviourEvent)
class BehaviourEventAdmin(FactsAdmin):
    list_display = (
        "occurred_at",
        "event_type",
        "visitor_id",
        "customer",
        "sku",
        "channel",
        "store",
    )
    list_filter = (StoreListFilter, "event_type", "channel")
    list_select_related = ("customer", "sku", "store")
    search_fields = ("visitor_id", "client_event_id")
    autocomplete_fields = ("customer", "sku")

    def mark_stale(self, store: Store, rows: list[models.Model]) -> None:
        mark_instants_stale(store=store, instants=[row.occurred_at for row in rows])


@admin.register(AdSpend)
class AdSpendAdmin(FactsAdmin):
    list_display = ("day", "channel", "spend", "impressions", "clicks", "store")
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("store",)
    date_hierarchy = "day"

    def mark_stale(self, store: Store, rows: list[models.Model]) -> None:
        days: set[datetime.date] = {row.day for row in rows}
        mark_days_stale(store=store, days=days)


# --- Rolled-up tables: derived, rewritten nightly, so view-only ------------------------------


@admin.register(DailyStoreMetrics)
class DailyStoreMetricsAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "gmv", "paid_orders", "paying_buyers", "uv", "ad_spend", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    date_hierarchy = "day"


@admin.register(DailyChannelMetrics)
class DailyChannelMetricsAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "channel", "gmv", "paid_orders", "uv", "ad_spend", "store")
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("store",)
    date_hierarchy = "day"


@admin.register(DailySkuMetrics)
class DailySkuMetricsAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "sku", "units", "gmv", "views", "visitors", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("sku", "store")
    search_fields = ("sku__code",)


@admin.register(Visitor)
class VisitorAdmin(ReadOnlyStoreAdmin):
    list_display = ("visitor_key", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    search_fields = ("visitor_key",)


@admin.register(VisitorSet)
class VisitorSetAdmin(ReadOnlyStoreAdmin):
    list_display = (
        "day",
        "channel",
        "views",
        "uv",
        "cart_visitors",
        "order_visitors",
        "pay_visitors",
        "store",
    )
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("store",)
    exclude = ("visitors", "carted", "ordered", "paid")


@admin.register(BuyerSet)
class BuyerSetAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "channel", "paying_buyers", "store")
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("store",)
    exclude = ("buyers", "orders")


@admin.register(FunnelDay)
class FunnelDayAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "window_hours", "computed_at", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    exclude = ("visitors", "depths", "channels")


@admin.register(BuyerDay)
class BuyerDayAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "customer", "channel", "paid_orders", "gmv", "first_orders", "store")
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("customer", "store")


@admin.register(StaleDay)
class StaleDayAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "marked_at", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)


@admin.register(TierDailyCount)
class TierDailyCountAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "tier", "customers", "store")
    list_filter = (StoreListFilter, "tier")
    list_select_related = ("store",)


@admin.register(RfmScore)
class RfmScoreAdmin(ReadOnlyStoreAdmin):
    list_display = (
        "customer",
        "as_of",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "segment",
        "store",
    )
    list_filter = (StoreListFilter, "segment")
    list_select_related = ("customer", "store")
    search_fields = ("customer__external_id",)


@admin.register(CustomerStateSnapshot)
class CustomerStateSnapshotAdmin(ReadOnlyStoreAdmin):
    """The nightly running-totals cache: shown so staff can see how fresh it is."""

    list_display = ("store", "as_of", "window_days", "computed_at")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    exclude = ("payload",)


from .imports import admin as imports_admin  # noqa: E402, F401  (registers ImportRun)
