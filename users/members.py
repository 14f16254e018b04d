"""Member levels (会员等级) and points (积分), recomputed from the facts.

Rules (DOMAIN.md: levels follow cumulative spend with per-store thresholds; points accrue per
paid yuan):

* cumulative spend = paid amount of every paid order whose ``paid_at`` is before the end of
  the store-local day ``day``, minus every refund whose ``refunded_at`` is before it. A
  refunded purchase therefore neither lifts a level nor keeps its points.
* points = floor(cumulative spend x ``store.points_per_yuan``), never below 0.
* level = the store's member level with the highest ``min_spend`` <= cumulative spend (none
  below the lowest threshold).
* a level that differs from the customer's current one writes a ``MemberLevelChange`` on
  ``day`` (one per customer and day: a second recompute of the same day updates it).

``members_recompute`` is the one writer: the nightly task calls it for every store, and code
that writes facts (imports, the push API) calls it with the ``customer_ids`` it touched.
Aggregation runs in the database; the comparison is vectorised; writes are bulk.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Sum

from analytics.models import Order, Refund
from analytics.rollups.days import day_bounds
from opsdesk.models import Store

from .models import Customer, MemberLevel, MemberLevelChange

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MembersResult:
    store_id: int
    day: datetime.date
    customers: int  # customers recomputed
    points_changed: int
    level_changes: int


#: ``Customer.points`` is a 32-bit column: the API and imports accept amounts (up to 12
#: digits before the point) whose points would not fit, so they stop here instead of failing.
POINTS_MAX = 2**31 - 1


def points_for(spend: Decimal, points_per_yuan: Decimal) -> int:
    """floor(spend x points_per_yuan), at least 0 and at most ``POINTS_MAX``."""
    if spend <= 0:
        return 0
    points = int((spend * points_per_yuan).to_integral_value(rounding=ROUND_FLOOR))
    return min(points, POINTS_MAX)


def level_for(spend: Decimal, levels: list[MemberLevel]) -> MemberLevel | None:
    """The level with the highest threshold reached by ``spend`` (``levels`` by min_spend)."""
    reached = None
    for level in levels:
        if spend >= level.min_spend:
            reached = level
    return reached


def cumulative_spend(
    *, store: Store, day: datetime.date, customer_ids: list[int] | None = None
) -> dict[int, Decimal]:
    """Net cumulative spend per customer id up to the end of local ``day`` (paid minus
    refunded); customers without any paid order are absent."""
    _start, end = day_bounds(store.zone, day, day)
    orders = Order.objects.filter(store=store, paid_at__isnull=False, paid_at__lt=end)
    refunds = Refund.objects.filter(store=store, refunded_at__lt=end)
    if customer_ids is not None:
        orders = orders.filter(customer_id__in=customer_ids)
        refunds = refunds.filter(order__customer_id__in=customer_ids)
    spend = dict(
        orders.values("customer_id").annotate(s=Sum("paid_amount")).values_list("customer_id", "s")
    )
    for customer_id, refunded in (
        refunds.values("order__customer_id")
        .annotate(s=Sum("amount"))
        .values_list("order__customer_id", "s")
    ):
        if customer_id in spend:
            spend[customer_id] -= refunded
    return spend


def members_recompute(
    *, store: Store, day: datetime.date, customer_ids: list[int] | None = None
) -> MembersResult:
    """Recompute points and member level of the store's customers (all, or ``customer_ids``)
    as of the end of local ``day``; record level changes on ``day``. One transaction;
    re-running with unchanged facts changes nothing."""
    levels = list(MemberLevel.objects.filter(store=store).order_by("min_spend"))
    rate = Decimal(store.points_per_yuan)
    with transaction.atomic():
        spend = cumulative_spend(store=store, day=day, customer_ids=customer_ids)
        customers = Customer.objects.filter(store=store).only("pk", "points", "member_level_id")
        if customer_ids is not None:
            customers = customers.filter(pk__in=customer_ids)
        changed: list[Customer] = []
        level_changes: list[MemberLevelChange] = []
        points_changed = 0
        total = 0
        for customer in customers.iterator(chunk_size=5_000):
            total += 1
            net = spend.get(customer.pk, ZERO)
            points = points_for(net, rate)
            level = level_for(net, levels)
            level_id = level.pk if level else None
            if points == customer.points and level_id == customer.member_level_id:
                continue
            if points != customer.points:
                points_changed += 1
            if level_id != customer.member_level_id:
                level_changes.append(
                    MemberLevelChange(
                        store_id=store.pk,
                        customer_id=customer.pk,
                        day=day,
                        level_id=level_id,
                        previous_level_id=customer.member_level_id,
                    )
                )
            customer.points = points
            customer.member_level_id = level_id
            changed.append(customer)
        Customer.objects.bulk_update(changed, ["points", "member_level"], batch_size=2_000)
        if level_changes:
            _write_level_changes(store, day, level_changes)
    return MembersResult(store.pk, day, total, points_changed, len(level_changes))


def _write_level_changes(store: Store, day: datetime.date, rows: list[MemberLevelChange]) -> None:
    """Insert the day's level changes; a customer whose level already changed earlier the
    same day keeps that row's ``previous_level`` (the level before the day) and gets the new
    level. A change back to the level before the day removes the row."""
    existing = {
        change.customer_id: change
        for change in MemberLevelChange.objects.filter(
            store=store, day=day, customer_id__in=[row.customer_id for row in rows]
        )
    }
    fresh, updated, undone = [], [], []
    for row in rows:
        before = existing.get(row.customer_id)
        if before is None:
            fresh.append(row)
        elif before.previous_level_id == row.level_id:
            undone.append(before.pk)
        else:
            before.level_id = row.level_id
            updated.append(before)
    MemberLevelChange.objects.filter(pk__in=undone).delete()
    MemberLevelChange.objects.bulk_update(updated, ["level"], batch_size=2_000)
    MemberLevelChange.objects.bulk_create(fresh, batch_size=2_000)


def spend_to_next_level(
    spend: Decimal, levels: list[MemberLevel]
) -> tuple[MemberLevel, Decimal] | None:
    """The next level above ``spend`` and how much is missing, or None at the top."""
    for level in levels:
        if level.min_spend > spend:
            return level, level.min_spend - spend
    return None


__all__ = [
    "MembersResult",
    "cumulative_spend",
    "level_for",
    "members_recompute",
    "points_for",
    "spend_to_next_level",
]
