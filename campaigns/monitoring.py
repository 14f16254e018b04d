"""Day-of monitoring (实时盯盘): a campaign's pre-heat and burst days hour by hour.

``hourly_facts`` buckets the raw facts (orders by ``paid_at``, behaviour events by
``occurred_at``) into store-local hours; ``campaigns.services.campaign_hours_refresh`` stores
them as ``CampaignHour`` rows; ``campaign_pace`` reads those rows back and sets them against
the target pace.

Target pace: the day's GMV target (``campaigns.targets.day_target``: a burst day's share of
the campaign's GMV target; a pre-heat day's share of the pre-heat GMV target, set or derived
from the baseline or the store's usual day) spread over the day's hours by an hourly curve:
the baseline campaign's curve of the same phase (its burst for a burst day, its pre-heat for a
pre-heat day: its share of GMV per local hour of day) when that has GMV, else the store's usual
curve (share of GMV per local hour over the ``CURVE_DAYS`` days before the campaign's
pre-heat), else evenly. Shares are normalised over the hours the day really has (23 or 25 on a
daylight-saving change).

Cumulative progress: the day's GMV so far against the day target and, on a burst day, the
burst's GMV so far (the stored hours of its earlier days plus today's) against the campaign's
GMV target.

Projected finish at the current pace = GMV so far / the curve's share of the day that has
passed (complete hours only). "Behind pace": GMV so far below the cumulative target of the
complete hours. "Stock running out": a lineup SKU whose stock is below its units per hour over
the last ``RATE_HOURS`` complete hours x the hours left in the burst.
"""

import datetime
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.db.models import Sum

from analytics.metrics import conversion_rate
from analytics.models import BehaviourEvent, Order, OrderLine
from analytics.rollups.days import day_bounds
from opsdesk.models import Store

from .models import Campaign, CampaignHour, LineupItem
from .targets import TargetSource, day_target

HOUR = datetime.timedelta(hours=1)
HOUR_NS = 3_600_000_000_000
DAY = datetime.timedelta(days=1)
CURVE_DAYS = 28
RATE_HOURS = 3
CENT = Decimal("0.01")


def day_hours(zone: zoneinfo.ZoneInfo, day: datetime.date) -> list[datetime.datetime]:
    """The UTC instants at which the local hours of ``day`` start (23-25 of them)."""
    start, end = day_bounds(zone, day)
    hours, instant = [], start
    while instant < end:
        hours.append(instant)
        instant += HOUR
    return hours


