"""Lineup suggestion (选品): SKUs that convert, with the units a campaign should expect.

DOMAIN.md: suggest SKUs whose 30-day conversion (buyers of the SKU / visitors of the SKU) is
at least ``store.lineup_min_conversion`` (default 8%, inclusive), with enough stock for the
expected units. Per-SKU units, buyers and visitors are read through ``DailyMetricsRunner``
(``by_sku``), never recomputed here.

Expected units = the SKU's units of the 30 days / 30 x burst days x uplift, rounded up, where
the uplift is the baseline campaign's burst GMV per day / its store's GMV per day over the 30
days before the baseline's pre-heat (1 without a baseline or without data). The stock check
compares the SKU's current stock (``Sku.stock``, which the nightly ``StockSnapshot`` copies)
with the expected units.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from catalog.models import Sku, SkuStatus
from opsdesk.models import Store

from .models import Campaign, LineupItem

WINDOW_DAYS = 30
DAY = datetime.timedelta(days=1)
SKU_LIMIT = 5000


@dataclass(frozen=True)
class Suggestion:
    sku_id: int
    code: str
    title: str
    conversion_rate: Decimal
    buyers: int
    visitors: int
    units_30d: int
    expected_units: int
    stock: int
    stock_ok: bool
    in_lineup: bool


@dataclass(frozen=True)
class LineupSuggestions:
    start: datetime.date
    end: datetime.date
    min_conversion: Decimal
    uplift: Decimal
    baseline_name: str
    missing_days: int
    suggestions: tuple[Suggestion, ...]


def _gmv_per_day(store: Store, start: datetime.date, end: datetime.date) -> Decimal | None:
    result = DailyMetricsRunner(store=store, query=DailyMetricsQuery(start=start, end=end)).run()
    days = (end - start).days + 1 - len(result.missing_days)
    if days <= 0 or not result.totals.gmv:
        return None
    return result.totals.gmv / days


def meets_minimum(buyers: int, visitors: int, minimum: Decimal) -> bool:
    """buyers / visitors >= ``minimum``, compared exactly (``buyers >= minimum x visitors``),
    not on the conversion rounded to 6 places, which would let 0.0799995 pass as 8%; no
    visitors, no conversion."""
    return visitors > 0 and Decimal(buyers) >= minimum * visitors


def baseline_uplift(*, store: Store, campaign: Campaign) -> Decimal:
    """Burst GMV per day of the baseline / GMV per day of the 30 days before its pre-heat, to
    3 places; 1 without a baseline or when either side has no rolled-up GMV."""
    baseline = campaign.baseline
    if baseline is None:
        return Decimal(1)
    burst = _gmv_per_day(store, baseline.burst_start, baseline.burst_end)
    before_end = baseline.preheat_start - DAY
    before = _gmv_per_day(store, before_end - (WINDOW_DAYS - 1) * DAY, before_end)
    if burst is None or before is None:
        return Decimal(1)
    return (burst / before).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def lineup_suggestions(
    *, store: Store, campaign: Campaign, today: datetime.date
) -> LineupSuggestions:
    """On-shelf SKUs with 30-day conversion >= the store's minimum, best converting first
    (then more units, then code), over the 30 days ending yesterday."""
    end = today - DAY
    start = end - (WINDOW_DAYS - 1) * DAY
    result = DailyMetricsRunner(
        store=store,
        query=DailyMetricsQuery(start=start, end=end, by_sku=True, sku_limit=SKU_LIMIT),
    ).run()
    minimum = store.lineup_min_conversion
    uplift = baseline_uplift(store=store, campaign=campaign)
    burst_days = (campaign.burst_end - campaign.burst_start).days + 1
    rows = [row for row in result.skus if meets_minimum(row.buyers, row.visitors, minimum)]
    skus = {
        sku.pk: sku
        for sku in Sku.objects.filter(
            store=store, pk__in=[row.sku_id for row in rows], status=SkuStatus.ON_SHELF
        )
    }
    chosen = set(
        LineupItem.objects.filter(store=store, campaign=campaign).values_list("sku_id", flat=True)
    )
    suggestions = []
    for row in rows:
        sku = skus.get(row.sku_id)
        if sku is None:
            continue
        expected = math.ceil(Decimal(row.units) / WINDOW_DAYS * burst_days * uplift)
        suggestions.append(
            Suggestion(
                sku_id=row.sku_id,
                code=row.code,
                title=row.title,
                conversion_rate=row.conversion_rate,
                buyers=row.buyers,
                visitors=row.visitors,
                units_30d=row.units,
                expected_units=expected,
                stock=sku.stock,
                stock_ok=sku.stock >= expected,
                in_lineup=row.sku_id in chosen,
            )
        )
    suggestions.sort(key=lambda s: (-s.conversion_rate, -s.units_30d, s.code))
    return LineupSuggestions(
        start=start,
        end=end,
        min_conversion=minimum,
        uplift=uplift,
        baseline_name=campaign.baseline.name if campaign.baseline else "",
        missing_days=len(result.missing_days),
        suggestions=tuple(suggestions),
    )
