"""Customers, orders, order lines, refunds and member levels of a demo shop.

Times are store-local wall seconds, money integer cents (see ``products``). The only Python
loop is over days; everything per order, line or refund is vectorised.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import words
from .products import DAY, wall_seconds
from .seasons import HOURLY_CURVES, DayProfile
from .specs import CHANNELS, StoreSpec

NEVER_PAID_SHARE = 0.05
REFUND_SHARE = 0.065
PRESALE_SHARE = 0.22  # of pre-heat orders big enough for the deposit
PRESALE_MIN_GOODS = 150_00
RETURNING_SHARE = 0.32  # of a day's orders once the shop has a customer base
STORE_COUPON = (99_00, 10_00, 0.12)  # 满99减10, used by 12% of eligible orders
NEW_BUYER_GIFT = (29_00, 5_00, 0.4)  # 新人礼包: ¥5 off a first order from ¥29
MAX_DISCOUNT_SHARE = 0.5


@dataclass(frozen=True)
class SalesFrames:
    member_levels: pd.DataFrame
    customers: pd.DataFrame
    level_changes: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    refunds: pd.DataFrame


def _channel_probabilities(spec: StoreSpec, profile: DayProfile, day: int) -> np.ndarray:
    weights = np.array([spec.channel_weights.get(code, 0.0) for code in CHANNELS])
    weights[CHANNELS.index("campaign")] *= profile.campaign_boost[day]
    weights[CHANNELS.index("private_domain")] *= profile.private_boost[day]
    return weights / weights.sum()


def _draw_orders(
    rng: np.random.Generator,
    *,
    spec: StoreSpec,
    base: float,
    profile: DayProfile,
    skus: pd.DataFrame,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """The day loop: how many orders, when, from which channel, by whom, of which SKUs."""
    first = profile.dates[0]
    listed_day = (skus["listed_on"].to_numpy() - np.datetime64(first, "D")).astype(np.int64)
    sales_weight = skus["sales_weight"].to_numpy()
    traffic = (skus["role"] == "traffic").to_numpy()
    propensity = np.empty(0)
    order_counts = np.empty(0, dtype=np.int64)
    orders: dict[str, list[np.ndarray]] = {
        k: [] for k in ("created", "day", "channel", "customer", "first", "presale")
    }
    lines: dict[str, list[np.ndarray]] = {k: [] for k in ("order", "sku", "quantity")}
    order_total = 0
    for day in range(len(profile.dates)):
        count = int(rng.poisson(base * profile.multiplier[day]))
        if count == 0:
            continue
        hours = rng.choice(24, count, p=HOURLY_CURVES[profile.curve[day]])
        created = wall_seconds(profile.dates[day]) + hours * 3600 + rng.integers(0, 3600, count)
        channel = rng.choice(len(CHANNELS), count, p=_channel_probabilities(spec, profile, day))

        # Long-tailed repeat buying: returning orders go to earlier buyers, far more often to
        # those with a high propensity, a little more to those who already came back.
        known = len(propensity)
        returning_share = RETURNING_SHARE * min(1.0, known / (25 * base + 1))
        returning = int(rng.binomial(count, returning_share)) if known else 0
        weights = propensity * (1.0 + 0.3 * np.minimum(order_counts, 5))
        chosen = (
            rng.choice(known, returning, p=weights / weights.sum())
            if returning
            else np.empty(0, np.int64)
        )
        fresh = count - returning
        customer = np.concatenate([chosen, known + np.arange(fresh)])
        is_first = np.concatenate([np.zeros(returning, bool), np.ones(fresh, bool)])
        shuffle = rng.permutation(count)
        customer, is_first = customer[shuffle], is_first[shuffle]
        propensity = np.concatenate([propensity, rng.lognormal(0.0, 1.4, fresh)])
        order_counts = np.concatenate([order_counts, np.zeros(fresh, np.int64)])
        np.add.at(order_counts, customer, 1)

        line_shares = [0.55, 0.30, 0.15] if profile.multi_line[day] else [0.74, 0.19, 0.07]
        line_counts = rng.choice([1, 2, 3], count, p=line_shares)
        available = sales_weight * (listed_day <= day)
        sku = rng.choice(len(skus), int(line_counts.sum()), p=available / available.sum())
        quantity = np.where(
            traffic[sku],
            rng.choice([1, 2, 3], len(sku), p=[0.6, 0.28, 0.12]),
            rng.choice([1, 2], len(sku), p=[0.92, 0.08]),
        )
        presale = np.zeros(count, bool)
        if profile.presale[day] >= 0:
            presale = rng.random(count) < PRESALE_SHARE

        orders["created"].append(created)
        orders["day"].append(np.full(count, day))
        orders["channel"].append(channel)
        orders["customer"].append(customer)
        orders["first"].append(is_first)
        orders["presale"].append(presale)
        lines["order"].append(order_total + np.repeat(np.arange(count), line_counts))
        lines["sku"].append(sku)
        lines["quantity"].append(quantity)
        order_total += count
    order_arrays = {k: np.concatenate(v) if v else np.empty(0, np.int64) for k, v in orders.items()}
    line_arrays = {k: np.concatenate(v) if v else np.empty(0, np.int64) for k, v in lines.items()}
    return order_arrays, line_arrays, propensity


def _effective_prices(
    skus: pd.DataFrame, price_changes: pd.DataFrame, sku: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """List price of each (sku, time): the initial price, then every change at or before it."""
    price = skus["initial_price"].to_numpy()[sku].copy()
    for change in price_changes.itertuples(index=False):
        price[(sku == change.sku_key) & (at >= change.changed_at)] = change.new_price
    return price


def _discounts(
    rng: np.random.Generator,
    *,
    profile: DayProfile,
    goods: np.ndarray,
    promotion: np.ndarray,
    presale: np.ndarray,
    first_order: np.ndarray,
    lineup_goods: dict[int, np.ndarray],
) -> np.ndarray:
    """Discount per order from the mechanics of the promotion that priced it."""
    usage = rng.random(len(goods))
    discount = np.zeros(len(goods), dtype=np.int64)
    quiet = promotion < 0
    threshold, amount, share = STORE_COUPON
    discount += np.where(quiet & (goods >= threshold) & (usage < share), amount, 0)
    threshold, amount, share = NEW_BUYER_GIFT
    discount += np.where(
        quiet & first_order & (goods >= threshold) & (1 - usage < share), amount, 0
    )
    for index in np.unique(promotion[promotion >= 0]):
        mask = promotion == index
        for mechanic in profile.promotions[index].mechanics:
            if mechanic.kind in ("full_reduction", "coupon"):
                used = mask & (goods >= mechanic.threshold) & (usage < mechanic.usage)
                discount += np.where(used, mechanic.amount, 0)
            elif mechanic.kind == "discount":
                base = lineup_goods.get(int(index), goods) if mechanic.lineup_only else goods
                off = base - (base * mechanic.rate + 500) // 1000
                discount += np.where(mask, off, 0)
            elif mechanic.kind == "deposit":
                bonus = mechanic.inflated_amount - mechanic.amount
                discount += np.where(mask & presale, bonus, 0)
    return np.minimum(discount, (goods * MAX_DISCOUNT_SHARE).astype(np.int64))


def _allocate(
    order: np.ndarray,
    value: np.ndarray,
    quantity: np.ndarray,
    goods: np.ndarray,
    discount: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Spread each order's discount over its lines in whole cents per unit.

    Returns (discount per unit of each line, discount actually given per order). The rounding
    remainder goes to the order's first single-unit line; an order without one gives the
    remainder back (its discount shrinks by a few cents) so that
    sum(unit_price x quantity) == goods - discount holds exactly.
    """
    per_unit = (discount[order] * value) // (goods[order] * quantity)
    given = np.bincount(order, weights=per_unit * quantity, minlength=len(goods)).astype(np.int64)
    remainder = discount - given
    single = np.flatnonzero(quantity == 1)
    _, first_single = np.unique(order[single], return_index=True)
    takers = single[first_single]
    per_unit[takers] += remainder[order[takers]]
    given[order[takers]] += remainder[order[takers]]
    return per_unit, given


