"""Listing reads of the raw facts (orders, refunds, ad spend) for the web pages.

Report runners of the analytics engine live in their own modules; this module only lists and
counts facts. Every function takes the store it reads. Store-local dates become aware
datetimes at the store's local midnight (DOMAIN.md "Time").
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from opsdesk.models import Store

from .models import AdSpend, Order, Refund

ZERO = Decimal("0.00")


def local_midnight(store: Store, day: datetime.date) -> datetime.datetime:
    """The aware instant a store-local ``day`` starts."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=store.zone)


def _local_day_range(
    store: Store, field: str, start: datetime.date | None, end: datetime.date | None
) -> dict[str, datetime.datetime]:
    """Lookups keeping ``field`` within the store-local days ``start`` .. ``end`` inclusive."""
    lookups = {}
    if start is not None:
        lookups[f"{field}__gte"] = local_midnight(store, start)
    if end is not None:
        lookups[f"{field}__lt"] = local_midnight(store, end + datetime.timedelta(days=1))
    return lookups


def order_list(
    *,
    store: Store,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    channel: str = "",
) -> QuerySet[Order]:
    """The store's orders placed (``created_at``) on store-local days ``start`` .. ``end``
    (both inclusive, either open), optionally from one channel; newest first.

    Customers are loaded; ``refunded_amount`` is the sum of the order's refunds (0 when none).
    """
    refunded = (
        Refund.objects.filter(store=store, order=OuterRef("pk"))
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    orders = (
        Order.objects.filter(store=store, **_local_day_range(store, "created_at", start, end))
        .select_related("customer")
        .annotate(
            refunded_amount=Coalesce(
                Subquery(refunded, output_field=DecimalField(max_digits=14, decimal_places=2)),
                ZERO,
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )
    )
    if channel:
        orders = orders.filter(channel=channel)
    return orders.order_by("-created_at", "-pk")


def refund_list(
    *,
    store: Store,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    channel: str = "",
) -> QuerySet[Refund]:
    """The store's refunds made (``refunded_at``) on store-local days ``start`` .. ``end``,
    optionally of orders from one channel; newest first, orders and customers loaded."""
    refunds = Refund.objects.filter(
        store=store, **_local_day_range(store, "refunded_at", start, end)
    ).select_related("order", "order__customer")
    if channel:
        refunds = refunds.filter(order__channel=channel)
    return refunds.order_by("-refunded_at", "-pk")


@dataclass(frozen=True)
class OrderSummary:
    """All-time order facts of a store: how many, first and last placed (aware datetimes)."""

    order_count: int
    first_order_at: datetime.datetime | None
    last_order_at: datetime.datetime | None


def order_summary(*, store: Store) -> OrderSummary:
    """Count of the store's orders and the first and last ``created_at``, in one query."""
    row = Order.objects.filter(store=store).aggregate(
        order_count=Count("pk"), first=Min("created_at"), last=Max("created_at")
    )
    return OrderSummary(
        order_count=row["order_count"], first_order_at=row["first"], last_order_at=row["last"]
    )


@dataclass(frozen=True)
class DailySales:
    """Paid orders, GMV and ad spend of one store-local day.

    GMV is the sum of ``paid_amount`` of orders whose ``paid_at`` falls in the day (refunds
    do not reduce it, DOMAIN.md); a day without orders or spend has 0, not "no value".
    """

    day: datetime.date
    paid_orders: int
    gmv: Decimal
    ad_spend: Decimal


def daily_sales(*, store: Store, last_day: datetime.date, days: int = 7) -> list[DailySales]:
    """One row per store-local day from ``last_day - days + 1`` to ``last_day``, newest first.

    Days are bucketed in the database at the store's time zone (two queries in all).
    """
    first_day = last_day - datetime.timedelta(days=days - 1)
    paid = (
        Order.objects.filter(store=store, **_local_day_range(store, "paid_at", first_day, last_day))
        .annotate(day=TruncDate("paid_at", tzinfo=store.zone))
        .values("day")
        .annotate(paid_orders=Count("pk"), gmv=Sum("paid_amount"))
        .order_by()
    )
    by_day = {row["day"]: row for row in paid}
    spend = (
        AdSpend.objects.filter(store=store, day__gte=first_day, day__lte=last_day)
        .values("day")
        .annotate(total=Sum("spend"))
        .order_by()
    )
    spend_by_day = {row["day"]: row["total"] for row in spend}
    rows = []
    for offset in range(days):
        day = last_day - datetime.timedelta(days=offset)
        sales = by_day.get(day, {})
        rows.append(
            DailySales(
                day=day,
                paid_orders=sales.get("paid_orders", 0),
                gmv=sales.get("gmv") or ZERO,
                ad_spend=spend_by_day.get(day) or ZERO,
            )
        )
    return rows