def _nanoseconds(series: pd.Series) -> np.ndarray:
    """Aware (or naive UTC) instants as int64 nanoseconds since the epoch."""
    instants = pd.to_datetime(series, utc=True)
    return instants.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _buckets(hour_ns: np.ndarray, at_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position of each instant's hour, mask of the instants inside one of the hours)."""
    bucket = np.searchsorted(hour_ns, at_ns, side="right") - 1
    inside = bucket >= 0
    inside[inside] = at_ns[inside] < hour_ns[bucket[inside]] + HOUR_NS
    return bucket, inside


def _distinct(
    bucket: np.ndarray, codes: np.ndarray, day_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(distinct codes per hour, distinct codes from the start of the hour's day to its end).

    ``codes`` are non-negative ints (factorised ids); ``day_start[i]`` is the position of the
    first hour of hour ``i``'s day."""
    count = len(day_start)
    if not len(bucket):
        return np.zeros(count, np.int64), np.zeros(count, np.int64)
    width = int(codes.max()) + 1
    pairs = np.unique(bucket.astype(np.int64) * width + codes)  # sorted by hour, then code
    hours, members = pairs // width, pairs % width
    per_hour = np.bincount(hours, minlength=count)
    # The first hour of each (day, code): pairs are in hour order, so the first occurrence.
    _, first = np.unique(day_start[hours] * width + members, return_index=True)
    running = np.cumsum(np.bincount(hours[first], minlength=count))
    before_day = np.concatenate([[0], running])[day_start]
    return per_hour, running - before_day


@dataclass(frozen=True)
class HourFacts:
    hour: datetime.datetime  # UTC start of the local hour
    local_hour: int
    gmv: Decimal
    paid_orders: int
    paying_buyers: int
    uv: int
    day_buyers: int
    day_uv: int


def hour_buckets(
    *,
    zone: zoneinfo.ZoneInfo,
    hours: Sequence[datetime.datetime],
    orders: pd.DataFrame,
    events: pd.DataFrame,
) -> list[HourFacts]:
    """The facts bucketed into the store-local ``hours`` (UTC starts of local hours, in order;
    one day or several), pure and vectorised: ``orders`` (paid ones) with ``at`` (paid_at),
    ``cents`` (paid amount in cents) and ``customer``; ``events`` with ``at`` and
    ``visitor``. A row outside every hour is ignored. ``day_buyers`` and ``day_uv`` start
    again with each local day. ``campaigns.services`` stores the result for the database's
    facts, the demo generator for its frames: one implementation."""
    if not hours:
        return []
    hour_ns = np.array([pd.Timestamp(hour).value for hour in hours], dtype=np.int64)
    local_days = np.array([hour.astimezone(zone).date().toordinal() for hour in hours])
    day_start = np.searchsorted(local_days, local_days, side="left")
    count = len(hours)

    bucket, inside = _buckets(hour_ns, _nanoseconds(orders["at"]))
    bucket = bucket[inside]
    # Float sums of whole cents are exact below 2**53 cents.
    cents = np.rint(
        np.bincount(
            bucket, weights=orders["cents"].to_numpy(dtype=np.float64)[inside], minlength=count
        )
    ).astype(np.int64)
    paid = np.bincount(bucket, minlength=count)
    customers = pd.factorize(orders["customer"].to_numpy()[inside])[0]
    known = customers >= 0  # an order without a customer is no buyer
    buyers, day_buyers = _distinct(bucket[known], customers[known], day_start)

    bucket, inside = _buckets(hour_ns, _nanoseconds(events["at"]))
    visitors = pd.factorize(events["visitor"].to_numpy()[inside])[0]
    uv, day_uv = _distinct(bucket[inside], visitors, day_start)

    return [
        HourFacts(
            hour=hour,
            local_hour=hour.astimezone(zone).hour,
            gmv=(Decimal(int(cents[i])) / 100).quantize(CENT),
            paid_orders=int(paid[i]),
            paying_buyers=int(buyers[i]),
            uv=int(uv[i]),
            day_buyers=int(day_buyers[i]),
            day_uv=int(day_uv[i]),
        )
        for i, hour in enumerate(hours)
    ]


def hourly_facts(*, store: Store, day: datetime.date, until: datetime.datetime) -> list[HourFacts]:
    """The hours of the store-local ``day`` that started before ``until``, from the facts
    (the running hour counts what has happened so far)."""
    zone = store.zone
    hours = [hour for hour in day_hours(zone, day) if hour < until]
    if not hours:
        return []
    start, end = hours[0], min(hours[-1] + HOUR, until)
    orders = pd.DataFrame(
        Order.objects.filter(store=store, paid_at__gte=start, paid_at__lt=end).values_list(
            "paid_at", "paid_amount", "customer_id"
        ),
        columns=["at", "amount", "customer"],
    )
    orders["cents"] = [int(amount.scaleb(2)) for amount in orders["amount"]]
    events = pd.DataFrame(
        BehaviourEvent.objects.filter(
            store=store, occurred_at__gte=start, occurred_at__lt=end
        ).values_list("occurred_at", "visitor_id"),
        columns=["at", "visitor"],
    )
    return hour_buckets(zone=zone, hours=hours, orders=orders, events=events)


def _curve_from_orders(store: Store, start: datetime.datetime, end: datetime.datetime) -> list:
    orders = pd.DataFrame(
        Order.objects.filter(store=store, paid_at__gte=start, paid_at__lt=end).values_list(
            "paid_at", "paid_amount"
        ),
        columns=["at", "amount"],
    )
    if orders.empty:
        return []
    local = pd.to_datetime(orders["at"], utc=True).dt.tz_convert(store.zone)
    sums = orders["amount"].astype(float).groupby(local.dt.hour).sum()
    total = sums.sum()
    if total <= 0:
        return []
    return [float(sums.get(hour, 0.0)) / total for hour in range(24)]


@dataclass(frozen=True)
class HourlyCurve:
    """Share of a day's GMV per local hour of day (24 shares adding up to 1)."""

    source: str  # "baseline", "usual" or "even"
    shares: tuple[float, ...]


def hourly_curve(*, store: Store, campaign: Campaign, preheat: bool = False) -> HourlyCurve:
    """The curve the target pace of a burst day (or, with ``preheat``, of a pre-heat day)
    follows (see the module docstring)."""
    baseline = campaign.baseline
    if baseline is not None:
        first, last = (
            (baseline.preheat_start, baseline.burst_start - DAY)
            if preheat
            else (baseline.burst_start, baseline.burst_end)
        )
        shares = (
            _curve_from_orders(store, *day_bounds(store.zone, first, last)) if first <= last else []
        )
        if shares:
            return HourlyCurve("baseline", tuple(shares))
    end = campaign.preheat_start - DAY
    shares = _curve_from_orders(store, *day_bounds(store.zone, end - (CURVE_DAYS - 1) * DAY, end))
    if shares:
        return HourlyCurve("usual", tuple(shares))
    return HourlyCurve("even", tuple([1 / 24] * 24))


@dataclass(frozen=True)
class PaceHour:
    hour: datetime.datetime
    local_hour: int
    complete: bool
    gmv: Decimal
    paid_orders: int
    paying_buyers: int
    uv: int
    conversion_rate: Decimal | None  # buyers / UV of the hour
    cumulative_gmv: Decimal
    day_uv: int
    day_buyers: int
    day_conversion_rate: Decimal | None
    target_gmv: Decimal | None  # this hour's share of the day target
    cumulative_target: Decimal | None


@dataclass(frozen=True)
class StockAlert:
    sku_id: int
    code: str
    title: str
    stock: int
    units_per_hour: Decimal
    hours_left: int
    hours_of_cover: Decimal | None


@dataclass(frozen=True)
class Pace:
    day: datetime.date
    is_burst_day: bool
    day_target: Decimal | None
    target_source: TargetSource | None  # "burst", or the pre-heat target's source
    curve_source: str
    hours: tuple[PaceHour, ...]
    gmv: Decimal  # so far
    complete_hours: int
    target_so_far: Decimal | None  # cumulative target of the complete hours
    projected_gmv: Decimal | None
    progress: Decimal | None  # GMV so far / day target
    behind_pace: bool
    stock_alerts: tuple[StockAlert, ...]
    refreshed_at: datetime.datetime | None
    #: Burst days only: GMV of the burst from its first day up to this day's last computed
    #: hour (the stored hours of the earlier burst days plus this day's), and that against
    #: the campaign's GMV target (the whole burst's); None on pre-heat days / without target.
    burst_gmv: Decimal | None = None
    burst_progress: Decimal | None = None


def monitored_days(campaign: Campaign) -> list[datetime.date]:
    """The pre-heat and burst days of a campaign."""
    days, day = [], campaign.preheat_start
    while day <= campaign.burst_end:
        days.append(day)
        day += DAY
    return days


def default_monitor_day(campaign: Campaign, today: datetime.date) -> datetime.date:
    """Today during pre-heat and burst; the last burst day afterwards; else the first
    pre-heat day."""
    if campaign.preheat_start <= today <= campaign.burst_end:
        return today
    return campaign.burst_end if today > campaign.burst_end else campaign.preheat_start


def stock_alerts(*, store: Store, campaign: Campaign, now: datetime.datetime) -> list[StockAlert]:
    """Lineup SKUs whose stock will not last to the end of the burst at the pace of the last
    ``RATE_HOURS`` complete hours."""
    zone = store.zone
    burst_end = day_bounds(zone, campaign.burst_end)[1]
    local_now = now.astimezone(zone)
    hour_start = (
        local_now
        - datetime.timedelta(
            minutes=local_now.minute, seconds=local_now.second, microseconds=local_now.microsecond
        )
    ).astimezone(datetime.UTC)
    if hour_start >= burst_end:
        return []
    window_start = hour_start - RATE_HOURS * HOUR
    items = list(LineupItem.objects.filter(store=store, campaign=campaign).select_related("sku"))
    if not items:
        return []
    units = dict(
        OrderLine.objects.filter(
            store=store,
            sku_id__in=[item.sku_id for item in items],
            order__paid_at__gte=window_start,
            order__paid_at__lt=hour_start,
        )
        .values("sku_id")
        .annotate(units=Sum("quantity"))
        .values_list("sku_id", "units")
    )
    hours_left = int((burst_end - hour_start) / HOUR)
    alerts = []
    for item in items:
        sold = units.get(item.sku_id, 0)
        if not sold:
            continue
        per_hour = (Decimal(sold) / RATE_HOURS).quantize(CENT, rounding=ROUND_HALF_UP)
        if item.sku.stock < Decimal(sold) / RATE_HOURS * hours_left:
            cover = (Decimal(max(item.sku.stock, 0)) * RATE_HOURS / sold).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
            alerts.append(
                StockAlert(
                    item.sku_id,
                    item.sku.code,
                    item.sku.title,
                    item.sku.stock,
                    per_hour,
                    hours_left,
                    cover,
                )
            )
    return sorted(alerts, key=lambda a: (a.hours_of_cover, a.code))


def campaign_pace(
    *,
    store: Store,
    campaign: Campaign,
    day: datetime.date,
    now: datetime.datetime,
    rows: Sequence[CampaignHour] | None = None,
    curve: HourlyCurve | None = None,
) -> Pace:
    """The stored hours of ``day`` against the target pace as of ``now``.

    ``curve``, when given, must be the curve of the day's phase (``hourly_curve``)."""
    if rows is None:
        rows = list(
            CampaignHour.objects.filter(store=store, campaign=campaign, local_day=day).order_by(
                "hour"
            )
        )
    is_burst_day = campaign.burst_start <= day <= campaign.burst_end
    curve = curve or hourly_curve(store=store, campaign=campaign, preheat=not is_burst_day)
    today = now.astimezone(store.zone).date()
    planned = day_target(store=store, campaign=campaign, day=day, today=today)
    target = planned.amount
    all_hours = day_hours(store.zone, day)
    weights = [curve.shares[hour.astimezone(store.zone).hour] for hour in all_hours]
    weight_total = sum(weights) or 1.0
    share_of = {
        hour: weight / weight_total for hour, weight in zip(all_hours, weights, strict=True)
    }
    by_hour = {row.hour: row for row in rows}
    hours: list[PaceHour] = []
    cumulative = Decimal("0.00")
    cumulative_share = 0.0
    complete = 0
    share_complete = 0.0
    for hour in all_hours:
        row = by_hour.get(hour)
        if row is None:
            break  # not refreshed (or not started) yet: no invented hours
        cumulative += row.gmv
        cumulative_share += share_of[hour]
        is_complete = hour + HOUR <= now
        if is_complete:
            complete += 1
            share_complete = cumulative_share
        hours.append(
            PaceHour(
                hour=hour,
                local_hour=row.local_hour,
                complete=is_complete,
                gmv=row.gmv,
                paid_orders=row.paid_orders,
                paying_buyers=row.paying_buyers,
                uv=row.uv,
                conversion_rate=conversion_rate(row.paying_buyers, row.uv),
                cumulative_gmv=cumulative,
                day_uv=row.day_uv,
                day_buyers=row.day_buyers,
                day_conversion_rate=conversion_rate(row.day_buyers, row.day_uv),
                target_gmv=None
                if target is None
                else (target * Decimal(share_of[hour])).quantize(CENT, rounding=ROUND_HALF_UP),
                cumulative_target=None
                if target is None
                else (target * Decimal(cumulative_share)).quantize(CENT, rounding=ROUND_HALF_UP),
            )
        )
    gmv_complete = sum((h.gmv for h in hours if h.complete), Decimal("0.00"))
    target_so_far = projected = progress = None
    if complete and share_complete > 0:
        projected = (gmv_complete / Decimal(share_complete)).quantize(CENT, rounding=ROUND_HALF_UP)
        if target is not None:
            target_so_far = (target * Decimal(share_complete)).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
    if target:
        progress = (cumulative / target).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    behind = target_so_far is not None and gmv_complete < target_so_far
    burst_gmv = burst_progress = None
    if is_burst_day:
        earlier = CampaignHour.objects.filter(
            store=store, campaign=campaign, local_day__gte=campaign.burst_start, local_day__lt=day
        ).aggregate(total=Sum("gmv"))["total"] or Decimal(0)
        # To the cent: SQLite's sum of decimals comes back with 15 places.
        burst_gmv = (earlier + cumulative).quantize(CENT, rounding=ROUND_HALF_UP)
        if campaign.gmv_target:
            burst_progress = (burst_gmv / campaign.gmv_target).quantize(
                Decimal("0.000001"), rounding=ROUND_HALF_UP
            )
    running = campaign.preheat_start <= today <= campaign.burst_end
    alerts = stock_alerts(store=store, campaign=campaign, now=now) if running else []
    return Pace(
        day=day,
        is_burst_day=is_burst_day,
        day_target=target,
        target_source=planned.source,
        curve_source=curve.source,
        hours=tuple(hours),
        gmv=cumulative,
        complete_hours=complete,
        target_so_far=target_so_far,
        projected_gmv=projected,
        progress=progress,
        behind_pace=behind,
        stock_alerts=tuple(alerts),
        refreshed_at=max((row.computed_at for row in rows), default=None),
        burst_gmv=burst_gmv,
        burst_progress=burst_progress,
    )
