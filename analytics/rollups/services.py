"""Rollup services: compute and write the rolled-up tables of ``analytics.models.rollups``.

Contracts
---------
* ``rollup_day(store=, day=)`` replaces every rolled-up row of one store-local day in ONE
  transaction (delete the unit's rows, insert the new ones): a re-run with the same facts
  writes identical rows (only ``computed_at`` moves), and a run killed half-way leaves the old
  rows, never a mix.
* Two runs of the same (store, day) never interleave: on PostgreSQL the transaction takes
  ``pg_advisory_xact_lock`` per (store, day) before deleting; on SQLite the project opens every
  transaction with ``BEGIN IMMEDIATE`` (settings.py), which takes the database write lock up
  front, so writers are serialised anyway.
* Cost is proportional to the day's facts: facts are read through their (store, timestamp)
  indexes with the day's UTC bounds; "first-ever paid order" is an index probe per paid order
  of the day (order_customer_paid_idx).
* ``rollup_range`` back-fills; on PostgreSQL it rolls up runs of up to ``chunk_days`` days per
  transaction (one scan per run, local days computed with ``AT TIME ZONE``).
* A rollup of a day, or a stale mark of a day, drops the store's customer state snapshot if it
  covers that day (``users.tiers`` then rebuilds it from the orders): the snapshot that lets a
  night's tiers and RFM read only the night's orders is never older than the facts.
* ``mark_days_stale`` is what importers and refund writers call after a late fact;
  ``rollup_stale`` rolls the marked days up again.
"""

import datetime
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from analytics import idsets
from analytics.models import (
    AdSpend,
    BehaviourEvent,
    BuyerDay,
    BuyerSet,
    CustomerStateSnapshot,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    Order,
    Refund,
    StaleDay,
    TierDailyCount,
    VisitorSet,
)
from opsdesk.models import Store

from . import funnel as funnel_rollup
from . import sql
from .days import chunks, day_bounds, each_day, local_day

logger = logging.getLogger(__name__)

#: Days per transaction in a PostgreSQL back-fill. SQLite always rolls up one day at a time.
DEFAULT_CHUNK_DAYS = 31

_LOCK_NAMESPACE_DAY = 0x2A
_LOCK_NAMESPACE_TIERS = 0x2B


@dataclass(frozen=True)
class RollupResult:
    """What a rollup wrote: the store, the inclusive day range and rows per table."""

    store_id: int
    first_day: datetime.date
    last_day: datetime.date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def advisory_key(namespace: int, store_id: int, day: datetime.date | None = None) -> int:
    """A signed 64-bit advisory-lock key for (namespace, store, day)."""
    ordinal = day.toordinal() if day else 0
    return (namespace << 56) | ((store_id & 0xFFFFFFFF) << 24) | (ordinal & 0xFFFFFF)


