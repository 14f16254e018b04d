"""SKU health (DOMAIN.md "SKU health"): sell-through, days of cover, turnover, delisting
candidates, replenishment and first-stock suggestions, the listing calendar.

Sales come from the nightly rollup ``analytics.DailySkuMetrics`` (units, line GMV, gross
profit per store-local day and SKU), never from the raw orders; stock is the SKU's current
``stock``. Windows end on ``HealthQuery.as_of`` (a store-local day, normally yesterday, the
last rolled-up day) and include it:

- sell-through (动销率) = units sold in the 30 days / (units sold + current stock); no value
  when both are 0.
- store sell-through = share of on-shelf SKUs that sold at least 1 unit in the 30 days.
- delisting candidate: on shelf, on shelf for 30+ days (its current on-shelf spell began on
  or before as_of - 30: the later of ``listed_on``, or the creation day without one, and its
  last return to the shelf from off shelf or delisted, ``catalog.selectors.shelf_state``) and
  sell-through strictly below ``Store.delisting_sell_through`` (exactly 5% is NOT a
  candidate). A SKU delisted and relisted a week ago has been on shelf for a week.
- days of cover (可售天数) = current stock / (units in the last 14 days / 14); no value when
  nothing sold in 14 days. Stockout risk: cover below ``Store.replenishment_lead_days``;
  overstock: cover above ``Store.overstock_cover_days``.
- 30-day inventory turnover (库存周转) = COGS of the 30 days (line GMV - gross profit, i.e.
  the unit costs at the time of sale) / average stock value. Average stock value = the mean of
  the SKU's ``StockSnapshot`` stocks in the 30 days x its current unit cost; a SKU without a
  snapshot in the window uses its current stock instead (``stock_basis`` says which).
- replenishment = units to bring cover up to ``target_cover_days``: ceil(avg daily units x
  target - stock), for on-shelf SKUs with sales in the 14 days and a positive need.

Health of a past day (``HealthQuery.stock_from_snapshots``, chosen by ``health_query`` for
any day before yesterday): "stock" is each SKU's ``StockSnapshot`` of ``as_of`` (its stock at
the end of that day) instead of its current stock, and status, listing day and on-shelf spell
are those at the end of ``as_of`` from the status history (``SkuStatusChange``), not today's.
The SKUs are those with a snapshot of that day that were not delisted at its end. Sales
windows end on ``as_of`` as always. Title, role, price and unit cost are today's.
"""

import dataclasses
import datetime
from decimal import ROUND_CEILING, Decimal

from django.db.models import Avg, Count, F, Sum

from analytics.models import DailySkuMetrics
from analytics.rollups.days import local_midnight, local_yesterday
from opsdesk.models import Store

from .models import Sku, SkuStatus, StockSnapshot
from .selectors import shelf_state, with_shelf_state

#: The status-history annotations of ``catalog.selectors.with_shelf_state`` for a past day.
_STATE_COLUMNS = (
    "shelf_returned_at",
    "shelf_last_id",
    "shelf_last_status",
    "shelf_last_listed_on",
    "shelf_next_id",
    "shelf_next_status",
    "shelf_next_listed_on",
)
SELL_THROUGH_DAYS = 30
COVER_DAYS = 14
TURNOVER_DAYS = 30
FIRST_STOCK_FACTOR = Decimal("1.2")
DEFAULT_TARGET_COVER_DAYS = 30


@dataclasses.dataclass(frozen=True)
class HealthQuery:
    as_of: datetime.date
    target_cover_days: int = DEFAULT_TARGET_COVER_DAYS
    #: Stock of ``as_of`` from the daily snapshots (a past day), not the current stock.
    stock_from_snapshots: bool = False

    def __post_init__(self) -> None:
        if self.target_cover_days <= 0:
            raise ValueError("target_cover_days must be positive")


def health_query(
    *,
    store: Store,
    as_of: datetime.date | None = None,
    target_cover_days: int = DEFAULT_TARGET_COVER_DAYS,
) -> HealthQuery:
    """The query the page and the API ask for ``as_of`` (default yesterday, the last
    rolled-up day): a day before yesterday reads stock and status of that day (snapshots and
    status history); yesterday or later reads the catalogue as it is now."""
    yesterday = local_yesterday(store.zone)
    as_of = as_of or yesterday
    return HealthQuery(
        as_of=as_of, target_cover_days=target_cover_days, stock_from_snapshots=as_of < yesterday
    )


@dataclasses.dataclass(frozen=True)
class SkuHealth:
    sku_id: int
    code: str
    title: str
    role: str
    status: str  # on_shelf or off_shelf (as of the day for a past day)
    price: Decimal
    stock: int
    on_shelf_since: datetime.date
    units_30d: int
    units_14d: int
    sell_through: Decimal | None  # 0..1
    avg_daily_units: Decimal | None  # over the 14 days; None when nothing sold
    days_of_cover: Decimal | None
    stockout_risk: bool
    overstock: bool
    cogs_30d: Decimal
    average_stock_value: Decimal
    stock_basis: str  # "snapshots" or "current"
    turnover: Decimal | None
    delisting_candidate: bool
    replenish_units: int


