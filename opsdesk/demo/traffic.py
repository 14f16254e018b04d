"""Behaviour events and ad spend of a demo shop, consistent with its orders.

Every order leaves its funnel path (view -> add_to_cart -> order [-> pay]) under its buyer's
stable visitor id; around the buyers, a returning pool of anonymous visitors browses and
abandons carts, sized so that daily conversion (paying buyers / UV) lands at a few percent.
Ad spend per paid channel follows that channel's GMV at the shop's ROI, and clicks follow the
channel's visitors. Times are store-local wall seconds, money integer cents.
"""

import numpy as np
import pandas as pd

from .products import DAY, wall_seconds
from .sales import NEVER_PAID_SHARE
from .seasons import HOURLY_CURVES, DayProfile
from .specs import CHANNELS, StoreSpec

BASE_CONVERSION = 0.034
RETURNING_VISITOR_SHARE = 0.45
RETURN_WINDOW_DAYS = 14
#: How well a channel's visitors convert, relative to the shop: feeds browse, private
#: domain and direct visitors come to buy.
CHANNEL_CONVERSION = {
    "search": 1.2,
    "recommendation": 0.7,
    "campaign": 1.3,
    "paid_search": 1.1,
    "paid_feed": 0.5,
    "content": 0.8,
    "private_domain": 2.0,
    "direct": 1.8,
    "other": 0.6,
}
#: Click-through rate range per paid channel.
CLICK_THROUGH = {"paid_search": (0.03, 0.06), "paid_feed": (0.008, 0.016), "content": (0.015, 0.03)}


def visitor_ids(prefix: str, numbers: np.ndarray, salt: int) -> np.ndarray:
    """Cookie-like ids, unique per number: an odd multiplier is a bijection modulo 2**60."""
    scrambled = (
        numbers.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(salt)
    ) & np.uint64((1 << 60) - 1)
    return np.array([f"{prefix}{value:015x}" for value in scrambled.tolist()], dtype=object)


def _buyer_paths(
    rng: np.random.Generator,
    *,
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    skus: pd.DataFrame,
    first_second: int,
) -> pd.DataFrame:
    """view -> add_to_cart -> order (-> pay) per order line, plus a little browsing before."""
    line_order = lines["order_key"].to_numpy()
    created = orders["created_at"].to_numpy()
    paid = orders["paid_at"].to_numpy(dtype=np.float64, na_value=np.nan)
    count = len(lines)
    cart_lag = np.clip(rng.lognormal(np.log(900), 1.1, count), 20, 6 * 3600).astype(np.int64)
    view_lag = np.clip(rng.lognormal(np.log(120), 1.0, count), 5, 3600).astype(np.int64)
    order_time = created[line_order]
    cart_time = order_time - cart_lag
    view_time = cart_time - view_lag
    line_paid = ~np.isnan(paid[line_order])
    pay_time = np.where(line_paid, np.nan_to_num(paid[line_order]), 0).astype(np.int64)

    # Browsing before the first view of the order: other SKUs, same channel, same visitor.
    first_view = (
        pd.Series(view_time).groupby(line_order).min().reindex(range(len(orders))).to_numpy()
    )
    extra = np.minimum(rng.poisson(0.8, len(orders)), 4)
    extra_order = np.repeat(np.arange(len(orders)), extra)
    extra_step = np.arange(len(extra_order)) - np.repeat(np.cumsum(extra) - extra, extra) + 1
    extra_time = first_view[extra_order] - extra_step * rng.integers(30, 900, len(extra_order))
    view_weight = skus["view_weight"].to_numpy()
    extra_sku = rng.choice(len(skus), len(extra_order), p=view_weight / view_weight.sum())
    listed = (skus["listed_on"].to_numpy().astype("datetime64[s]").astype(np.int64))[extra_sku]
    first_line_sku = lines.drop_duplicates("order_key").set_index("order_key")["sku_key"]
    extra_sku = np.where(
        listed <= extra_time, extra_sku, first_line_sku.reindex(extra_order).to_numpy()
    )

    paid_lines = np.flatnonzero(line_paid)
    parts = [
        (extra_order, extra_sku, "view", extra_time),
        (line_order, lines["sku_key"].to_numpy(), "view", view_time),
        (line_order, lines["sku_key"].to_numpy(), "add_to_cart", cart_time),
        (line_order, lines["sku_key"].to_numpy(), "order", order_time),
        (
            line_order[paid_lines],
            lines["sku_key"].to_numpy()[paid_lines],
            "pay",
            pay_time[paid_lines],
        ),
    ]
    order_key = np.concatenate([p[0] for p in parts])
    frame = pd.DataFrame(
        {
            "order_key": order_key,
            "sku_key": np.concatenate([p[1] for p in parts]).astype(np.int64),
            "event_type": np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts]),
            "occurred_at": np.maximum(np.concatenate([p[3] for p in parts]), first_second),
            "step": np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)]),
        }
    )
    frame["customer_key"] = orders["customer_key"].to_numpy()[order_key]
    frame["channel"] = orders["channel"].to_numpy()[order_key]
    return frame


