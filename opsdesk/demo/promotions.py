"""Campaign rows of a demo shop: past festivals inside the data, upcoming ones after it, a few
member days and a flash sale, each with phases, target, budget (split by paid channel),
lineup and mechanics; the stock each past burst started with and the sold-out SKU of each
past 618 and Double 11.

The lineups are chosen before the orders (a flash sale discounts its lineup only), the
targets and budgets after (sized from the shop's real order value and ad spend).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .products import DAY, wall_seconds
from .seasons import DayProfile, Promotion

UPCOMING_FESTIVALS = 3
PAST_MEMBER_DAYS = 3
FESTIVAL_KINDS = ("618", "double_11", "double_12", "queens_day", "new_year")


@dataclass(frozen=True)
class CampaignPlan:
    """Which promotions (indices into ``DayProfile.promotions``) become campaigns, in order,
    and the lineup SKU keys of each."""

    promotions: list[int]
    lineups: dict[int, np.ndarray]


def _pick(
    rng: np.random.Generator, candidates: np.ndarray, weights: np.ndarray, count: int
) -> np.ndarray:
    count = min(count, len(candidates))
    if count == 0:
        return np.empty(0, np.int64)
    return np.sort(rng.choice(candidates, count, replace=False, p=weights / weights.sum()))


def campaign_plan(
    rng: np.random.Generator, *, profile: DayProfile, skus: pd.DataFrame
) -> CampaignPlan:
    """Past campaigns whose burst overlaps the data, the next festivals and member day after
    it; lineups from SKUs on shelf and listed before the burst, popular ones first."""
    first, last = profile.dates[0], profile.dates[-1]
    promotions = profile.promotions
    past = [
        i
        for i, p in enumerate(promotions)
        if p.burst_end >= first and p.burst_start <= last and p.kind != "member_day"
    ]
    member_days = [
        i
        for i, p in enumerate(promotions)
        if p.kind == "member_day" and first <= p.burst_start <= last
    ]
    upcoming = [
        i for i, p in enumerate(promotions) if p.kind in FESTIVAL_KINDS and p.burst_start > last
    ]
    next_member = [
        i for i, p in enumerate(promotions) if p.kind == "member_day" and p.burst_start > last
    ]
    chosen = sorted(
        past + member_days[-PAST_MEMBER_DAYS:] + upcoming[:UPCOMING_FESTIVALS] + next_member[:1]
    )

    on_shelf = (skus["status"] == "on_shelf").to_numpy()
    weight = skus["sales_weight"].to_numpy()
    role = skus["role"].to_numpy()
    lineups = {}
    for index in chosen:
        promotion = promotions[index]
        listed = (
            skus["listed_on"].to_numpy() <= np.datetime64(promotion.burst_start, "D")
        ) & on_shelf
        if promotion.kind == "flash_sale":
            wanted = {"traffic": 4}
        elif promotion.kind == "member_day":
            wanted = {"profit": 5}
        else:
            wanted = {"traffic": 5, "profit": 8, "image": 1}
        picked = [
            _pick(rng, np.flatnonzero(listed & (role == r)), weight[listed & (role == r)], n)
            for r, n in wanted.items()
        ]
        lineups[index] = np.sort(np.concatenate(picked))
    return CampaignPlan(chosen, lineups)


def _expected_orders(promotion: Promotion, base: float) -> float:
    """Orders the burst should bring, from the promotion's own multipliers."""
    if promotion.burst_days == 1:
        return base * promotion.peak_multiplier
    ordinary = promotion.burst_days - 2
    return base * (
        promotion.opening_multiplier
        + promotion.peak_multiplier
        + promotion.burst_multiplier * ordinary
    )


def _round_money(cents: float, step: int) -> int:
    return int(max(step, round(cents / step) * step))


#: Share of a campaign's ad budget split over its paid channels; the rest is a reserve.
CHANNEL_BUDGET_SHARE = 0.9
PAID_CHANNELS = ("paid_search", "paid_feed", "content")