@dataclasses.dataclass(frozen=True)
class HealthResult:
    store_id: int
    as_of: datetime.date
    window_start: datetime.date  # first day of the 30-day window
    cover_start: datetime.date  # first day of the 14-day window
    skus: tuple[SkuHealth, ...]
    on_shelf: int
    on_shelf_selling: int
    store_sell_through: Decimal | None  # on_shelf_selling / on_shelf
    cogs_30d: Decimal
    average_stock_value: Decimal
    store_turnover: Decimal | None
    delisting_threshold: Decimal
    lead_days: int
    overstock_days: int
    target_cover_days: int
    stock_from_snapshots: bool = False  # stock is the snapshot of ``as_of``

    @property
    def delisting_candidates(self) -> list[SkuHealth]:
        return [row for row in self.skus if row.delisting_candidate]

    @property
    def stockout_risks(self) -> list[SkuHealth]:
        return [row for row in self.skus if row.stockout_risk]

    @property
    def overstocked(self) -> list[SkuHealth]:
        return [row for row in self.skus if row.overstock]

    @property
    def replenishments(self) -> list[SkuHealth]:
        return [row for row in self.skus if row.replenish_units > 0]


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


class SkuHealthRunner:
    """Typed query in, typed result out; reads the store's non-delisted SKUs and the rollups.

    Four queries whatever the number of SKUs: SKUs, 30-day sales, 14-day sales, snapshots.
    Not cached: stock and status change during the day, outside the rollups.
    """

    def __init__(self, *, store: Store, query: HealthQuery) -> None:
        self.store = store
        self.query = query

    def run(self) -> HealthResult:
        store, as_of = self.store, self.query.as_of
        start_30 = as_of - datetime.timedelta(days=SELL_THROUGH_DAYS - 1)
        start_14 = as_of - datetime.timedelta(days=COVER_DAYS - 1)
        columns = ("pk", "code", "title", "role", "status", "price", "cost", "listed_on")
        if self.query.stock_from_snapshots:
            # One join: the SKUs with a snapshot of ``as_of``, with that day's stock, and their
            # status at the end of that day; those delisted then are dropped below.
            end_of_day = local_midnight(store.zone, as_of + datetime.timedelta(days=1))
            skus = [
                {**row, "stock": row.pop("day_stock")}
                for row in with_shelf_state(
                    Sku.objects.filter(store=store, stock_snapshots__day=as_of),
                    before=end_of_day,
                )
                .annotate(day_stock=F("stock_snapshots__stock"))
                .order_by("code", "pk")
                .values(*columns, "created_at", "day_stock", *_STATE_COLUMNS)
            ]
        else:
            skus = list(
                with_shelf_state(
                    Sku.objects.filter(store=store).exclude(status=SkuStatus.DELISTED), before=None
                )
                .order_by("code", "pk")
                .values(*columns, "stock", "created_at", "shelf_returned_at")
            )
        sales_30 = {
            row["sku_id"]: row
            for row in DailySkuMetrics.objects.filter(store=store, day__range=(start_30, as_of))
            .values("sku_id")
            .annotate(units=Sum("units"), cogs=Sum(F("gmv") - F("gross_profit")))
            .order_by()
        }
        units_14 = dict(
            DailySkuMetrics.objects.filter(store=store, day__range=(start_14, as_of))
            .values("sku_id")
            .annotate(units=Sum("units"))
            .order_by()
            .values_list("sku_id", "units")
        )
        snapshots = {
            row["sku_id"]: row["average"]
            for row in StockSnapshot.objects.filter(store=store, day__range=(start_30, as_of))
            .values("sku_id")
            .annotate(average=Avg("stock"), days=Count("pk"))
            .order_by()
        }
        threshold = store.delisting_sell_through
        lead, overstock_days = store.replenishment_lead_days, store.overstock_cover_days
        target = self.query.target_cover_days
        delist_before = as_of - datetime.timedelta(days=SELL_THROUGH_DAYS)
        rows: list[SkuHealth] = []
        for sku in skus:
            state = shelf_state(sku, zone=store.zone)
            if state.status == SkuStatus.DELISTED:
                continue
            sold = sales_30.get(sku["pk"], {})
            units_30 = int(sold.get("units") or 0)
            cogs = Decimal(sold.get("cogs") or 0).quantize(Decimal("0.01"))
            recent = int(units_14.get(sku["pk"]) or 0)
            stock = max(sku["stock"], 0)
            sell_through = _ratio(Decimal(units_30), Decimal(units_30 + stock))
            average_daily = Decimal(recent) / COVER_DAYS if recent else None
            cover = (Decimal(stock) / average_daily) if average_daily else None
            since = state.on_shelf_since
            on_shelf = state.status == SkuStatus.ON_SHELF
            if sku["pk"] in snapshots:
                average_stock, basis = Decimal(str(snapshots[sku["pk"]])), "snapshots"
            else:
                average_stock, basis = Decimal(stock), "current"
            stock_value = (average_stock * sku["cost"]).quantize(Decimal("0.01"))
            replenish = 0
            if on_shelf and average_daily:
                replenish = max(0, _ceil(average_daily * target - stock))
            rows.append(
                SkuHealth(
                    sku_id=sku["pk"],
                    code=sku["code"],
                    title=sku["title"],
                    role=sku["role"],
                    status=state.status,
                    price=sku["price"],
                    stock=sku["stock"],
                    on_shelf_since=since,
                    units_30d=units_30,
                    units_14d=recent,
                    sell_through=sell_through,
                    avg_daily_units=average_daily,
                    days_of_cover=cover,
                    stockout_risk=on_shelf and cover is not None and cover < lead,
                    overstock=cover is not None and cover > overstock_days,
                    cogs_30d=cogs,
                    average_stock_value=stock_value,
                    stock_basis=basis,
                    turnover=_ratio(cogs, stock_value),
                    delisting_candidate=(
                        on_shelf
                        and since <= delist_before
                        and sell_through is not None
                        and sell_through < threshold
                    ),
                    replenish_units=replenish,
                )
            )
        on_shelf_rows = [row for row in rows if row.status == SkuStatus.ON_SHELF]
        selling = sum(1 for row in on_shelf_rows if row.units_30d >= 1)
        total_cogs = sum((row.cogs_30d for row in rows), Decimal("0"))
        total_value = sum((row.average_stock_value for row in rows), Decimal("0"))
        return HealthResult(
            store_id=store.pk,
            as_of=as_of,
            window_start=start_30,
            cover_start=start_14,
            skus=tuple(rows),
            on_shelf=len(on_shelf_rows),
            on_shelf_selling=selling,
            store_sell_through=_ratio(Decimal(selling), Decimal(len(on_shelf_rows))),
            cogs_30d=total_cogs,
            average_stock_value=total_value,
            store_turnover=_ratio(total_cogs, total_value),
            delisting_threshold=threshold,
            lead_days=lead,
            overstock_days=overstock_days,
            target_cover_days=target,
            stock_from_snapshots=self.query.stock_from_snapshots,
        )