def _anonymous_visits(
    rng: np.random.Generator,
    *,
    spec: StoreSpec,
    profile: DayProfile,
    skus: pd.DataFrame,
    visitors_needed: np.ndarray,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The day loop over anonymous visitors: who comes (new, or back from the last two weeks),
    from where, when, and which SKUs they look at."""
    first = profile.dates[0]
    listed_day = (skus["listed_on"].to_numpy() - np.datetime64(first, "D")).astype(np.int64)
    view_weight = skus["view_weight"].to_numpy()
    base_weights = np.array(
        [spec.channel_weights.get(c, 0.0) / CHANNEL_CONVERSION[c] for c in CHANNELS]
    )
    campaign, private = CHANNELS.index("campaign"), CHANNELS.index("private_domain")
    recent: list[np.ndarray] = []
    next_visitor = 0
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("visitor", "channel", "start", "views", "cart", "day")
    }
    view_skus = []
    for day, needed in enumerate(visitors_needed.tolist()):
        returning = np.empty(0, np.int64)
        pool = recent[-RETURN_WINDOW_DAYS:]
        if needed and pool:
            pool_ids = np.concatenate(pool)
            draws = pool_ids[
                rng.integers(0, len(pool_ids), rng.binomial(needed, RETURNING_VISITOR_SHARE))
            ]
            _, first_seen = np.unique(draws, return_index=True)
            returning = draws[np.sort(first_seen)]
        fresh = needed - len(returning)
        visitors = np.concatenate([returning, next_visitor + np.arange(fresh)])
        next_visitor += fresh
        recent.append(visitors)
        weights = base_weights.copy()
        weights[campaign] *= profile.campaign_boost[day]
        weights[private] *= profile.private_boost[day]
        hours = rng.choice(24, needed, p=HOURLY_CURVES[profile.curve[day]])
        views = 1 + np.minimum(rng.poisson(0.7, needed), 9)
        available = view_weight * (listed_day <= day)
        parts["visitor"].append(visitors)
        parts["channel"].append(rng.choice(len(CHANNELS), needed, p=weights / weights.sum()))
        parts["start"].append(
            wall_seconds(profile.dates[day]) + hours * 3600 + rng.integers(0, 3600, needed)
        )
        parts["views"].append(views)
        parts["cart"].append(rng.random(needed) < profile.cart_rate[day])
        parts["day"].append(np.full(needed, day))
        view_skus.append(rng.choice(len(skus), int(views.sum()), p=available / available.sum()))
    visits = {k: np.concatenate(v) for k, v in parts.items()}
    return visits, np.concatenate(view_skus)


def behaviour_generate(
    rng: np.random.Generator,
    *,
    spec: StoreSpec,
    orders_per_day: float,
    profile: DayProfile,
    skus: pd.DataFrame,
    orders: pd.DataFrame,
    lines: pd.DataFrame,
) -> pd.DataFrame:
    """Behaviour events, sorted by time, with ``visitor_id``, ``customer_key`` (nullable),
    ``event_type``, ``sku_key``, ``channel`` and ``occurred_at``.

    Contract: every order has view, add_to_cart and order events for each of its lines under
    its customer's visitor id, at non-decreasing times ending with the order event at
    ``created_at``; a paid order also has a pay event per line at ``paid_at``; anonymous
    visitors come back on several days; daily paying buyers / UV is about 3% (lower in
    pre-heat, higher on burst days).
    """
    first, last = profile.dates[0], profile.dates[-1]
    first_second, end = wall_seconds(first), wall_seconds(last) + DAY
    days = len(profile.dates)
    paths = _buyer_paths(rng, orders=orders, lines=lines, skus=skus, first_second=first_second)

    # How many anonymous visitors each day needs for the day's conversion.
    paid = orders[orders["paid_at"].notna()]
    paid_day = (paid["paid_at"].to_numpy(dtype=np.int64) - first_second) // DAY
    buyers = pd.Series(paid["customer_key"].to_numpy()).groupby(paid_day).nunique()
    buyers = buyers.reindex(range(days), fill_value=0).to_numpy()
    path_day = (paths["occurred_at"].to_numpy() - first_second) // DAY
    buyer_visitors = (
        paths["customer_key"]
        .groupby(path_day)
        .nunique()
        .reindex(range(days), fill_value=0)
        .to_numpy()
    )
    expected = orders_per_day * spec.size * profile.multiplier * (1 - NEVER_PAID_SHARE)
    conversion = np.clip(
        BASE_CONVERSION * profile.conversion * rng.lognormal(0, 0.12, days), 0.012, 0.075
    )
    uv = np.rint(np.maximum(np.maximum(buyers, 0.6 * expected), 1) / conversion).astype(np.int64)
    needed = np.maximum(uv - buyer_visitors, 0)
    visits, view_sku = _anonymous_visits(
        rng, spec=spec, profile=profile, skus=skus, visitors_needed=needed
    )

    # Expand visits into view events (and one add_to_cart for some visits).
    count = len(visits["visitor"])
    visit_of_view = np.repeat(np.arange(count), visits["views"])
    starts = np.r_[0, np.cumsum(visits["views"])[:-1]]
    gap = np.clip(rng.lognormal(np.log(70), 0.9, len(visit_of_view)), 3, 1800).astype(np.int64)
    gap[starts] = 0
    offset = np.cumsum(gap)
    view_time = visits["start"][visit_of_view] + offset - offset[starts][visit_of_view]
    carted = np.flatnonzero(visits["cart"])
    pick = starts[carted] + (rng.random(len(carted)) * visits["views"][carted]).astype(np.int64)
    cart_time = view_time[pick] + np.clip(
        rng.lognormal(np.log(40), 0.8, len(carted)), 2, 1800
    ).astype(np.int64)
    anonymous = pd.DataFrame(
        {
            "visitor": np.concatenate(
                [visits["visitor"][visit_of_view], visits["visitor"][carted]]
            ),
            "sku_key": np.concatenate([view_sku, view_sku[pick]]).astype(np.int64),
            "event_type": np.concatenate(
                [
                    np.full(len(visit_of_view), "view", dtype=object),
                    np.full(len(carted), "add_to_cart", dtype=object),
                ]
            ),
            "channel": np.array(CHANNELS, dtype=object)[
                np.concatenate([visits["channel"][visit_of_view], visits["channel"][carted]])
            ],
            "occurred_at": np.concatenate([view_time, cart_time]),
        }
    )
    anonymous_ids = visitor_ids(
        "v", np.arange(int(visits["visitor"].max(initial=-1)) + 1), salt=spec.index * 7 + 1
    )
    anonymous["visitor_id"] = anonymous_ids[anonymous.pop("visitor").to_numpy()]
    anonymous["customer_key"] = pd.arrays.IntegerArray(
        np.zeros(len(anonymous), dtype=np.int64), np.ones(len(anonymous), dtype=bool)
    )

    customer_count = int(orders["customer_key"].to_numpy().max(initial=-1)) + 1
    buyer_ids = visitor_ids("u", np.arange(customer_count), salt=spec.index * 7 + 2)
    paths["visitor_id"] = buyer_ids[paths["customer_key"].to_numpy()]
    paths["customer_key"] = paths["customer_key"].astype("Int64")
    columns = ["visitor_id", "customer_key", "event_type", "sku_key", "channel", "occurred_at"]
    events = pd.concat([paths[columns], anonymous[columns]], ignore_index=True)
    events["occurred_at"] = np.minimum(events["occurred_at"].to_numpy(), end - 1)
    events = events.sort_values("occurred_at", kind="mergesort").reset_index(drop=True)
    events.insert(0, "key", np.arange(len(events), dtype=np.int64))
    events["channel"] = events["channel"].astype(str)
    events["event_type"] = events["event_type"].astype(str)
    return events


def ad_spend_generate(
    rng: np.random.Generator,
    *,
    spec: StoreSpec,
    profile: DayProfile,
    orders: pd.DataFrame,
    events: pd.DataFrame,
) -> pd.DataFrame:
    """One row per paid channel and day: spend, impressions, clicks.

    Contract: over the whole range a channel's GMV / spend equals ``spec.roi`` (to the cent
    of rounding); clicks follow the channel's daily visitors; impressions >= clicks.
    """
    first_second = wall_seconds(profile.dates[0])
    days = len(profile.dates)
    paid = orders[orders["paid_at"].notna()]
    paid_day = (paid["paid_at"].to_numpy(dtype=np.int64) - first_second) // DAY
    event_day = (events["occurred_at"].to_numpy() - first_second) // DAY
    frames = []
    for channel in CHANNELS:
        if channel not in spec.roi or not spec.channel_weights.get(channel):
            continue
        mine = paid["channel"].to_numpy() == channel
        gmv = int(paid["paid_amount"].to_numpy()[mine].sum())
        total = gmv / spec.roi[channel] if gmv else 100_00 * days
        weights = profile.multiplier * rng.lognormal(0, 0.25, days)
        weights *= np.where(rng.random(days) < 0.04, 1.4, 1.0)  # CPC spikes the dashboard flags
        spend = np.floor(total * weights / weights.sum()).astype(np.int64)
        from_channel = events["channel"].to_numpy() == channel
        visitors = (
            (events.loc[from_channel, "visitor_id"].groupby(event_day[from_channel]).nunique())
            .reindex(range(days), fill_value=0)
            .to_numpy()
        )
        clicks = np.rint(visitors * rng.uniform(1.1, 1.45, days)).astype(np.int64)
        low, high = CLICK_THROUGH[channel]
        impressions = np.where(
            clicks > 0,
            np.ceil(clicks / rng.uniform(low, high, days)),
            np.rint(spend / 100 * rng.uniform(20, 60, days)),
        ).astype(np.int64)
        frames.append(
            pd.DataFrame(
                {
                    "channel": channel,
                    "day": np.array(profile.dates, dtype="datetime64[D]"),
                    "spend": spend,
                    "impressions": np.maximum(impressions, clicks),
                    "clicks": clicks,
                    "paid_day_gmv": np.bincount(
                        paid_day[mine], weights=paid["paid_amount"].to_numpy()[mine], minlength=days
                    )[:days].astype(np.int64),
                }
            )
        )
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=["channel", "day", "spend", "impressions", "clicks", "paid_day_gmv"]
        )
    )
    frame = frame.sort_values(["day", "channel"], kind="mergesort").reset_index(drop=True)
    frame.insert(0, "key", np.arange(len(frame), dtype=np.int64))
    return frame
