"""The report runners behind the dashboards' views, built in one place, and the cache warm-up
that runs them after the nightly rollup.

The overview, the traffic page and the customers page build their runners with these
functions, and
``dashboard_cache_warm`` builds the same runners for each page's default range, so the first
visitor of the morning gets cached results instead of computing them (a 7-day funnel reads
every event of the week). A runner's cache key holds the query, the store, its time zone, the
language and the rollup generation, so warming after the last rollup step of the night fills
exactly the entries the pages will ask for.
"""

import datetime
import logging

from django.conf import settings
from django.utils import translation

from analytics.reports.base import ReportRunner
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.reports.flags import FlagsQuery, FlagsRunner
from analytics.reports.funnel import FunnelQuery, FunnelRunner
from analytics.reports.rfm import RfmQuery, RfmRunner
from analytics.reports.tiers import TierQuery, TierRunner
from opsdesk.daterange import preset_range
from opsdesk.models import Store

logger = logging.getLogger(__name__)

#: The default range of each page (``picked_range(request, default=...)`` in the views).
OVERVIEW_DEFAULT = "yesterday"
TRAFFIC_DEFAULT = "last_7"
CUSTOMERS_DEFAULT = "last_30"
OVERVIEW_TREND_DAYS = 30


def overview_runners(
    store: Store, *, start: datetime.date, end: datetime.date, trend_days: int
) -> dict[str, ReportRunner]:
    """The overview's runners: the range (with channels), the period before it, the same
    period a week earlier, the trend ending on the range's last day, and that day's flags."""
    week = datetime.timedelta(days=7)
    length = datetime.timedelta(days=(end - start).days + 1)
    trend_start = end - datetime.timedelta(days=trend_days - 1)

    def daily(first: datetime.date, last: datetime.date, **options) -> DailyMetricsRunner:
        return DailyMetricsRunner(
            store=store, query=DailyMetricsQuery(start=first, end=last, **options)
        )

    return {
        "current": daily(start, end, by_channel=True),
        "previous": daily(start - length, end - length),
        "last_week": daily(start - week, end - week),
        "trend": daily(trend_start, end),
        "flags": FlagsRunner(store=store, query=FlagsQuery(day=end)),
    }


def traffic_runners(
    store: Store,
    *,
    start: datetime.date,
    end: datetime.date,
    sku_id: int | None = None,
    category_id: int | None = None,
    window_hours: int | None = None,
) -> dict[str, ReportRunner]:
    """The traffic page's runners: the funnel by channel (with its filters) and the daily
    metrics by channel with the per-day channel series."""
    return {
        "funnel": FunnelRunner(
            store=store,
            query=FunnelQuery(
                start=start,
                end=end,
                by_channel=True,
                sku_ids=(sku_id,) if sku_id else (),
                category_id=category_id,
                window_hours=window_hours,
            ),
        ),
        "daily": DailyMetricsRunner(
            store=store,
            query=DailyMetricsQuery(start=start, end=end, by_channel=True, channel_series=True),
        ),
    }


def customer_runners(
    store: Store,
    *,
    start: datetime.date,
    end: datetime.date,
    segment: str | None = None,
    tier: str | None = None,
) -> dict[str, ReportRunner]:
    """The customers page's runners: tier sizes and flows over the range (with the customers
    who entered ``tier`` on its last day), and the RFM segments as of its last day (with
    ``segment``'s customers)."""
    return {
        "tiers": TierRunner(
            store=store,
            query=TierQuery(
                start=start,
                end=end,
                flow_from=start,
                flow_to=end,
                entered_day=end if tier else None,
                entered_tier=tier,
            ),
        ),
        "rfm": RfmRunner(store=store, query=RfmQuery(as_of=end, segment=segment)),
    }


def dashboard_cache_warm(*, store: Store, today: datetime.date) -> int:
    """Run (and cache) the runners of the overview, the traffic page and the customers page
    for their default ranges relative to the store-local ``today``, in every language of the
    site. Returns the number of results computed; an entry already cached is left as it is.
    Runs after the nightly rollup and after every re-roll of stale days."""
    overview = preset_range(OVERVIEW_DEFAULT, today=today)
    traffic = preset_range(TRAFFIC_DEFAULT, today=today)
    customers = preset_range(CUSTOMERS_DEFAULT, today=today)
    computed = 0
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            runners = [
                *overview_runners(
                    store, start=overview.start, end=overview.end, trend_days=OVERVIEW_TREND_DAYS
                ).values(),
                *traffic_runners(store, start=traffic.start, end=traffic.end).values(),
                *customer_runners(store, start=customers.start, end=customers.end).values(),
            ]
            for runner in runners:
                if runner.cached() is None:
                    runner.run(use_cache=False)
                    computed += 1
    logger.info("dashboard_cache_warmed store_id=%s computed=%s", store.pk, computed)
    return computed
