"""The campaign review (复盘): what the burst made against the target, and why.

Available once the burst is over (stage "burst"), complete once the wrap-up is over (stage
"final": refunds against GMV are added). Metrics come from ``DailyMetricsRunner`` over the
burst days (rolled up); the parts that need the raw facts (new buyers who came back, stockouts
and the sales they lost, refunds of the burst's orders) read them here, in the database.

- Gap decomposition: ``campaigns.decomposition.lmdi`` of GMV = UV x CR x spend per buyer,
  against the plan (the target at the plan's rates, ``campaigns.plan``) and against the
  baseline campaign's burst; the three effects add up to the gap.
- Pareto: the SKUs that made 80% of the burst's line GMV (by line GMV, largest first, the
  smallest such set).
- Underperforming lineup SKUs: actual burst units below the planned units.
- ROI by channel over pre-heat and burst (ads in the pre-heat sell in the burst), with each
  channel's spend as a share of the campaign's ad budget, and against the channel's own
  budget (``ChannelBudget``) where one is set: spend / budget, over budget when the spend is
  above it. A budgeted channel without GMV or spend in the window is listed with zeros.
- New buyers of the burst (first-ever paid order in it) and how many paid again within the 30
  days after the burst: known once those 30 days are over.
- Stockouts: SKUs whose end-of-day stock (``StockSnapshot``) was 0 or less on a burst day. Out
  of stock from the end of the hour of its last sale that day to the end of the last burst day
  in a row it ended with no stock; pre-stockout hourly rate = units sold in the burst before
  / burst hours before; lost units = rate x hours out; lost sales = lost units x the average
  unit price paid in the burst before the stockout.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Sum

from analytics.metrics import rate
from analytics.models import Order, OrderLine, Refund
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.rollups.days import day_bounds
from catalog.models import Sku, StockSnapshot
from opsdesk.models import Store

from .decomposition import Decomposition, Factors, lmdi
from .models import Campaign, ChannelBudget, LineupItem
from .plan import plan_breakdown

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
CENT = Decimal("0.01")
PARETO_SHARE = Decimal("0.8")
REPURCHASE_DAYS = 30


@dataclass(frozen=True)
class Effects:
    """One decomposition, shown in cents (effects add up to the gap to the cent)."""

    reference_gmv: Decimal
    actual_gmv: Decimal
    gap: Decimal
    traffic: Decimal
    conversion: Decimal
    spend_per_buyer: Decimal
    reference: Factors
    actual: Factors
    exact: Decomposition


@dataclass(frozen=True)
class ParetoSku:
    sku_id: int
    code: str
    title: str
    gmv: Decimal
    share: Decimal
    cumulative_share: Decimal


@dataclass(frozen=True)
class LineupOutcome:
    sku_id: int
    code: str
    title: str
    planned_units: int
    actual_units: int
    achievement: Decimal | None  # actual / planned
    underperforming: bool


@dataclass(frozen=True)
class ChannelOutcome:
    channel: str
    gmv: Decimal
    ad_spend: Decimal
    roi: Decimal | None
    budget_share: Decimal | None  # spend / the campaign's ad budget
    budget: Decimal | None = None  # the channel's own budget, None when not split
    budget_used: Decimal | None = None  # spend / the channel's budget
    over_budget: bool = False  # spend above the channel's budget


@dataclass(frozen=True)
class Stockout:
    sku_id: int
    code: str
    title: str
    out_from: datetime.datetime  # end of the hour of the last sale (UTC)
    out_until: datetime.datetime  # end of the last zero-stock burst day (UTC)
    hours_before: int
    units_before: int
    units_per_hour: Decimal | None
    hours_out: int
    lost_units: Decimal | None
    average_price: Decimal | None
    lost_sales: Decimal | None


@dataclass(frozen=True)
class CampaignReview:
    stage: str  # "burst" (after the burst) or "final" (after the wrap-up)
    start: datetime.date
    end: datetime.date
    missing_days: tuple[datetime.date, ...]
    target: Decimal | None
    gmv: Decimal
    gap: Decimal | None
    achievement: Decimal | None
    uv: int
    paying_buyers: int
    paid_orders: int
    conversion_rate: Decimal | None
    spend_per_buyer: Decimal | None
    vs_plan: Effects | None
    vs_baseline: Effects | None
    baseline_name: str
    pareto: tuple[ParetoSku, ...]
    skus_sold: int
    lineup: tuple[LineupOutcome, ...]
    channels: tuple[ChannelOutcome, ...]
    ad_spend: Decimal
    ad_budget: Decimal | None
    budget_used: Decimal | None
    channel_budget_total: Decimal | None  # sum of the channel budgets; None when not split
    new_buyers: int
    new_buyer_share: Decimal | None
    repurchase_known_on: datetime.date
    new_buyers_returned: int | None
    stockouts: tuple[Stockout, ...]
    lost_sales: Decimal
    refund_amount: Decimal | None
    refund_rate: Decimal | None


def review_stage(campaign: Campaign, today: datetime.date) -> str | None:
    """None while the burst runs or before it, "burst" during wrap-up, then "final"."""
    if today <= campaign.burst_end:
        return None
    return "burst" if today <= campaign.wrapup_end else "final"


def _effects(decomposition: Decomposition | None) -> Effects | None:
    if decomposition is None:
        return None
    shown = decomposition.rounded()
    return Effects(
        reference_gmv=Decimal(repr(decomposition.reference.gmv)).quantize(
            CENT, rounding=ROUND_HALF_UP
        ),
        actual_gmv=Decimal(repr(decomposition.actual.gmv)).quantize(CENT, rounding=ROUND_HALF_UP),
        gap=shown["gap"],
        traffic=shown["traffic"],
        conversion=shown["conversion"],
        spend_per_buyer=shown["spend_per_buyer"],
        reference=decomposition.reference,
        actual=decomposition.actual,
        exact=decomposition,
    )


def pareto(rows, share: Decimal = PARETO_SHARE) -> list[ParetoSku]:
    """The fewest SKUs, largest line GMV first, whose GMV reaches ``share`` of the total."""
    ordered = sorted((r for r in rows if r.gmv > 0), key=lambda r: (-r.gmv, r.code))
    total = sum((r.gmv for r in ordered), Decimal(0))
    found, cumulative = [], Decimal(0)
    for row in ordered:
        if total and cumulative >= total * share:
            break
        cumulative += row.gmv
        found.append(
            ParetoSku(
                row.sku_id,
                row.code,
                row.title,
                Decimal(row.gmv).quantize(CENT, rounding=ROUND_HALF_UP),
                rate(row.gmv, total),
                rate(cumulative, total),
            )
        )
    return found


def stockouts(*, store: Store, campaign: Campaign) -> list[Stockout]:
    """SKUs out of stock during the burst and the sales they likely lost (module docstring)."""
    zone = store.zone
    burst_start = day_bounds(zone, campaign.burst_start)[0]
    zero_days: dict[int, list[datetime.date]] = {}
    for sku_id, day in (
        StockSnapshot.objects.filter(
            store=store, day__range=(campaign.burst_start, campaign.burst_end), stock__lte=0
        )
        .order_by("sku_id", "day")
        .values_list("sku_id", "day")
    ):
        zero_days.setdefault(sku_id, []).append(day)
    if not zero_days:
        return []
    lines = OrderLine.objects.filter(
        store=store,
        sku_id__in=list(zero_days),
        order__paid_at__gte=burst_start,
        order__paid_at__lt=day_bounds(zone, campaign.burst_end)[1],
    ).values_list("sku_id", "order__paid_at", "quantity", "unit_price")
    sales: dict[int, list] = {}
    for row in lines:
        sales.setdefault(row[0], []).append(row)
    names = {
        pk: (code, title)
        for pk, code, title in Sku.objects.filter(store=store, pk__in=list(zero_days)).values_list(
            "pk", "code", "title"
        )
    }
    found = []
    for sku_id, days in zero_days.items():
        first = days[0]
        last = first
        while last + DAY in days:
            last += DAY
        first_end = day_bounds(zone, first)[1]
        before = [row for row in sales.get(sku_id, []) if row[1] < first_end]
        code, title = names[sku_id]
        out_until = day_bounds(zone, last)[1]
        if before:
            last_sale = max(row[1] for row in before).astimezone(zone)
            out_from = (last_sale.replace(minute=0, second=0, microsecond=0) + HOUR).astimezone(
                datetime.UTC
            )
        else:
            out_from = max(burst_start, day_bounds(zone, first)[0])
        hours_before = int((out_from - burst_start) / HOUR)
        hours_out = max(0, int((out_until - out_from) / HOUR))
        units = sum(row[2] for row in before)
        per_hour = lost = average = lost_sales = None
        if units and hours_before:
            per_hour = (Decimal(units) / hours_before).quantize(CENT, rounding=ROUND_HALF_UP)
            lost = (Decimal(units) * hours_out / hours_before).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            amount = sum((row[2] * row[3] for row in before), Decimal(0))
            average = (amount / units).quantize(CENT, rounding=ROUND_HALF_UP)
            lost_sales = (Decimal(units) * hours_out / hours_before * amount / units).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
        found.append(
            Stockout(
                sku_id,
                code,
                title,
                out_from,
                out_until,
                hours_before,
                units,
                per_hour,
                hours_out,
                lost,
                average,
                lost_sales,
            )
        )
    return sorted(found, key=lambda s: (-(s.lost_sales or 0), s.code))


def channel_outcomes(
    *,
    rows: list[tuple[str, Decimal, Decimal, Decimal | None]],
    ad_budget: Decimal | None,
    channel_budgets: dict[str, Decimal],
) -> tuple[ChannelOutcome, ...]:
    """ROI by channel against the budgets (pure): ``rows`` are (channel, GMV, spend, ROI) in
    the order shown; a budgeted channel missing from them follows with zeros."""
    zero = Decimal("0.00")
    listed = [row[0] for row in rows]
    rows = rows + [(c, zero, zero, None) for c in sorted(channel_budgets) if c not in listed]
    found = []
    for channel, gmv, spend, roi in rows:
        own = channel_budgets.get(channel)
        found.append(
            ChannelOutcome(
                channel,
                gmv,
                spend,
                roi,
                rate(spend, ad_budget) if ad_budget else None,
                own,
                None if own is None else rate(spend, own),
                own is not None and spend > own,
            )
        )
    return tuple(found)


def _new_buyers_returned(store: Store, campaign: Campaign) -> int:
    start, end = day_bounds(store.zone, campaign.burst_start, campaign.burst_end)
    later_end = end + REPURCHASE_DAYS * DAY
    paid = Order.objects.filter(store=store, paid_at__isnull=False)
    earlier = paid.filter(customer_id=OuterRef("customer_id"), paid_at__lt=start)
    again = paid.filter(
        customer_id=OuterRef("customer_id"), paid_at__gte=end, paid_at__lt=later_end
    )
    return (
        paid.filter(paid_at__gte=start, paid_at__lt=end)
        .filter(~Exists(earlier), Exists(again))
        .values("customer_id")
        .distinct()
        .count()
    )


def campaign_review(
    *, store: Store, campaign: Campaign, today: datetime.date
) -> CampaignReview | None:
    """The review as of ``today`` (store-local); None before the burst is over."""
    stage = review_stage(campaign, today)
    if stage is None:
        return None
    burst = DailyMetricsRunner(
        store=store,
        query=DailyMetricsQuery(
            start=campaign.burst_start, end=campaign.burst_end, by_sku=True, sku_limit=5000
        ),
    ).run()
    window = DailyMetricsRunner(
        store=store,
        query=DailyMetricsQuery(
            start=campaign.preheat_start, end=campaign.burst_end, by_channel=True
        ),
    ).run()
    totals, measures = burst.totals, burst.measures
    actual = Factors.of(gmv=totals.gmv, buyers=totals.paying_buyers, uv=totals.uv)
    plan = plan_breakdown(store=store, campaign=campaign, today=today)
    vs_baseline = None
    if campaign.baseline is not None:
        base = DailyMetricsRunner(
            store=store,
            query=DailyMetricsQuery(
                start=campaign.baseline.burst_start, end=campaign.baseline.burst_end
            ),
        ).run()
        vs_baseline = _effects(
            lmdi(
                Factors.of(
                    gmv=base.totals.gmv, buyers=base.totals.paying_buyers, uv=base.totals.uv
                ),
                actual,
            )
        )
    units = {row.sku_id: row.units for row in burst.skus}
    lineup = []
    for item in LineupItem.objects.filter(store=store, campaign=campaign).select_related("sku"):
        sold = units.get(item.sku_id, 0)
        lineup.append(
            LineupOutcome(
                item.sku_id,
                item.sku.code,
                item.sku.title,
                item.planned_units,
                sold,
                rate(sold, item.planned_units),
                sold < item.planned_units,
            )
        )
    lineup.sort(key=lambda o: (not o.underperforming, o.achievement or Decimal(0), o.code))
    budget = campaign.ad_budget
    channels = channel_outcomes(
        rows=[
            (row.channel, row.measures.gmv, row.measures.ad_spend, row.metrics.roi)
            for row in window.channels
        ],
        ad_budget=budget,
        channel_budgets=dict(
            ChannelBudget.objects.filter(store=store, campaign=campaign).values_list(
                "channel", "budget"
            )
        ),
    )
    budgets = [c.budget for c in channels if c.budget is not None]
    ad_spend = window.measures.ad_spend
    known_on = campaign.burst_end + (REPURCHASE_DAYS + 1) * DAY
    found_stockouts = stockouts(store=store, campaign=campaign)
    refund_amount = refund_rate = None
    if stage == "final":
        start, end = day_bounds(store.zone, campaign.burst_start, campaign.burst_end)
        refund_amount = Refund.objects.filter(
            store=store,
            order__paid_at__gte=start,
            order__paid_at__lt=end,
            refunded_at__lt=day_bounds(store.zone, campaign.wrapup_end)[1],
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        # To the cent: SQLite's sum of decimals comes back with 15 places.
        refund_amount = refund_amount.quantize(CENT, rounding=ROUND_HALF_UP)
        refund_rate = rate(refund_amount, totals.gmv)
    target = campaign.gmv_target
    return CampaignReview(
        stage=stage,
        start=campaign.burst_start,
        end=campaign.burst_end,
        missing_days=burst.missing_days,
        target=target,
        gmv=totals.gmv,
        gap=None if target is None else totals.gmv - target,
        achievement=rate(totals.gmv, target) if target else None,
        uv=totals.uv,
        paying_buyers=totals.paying_buyers,
        paid_orders=totals.paid_orders,
        conversion_rate=totals.conversion_rate,
        spend_per_buyer=totals.spend_per_buyer,
        vs_plan=_effects(lmdi(plan.factors, actual)),
        vs_baseline=vs_baseline,
        baseline_name=campaign.baseline.name if campaign.baseline else "",
        pareto=tuple(pareto(burst.skus)),
        skus_sold=sum(1 for row in burst.skus if row.units),
        lineup=tuple(lineup),
        channels=channels,
        ad_spend=ad_spend,
        ad_budget=budget,
        budget_used=rate(ad_spend, budget) if budget else None,
        channel_budget_total=sum(budgets, Decimal("0.00")) if budgets else None,
        new_buyers=measures.new_buyers,
        new_buyer_share=totals.new_buyer_share,
        repurchase_known_on=known_on,
        new_buyers_returned=_new_buyers_returned(store, campaign) if today >= known_on else None,
        stockouts=tuple(found_stockouts),
        lost_sales=sum((s.lost_sales or Decimal(0) for s in found_stockouts), Decimal("0.00")),
        refund_amount=refund_amount,
        refund_rate=refund_rate,
    )