def _order_numbers(created: np.ndarray, salt: int) -> list[str]:
    dates = pd.to_datetime(created, unit="s").strftime("%Y%m%d").tolist()
    serial = (np.arange(len(created), dtype=np.int64) * 7919 + salt) % 10**8
    return [f"{day}{number:08d}" for day, number in zip(dates, serial.tolist(), strict=True)]


def sales_generate(
    rng: np.random.Generator,
    *,
    spec: StoreSpec,
    orders_per_day: float,
    profile: DayProfile,
    skus: pd.DataFrame,
    price_changes: pd.DataFrame,
    lineups: dict[int, np.ndarray],
) -> SalesFrames:
    """A year of customers, orders, lines, refunds and member levels.

    Contract (money in cents): goods_amount = sum(list price x quantity);
    paid_amount = goods_amount - discount_amount + shipping_amount
    = sum(unit_price x quantity) + shipping_amount; unit_cost = the SKU's cost; paid_at is null
    for unpaid orders (cancelled, or created when still payable at the end); a deposit
    pre-sale order is paid when its balance is paid on the festival's first burst day;
    refunds come 1-14 days after payment, never after the end, never above the paid amount;
    a fully refunded order is ``refunded``; points = floor(paid - refunded in yuan) and the
    member level is the highest one whose threshold that net spend reaches.
    """
    first, last = profile.dates[0], profile.dates[-1]
    end = wall_seconds(last) + DAY  # exclusive end of the data
    base = orders_per_day * spec.size
    drawn, drawn_lines, propensity = _draw_orders(
        rng, spec=spec, base=base, profile=profile, skus=skus
    )

    # Orders in time order; keys follow.
    order_of = np.argsort(drawn["created"], kind="mergesort")
    rank = np.empty_like(order_of)
    rank[order_of] = np.arange(len(order_of))
    created = drawn["created"][order_of]
    day = drawn["day"][order_of]
    channel = drawn["channel"][order_of]
    customer = drawn["customer"][order_of]
    first_order = drawn["first"][order_of]
    tentative_presale = drawn["presale"][order_of]
    count = len(created)

    lines = pd.DataFrame(
        {
            "order_key": rank[drawn_lines["order"]],
            "sku_key": drawn_lines["sku"],
            "quantity": drawn_lines["quantity"],
        }
    )
    lines = lines.sort_values("order_key", kind="mergesort").drop_duplicates(
        ["order_key", "sku_key"]
    )
    lines = lines.reset_index(drop=True)
    position = lines.groupby("order_key").cumcount().to_numpy()
    line_counts = np.bincount(lines["order_key"], minlength=count)
    line_order = lines["order_key"].to_numpy()
    sku = lines["sku_key"].to_numpy()
    quantity = lines["quantity"].to_numpy().copy()
    quantity[(position == 0) & (line_counts[line_order] > 1)] = 1  # leaves a unit for the cents
    list_price = _effective_prices(skus, price_changes, sku, created[line_order])
    value = list_price * quantity
    goods = np.bincount(line_order, weights=value, minlength=count).astype(np.int64)

    # Payment: most within minutes, some after midnight, deposits at the festival's opening.
    presale = tentative_presale & (goods >= PRESALE_MIN_GOODS)
    delay = np.clip(rng.lognormal(np.log(45), 1.3, count), 5, 6 * 3600).astype(np.int64)
    slow = rng.random(count) < 0.03
    delay[slow] = rng.integers(3600, 20 * 3600, slow.sum())
    paid = created + delay
    late = ((created % DAY) >= 23 * 3600 + 1800) & (rng.random(count) < 0.35)
    midnight = created - created % DAY + DAY + rng.integers(0, 900, count)
    paid = np.where(late, midnight, paid)
    festival_of = profile.presale[day]
    burst_starts = np.array([wall_seconds(p.burst_start) for p in profile.promotions] + [0])
    balance_day = burst_starts[festival_of]  # -1 (no festival) picks the trailing 0
    deposits = np.array(
        [
            next((m.amount for m in p.mechanics if m.kind == "deposit"), 0)
            for p in profile.promotions
        ]
        + [0]
    )
    balance = balance_day + np.minimum(rng.exponential(5400, count), 20 * 3600).astype(np.int64)
    deposit_paid = np.where(presale, created + delay, -1)
    paid = np.where(presale, balance, paid)
    never_paid = rng.random(count) < NEVER_PAID_SHARE
    is_paid = ~never_paid & (paid < end)
    paid_day = (paid - wall_seconds(first)) // DAY

    # Pricing: the promotion of the day the money moved (a deposit: its festival).
    pricing_day = np.where(is_paid, paid_day, day).clip(0, len(profile.dates) - 1)
    promotion = np.where(presale, festival_of, profile.promotion[pricing_day])
    lineup_goods = {}
    for index, lineup in lineups.items():
        in_lineup = np.isin(sku, lineup)
        lineup_goods[index] = np.bincount(
            line_order, weights=value * in_lineup, minlength=count
        ).astype(np.int64)
    discount = _discounts(
        rng,
        profile=profile,
        goods=goods,
        promotion=promotion,
        presale=presale,
        first_order=first_order,
        lineup_goods=lineup_goods,
    )
    per_unit, discount = _allocate(line_order, value, quantity, goods, discount)

    customer_count = len(propensity)
    region_names = [name for name, _ in words.REGIONS]
    region_weights = np.array([weight for _, weight in words.REGIONS])
    region = rng.choice(len(region_names), customer_count, p=region_weights / region_weights.sum())
    remote = np.isin(np.array(region_names, dtype=object)[region], list(words.REMOTE_REGIONS))
    net = goods - discount
    if spec.free_shipping_over is None:
        shipping = np.zeros(count, dtype=np.int64)
    else:
        shipping = np.where(net >= spec.free_shipping_over, 0, spec.shipping_fee)
    shipping = np.where(remote[customer] & (net < 99_00), 12_00, shipping).astype(np.int64)
    paid_amount = net + shipping

    # Status by age at the end of the data.
    age = end - paid
    ship_lag = rng.uniform(0.2, 2.0, count) * DAY
    done_lag = ship_lag + rng.uniform(4, 12, count) * DAY
    status = np.where(
        age < ship_lag, "paid", np.where(age < done_lag, "shipped", "completed")
    ).astype(object)
    awaiting = (created >= end - DAY) | (presale & (balance >= end))
    status[~is_paid] = np.where(awaiting[~is_paid], "created", "cancelled")

    refunds = _refunds(
        rng,
        is_paid,
        paid,
        paid_amount,
        line_order,
        per_unit,
        list_price,
        quantity,
        line_counts,
        end,
    )
    full = refunds.groupby("order_key")["amount"].sum()
    fully = full.index[full.to_numpy() == paid_amount[full.index]]
    status[fully] = "refunded"

    orders = pd.DataFrame(
        {
            "key": np.arange(count, dtype=np.int64),
            "number": _order_numbers(created, salt=spec.index * 104_729 + 12_345),
            "customer_key": customer.astype(np.int64),
            "created_at": created,
            "paid_at": pd.array(np.where(is_paid, paid, 0), dtype="Int64"),
            "status": status.astype(str),
            "channel": np.array(CHANNELS, dtype=object)[channel].astype(str),
            "goods_amount": goods,
            "discount_amount": discount,
            "shipping_amount": shipping,
            "paid_amount": paid_amount,
            "is_presale": presale,
            "deposit_amount": pd.array(np.where(presale, deposits[festival_of], 0), dtype="Int64"),
            "deposit_paid_at": pd.array(deposit_paid, dtype="Int64"),
            "day": day,
        }
    )
    orders.loc[~is_paid, "paid_at"] = pd.NA
    orders.loc[~presale, ["deposit_amount", "deposit_paid_at"]] = pd.NA
    line_frame = pd.DataFrame(
        {
            "key": np.arange(len(lines), dtype=np.int64),
            "order_key": line_order.astype(np.int64),
            "sku_key": sku.astype(np.int64),
            "quantity": quantity.astype(np.int64),
            "unit_price": (list_price - per_unit).astype(np.int64),
            "unit_cost": skus["cost"].to_numpy()[sku],
            "list_price": list_price,
        }
    )
    levels = _member_levels()
    customers, level_changes = _customers(
        rng,
        spec=spec,
        profile=profile,
        orders=orders,
        refunds=refunds,
        region=np.array(region_names, dtype=object)[region],
        levels=levels,
    )
    return SalesFrames(levels, customers, level_changes, orders, line_frame, refunds)


