"""Customer lifecycle tiers (用户分层, DOMAIN.md) as of a store-local day, and their history.

Boundaries, for as-of day D (store-local calendar days; "first"/"last" are the local days of a
customer's first/last paid order on or before D; thresholds are the store's settings, defaults
in brackets):

1. new: ``D - first < new_customer_days`` [30], i.e. the first paid day is in
   ``[D - 29, D]``: "within the last 30 days" includes D itself and the 29 days before it.
2. churned: ``D - last > churned_after_days`` [180]: more than 180 days ago.
3. dormant: ``dormant_after_days <= D - last <= churned_after_days`` [90..180, inclusive].
4. high value: at least ``high_value_min_orders`` [3] paid orders (all history up to D) and
   average paid amount ``>= high_value_min_average`` [200.00], compared exactly in cents.
5. active: every other customer with a paid order.
6. prospect: a customer with no paid order on or before D (counted from the day they
   registered; customers without ``registered_on`` always count).

Rules are applied in that order; the first that matches wins (a 3-order big spender whose first
order was 10 days ago is "new"). Paid amounts are what was paid; later refunds do not change
tiers.

History: ``TierChange`` gets a row only when a customer's tier differs from their tier the day
before (a customer's first row has ``previous_tier=""``). ``TierDailyCount`` holds the size of
every tier at the end of every rolled-up day.

Computation is vectorised. The state before the range (each customer's first/last paid day,
paid order count and paid sum, and tier) comes from the customer state snapshot
(``analytics.models.CustomerStateSnapshot``) when the previous rollup ended the day before the
range, which is every ordinary night: a night then reads only its own day's paid orders (and
the day leaving the RFM window) plus O(customers) numpy work. Otherwise (first run, back-fill,
re-roll of past days) one aggregate query over the orders before the range and the latest
tier change per customer give the same state. The range's paid orders are read once (bounded
by the range, through order_store_paid_idx) and folded in day by day with numpy; writes are
bulk; the snapshot is rewritten as of the range's last day, with the RFM window sums that
``analytics.rfm`` scores from.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count, F, Max, Min, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from analytics.models import CustomerStateSnapshot, Order, TierDailyCount
from analytics.rollups.days import day_bounds, each_day
from opsdesk.models import Store
from users.models import Customer, Tier, TierChange

#: Tier codes in DOMAIN.md's decision order; index = code used in the numpy arrays.
TIER_ORDER: tuple[str, ...] = (
    Tier.NEW,
    Tier.CHURNED,
    Tier.DORMANT,
    Tier.HIGH_VALUE,
    Tier.ACTIVE,
    Tier.PROSPECT,
)
NEW, CHURNED, DORMANT, HIGH_VALUE, ACTIVE, PROSPECT = range(6)
NOT_YET = -1  # not a customer yet on that day (registered later)

#: The recommended action shown with each tier (DOMAIN.md).
RECOMMENDED_ACTIONS: dict[str, str] = {
    Tier.NEW: "New-customer gift pack and first-order guide (新人礼包, 首单攻略)",
    Tier.HIGH_VALUE: "Exclusive coupons, spend-more gifts on repurchase (专属折扣券, 复购满赠)",
    Tier.DORMANT: "Time-limited wake-up offer, e.g. ¥30 off within 3 days (限时满减唤醒)",
    Tier.CHURNED: "Win-back coupon with personal service",
    Tier.ACTIVE: "Member day and points (会员日, 积分)",
    Tier.PROSPECT: "First-order coupon",
}

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_LOCK_NAMESPACE_TIERS = 0x2B


@dataclass(frozen=True)
class TierThresholds:
    new_customer_days: int = 30
    dormant_after_days: int = 90
    churned_after_days: int = 180
    high_value_min_orders: int = 3
    high_value_min_average_cents: int = 20_000

    @classmethod
    def of(cls, store: Store) -> "TierThresholds":
        return cls(
            new_customer_days=store.new_customer_days,
            dormant_after_days=store.dormant_after_days,
            churned_after_days=store.churned_after_days,
            high_value_min_orders=store.high_value_min_orders,
            high_value_min_average_cents=int(Decimal(store.high_value_min_average) * 100),
        )


def assign_tiers(
    *,
    as_of: int,
    first_day: np.ndarray,
    last_day: np.ndarray,
    paid_orders: np.ndarray,
    paid_cents: np.ndarray,
    thresholds: TierThresholds,
) -> np.ndarray:
    """Tier codes (indexes into ``TIER_ORDER``) of customers as of day ordinal ``as_of``.

    Arrays are aligned per customer; ``first_day``/``last_day`` are date ordinals (ignored
    where ``paid_orders`` is 0), ``paid_cents`` the paid sum in cents. Pure and vectorised.
    """
    since_first = as_of - first_day
    since_last = as_of - last_day
    has_paid = paid_orders > 0
    high_value = (paid_orders >= thresholds.high_value_min_orders) & (
        paid_cents >= thresholds.high_value_min_average_cents * paid_orders
    )
    return np.select(
        [
            ~has_paid,
            since_first < thresholds.new_customer_days,
            since_last > thresholds.churned_after_days,
            since_last >= thresholds.dormant_after_days,
            high_value,
        ],
        [PROSPECT, NEW, CHURNED, DORMANT, HIGH_VALUE],
        default=ACTIVE,
    ).astype(np.int8)


def _ordinals(instants: pd.Series, zone_name: str) -> np.ndarray:
    """Local-day ordinals of aware instants, vectorised."""
    local = pd.to_datetime(instants, utc=True).dt.tz_convert(zone_name).dt.tz_localize(None)
    return local.values.astype("datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL


def _cents(amounts: pd.Series) -> np.ndarray:
    return np.array([int(Decimal(a) * 100) for a in amounts], dtype=np.int64)


@dataclass(frozen=True)
class TierRollupResult:
    store_id: int
    start: datetime.date
    end: datetime.date
    changes: int
    counts: dict[str, int]  # tier sizes at the end of ``end``


#: (customer positions, paid orders, paid cents) of one local day, positions unique.
DayPaid = tuple[np.ndarray, np.ndarray, np.ndarray]

_STATE_ARRAYS = (
    "first_day",
    "last_day",
    "paid_orders",
    "paid_cents",
    "window_orders",
    "window_cents",
)


def _paid_per_day(
    store: Store, index: pd.Index, first: datetime.date, last: datetime.date
) -> dict[int, DayPaid]:
    """Paid orders whose local paid day is in ``[first, last]``, summed per day ordinal and
    customer position. Bounded by the range (order_store_paid_idx)."""
    if last < first:
        return {}
    start, end = day_bounds(store.zone, first, last)
    frame = pd.DataFrame.from_records(
        Order.objects.filter(store=store, paid_at__gte=start, paid_at__lt=end)
        .values_list("customer_id", "paid_at", "paid_amount")
        .iterator(chunk_size=20_000),
        columns=["customer_id", "paid_at", "paid_amount"],
    )
    if not len(frame):
        return {}
    frame["day"] = _ordinals(frame["paid_at"], store.time_zone)
    frame["cents"] = _cents(frame["paid_amount"])
    frame["at"] = index.get_indexer(frame["customer_id"])
    per_day = (
        frame.groupby(["day", "at"], sort=True)
        .agg(n=("cents", "size"), s=("cents", "sum"))
        .reset_index()
    )
    return {
        int(day): (
            group["at"].to_numpy(dtype=np.int64),
            group["n"].to_numpy(dtype=np.int64),
            group["s"].to_numpy(dtype=np.int64),
        )
        for day, group in per_day.groupby("day", sort=True)
    }


def _load_state(
    store: Store, as_of: datetime.date, window_days: int
) -> dict[str, np.ndarray] | None:
    """The customer state snapshot as of ``as_of`` if there is one for exactly that day and
    window (``CustomerStateSnapshot``; it is deleted whenever facts of a day up to its
    ``as_of`` change or are rolled up again)."""
    snapshot = (
        CustomerStateSnapshot.objects.filter(store=store, as_of=as_of, window_days=window_days)
        .only("payload")
        .first()
    )
    if snapshot is None:
        return None
    with np.load(io.BytesIO(bytes(snapshot.payload))) as data:
        return {name: data[name] for name in data.files}


def _save_state(
    store: Store,
    as_of: datetime.date,
    window_days: int,
    arrays: dict[str, np.ndarray],
    now: datetime.datetime,
) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    CustomerStateSnapshot.objects.filter(store=store).delete()
    CustomerStateSnapshot.objects.create(
        store=store,
        as_of=as_of,
        window_days=window_days,
        payload=buffer.getvalue(),
        computed_at=now,
    )


def customer_state(*, store: Store, as_of: datetime.date) -> dict[str, np.ndarray] | None:
    """The per-customer paid-order state at the end of ``as_of`` (arrays ``id`` and those of
    ``CustomerStateSnapshot``) when the last tier rollup ended on that day with the store's
    current RFM window and no fact of a day up to it changed since; otherwise None."""
    return _load_state(store, as_of, store.rfm_window_days)


def tiers_rollup(*, store: Store, start: datetime.date, end: datetime.date) -> TierRollupResult:
    """Compute tiers for every day of ``[start, end]`` and replace that range's ``TierChange``
    and ``TierDailyCount`` rows, in one transaction (advisory-locked per store on PostgreSQL).

    The state before ``start`` (each customer's paid totals and tier) comes from the customer
    state snapshot when it is as of the day before ``start`` (an ordinary night: the cost is
    the range's orders plus O(customers) numpy work); otherwise it is aggregated from every
    paid order before ``start`` and the latest tier change before ``start``. Both give the
    same state. The snapshot is then rewritten as of ``end``, with the RFM window sums
    (``analytics.rfm`` reads them). Rolling days forward in order is exact; re-running a range
    with unchanged facts rewrites the same rows.
    """
    from analytics.rollups.services import advisory_key, lock_units

    if end < start:
        raise ValueError("end is before start")
    thresholds = TierThresholds.of(store)
    window = datetime.timedelta(days=store.rfm_window_days)
    range_start, _range_end = day_bounds(store.zone, start, end)
    with transaction.atomic():
        lock_units([advisory_key(_LOCK_NAMESPACE_TIERS, store.pk)])
        customers = pd.DataFrame.from_records(
            Customer.objects.filter(store=store).values_list("id", "registered_on"),
            columns=["id", "registered_on"],
        )
        ids = customers["id"].to_numpy(dtype=np.int64)
        index = pd.Index(ids)
        size = len(ids)
        registered = np.array(
            [day.toordinal() if day else 0 for day in customers["registered_on"]],
            dtype=np.int64,
        )
        state = {name: np.zeros(size, dtype=np.int64) for name in _STATE_ARRAYS}
        previous = np.full(size, NOT_YET, dtype=np.int8)

        saved = _load_state(store, start - datetime.timedelta(days=1), store.rfm_window_days)
        if saved is not None:
            at = index.get_indexer(saved["id"])
            kept = at >= 0
            for name in _STATE_ARRAYS:
                state[name][at[kept]] = saved[name][kept]
            previous[at[kept]] = saved["tier"][kept]
        else:
            _state_from_history(store, index, range_start, state)
            for at, n, s in _paid_per_day(
                store, index, start - window, start - datetime.timedelta(days=1)
            ).values():
                state["window_orders"][at] += n
                state["window_cents"][at] += s
            history = (
                TierChange.objects.filter(store=store, day__lt=start)
                .annotate(
                    rank=Window(
                        RowNumber(), partition_by=[F("customer_id")], order_by=F("day").desc()
                    )
                )
                .filter(rank=1)
                .values_list("customer_id", "tier")
            )
            code_of = {tier: code for code, tier in enumerate(TIER_ORDER)}
            latest = pd.DataFrame.from_records(history, columns=["customer_id", "tier"])
            if len(latest):
                previous[index.get_indexer(latest["customer_id"])] = (
                    latest["tier"].map(code_of).to_numpy(dtype=np.int8)
                )

        by_day = _paid_per_day(store, index, start, end)
        # Orders leaving the RFM window: day d drops day d - window.
        leaving = _paid_per_day(store, index, start - window, end - window)
        first_day, last_day = state["first_day"], state["last_day"]
        paid_orders, paid_cents = state["paid_orders"], state["paid_cents"]
        window_orders, window_cents = state["window_orders"], state["window_cents"]

        now = timezone.now()
        changes: list[TierChange] = []
        counts: list[TierDailyCount] = []
        last_counts: dict[str, int] = {}
        for day in each_day(start, end):
            ordinal = day.toordinal()
            today = by_day.get(ordinal)
            if today is not None:
                at, n, s = today
                fresh = paid_orders[at] == 0
                first_day[at[fresh]] = ordinal
                last_day[at] = ordinal
                paid_orders[at] += n
                paid_cents[at] += s
                window_orders[at] += n
                window_cents[at] += s
            gone = leaving.get(ordinal - window.days)
            if gone is not None:
                at, n, s = gone
                window_orders[at] -= n
                window_cents[at] -= s
            tiers = assign_tiers(
                as_of=ordinal,
                first_day=first_day,
                last_day=last_day,
                paid_orders=paid_orders,
                paid_cents=paid_cents,
                thresholds=thresholds,
            )
            in_store = (registered <= ordinal) | (paid_orders > 0)
            tiers = np.where(in_store, tiers, NOT_YET).astype(np.int8)
            changed = np.flatnonzero(tiers != previous)
            for position in changed:
                before_code = previous[position]
                changes.append(
                    TierChange(
                        store_id=store.pk,
                        customer_id=int(ids[position]),
                        day=day,
                        tier=TIER_ORDER[tiers[position]],
                        previous_tier="" if before_code == NOT_YET else TIER_ORDER[before_code],
                    )
                )
            previous = tiers
            tally = np.bincount(tiers[tiers >= 0], minlength=len(TIER_ORDER))
            last_counts = {TIER_ORDER[code]: int(tally[code]) for code in range(len(TIER_ORDER))}
            counts.extend(
                TierDailyCount(
                    store_id=store.pk, day=day, tier=tier, customers=count, computed_at=now
                )
                for tier, count in last_counts.items()
            )

        TierChange.objects.filter(store=store, day__range=(start, end)).delete()
        TierDailyCount.objects.filter(store=store, day__range=(start, end)).delete()
        TierChange.objects.bulk_create(changes, batch_size=5_000)
        TierDailyCount.objects.bulk_create(counts, batch_size=5_000)
        _save_state(store, end, store.rfm_window_days, {"id": ids, "tier": previous, **state}, now)
    return TierRollupResult(store.pk, start, end, len(changes), last_counts)


def _state_from_history(
    store: Store, index: pd.Index, before: datetime.datetime, state: dict[str, np.ndarray]
) -> None:
    """Fill the all-history totals from every paid order before the instant ``before``."""
    frame = pd.DataFrame.from_records(
        Order.objects.filter(store=store, paid_at__isnull=False, paid_at__lt=before)
        .values("customer_id")
        .annotate(first=Min("paid_at"), last=Max("paid_at"), n=Count("id"), s=Sum("paid_amount"))
        .values_list("customer_id", "first", "last", "n", "s"),
        columns=["customer_id", "first", "last", "n", "s"],
    )
    if len(frame):
        at = index.get_indexer(frame["customer_id"])
        state["first_day"][at] = _ordinals(frame["first"], store.time_zone)
        state["last_day"][at] = _ordinals(frame["last"], store.time_zone)
        state["paid_orders"][at] = frame["n"].to_numpy(dtype=np.int64)
        state["paid_cents"][at] = _cents(frame["s"])


def tier_on(*, store: Store, customer: Customer, day: datetime.date) -> str | None:
    """A customer's tier on a day from the history (latest change on or before it)."""
    return (
        TierChange.objects.filter(store=store, customer=customer, day__lte=day)
        .order_by("-day")
        .values_list("tier", flat=True)
        .first()
    )


__all__ = [
    "RECOMMENDED_ACTIONS",
    "TIER_ORDER",
    "TierRollupResult",
    "TierThresholds",
    "assign_tiers",
    "customer_state",
    "tier_on",
    "tiers_rollup",
]
