"""Reads of the store's customers for the web pages. Every function takes the store it reads."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from opsdesk.models import Store

from .models import Customer, TierChange


def customer_list(*, store: Store, search: str = "") -> QuerySet[Customer]:
    """The store's customers, member level loaded, with ``latest_tier`` annotated.

    ``latest_tier`` is the tier of the customer's most recent TierChange (None when the
    customer never had one). ``search`` matches external id, name or region,
    case-insensitively. Ordered by external id.
    """
    latest_tier = (
        TierChange.objects.filter(store=store, customer=OuterRef("pk"))
        .order_by("-day")
        .values("tier")[:1]
    )
    customers = (
        Customer.objects.filter(store=store)
        .select_related("member_level")
        .annotate(latest_tier=Subquery(latest_tier))
    )
    search = search.strip()
    if search:
        customers = customers.filter(
            Q(external_id__icontains=search)
            | Q(name__icontains=search)
            | Q(region__icontains=search)
        )
    return customers.order_by("external_id", "pk")


def customer_count(*, store: Store) -> int:
    """Number of the store's customers."""
    return Customer.objects.filter(store=store).count()
