"""The product matrix of a demo shop: categories, SKUs with roles, price history, banned terms.

Times are store-local "wall seconds" (seconds since 1970-01-01 00:00 on the store's wall
clock); ``generate`` turns them into aware UTC datetimes at the end. Money is integer cents.
"""

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import words

EPOCH = datetime.date(1970, 1, 1)
DAY = 86_400

#: Price points per role (cents): traffic ¥9.9-29.9, profit ¥99-299, image ¥599 and up.
ROLE_PRICES: dict[str, tuple[int, ...]] = {
    "traffic": (990, 1290, 1590, 1690, 1990, 2290, 2490, 2690, 2990),
    "profit": (
        9900,
        10900,
        12900,
        13900,
        14900,
        15900,
        16900,
        17900,
        18900,
        19900,
        21900,
        23900,
        25900,
        26900,
        29900,
    ),
    "image": (59900, 69900, 79900, 89900, 129900, 159900, 199900),
}
#: Unit cost as a share of price: traffic items run on thin margins, profit items on fat ones.
ROLE_COST_SHARE: dict[str, tuple[float, float]] = {
    "traffic": (0.70, 0.85),
    "profit": (0.28, 0.42),
    "image": (0.35, 0.50),
}
#: Relative popularity in carts and in views.
ROLE_SALES_WEIGHT = {"traffic": 3.0, "profit": 1.2, "image": 0.12}
ROLE_VIEW_WEIGHT = {"traffic": 3.5, "profit": 1.6, "image": 0.7}
TRAFFIC_SHARE = 0.3


def wall_seconds(day: datetime.date) -> int:
    """Store-local wall seconds of ``day`` at 00:00."""
    return (day - EPOCH).days * DAY


@dataclass(frozen=True)
class CatalogFrames:
    categories: pd.DataFrame
    skus: pd.DataFrame
    price_changes: pd.DataFrame
    banned_terms: pd.DataFrame


def _categories(theme: words.Theme) -> tuple[pd.DataFrame, dict[str, int]]:
    parents = list(dict.fromkeys(leaf.parent for leaf in theme.leaves))
    names = parents + [leaf.name for leaf in theme.leaves]
    parent_keys = [pd.NA] * len(parents) + [parents.index(leaf.parent) for leaf in theme.leaves]
    frame = pd.DataFrame(
        {
            "key": np.arange(len(names), dtype=np.int64),
            "name": names,
            "parent_key": pd.array(parent_keys, dtype="Int64"),
        }
    )
    return frame, {leaf.name: len(parents) + i for i, leaf in enumerate(theme.leaves)}


def _snap_to_listing_day(
    day: datetime.date, weekdays: tuple[int, ...], forward: bool
) -> datetime.date:
    step = datetime.timedelta(days=1 if forward else -1)
    while day.weekday() not in weekdays:
        day += step
    return day


