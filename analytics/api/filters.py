"""Query filters of the analytics API."""

import django_filters

from analytics.models import AdSpend, BehaviourEvent, EventType, Order, OrderStatus
from opsdesk.api.filters import IdFilter, StoreFilterSet
from opsdesk.channels import Channel


class OrderFilter(StoreFilterSet):
    paid_from = django_filters.DateFilter(
        field_name="paid_at",
        method="filter_local_from",
        help_text="Paid on or after this store-local date (YYYY-MM-DD).",
    )
    paid_to = django_filters.DateFilter(
        field_name="paid_at",
        method="filter_local_to",
        help_text="Paid on or before this store-local date (YYYY-MM-DD).",
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, help_text="Only orders from this channel."
    )
    status = django_filters.ChoiceFilter(
        choices=OrderStatus.choices, help_text="Only orders with this status."
    )
    customer = IdFilter(field_name="customer_id", help_text="Only orders of this customer id.")

    class Meta(StoreFilterSet.Meta):
        model = Order
        fields = ["paid_from", "paid_to", "channel", "status", "customer"]


class EventFilter(StoreFilterSet):
    occurred_from = django_filters.DateFilter(
        field_name="occurred_at",
        method="filter_local_from",
        help_text="On or after this store-local date (YYYY-MM-DD).",
    )
    occurred_to = django_filters.DateFilter(
        field_name="occurred_at",
        method="filter_local_to",
        help_text="On or before this store-local date (YYYY-MM-DD).",
    )
    event_type = django_filters.ChoiceFilter(
        choices=EventType.choices, help_text="Only events of this type."
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, help_text="Only events from this channel."
    )
    sku = IdFilter(field_name="sku_id", help_text="Only events of this SKU id.")

    class Meta(StoreFilterSet.Meta):
        model = BehaviourEvent
        fields = ["occurred_from", "occurred_to", "event_type", "channel", "sku"]


class AdSpendFilter(StoreFilterSet):
    day_from = django_filters.DateFilter(
        field_name="day", lookup_expr="gte", help_text="On or after this day (YYYY-MM-DD)."
    )
    day_to = django_filters.DateFilter(
        field_name="day", lookup_expr="lte", help_text="On or before this day (YYYY-MM-DD)."
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, help_text="Only spend on this channel."
    )

    class Meta(StoreFilterSet.Meta):
        model = AdSpend
        fields = ["day_from", "day_to", "channel"]
