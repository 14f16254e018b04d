"""Query filters of the customers API."""

import django_filters
from django.db.models import Q, QuerySet

from opsdesk.api.filters import StoreFilterSet
from users.models import Customer, Tier


class CustomerFilter(StoreFilterSet):
    tier = django_filters.ChoiceFilter(
        choices=Tier.choices, help_text="Only customers currently in this lifecycle tier."
    )
    member_level = django_filters.CharFilter(
        field_name="member_level__code", help_text="Only customers at this member level code."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Text in the external id, name or region (case-insensitive).",
    )

    class Meta(StoreFilterSet.Meta):
        model = Customer
        fields = ["tier", "member_level", "search"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(external_id__icontains=value) | Q(name__icontains=value) | Q(region__icontains=value)
        )