def _refunds(
    rng: np.random.Generator,
    is_paid: np.ndarray,
    paid: np.ndarray,
    paid_amount: np.ndarray,
    line_order: np.ndarray,
    per_unit: np.ndarray,
    list_price: np.ndarray,
    quantity: np.ndarray,
    line_counts: np.ndarray,
    end: int,
) -> pd.DataFrame:
    """About 6.5% of paid orders get one refund: full (60%) or partial (a line, or a share)."""
    count = len(paid)
    chosen = is_paid & (rng.random(count) < REFUND_SHARE)
    full = rng.random(count) < 0.6
    share = rng.uniform(0.1, 0.4, count)
    last_line_value = np.zeros(count, dtype=np.int64)
    last_of_order = np.r_[np.flatnonzero(np.diff(line_order)), len(line_order) - 1]
    last_of_order = last_of_order[last_of_order >= 0]  # no lines at all: nothing to index
    last_value = (list_price - per_unit) * quantity
    last_line_value[line_order[last_of_order]] = last_value[last_of_order]
    partial = np.where(
        line_counts > 1, last_line_value, np.maximum((paid_amount * share).astype(np.int64), 1_00)
    )
    amount = np.where(full, paid_amount, np.minimum(partial, paid_amount))
    refunded = paid + rng.integers(DAY + 1, 14 * DAY, count)
    keep = chosen & (refunded < end) & (amount > 0)
    order_key = np.flatnonzero(keep)
    frame = pd.DataFrame(
        {
            "order_key": order_key.astype(np.int64),
            "amount": amount[keep],
            "refunded_at": refunded[keep],
        }
    )
    frame = frame.sort_values(["refunded_at", "order_key"], kind="mergesort").reset_index(drop=True)
    dates = pd.to_datetime(frame["refunded_at"], unit="s").dt.strftime("%Y%m%d").tolist()
    frame.insert(0, "key", np.arange(len(frame), dtype=np.int64))
    frame.insert(1, "number", [f"TK{d}{i + 1:06d}" for i, d in enumerate(dates)])
    return frame