def lock_units(keys: Iterable[int]) -> None:
    """Take transaction-scoped advisory locks (PostgreSQL), in ascending order so two
    overlapping runs cannot deadlock. A no-op elsewhere (SQLite serialises writers)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def generation_key(store_id: int) -> str:
    return f"analytics:generation:{store_id}"


def rollup_generation(store_id: int) -> int:
    """A per-store counter that moves whenever rolled-up rows change; report cache keys
    include it so a re-rolled day is never served from a stale cache entry."""
    return int(cache.get(generation_key(store_id), 0))


def bump_generation(store_id: int) -> None:
    key = generation_key(store_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, int(time.time() * 1000), timeout=None)


def _store_and_run(
    store: Store,
    first: datetime.date,
    last: datetime.date,
    now: datetime.datetime,
    funnel_first: datetime.date | None = None,
) -> sql.Run:
    start, end = day_bounds(store.zone, first, last)
    return sql.Run(
        store_id=store.pk,
        zone_name=store.time_zone,
        first_day=first,
        last_day=last,
        start=start,
        end=end,
        computed_at=now,
        visitors_start=day_bounds(store.zone, funnel_first)[0] if funnel_first else None,
    )


def _rollup_run(
    store: Store, first: datetime.date, last: datetime.date, *, funnel_before: bool = True
) -> dict[str, int]:
    """Replace the rolled-up rows of ``[first, last]``. Must run inside a transaction.

    With ``funnel_before``, the funnel rows of the days before ``first`` that the conversion
    window reaches into the run are rewritten too (``rollups.funnel``), under the same locks;
    a back-fill turns it off after its first run (the run before wrote those rows with the
    same facts)."""
    now = timezone.now()
    before = funnel_rollup.window_days_before(store) if funnel_before else 0
    funnel_first = first - datetime.timedelta(days=before)
    run = _store_and_run(store, first, last, now, funnel_first)
    days = list(each_day(first, last))
    lock_units(
        advisory_key(_LOCK_NAMESPACE_DAY, store.pk, day) for day in each_day(funnel_first, last)
    )
    if connection.vendor == "postgresql":
        # JIT compilation costs more than it saves on these one-off aggregate statements
        # (measured: 1.2 s of a 5 s SKU statement in the year back-fill).
        # work_mem: the hash aggregates of a year of a store's facts spilled to disk at the
        # 4 MB default (full-scale bench: 21 batches, 106 MB on disk at 64 MB); 128 MB per
        # node keeps a store-year in memory and the backend well under 1 GB.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', '128MB', true)"
            )
    # Read the stale marks before reading facts: a mark refreshed while we run survives.
    marks = dict(
        StaleDay.objects.filter(store=store, day__range=(first, last)).values_list(
            "day", "marked_at"
        )
    )
    unit = {"store_id": store.pk, "day__range": (first, last)}
    # The customer state (users.tiers) of a day from ``first`` on may rest on facts that
    # changed: drop it, the next tier rollup rebuilds it from the orders.
    CustomerStateSnapshot.objects.filter(store_id=store.pk, as_of__gte=first).delete()
    for model in (
        DailySkuMetrics,
        DailyStoreMetrics,
        DailyChannelMetrics,
        BuyerDay,
        BuyerSet,
        VisitorSet,
    ):
        model.objects.filter(**unit).delete()  # no dependants: one DELETE per table
    rows: dict[str, int] = {}
    params = run.params()
    with connection.cursor() as cursor:
        cursor.execute(sql.render(sql.DROP_RUN_ORDERS, run))
        for name, template in sql.STATEMENTS:
            cursor.execute(sql.render(template, run), params)
            rows[name] = max(cursor.rowcount, 0)
            if template is sql.CREATE_RUN_ORDERS and connection.vendor == "postgresql":
                # A temporary table has no statistics until analysed: without them the
                # planner takes a year's 400,000 orders for a few hundred.
                cursor.execute(f"ANALYZE {sql.RUN_ORDERS}")
        cursor.execute(sql.render(sql.DROP_RUN_ORDERS, run))
    rows["funnel_days"] = funnel_rollup.funnel_days_write(
        store=store, first=funnel_first, last=last
    )
    # Every rolled-up day has a store row, zeros included: "rolled up" == "has a store row".
    present = set(DailyStoreMetrics.objects.filter(**unit).values_list("day", flat=True))
    missing = [
        DailyStoreMetrics(store_id=store.pk, day=day, computed_at=now)
        for day in days
        if day not in present
    ]
    DailyStoreMetrics.objects.bulk_create(missing)
    rows["store_rows"] += len(missing)
    _store_visitor_counts(store, unit)
    if marks:
        condition = Q()
        for day, marked_at in marks.items():
            condition |= Q(day=day, marked_at=marked_at)
        StaleDay.objects.filter(condition, store=store).delete()
    return rows


_SET_FIELDS = ("visitors", "carted", "ordered", "paid")
_COUNT_FIELDS = ("uv", "cart_visitors", "order_visitors", "pay_visitors")


def _store_visitor_counts(store: Store, unit: dict) -> None:
    """Set the store rows' distinct visitor counts of the unit's days: per day, the size of
    the union of the day's channel sets (a visitor seen through two channels counts once),
    counted for every day of the unit at once (``idsets.distinct_per_group``, the days as
    groups). One UPDATE per day: a night is two queries, a back-fill month 32."""
    rows = list(VisitorSet.objects.filter(**unit).values_list("day", *_SET_FIELDS))
    if not rows:
        return
    days = sorted({row[0] for row in rows})
    group_of = {day: group for group, day in enumerate(days)}
    row_groups = np.array([group_of[row[0]] for row in rows], dtype=np.int64)
    per_set = []
    for position in range(len(_SET_FIELDS)):
        ids, owners = idsets.unpack_many(row[1 + position] for row in rows)
        per_set.append(idsets.distinct_per_group(ids, row_groups[owners], len(days)))
    for group, day in enumerate(days):
        counts = {
            name: int(values[group]) for name, values in zip(_COUNT_FIELDS, per_set, strict=True)
        }
        DailyStoreMetrics.objects.filter(store=store, day=day).update(**counts)


def rollup_day(*, store: Store, day: datetime.date, tiers: bool = True) -> RollupResult:
    """Roll up one store-local day: visitor-days, buyer-days, store/channel/SKU rows and (with
    ``tiers``) the customers' lifecycle tiers as of the end of the day, in one transaction.

    Idempotent: re-running with unchanged facts rewrites identical rows.
    """
    from users.tiers import tiers_rollup  # users.tiers reads analytics models

    began = time.perf_counter()
    with transaction.atomic():
        rows = _rollup_run(store, day, day)
        if tiers:
            tier_result = tiers_rollup(store=store, start=day, end=day)
            rows["tier_changes"] = tier_result.changes
        transaction.on_commit(lambda: bump_generation(store.pk))
    result = RollupResult(store.pk, day, day, rows, time.perf_counter() - began)
    logger.info(
        "rollup_day store=%s day=%s rows=%s seconds=%.3f", store.pk, day, rows, result.seconds
    )
    return result


def rollup_range(
    *,
    store: Store,
    start: datetime.date,
    end: datetime.date,
    tiers: bool = True,
    chunk_days: int | None = None,
    progress=None,
) -> RollupResult:
    """Back-fill ``[start, end]`` (inclusive local days), one transaction per run of days.

    ``chunk_days`` defaults to ``DEFAULT_CHUNK_DAYS`` on PostgreSQL and 1 on SQLite.
    ``progress`` (optional) is called with the number of days finished after each run.
    Tiers are then rolled forward once over the whole range (incrementally, see
    ``users.tiers``).
    """
    from users.tiers import tiers_rollup

    if end < start:
        raise ValueError("end is before start")
    if chunk_days is None:
        chunk_days = DEFAULT_CHUNK_DAYS if connection.vendor == "postgresql" else 1
    began = time.perf_counter()
    totals: dict[str, int] = {}
    for first, last in chunks(start, end, chunk_days):
        with transaction.atomic():
            rows = _rollup_run(store, first, last, funnel_before=first == start)
        for name, count in rows.items():
            totals[name] = totals.get(name, 0) + count
        if progress is not None:
            progress((last - first).days + 1)
    if tiers:
        totals["tier_changes"] = tiers_rollup(store=store, start=start, end=end).changes
    transaction.on_commit(lambda: bump_generation(store.pk))  # now, outside a transaction
    result = RollupResult(store.pk, start, end, totals, time.perf_counter() - began)
    logger.info(
        "rollup_range store=%s start=%s end=%s rows=%s seconds=%.3f",
        store.pk,
        start,
        end,
        totals,
        result.seconds,
    )
    return result


def mark_days_stale(*, store: Store, days: Iterable[datetime.date]) -> int:
    """Mark store-local days for a re-roll (call after writing a late fact in the same
    transaction). Re-marking refreshes ``marked_at``. Returns the number of days marked."""
    now = timezone.now()
    unique_days = sorted(set(days))
    if unique_days:
        CustomerStateSnapshot.objects.filter(store=store, as_of__gte=unique_days[0]).delete()
    StaleDay.objects.bulk_create(
        [StaleDay(store=store, day=day, marked_at=now) for day in unique_days],
        update_conflicts=True,
        unique_fields=["store", "day"],
        update_fields=["marked_at"],
    )
    return len(unique_days)


def mark_instants_stale(*, store: Store, instants: Iterable[datetime.datetime]) -> int:
    """``mark_days_stale`` for the local days of aware timestamps (refunded_at, paid_at...)."""
    zone = store.zone
    return mark_days_stale(store=store, days={local_day(zone, at) for at in instants})


def mark_orders_stale(*, store: Store, orders: Iterable[Order]) -> int:
    """Mark the days a late or changed set of paid orders affects: each order's paid day and,
    when the order is now a customer's first-ever paid order, the day that used to hold the
    customer's first order (its new-buyer count drops)."""
    zone = store.zone
    paid = [order for order in orders if order.paid_at is not None]
    days = {local_day(zone, order.paid_at) for order in paid}
    customers = {order.customer_id for order in paid}
    firsts = BuyerDay.objects.filter(
        store=store, customer_id__in=customers, first_orders__gt=0
    ).values_list("day", flat=True)
    days.update(firsts)
    return mark_days_stale(store=store, days=days)