def _spend_shares(orders: pd.DataFrame, ad_spend: pd.DataFrame) -> tuple[float, dict[str, float]]:
    """The shop's ad spend / paid GMV over the data, and each paid channel's share of the
    spend."""
    paid = orders[orders["paid_at"].notna()]
    gmv = float(paid["paid_amount"].sum())
    by_channel = ad_spend.groupby("channel")["spend"].sum() if len(ad_spend) else pd.Series()
    spend = float(by_channel.sum())
    shares = {c: float(by_channel.get(c, 0)) / spend for c in PAID_CHANNELS if spend}
    return (spend / gmv if gmv else 0.1), {c: v for c, v in shares.items() if v > 0}


def campaigns_generate(
    rng: np.random.Generator,
    *,
    plan: CampaignPlan,
    profile: DayProfile,
    skus: pd.DataFrame,
    orders: pd.DataFrame,
    ad_spend: pd.DataFrame,
    base_orders: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(campaigns, lineup items, mechanics, channel budgets).

    Contract: phases in order (preparation <= pre-heat <= burst start <= burst end <= wrap-up
    end); GMV target = expected burst orders x the shop's average paid order x 1.0-1.25; ad
    budget = the expected GMV of pre-heat and burst x the shop's ad spend per GMV x 0.9-1.2
    (so the review's spend lands near it, over or under); channel budgets split 90% of it
    over the campaign's paid channels by their share of the shop's spend, in whole 10 yuan
    (never above the ad budget); planned units = the SKU's share of expected units x 1.2; a
    campaign's baseline is the previous campaign of the same kind in the list.
    """
    last = profile.dates[-1]
    end = wall_seconds(last) + DAY
    paid = orders[orders["paid_at"].notna()]
    average_order = float(paid["paid_amount"].mean()) if len(paid) else 120_00.0
    weight = skus["sales_weight"].to_numpy()
    total_weight = weight.sum()
    spend_per_gmv, spend_shares = _spend_shares(orders, ad_spend)
    campaigns, lineup_items, mechanics, channel_budgets = [], [], [], []
    latest_of_kind: dict[str, int] = {}
    latest_festival: int | None = None
    for key, index in enumerate(plan.promotions):
        promotion = profile.promotions[index]
        expected = _expected_orders(promotion, base_orders)
        target = _round_money(
            expected * average_order * rng.uniform(1.0, 1.25), 1000_00 if expected > 300 else 100_00
        )
        preheat_orders = (
            base_orders
            * promotion.preheat_multiplier
            * (promotion.burst_start - promotion.preheat_start).days
        )
        ad_budget = _round_money(
            (expected + preheat_orders) * average_order * spend_per_gmv * rng.uniform(0.9, 1.2),
            100_00,
        )
        created = wall_seconds(min(promotion.preparation_start, last)) + int(
            rng.integers(9 * 3600, 12 * 3600)
        )
        campaigns.append(
            {
                "key": key,
                "name": promotion.name,
                "kind": promotion.kind,
                "preparation_start": promotion.preparation_start,
                "preheat_start": promotion.preheat_start,
                "burst_start": promotion.burst_start,
                "burst_end": promotion.burst_end,
                "wrapup_end": promotion.wrapup_end,
                "gmv_target": target,
                "ad_budget": ad_budget,
                "channels": list(promotion.channels),
                # The previous edition of the same festival, else the latest earlier festival
                # (the demo's year holds one edition of each, so the plan and the review
                # still have a baseline to compare with).
                "baseline_key": latest_of_kind.get(
                    promotion.kind,
                    latest_festival
                    if latest_festival is not None and promotion.kind in FESTIVAL_KINDS
                    else pd.NA,
                ),
                "notes": promotion.notes,
                "created_at": created,
                "promotion": index,
            }
        )
        paid = {c: spend_shares[c] for c in promotion.channels if c in spend_shares}
        for channel, share in paid.items():
            budget = ad_budget * CHANNEL_BUDGET_SHARE * share / sum(paid.values())
            if budget >= 10_00:
                channel_budgets.append(
                    {
                        "campaign_key": key,
                        "channel": channel,
                        "budget": int(budget // 10_00) * 10_00,
                    }
                )
        latest_of_kind[promotion.kind] = key
        if promotion.kind in FESTIVAL_KINDS:
            latest_festival = key
        for sku_key in plan.lineups[index].tolist():
            units = expected * 1.3 * weight[sku_key] / total_weight * 1.2
            lineup_items.append(
                {
                    "campaign_key": key,
                    "sku_key": sku_key,
                    "planned_units": max(10, round(units)),
                    "chosen_at": min(created + int(rng.integers(3600, 5 * DAY)), end - 1),
                }
            )
        for mechanic in promotion.mechanics:
            mechanics.append(
                {
                    "campaign_key": key,
                    "kind": mechanic.kind,
                    "threshold": mechanic.threshold,
                    "amount": mechanic.amount,
                    "rate": mechanic.rate,
                    "inflated_amount": mechanic.inflated_amount,
                    "description": mechanic.description,
                }
            )
    campaign_frame = pd.DataFrame(
        campaigns,
        columns=[
            "key",
            "name",
            "kind",
            "preparation_start",
            "preheat_start",
            "burst_start",
            "burst_end",
            "wrapup_end",
            "gmv_target",
            "ad_budget",
            "channels",
            "baseline_key",
            "notes",
            "created_at",
            "promotion",
        ],
    )
    for column in ("preparation_start", "preheat_start", "burst_start", "burst_end", "wrapup_end"):
        campaign_frame[column] = np.array(list(campaign_frame[column]), dtype="datetime64[D]")
    campaign_frame = campaign_frame.astype(
        {
            "key": np.int64,
            "gmv_target": np.int64,
            "ad_budget": np.int64,
            "created_at": np.int64,
            "baseline_key": "Int64",
        }
    )
    lineup_frame = pd.DataFrame(
        lineup_items, columns=["campaign_key", "sku_key", "planned_units", "chosen_at"]
    )
    lineup_frame.insert(0, "key", np.arange(len(lineup_frame), dtype=np.int64))
    lineup_frame = lineup_frame.astype(
        {
            "campaign_key": np.int64,
            "sku_key": np.int64,
            "planned_units": np.int64,
            "chosen_at": np.int64,
        }
    )
    mechanic_frame = pd.DataFrame(
        mechanics,
        columns=[
            "campaign_key",
            "kind",
            "threshold",
            "amount",
            "rate",
            "inflated_amount",
            "description",
        ],
    )
    mechanic_frame.insert(0, "key", np.arange(len(mechanic_frame), dtype=np.int64))
    mechanic_frame = mechanic_frame.astype(
        {
            "campaign_key": np.int64,
            "threshold": "Int64",
            "amount": "Int64",
            "rate": "Int64",
            "inflated_amount": "Int64",
        }
    )
    budget_frame = pd.DataFrame(channel_budgets, columns=["campaign_key", "channel", "budget"])
    budget_frame.insert(0, "key", np.arange(len(budget_frame), dtype=np.int64))
    budget_frame = budget_frame.astype({"campaign_key": np.int64, "budget": np.int64})
    return campaign_frame, lineup_frame, mechanic_frame, budget_frame


#: Kinds whose past editions get a sold-out lineup SKU on the peak day (reviews show a stockout).
SELL_OUT_KINDS = ("618", "double_11")
SOLD_OUT_BEFORE = 20 * 3600  # store-local seconds of the day


def _burst_start_stock(
    *,
    campaigns: pd.DataFrame,
    lineup_items: pd.DataFrame,
    sold: pd.DataFrame,
    sold_out: set,
    first_day: np.datetime64,
    last_day: np.datetime64,
) -> list[dict]:
    """The snapshot of the day before each burst that began inside the data, for every SKU of
    its lineup: what the burst started with. A SKU that sold out on the peak day started with
    exactly the units it sold from the burst's start to the end of that day; the others with
    1.1-1.5x (by SKU key) the larger of their planned units and their burst's units sold."""
    rows = []
    for campaign in campaigns.itertuples(index=False):
        start = np.datetime64(campaign.burst_start, "D")
        eve = start - np.timedelta64(1, "D")
        if not first_day <= eve <= last_day:
            continue
        start_index = wall_seconds(pd.Timestamp(start).date()) // DAY
        peak = np.datetime64(campaign.burst_end, "D")
        end_index = wall_seconds(pd.Timestamp(peak).date()) // DAY
        lineup = lineup_items[lineup_items["campaign_key"] == campaign.key]
        burst = sold[(sold["day"] >= start_index) & (sold["day"] <= end_index)]
        units = burst.groupby("sku_key")["quantity"].sum()
        for sku_key, planned in lineup[["sku_key", "planned_units"]].itertuples(index=False):
            sold_units = int(units.get(sku_key, 0))
            if (sku_key, peak) in sold_out:
                stock = sold_units
            else:
                stock = int(np.ceil(max(planned, sold_units) * (1.1 + 0.1 * (sku_key % 5))))
            rows.append({"sku_key": int(sku_key), "day": eve, "stock": stock})
    return rows


def stockouts_generate(
    *,
    campaigns: pd.DataFrame,
    lineup_items: pd.DataFrame,
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    first: "np.datetime64 | object",
    last: "np.datetime64 | object",
) -> pd.DataFrame:
    """Stock snapshots (key, sku_key, day, stock) saying that the best-selling lineup SKU of
    each past 618 and Double 11 ended its peak (last burst) day with no stock, and what each
    burst that began inside the data started with (``_burst_start_stock``).

    Contract: one row per such campaign whose peak day is inside the data and has a lineup SKU
    with at least 2 orders that day, the last before 20:00; stock 0. Deterministic (no
    randomness): of those, the SKU with the most units paid on the peak day, ties to the lower
    key. The review then estimates the
    sales lost from its last sale of the day to midnight.
    """
    rows = []
    paid = orders[orders["paid_at"].notna()]
    paid_day = (paid["paid_at"].to_numpy(dtype=np.int64) // DAY).astype(np.int64)
    day_of_order = pd.Series(paid_day, index=paid["key"].to_numpy())
    second_of_order = pd.Series(
        paid["paid_at"].to_numpy(dtype=np.int64) % DAY, index=paid["key"].to_numpy()
    )
    sold = lines[lines["order_key"].isin(day_of_order.index)].assign(
        day=lambda f: day_of_order.loc[f["order_key"]].to_numpy(),
        second=lambda f: second_of_order.loc[f["order_key"]].to_numpy(),
    )
    last_day = np.datetime64(last, "D")
    for campaign in campaigns.itertuples(index=False):
        peak = np.datetime64(campaign.burst_end, "D")
        if campaign.kind not in SELL_OUT_KINDS or peak > last_day:
            continue
        peak_index = wall_seconds(pd.Timestamp(peak).date()) // DAY
        lineup = lineup_items.loc[lineup_items["campaign_key"] == campaign.key, "sku_key"]
        that_day = sold[(sold["day"] == peak_index) & sold["sku_key"].isin(lineup)]
        if that_day.empty:
            continue
        per_sku = that_day.groupby("sku_key").agg(
            units=("quantity", "sum"), orders=("order_key", "nunique"), last=("second", "max")
        )
        # Sold out before the evening, so the peak day's last hours were lost.
        per_sku = per_sku[(per_sku["orders"] >= 2) & (per_sku["last"] < SOLD_OUT_BEFORE)]
        if per_sku.empty:
            continue
        top = per_sku.sort_values("units", ascending=False, kind="mergesort").index[0]
        rows.append({"sku_key": int(top), "day": peak, "stock": 0})
    rows += _burst_start_stock(
        campaigns=campaigns,
        lineup_items=lineup_items,
        sold=sold,
        sold_out={(row["sku_key"], row["day"]) for row in rows},
        first_day=np.datetime64(first, "D"),
        last_day=last_day,
    )
    frame = pd.DataFrame(rows, columns=["sku_key", "day", "stock"])
    frame = frame.drop_duplicates(["sku_key", "day"]).reset_index(drop=True)
    frame.insert(0, "key", np.arange(len(frame), dtype=np.int64))
    frame["day"] = np.array(list(frame["day"]), dtype="datetime64[D]")
    return frame.astype({"sku_key": np.int64, "stock": np.int64})
