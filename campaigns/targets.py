"""The GMV targets of a campaign's monitored days: what the target pace of each pre-heat and
burst day spreads over the hours (``campaigns.monitoring``).

Burst days: ``Campaign.gmv_target`` (the burst's GMV, as the review counts it) split evenly
over the burst days.

Pre-heat days: the pre-heat GMV target, i.e. the GMV paid during the pre-heat days (an order
counts on its ``paid_at``; a deposit pre-sale counts when its balance is paid, which is in the
burst, so the deposits locked in during pre-heat are part of the burst target, DOMAIN.md),
split evenly over the pre-heat days. It is, first that applies:

1. ``set``: ``Campaign.preheat_gmv_target``, set by a manager or admin (``SET_TARGETS``);
2. ``baseline``: the campaign has a GMV target and its baseline campaign has rolled-up GMV in
   its pre-heat and its burst. A pre-heat day is expected to sell against a burst day what the
   baseline's did: pre-heat target = target / burst days x ratio x pre-heat days, where ratio
   = (baseline pre-heat GMV / its pre-heat days) / (baseline burst GMV / its burst days). With
   pre-heats and bursts as long as the baseline's this keeps the baseline's pre-heat share of
   its total GMV, pre-heat / (pre-heat + burst);
3. ``recent``: the campaign has a GMV target but no usable baseline: a pre-heat day is
   expected to sell an ordinary day of the store, the GMV per rolled-up day of the plan's
   recent days (``campaigns.plan.recent_range``: the 28 days before the pre-heat);
4. none: no GMV target and no pre-heat target set, or no rolled-up day to derive it from. Then
   the pre-heat days show their hours without a pace.

Amounts are rounded half up to the cent: the pre-heat total once, then the per-day share.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from opsdesk.models import Store

from .models import Campaign
from .plan import recent_range

CENT = Decimal("0.01")
DAY = datetime.timedelta(days=1)

PreheatSource = Literal["set", "baseline", "recent"]
TargetSource = Literal["burst", "set", "baseline", "recent"]


def _days(first: datetime.date, last: datetime.date) -> int:
    return max(0, (last - first).days + 1)


def burst_days(campaign: Campaign) -> int:
    return _days(campaign.burst_start, campaign.burst_end)


def preheat_days(campaign: Campaign) -> int:
    """Days from the pre-heat start to the day before the burst (0: no pre-heat)."""
    return _days(campaign.preheat_start, campaign.burst_start - DAY)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PreheatTarget:
    """The pre-heat GMV target of a campaign and where it comes from (module docstring)."""

    source: PreheatSource | None
    total: Decimal | None  # over all pre-heat days
    per_day: Decimal | None
    days: int  # pre-heat days
    #: baseline: its pre-heat GMV per day / its burst GMV per day, to 6 places.
    baseline_ratio: Decimal | None = None
    #: recent: the store's GMV per rolled-up day over ``reference_start..reference_end``.
    recent_gmv_per_day: Decimal | None = None
    reference_start: datetime.date | None = None
    reference_end: datetime.date | None = None


def _gmv_and_days(store: Store, start: datetime.date, end: datetime.date) -> tuple[Decimal, int]:
    """GMV of the rolled-up days of ``start..end`` and how many they are."""
    if end < start:
        return Decimal(0), 0
    result = DailyMetricsRunner(store=store, query=DailyMetricsQuery(start=start, end=end)).run()
    return result.totals.gmv or Decimal(0), _days(start, end) - len(result.missing_days)


def preheat_target(*, store: Store, campaign: Campaign, today: datetime.date) -> PreheatTarget:
    """The campaign's pre-heat GMV target as of the store-local ``today`` (module docstring).
    Reads rolled-up days through ``DailyMetricsRunner``, never the raw facts."""
    days = preheat_days(campaign)
    if days == 0:
        return PreheatTarget(None, None, None, 0)
    if campaign.preheat_gmv_target is not None:
        total = campaign.preheat_gmv_target
        return PreheatTarget("set", total, _cents(total / days), days)
    target = campaign.gmv_target
    if target is None:
        return PreheatTarget(None, None, None, days)
    baseline = campaign.baseline
    if baseline is not None:
        before, before_days = _gmv_and_days(
            store, baseline.preheat_start, baseline.burst_start - DAY
        )
        burst, rolled_burst_days = _gmv_and_days(store, baseline.burst_start, baseline.burst_end)
        if before > 0 and burst > 0 and before_days and rolled_burst_days:
            ratio = (before / before_days) / (burst / rolled_burst_days)
            total = _cents(target / burst_days(campaign) * ratio * days)
            return PreheatTarget(
                "baseline",
                total,
                _cents(total / days),
                days,
                baseline_ratio=ratio.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP),
                reference_start=baseline.preheat_start,
                reference_end=baseline.burst_end,
            )
    start, end = recent_range(campaign, today)
    gmv, rolled = _gmv_and_days(store, start, end)
    if not rolled or gmv <= 0:
        return PreheatTarget(None, None, None, days, reference_start=start, reference_end=end)
    per_day = gmv / rolled
    total = _cents(per_day * days)
    return PreheatTarget(
        "recent",
        total,
        _cents(total / days),
        days,
        recent_gmv_per_day=_cents(per_day),
        reference_start=start,
        reference_end=end,
    )


@dataclass(frozen=True)
class DayTarget:
    amount: Decimal | None
    source: TargetSource | None


def day_target(
    *, store: Store, campaign: Campaign, day: datetime.date, today: datetime.date
) -> DayTarget:
    """The GMV target of one pre-heat or burst day (None on other days or without one)."""
    if campaign.burst_start <= day <= campaign.burst_end:
        if campaign.gmv_target is None:
            return DayTarget(None, None)
        return DayTarget(_cents(campaign.gmv_target / burst_days(campaign)), "burst")
    if campaign.preheat_start <= day < campaign.burst_start:
        preheat = preheat_target(store=store, campaign=campaign, today=today)
        return DayTarget(preheat.per_day, preheat.source)
    return DayTarget(None, None)