def _member_levels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": np.arange(len(words.MEMBER_LEVELS), dtype=np.int64),
            "code": [code for code, _, _, _ in words.MEMBER_LEVELS],
            "name": [name for _, name, _, _ in words.MEMBER_LEVELS],
            "min_spend": np.array(
                [spend for _, _, spend, _ in words.MEMBER_LEVELS], dtype=np.int64
            ),
            "benefits": [benefits for _, _, _, benefits in words.MEMBER_LEVELS],
        }
    )


def _customers(
    rng: np.random.Generator,
    *,
    spec: StoreSpec,
    profile: DayProfile,
    orders: pd.DataFrame,
    refunds: pd.DataFrame,
    region: np.ndarray,
    levels: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customer rows (buyers plus some registered prospects) and their member-level history."""
    first = profile.dates[0]
    buyers = len(region)
    prospects = round(buyers * 0.08)
    total = buyers + prospects
    first_order = (
        orders.groupby("customer_key")["created_at"].min().reindex(range(buyers)).to_numpy()
    )
    first_day = first_order - first_order % DAY
    lag = np.where(
        rng.random(buyers) < 0.45,
        0,
        np.minimum(rng.exponential(200, buyers), 1500).astype(np.int64),
    )
    registered = first_day - lag * DAY
    span = len(profile.dates)
    prospect_day = wall_seconds(first) + rng.integers(0, span, prospects) * DAY
    registered = np.concatenate([registered, prospect_day])
    joined = registered + rng.integers(8 * 3600, 23 * 3600, total)
    # Someone who registered on the day of the first order registered before ordering.
    same_day = np.maximum(np.minimum(joined[:buyers], first_order - 60), registered[:buyers])
    joined[:buyers] = np.where(lag == 0, same_day, joined[:buyers])
    region_names = [name for name, _ in words.REGIONS]
    region_weights = np.array([weight for _, weight in words.REGIONS])
    region = np.concatenate(
        [
            region,
            np.array(region_names, dtype=object)[
                rng.choice(len(region_names), prospects, p=region_weights / region_weights.sum())
            ],
        ]
    )
    gender = rng.choice(
        np.array(["female", "male", "unknown"], dtype=object),
        total,
        p=[spec.female_share * 0.95, (1 - spec.female_share) * 0.95, 0.05],
    )
    has_birthday = rng.random(total) < 0.4
    birth_year = rng.integers(1965, 2007, total)
    birth_doy = rng.integers(0, 365, total)
    birthday = (birth_year - 1970).astype("datetime64[Y]").astype(
        "datetime64[D]"
    ) + birth_doy.astype("timedelta64[D]")
    birthday = np.where(has_birthday, birthday, np.datetime64("NaT"))
    surname = rng.choice(np.array(words.SURNAMES, dtype=object), total)
    given = rng.choice(np.array(words.GIVEN_CHARACTERS, dtype=object), total)
    names = [f"{s}*{g}" for s, g in zip(surname.tolist(), given.tolist(), strict=True)]
    serial = (np.arange(total, dtype=np.int64) * 104_729 + 3_141_592 * (spec.index + 1)) % 10**10
    external = [f"{spec.buyer_prefix}{s:010d}" for s in serial.tolist()]

    # Net spend (paid orders minus refunds), points and levels; history of level changes.
    paid = orders[orders["paid_at"].notna()]
    money = pd.concat(
        [
            pd.DataFrame(
                {
                    "customer_key": paid["customer_key"].to_numpy(),
                    "at": paid["paid_at"].to_numpy(dtype=np.int64),
                    "delta": paid["paid_amount"].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "customer_key": orders["customer_key"].to_numpy()[
                        refunds["order_key"].to_numpy()
                    ],
                    "at": refunds["refunded_at"].to_numpy(),
                    "delta": -refunds["amount"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    ).sort_values(["customer_key", "at"], kind="mergesort")
    net = (
        money.groupby("customer_key")["delta"].sum().reindex(range(total), fill_value=0).to_numpy()
    )
    thresholds = levels["min_spend"].to_numpy()
    level = np.searchsorted(thresholds, net, side="right") - 1
    money["running"] = money.groupby("customer_key")["delta"].cumsum()
    money["level"] = np.searchsorted(thresholds, money["running"].to_numpy(), side="right") - 1
    money["day"] = money["at"] - money["at"] % DAY
    daily = money.groupby(["customer_key", "day"], sort=True)["level"].last().reset_index()
    daily["previous"] = daily.groupby("customer_key")["level"].shift(1, fill_value=0)
    changes = daily[daily["level"] != daily["previous"]].reset_index(drop=True)
    level_changes = pd.DataFrame(
        {
            "key": np.arange(len(changes), dtype=np.int64),
            "customer_key": changes["customer_key"].to_numpy(dtype=np.int64),
            "day": (changes["day"].to_numpy() // DAY).astype("datetime64[D]"),
            "level_key": changes["level"].to_numpy(dtype=np.int64),
            "previous_level_key": pd.array(
                changes["previous"].to_numpy(dtype=np.int64), dtype="Int64"
            ),
        }
    )
    customers = pd.DataFrame(
        {
            "key": np.arange(total, dtype=np.int64),
            "external_id": external,
            "name": names,
            "region": region.astype(str),
            "gender": gender.astype(str),
            "registered_on": (registered // DAY).astype("datetime64[D]"),
            "birthday": birthday,
            "member_level_key": level.astype(np.int64),
            "points": (net // 100).astype(np.int64),
            "created_at": joined.astype(np.int64),
            "net_spend": net.astype(np.int64),
        }
    )
    return customers, level_changes
