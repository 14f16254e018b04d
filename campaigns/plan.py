"""Plan breakdown: the GMV target as UV x conversion x spend per buyer (目标拆解).

Rates are read through ``analytics.reports.daily.DailyMetricsRunner`` (rolled-up days), never
recomputed here: either the chosen baseline campaign's burst, or the store's recent
``RECENT_DAYS`` days. "Recent" ends the day before the campaign's pre-heat starts (or
yesterday, if that is earlier), so a plan does not move once the campaign is under way and the
review compares with the same plan the manager saw.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from opsdesk.models import Store

from .decomposition import Factors
from .models import Campaign

RECENT_DAYS = 28
DAY = datetime.timedelta(days=1)

Source = Literal["baseline", "recent"]


@dataclass(frozen=True)
class PlanBreakdown:
    """What the target implies. Rates are None when the source has no UV or no buyers (not
    rolled up, or an empty period); then nothing is implied."""

    source: Source
    source_name: str  # the baseline's name, or "" for recent rates
    start: datetime.date
    end: datetime.date
    missing_days: int  # days of the source range not rolled up
    conversion_rate: Decimal | None
    spend_per_buyer: Decimal | None
    uv_value: Decimal | None
    target: Decimal | None
    burst_days: int
    implied_uv: int | None  # UV the target needs, rounded up
    implied_buyers: int | None  # paying buyers the target needs, rounded up
    implied_uv_per_day: int | None

    @property
    def factors(self) -> Factors | None:
        """The plan as exact factors (UV not rounded), for the review's decomposition."""
        if self.target is None or self.conversion_rate is None or self.spend_per_buyer is None:
            return None
        return Factors.implied(
            gmv=self.target,
            conversion_rate=float(self.conversion_rate),
            spend_per_buyer=float(self.spend_per_buyer),
        )


def recent_range(campaign: Campaign, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The store's ``RECENT_DAYS`` days ending the day before the pre-heat (or yesterday, if
    that is earlier)."""
    end = min(today - DAY, campaign.preheat_start - DAY)
    return end - (RECENT_DAYS - 1) * DAY, end


def source_range(
    campaign: Campaign, today: datetime.date
) -> tuple[Source, datetime.date, datetime.date]:
    """The days the plan's rates come from."""
    if campaign.baseline is not None:
        return "baseline", campaign.baseline.burst_start, campaign.baseline.burst_end
    return "recent", *recent_range(campaign, today)


def plan_breakdown(*, store: Store, campaign: Campaign, today: datetime.date) -> PlanBreakdown:
    """The campaign's target split into the UV, conversion and spend per buyer it implies."""
    source, start, end = source_range(campaign, today)
    result = DailyMetricsRunner(store=store, query=DailyMetricsQuery(start=start, end=end)).run()
    totals = result.totals
    target = campaign.gmv_target
    burst_days = (campaign.burst_end - campaign.burst_start).days + 1
    implied_uv = implied_buyers = per_day = None
    cr, spb = totals.conversion_rate, totals.spend_per_buyer
    if target and cr and spb:
        buyers = float(target) / float(spb)
        uv = buyers / float(cr)
        implied_buyers, implied_uv = math.ceil(buyers), math.ceil(uv)
        per_day = math.ceil(uv / burst_days)
    return PlanBreakdown(
        source=source,
        source_name=campaign.baseline.name if source == "baseline" else "",
        start=start,
        end=end,
        missing_days=len(result.missing_days),
        conversion_rate=cr,
        spend_per_buyer=spb,
        uv_value=totals.uv_value,
        target=target,
        burst_days=burst_days,
        implied_uv=implied_uv,
        implied_buyers=implied_buyers,
        implied_uv_per_day=per_day,
    )
