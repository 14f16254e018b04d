from django.contrib import admin

from opsdesk.admin_scoping import StoreListFilter, StoreScopedAdmin
from opsdesk.roles import Capability

from .models import (
    BannedTerm,
    Category,
    ComplianceFinding,
    PriceChange,
    RoleSuggestionDecision,
    Sku,
    StockSnapshot,
)


class CatalogAdmin(StoreScopedAdmin):
    write_capability = Capability.EDIT_CATALOG


@admin.register(Category)
class CategoryAdmin(CatalogAdmin):
    list_display = ("name", "parent", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("parent", "store")
    search_fields = ("name",)


@admin.register(Sku)
class SkuAdmin(CatalogAdmin):
    list_display = (
        "code",
        "title",
        "category",
        "role",
        "price",
        "cost",
        "stock",
        "status",
        "listed_on",
        "store",
    )
    list_filter = (StoreListFilter, "role", "status")
    list_select_related = ("category", "store")
    search_fields = ("code", "title")


@admin.register(PriceChange)
class PriceChangeAdmin(CatalogAdmin):
    list_display = ("sku", "old_price", "new_price", "changed_at", "changed_by", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("sku", "changed_by", "store")
    search_fields = ("sku__code", "sku__title")
    autocomplete_fields = ("sku",)


@admin.register(StockSnapshot)
class StockSnapshotAdmin(CatalogAdmin):
    list_display = ("sku", "day", "stock", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("sku", "store")
    search_fields = ("sku__code",)
    autocomplete_fields = ("sku",)


@admin.register(BannedTerm)
class BannedTermAdmin(CatalogAdmin):
    list_display = ("term", "replacement", "allowed_phrases", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    search_fields = ("term",)


@admin.register(ComplianceFinding)
class ComplianceFindingAdmin(CatalogAdmin):
    list_display = ("sku", "field", "term", "position", "first_seen_at", "resolved_at", "store")
    list_filter = (StoreListFilter, "field", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("sku", "store")
    search_fields = ("sku__code", "term")
    autocomplete_fields = ("sku",)


@admin.register(RoleSuggestionDecision)
class RoleSuggestionDecisionAdmin(CatalogAdmin):
    list_display = ("sku", "suggested_role", "previous_role", "accepted", "decided_at", "store")
    list_filter = (StoreListFilter, "accepted", "suggested_role")
    list_select_related = ("sku", "decided_by", "store")
    search_fields = ("sku__code",)
    autocomplete_fields = ("sku",)