def rollup_stale(*, store: Store) -> list[RollupResult]:
    """Roll up every stale day of the store (oldest first), then roll tiers forward from the
    oldest stale day to the last day that has tier counts, so tier history stays consistent."""
    from users.tiers import tiers_rollup

    days = list(StaleDay.objects.filter(store=store).order_by("day").values_list("day", flat=True))
    results = [rollup_day(store=store, day=day, tiers=False) for day in days]
    if days:
        last_tier_day = (
            TierDailyCount.objects.filter(store=store)
            .order_by("-day")
            .values_list("day", flat=True)
            .first()
        )
        if last_tier_day is not None and last_tier_day >= days[0]:
            tiers_rollup(store=store, start=days[0], end=last_tier_day)
    return results


def days_needing_rollup(*, store: Store) -> list[datetime.date]:
    """Local days that have facts but no store row, plus stale days (for ``--if-needed``).

    Reads the first and last fact timestamps and the rolled-up days, not the facts per day.
    """
    zone = store.zone
    firsts = [
        Order.objects.filter(store=store, paid_at__isnull=False).aggregate(x=Min("paid_at"))["x"],
        BehaviourEvent.objects.filter(store=store).aggregate(x=Min("occurred_at"))["x"],
        Refund.objects.filter(store=store).aggregate(x=Min("refunded_at"))["x"],
    ]
    starts = [local_day(zone, at) for at in firsts if at is not None]
    spend_first = AdSpend.objects.filter(store=store).aggregate(x=Min("day"))["x"]
    if spend_first is not None:
        starts.append(spend_first)
    if not starts:
        return []
    today = local_day(zone, timezone.now())
    start = min(starts)
    end = today - datetime.timedelta(days=1)
    rolled = set(
        DailyStoreMetrics.objects.filter(store=store, day__range=(start, end)).values_list(
            "day", flat=True
        )
    )
    stale = set(StaleDay.objects.filter(store=store).values_list("day", flat=True))
    return sorted({day for day in each_day(start, end) if day not in rolled} | stale)
