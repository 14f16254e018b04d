"""Generate a whole demo shop as DataFrames: pure, deterministic, no database.

Frame conventions (``write`` relies on them):

* every frame has ``key`` = 0..n-1, a store-local row number; a foreign key is a
  ``<field>_key`` column holding the referenced frame's ``key`` (nullable as ``Int64``);
* ``DecimalField`` columns hold integers in units of 10**-decimal_places (cents for money,
  thousandths for a rate);
* ``DateTimeField`` columns are aware UTC datetimes, ``DateField`` columns ``datetime64``
  days, both in the store's time zone before conversion;
* columns that are not model fields (``sales_weight``, ``list_price``, ``day`` ...) are
  helpers for tests and the generator and are not written.

Randomness comes only from ``numpy.random.default_rng([seed, spec.index])``, so the same seed,
end date, days and size give identical frames for a store, whatever the other stores are.
"""

import datetime
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from .hours import campaign_hours_generate
from .products import DAY, catalog_generate, wall_seconds
from .promotions import campaign_plan, campaigns_generate, stockouts_generate
from .sales import sales_generate
from .seasons import day_profile
from .specs import StoreSpec
from .traffic import ad_spend_generate, behaviour_generate

DEFAULT_DAYS = 365
DEFAULT_SEED = 42
DEFAULT_ORDERS_PER_DAY = 30.0

#: Columns holding store-local wall seconds, turned into aware UTC datetimes at the end.
WALL_CLOCK_COLUMNS: dict[str, tuple[str, ...]] = {
    "skus": ("created_at", "updated_at"),
    "price_changes": ("changed_at",),
    "banned_terms": ("created_at",),
    "customers": ("created_at",),
    "orders": ("created_at", "paid_at", "deposit_paid_at"),
    "refunds": ("refunded_at",),
    "events": ("occurred_at",),
    "campaigns": ("created_at",),
    "lineup_items": ("chosen_at",),
}


@dataclass(frozen=True)
class StoreFrames:
    """Everything one demo shop holds, one frame per table, in write order."""

    spec: StoreSpec
    first: datetime.date
    last: datetime.date
    store_created_at: pd.Timestamp
    categories: pd.DataFrame
    skus: pd.DataFrame
    price_changes: pd.DataFrame
    banned_terms: pd.DataFrame
    member_levels: pd.DataFrame
    customers: pd.DataFrame
    level_changes: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    refunds: pd.DataFrame
    events: pd.DataFrame
    ad_spend: pd.DataFrame
    campaigns: pd.DataFrame
    channel_budgets: pd.DataFrame
    lineup_items: pd.DataFrame
    mechanics: pd.DataFrame
    stock_snapshots: pd.DataFrame
    campaign_hours: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames by name, in write order (referenced tables first)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), pd.DataFrame)
        }


def wall_to_utc(values: pd.Series | np.ndarray, time_zone: str) -> pd.Series:
    """Store-local wall seconds (nullable) as aware UTC datetimes.

    Wall times that a daylight-saving change skips move forward; repeated ones take the later
    (standard-time) instant. Both keep the order of wall times, so an ordered path of events
    stays ordered.
    """
    series = pd.Series(values).astype("Int64")
    missing = series.isna().to_numpy()
    seconds = series.fillna(0).to_numpy(dtype=np.int64)
    local = pd.DatetimeIndex(seconds.astype("datetime64[s]"))
    aware = local.tz_localize(
        time_zone, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward"
    ).tz_convert("UTC")
    result = pd.Series(aware, index=series.index)
    result[missing] = pd.NaT
    return result


def _stock_assign(
    rng: np.random.Generator,
    skus: pd.DataFrame,
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    last: datetime.date,
) -> np.ndarray:
    """Stock today: 20-60 days of cover from the last 14 days' sales, a few stock-outs (at
    least one), some overstock above 120 days of cover (at least two), and some stock for
    SKUs that did not sell lately; SKUs off the shelf hold none."""
    since = wall_seconds(last) + DAY - 14 * DAY
    paid_at = orders["paid_at"].to_numpy(dtype=np.float64, na_value=np.nan)
    recent = lines[paid_at[lines["order_key"].to_numpy()] >= since]
    daily = recent.groupby("sku_key")["quantity"].sum().reindex(skus.index, fill_value=0)
    daily = daily.to_numpy() / 14
    stock = np.ceil(daily * rng.uniform(20, 60, len(skus))).astype(np.int64)
    quiet = daily == 0
    stock[quiet] = rng.integers(5, 120, quiet.sum())
    on_shelf = (skus["status"] == "on_shelf").to_numpy()
    selling = rng.permutation(
        np.flatnonzero(on_shelf & ~quiet & (skus["role"] != "image").to_numpy())
    )
    stockouts = min(3, len(selling))
    overstock = selling[stockouts : stockouts + max(2, round(len(selling) * 0.08))]
    stock[overstock] = np.ceil(daily[overstock] * rng.uniform(120, 300, len(overstock)))
    stock[selling[:stockouts]] = 0
    stock[~on_shelf] = 0
    return stock


