"""Reads of the store's customers for the web pages. Every function takes the store it reads."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from opsdesk.models import Store

from .models import (
    Customer,
    CustomerPrediction,
    MemberLevel,
    MemberLevelChange,
    PlaybookContact,
    TierChange,
)


def customer_list(*, store: Store, search: str = "") -> QuerySet[Customer]:
    """The store's customers, member level and prediction loaded, with ``latest_tier``
    annotated.

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
        .select_related("member_level", "prediction")
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


@dataclass(frozen=True)
class CustomerInTier:
    customer_id: int
    external_id: str
    name: str
    tier: str
    since: datetime.date
    member_level: str
    points: int


def customers_in_tier(*, store: Store, tier: str, day: datetime.date) -> list[CustomerInTier]:
    """Everyone whose current tier on ``day`` is ``tier`` (current tier = the latest
    ``TierChange`` on or before ``day``), with the day they entered it; by external id."""
    latest = TierChange.objects.filter(store=store, customer=OuterRef("pk"), day__lte=day).order_by(
        "-day"
    )
    rows = (
        Customer.objects.filter(store=store)
        .annotate(
            tier_on=Subquery(latest.values("tier")[:1]),
            since=Subquery(latest.values("day")[:1]),
        )
        .filter(tier_on=tier)
        .select_related("member_level")
        .order_by("external_id", "pk")
    )
    return [
        CustomerInTier(
            customer_id=c.pk,
            external_id=c.external_id,
            name=c.name,
            tier=c.tier_on,
            since=c.since,
            member_level=c.member_level.name if c.member_level else "",
            points=c.points,
        )
        for c in rows
    ]


@dataclass(frozen=True)
class CustomerProfile:
    """Everything the customer page shows, read in a fixed number of queries."""

    customer: Customer
    orders: list  # latest orders first, refunds prefetched
    order_count: int
    paid_total: Decimal
    refunded_total: Decimal
    refunds: list
    tier_changes: list[TierChange]
    current_tier: str | None
    level_changes: list[MemberLevelChange]
    next_level: tuple[MemberLevel, Decimal] | None
    rfm: object | None  # analytics RfmScore of the latest snapshot, if scored
    prediction: CustomerPrediction | None
    contacts: list[PlaybookContact]


def customer_profile(*, store: Store, customer_id: int, order_limit: int = 50) -> CustomerProfile:
    """The store's customer ``customer_id`` with orders, refunds, tier and level history, RFM
    scores, prediction and playbook contacts. ``Customer.DoesNotExist`` for an id of another
    store (the page turns it into a 404)."""
    from analytics.models import Order, Refund, RfmScore

    from .members import spend_to_next_level

    customer = Customer.objects.select_related("member_level").get(store=store, pk=customer_id)
    orders_qs = Order.objects.filter(store=store, customer=customer)
    orders = list(
        orders_qs.prefetch_related("refunds").order_by("-created_at", "-pk")[:order_limit]
    )
    totals = orders_qs.filter(paid_at__isnull=False).aggregate(n=Count("id"), s=Sum("paid_amount"))
    refunds = list(
        Refund.objects.filter(store=store, order__customer=customer)
        .select_related("order")
        .order_by("-refunded_at", "-pk")
    )
    refunded = sum((r.amount for r in refunds), Decimal("0.00"))
    paid = totals["s"] or Decimal("0.00")
    tier_changes = list(
        TierChange.objects.filter(store=store, customer=customer).order_by("-day", "-pk")
    )
    levels = list(MemberLevel.objects.filter(store=store).order_by("min_spend"))
    return CustomerProfile(
        customer=customer,
        orders=orders,
        order_count=totals["n"] or 0,
        paid_total=paid,
        refunded_total=refunded,
        refunds=refunds,
        tier_changes=tier_changes,
        current_tier=tier_changes[0].tier if tier_changes else None,
        level_changes=list(
            MemberLevelChange.objects.filter(store=store, customer=customer)
            .select_related("level", "previous_level")
            .order_by("-day", "-pk")
        ),
        next_level=spend_to_next_level(paid - refunded, levels),
        rfm=RfmScore.objects.filter(store=store, customer_id=customer.pk).first(),
        prediction=CustomerPrediction.objects.filter(store=store, customer=customer)
        .select_related("fit")
        .first(),
        contacts=list(
            PlaybookContact.objects.filter(store=store, customer=customer)
            .select_related("playbook", "run")
            .order_by("-day", "-pk")
        ),
    )