@dataclasses.dataclass(frozen=True)
class FirstStock:
    """First stock for a new SKU from a comparable one (DOMAIN.md): the comparable SKU's
    units sold in the 30 days ``window_start``..``as_of`` ("monthly sales") x 1.2, rounded up
    to whole units."""

    comparable_id: int
    comparable_code: str
    comparable_title: str
    window_start: datetime.date
    as_of: datetime.date
    monthly_units: int
    factor: Decimal
    units: int


def first_stock(*, comparable: Sku, as_of: datetime.date) -> FirstStock:
    """The first-stock suggestion from ``comparable``'s sales in the 30 days ending ``as_of``
    (from the nightly SKU rollups). One aggregate query."""
    start = as_of - datetime.timedelta(days=SELL_THROUGH_DAYS - 1)
    units = (
        DailySkuMetrics.objects.filter(
            store_id=comparable.store_id, sku=comparable, day__range=(start, as_of)
        ).aggregate(units=Sum("units"))["units"]
        or 0
    )
    return FirstStock(
        comparable_id=comparable.pk,
        comparable_code=comparable.code,
        comparable_title=comparable.title,
        window_start=start,
        as_of=as_of,
        monthly_units=units,
        factor=FIRST_STOCK_FACTOR,
        units=_ceil(Decimal(units) * FIRST_STOCK_FACTOR),
    )


def first_stock_suggestion(*, comparable: Sku, as_of: datetime.date) -> int:
    """First stock for a new SKU: the comparable SKU's units sold in the 30 days ending
    ``as_of``, x 1.2, rounded up (DOMAIN.md)."""
    return first_stock(comparable=comparable, as_of=as_of).units


@dataclasses.dataclass(frozen=True)
class ListingDay:
    day: datetime.date
    is_listing_day: bool
    skus: tuple[Sku, ...]


def listing_calendar(*, store: Store, week_of: datetime.date) -> tuple[ListingDay, ...]:
    """The ISO week (Monday..Sunday) containing ``week_of``: each listing weekday of the store
    with the SKUs planned (``listed_on``) for it, plus any other day of the week that has
    listings (an off-calendar listing, shown so it can be moved). One query."""
    monday = week_of - datetime.timedelta(days=week_of.weekday())
    sunday = monday + datetime.timedelta(days=6)
    planned: dict[datetime.date, list[Sku]] = {}
    for sku in (
        Sku.objects.filter(store=store, listed_on__range=(monday, sunday))
        .exclude(status=SkuStatus.DELISTED)
        .order_by("listed_on", "code")
    ):
        planned.setdefault(sku.listed_on, []).append(sku)
    weekdays = set(store.listing_weekday_numbers)
    days = []
    for offset in range(7):
        day = monday + datetime.timedelta(days=offset)
        listing = day.isoweekday() in weekdays
        if listing or day in planned:
            days.append(ListingDay(day, listing, tuple(planned.get(day, ()))))
    return tuple(days)