def store_generate(
    spec: StoreSpec,
    *,
    end: datetime.date,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    orders_per_day: float = DEFAULT_ORDERS_PER_DAY,
) -> StoreFrames:
    """Generate one demo shop for the ``days`` store-local days ending on ``end``.

    ``orders_per_day`` is the ordinary-day order count of a size-1.0 shop; ``spec.size``
    scales it. Deterministic: equal arguments give equal frames.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if orders_per_day <= 0:
        raise ValueError("orders_per_day must be positive")
    rng = np.random.default_rng([seed, spec.index])
    first = end - datetime.timedelta(days=days - 1)
    profile = day_profile(first, end)
    catalog = catalog_generate(
        rng, theme=spec.theme, sku_count=spec.sku_count, first=first, last=end
    )
    plan = campaign_plan(rng, profile=profile, skus=catalog.skus)
    sales = sales_generate(
        rng,
        spec=spec,
        orders_per_day=orders_per_day,
        profile=profile,
        skus=catalog.skus,
        price_changes=catalog.price_changes,
        lineups={
            i: lineup
            for i, lineup in plan.lineups.items()
            if profile.promotions[i].kind == "flash_sale"
        },
    )
    events = behaviour_generate(
        rng,
        spec=spec,
        orders_per_day=orders_per_day,
        profile=profile,
        skus=catalog.skus,
        orders=sales.orders,
        lines=sales.lines,
    )
    ad_spend = ad_spend_generate(
        rng, spec=spec, profile=profile, orders=sales.orders, events=events
    )
    campaigns, lineup_items, mechanics, channel_budgets = campaigns_generate(
        rng,
        plan=plan,
        profile=profile,
        skus=catalog.skus,
        orders=sales.orders,
        ad_spend=ad_spend,
        base_orders=orders_per_day * spec.size,
    )
    stock_snapshots = stockouts_generate(
        campaigns=campaigns,
        lineup_items=lineup_items,
        orders=sales.orders,
        lines=sales.lines,
        first=first,
        last=end,
    )
    skus = catalog.skus.copy()
    skus["stock"] = _stock_assign(rng, skus, sales.orders, sales.lines, end)

    tables = {
        "categories": catalog.categories,
        "skus": skus,
        "price_changes": catalog.price_changes,
        "banned_terms": catalog.banned_terms,
        "member_levels": sales.member_levels,
        "customers": sales.customers,
        "level_changes": sales.level_changes,
        "orders": sales.orders,
        "lines": sales.lines,
        "refunds": sales.refunds,
        "events": events,
        "ad_spend": ad_spend,
        "campaigns": campaigns,
        "channel_budgets": channel_budgets,
        "lineup_items": lineup_items,
        "mechanics": mechanics,
        "stock_snapshots": stock_snapshots,
    }
    for name, columns in WALL_CLOCK_COLUMNS.items():
        frame = tables[name].copy()
        for column in columns:
            frame[column] = wall_to_utc(frame[column], spec.time_zone)
        tables[name] = frame
    # From the converted (UTC) facts, exactly as the hourly refresh reads them.
    tables["campaign_hours"] = campaign_hours_generate(
        campaigns=campaigns,
        orders=tables["orders"],
        events=tables["events"],
        time_zone=spec.time_zone,
        first=first,
        last=end,
    )
    opened = first - datetime.timedelta(days=930)
    store_created_at = wall_to_utc(
        np.array([wall_seconds(opened) + 10 * 3600]), spec.time_zone
    ).iloc[0]
    return StoreFrames(
        spec=spec, first=first, last=end, store_created_at=store_created_at, **tables
    )
