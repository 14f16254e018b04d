"""Query filters of the catalog API."""

import django_filters
from django.db.models import Q, QuerySet

from catalog.models import PriceChange, ProductRole, Sku, SkuStatus
from opsdesk.api.filters import IdFilter, StoreFilterSet


class SkuFilter(StoreFilterSet):
    role = django_filters.ChoiceFilter(
        choices=ProductRole.choices, help_text="Only SKUs with this product-matrix role."
    )
    status = django_filters.ChoiceFilter(
        choices=SkuStatus.choices, help_text="Only SKUs with this status."
    )
    category = IdFilter(field_name="category_id", help_text="Only SKUs of this category id.")
    search = django_filters.CharFilter(
        method="filter_search", help_text="Text in the SKU code or title (case-insensitive)."
    )

    class Meta(StoreFilterSet.Meta):
        model = Sku
        fields = ["role", "status", "category", "search"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))


class PriceChangeFilter(StoreFilterSet):
    sku = IdFilter(field_name="sku_id", help_text="Only this SKU id.")
    changed_from = django_filters.DateFilter(
        field_name="changed_at",
        method="filter_local_from",
        help_text="Changed on or after this store-local date (YYYY-MM-DD).",
    )
    changed_to = django_filters.DateFilter(
        field_name="changed_at",
        method="filter_local_to",
        help_text="Changed on or before this store-local date (YYYY-MM-DD).",
    )

    class Meta(StoreFilterSet.Meta):
        model = PriceChange
        fields = ["sku", "changed_from", "changed_to"]