def catalog_generate(
    rng: np.random.Generator,
    *,
    theme: words.Theme,
    sku_count: int,
    first: datetime.date,
    last: datetime.date,
    listing_weekdays: tuple[int, ...] = (1, 4),
) -> CatalogFrames:
    """Categories, ``sku_count`` SKUs, their price changes and the banned-term list.

    Contract: 30% of SKUs (rounded) are traffic items, a few are image items, the rest profit
    items, each priced in its band with its margin; ``listed_on`` is always a listing weekday
    (Python weekdays, default Tuesday and Friday); a few SKUs are off the shelf and never sell;
    each SKU's ``price`` equals the ``new_price`` of its latest price change, and
    ``initial_price`` the ``old_price`` of its first (or ``price`` without changes).
    """
    categories, leaf_keys = _categories(theme)
    n_traffic = round(sku_count * TRAFFIC_SHARE)
    n_image = max(2, round(sku_count * 0.06))
    roles = np.array(
        ["traffic"] * n_traffic
        + ["image"] * n_image
        + ["profit"] * (sku_count - n_traffic - n_image),
        dtype=object,
    )
    roles = roles[rng.permutation(sku_count)]

    titles, category_keys, nouns, prices, costs = [], [], [], [], []
    for role in roles:
        leaves = [leaf for leaf in theme.leaves if getattr(leaf, role)]
        leaf = leaves[rng.integers(len(leaves))]
        noun = getattr(leaf, role)[rng.integers(len(getattr(leaf, role)))]
        adjective = (
            theme.adjectives[rng.integers(len(theme.adjectives))] if rng.random() < 0.6 else ""
        )
        variant = theme.variants[rng.integers(len(theme.variants))]
        titles.append(f"{theme.brand} {adjective}{noun} {variant}")
        nouns.append(noun)
        category_keys.append(leaf_keys[leaf.name])
        band = ROLE_PRICES[role]
        price = band[rng.integers(len(band))]
        low, high = ROLE_COST_SHARE[role]
        prices.append(price)
        costs.append(round(price * rng.uniform(low, high)))

    # Advertising-Law trouble for the compliance scan, and the allowed phrase 最近.
    descriptions = []
    for noun in nouns:
        first_feature, second_feature = rng.choice(len(theme.features), 2, replace=False)
        text = f"{noun}，{theme.features[first_feature]}。{theme.features[second_feature]}。"
        draw = rng.random()
        if draw < 0.08:
            text += (
                words.BANNED_DESCRIPTION_PHRASES[
                    rng.integers(len(words.BANNED_DESCRIPTION_PHRASES))
                ]
                + "。"
            )
        elif draw < 0.18:
            text = (
                words.ALLOWED_DESCRIPTION_PHRASES[
                    rng.integers(len(words.ALLOWED_DESCRIPTION_PHRASES))
                ]
                + text
            )
        descriptions.append(text)
    banned_titles = rng.choice(sku_count, max(3, round(sku_count * 0.12)), replace=False)
    for index in banned_titles:
        prefix = words.BANNED_TITLE_PREFIXES[rng.integers(len(words.BANNED_TITLE_PREFIXES))]
        brand, rest = titles[index].split(" ", 1)
        titles[index] = f"{brand} {prefix}{rest}"

    # Listing calendar: most items were listed before the data starts, some during it.
    span = (last - first).days
    listed_on = []
    for _ in range(sku_count):
        if rng.random() < 0.75 or span < 7:
            day = first - datetime.timedelta(days=int(rng.integers(20, 900)))
            day = _snap_to_listing_day(day, listing_weekdays, forward=False)
        else:
            day = first + datetime.timedelta(days=int(rng.integers(0, span - 5)))
            day = _snap_to_listing_day(day, listing_weekdays, forward=True)
            if day > last:
                day = _snap_to_listing_day(last, listing_weekdays, forward=False)
        listed_on.append(day)

    status = np.full(sku_count, "on_shelf", dtype=object)
    old_items = [i for i in range(sku_count) if listed_on[i] < first and roles[i] != "image"]
    off_count = max(1, round(sku_count * 0.03))
    off = rng.choice(old_items, off_count + (1 if sku_count >= 30 else 0), replace=False)
    status[off[:off_count]] = "off_shelf"
    status[off[off_count:]] = "delisted"

    created = np.array(
        [
            wall_seconds(day)
            - int(rng.integers(1, 10)) * DAY
            + int(rng.integers(9 * 3600, 18 * 3600))
            for day in listed_on
        ],
        dtype=np.int64,
    )
    sales_weight = np.array([ROLE_SALES_WEIGHT[r] for r in roles]) * rng.lognormal(
        0, 0.8, sku_count
    )
    view_weight = np.array([ROLE_VIEW_WEIGHT[r] for r in roles]) * rng.lognormal(0, 0.5, sku_count)
    sellable = status == "on_shelf"
    sales_weight[~sellable] = 0.0
    view_weight[~sellable] = 0.0

    skus = pd.DataFrame(
        {
            "key": np.arange(sku_count, dtype=np.int64),
            "code": [f"{theme.code_prefix}{i + 1:04d}" for i in range(sku_count)],
            "title": titles,
            "description": descriptions,
            "category_key": np.array(category_keys, dtype=np.int64),
            "role": roles.astype(str),
            "price": np.array(prices, dtype=np.int64),
            "cost": np.array(costs, dtype=np.int64),
            "stock": np.zeros(sku_count, dtype=np.int64),
            "status": status.astype(str),
            "listed_on": np.array(listed_on, dtype="datetime64[D]"),
            "created_at": created,
            "updated_at": created.copy(),
            "initial_price": np.array(prices, dtype=np.int64),
            "sales_weight": sales_weight,
            "view_weight": view_weight,
        }
    )
    price_changes = _price_changes(rng, skus, first, last)
    if len(price_changes):
        latest = price_changes.groupby("sku_key")["changed_at"].max()
        skus.loc[latest.index, "updated_at"] = np.maximum(
            skus.loc[latest.index, "updated_at"].to_numpy(), latest.to_numpy()
        )
        earliest = price_changes.sort_values("changed_at").groupby("sku_key")["old_price"].first()
        skus.loc[earliest.index, "initial_price"] = earliest.to_numpy()

    banned_terms = pd.DataFrame(
        {
            "key": np.arange(len(words.BANNED_TERMS), dtype=np.int64),
            "term": [term for term, _, _ in words.BANNED_TERMS],
            "replacement": [replacement for _, replacement, _ in words.BANNED_TERMS],
            "allowed_phrases": [allowed for _, _, allowed in words.BANNED_TERMS],
            "created_at": np.full(
                len(words.BANNED_TERMS), wall_seconds(first) - 30 * DAY + 9 * 3600, dtype=np.int64
            ),
        }
    )
    return CatalogFrames(categories, skus, price_changes, banned_terms)


