"""Admin of the raw facts and, view-only, of the rolled-up tables.

The tables are large: foreign keys use autocomplete, lists load their relations in the same
query and skip the full-table count."""

from django.contrib import admin

from opsdesk.admin_scoping import (
    ReadOnlyStoreAdmin,
    StoreListFilter,
    StoreScopedAdmin,
    StoreScopedInline,
)
from opsdesk.roles import Capability

from .models import (
    AdSpend,
    BehaviourEvent,
    BuyerDay,
    CustomerStateSnapshot,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    Order,
    OrderLine,
    Refund,
    RfmScore,
    StaleDay,
    TierDailyCount,
    Visitor,
    VisitorDay,
)


class FactsAdmin(StoreScopedAdmin):
    write_capability = Capability.IMPORT_DATA


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


@admin.register(OrderLine)
class OrderLineAdmin(FactsAdmin):
    list_display = ("order", "sku", "quantity", "unit_price", "unit_cost", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("order", "sku", "store")
    search_fields = ("order__number", "sku__code")
    autocomplete_fields = ("order", "sku")


@admin.register(Refund)
class RefundAdmin(FactsAdmin):
    list_display = ("number", "order", "amount", "refunded_at", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("order", "store")
    search_fields = ("number", "order__number")
    autocomplete_fields = ("order",)


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


@admin.register(AdSpend)
class AdSpendAdmin(FactsAdmin):
    list_display = ("day", "channel", "spend", "impressions", "clicks", "store")
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("store",)
    date_hierarchy = "day"


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


@admin.register(VisitorDay)
class VisitorDayAdmin(ReadOnlyStoreAdmin):
    list_display = ("day", "visitor", "channel", "views", "carted", "ordered", "paid", "store")
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("visitor", "store")


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