def _price_changes(
    rng: np.random.Generator, skus: pd.DataFrame, first: datetime.date, last: datetime.date
) -> pd.DataFrame:
    """A handful of price cuts and raises inside the range, chained back from today's price."""
    columns = ["sku_key", "old_price", "new_price", "changed_at", "note"]
    listed = np.maximum(
        skus["listed_on"].to_numpy().astype("datetime64[D]"), np.datetime64(first, "D")
    )
    room = (np.datetime64(last, "D") - listed).astype(np.int64)
    candidates = skus.index[
        (skus["status"] == "on_shelf") & (skus["role"] != "image") & (room >= 2)
    ].to_numpy()
    count = min(len(candidates), max(3, round(len(skus) * 0.08)))
    rows = []
    for sku_key in np.sort(rng.choice(candidates, count, replace=False)):
        changes = 2 if rng.random() < 0.3 and room[sku_key] >= 4 else 1
        offsets = np.sort(rng.choice(np.arange(1, room[sku_key] + 1), changes, replace=False))
        start = wall_seconds(pd.Timestamp(listed[sku_key]).date())
        times = [start + int(o) * DAY + int(rng.integers(10 * 3600, 18 * 3600)) for o in offsets]
        band = ROLE_PRICES[skus.at[sku_key, "role"]]
        index = band.index(int(skus.at[sku_key, "price"]))
        chain = []  # newest first: (old, new, kind)
        for _ in times:
            if (rng.random() < 0.6 and index + 1 < len(band)) or index == 0:
                old_index, kind = index + 1, "cut"
            else:
                old_index, kind = index - 1, "raise"
            chain.append((band[old_index], band[index], kind))
            index = old_index
        for changed_at, (old, new, kind) in zip(times, reversed(chain), strict=True):
            notes = words.PRICE_CHANGE_NOTES[kind]
            rows.append([int(sku_key), old, new, changed_at, notes[rng.integers(len(notes))]])
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values(["changed_at", "sku_key"], kind="mergesort").reset_index(drop=True)
    frame.insert(0, "key", np.arange(len(frame), dtype=np.int64))
    return frame.astype(
        {"sku_key": np.int64, "old_price": np.int64, "new_price": np.int64, "changed_at": np.int64}
    )
