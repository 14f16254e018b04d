"""The product matrix (商品矩阵): what each role (引流款/利润款/形象款) contributes, whether it
does its job, and role suggestions for untagged or mis-tagged SKUs.

Definitions (DOMAIN.md "Product matrix"):

- Sales measures come from the nightly rollup ``analytics.DailySkuMetrics`` over the
  store-local days ``start..end``, grouped by each SKU's CURRENT role: line GMV, gross profit,
  views (PV) and first orders (first-ever paid orders containing the SKU). Sales of SKUs
  delisted since still count for their role. Views stand for "traffic": per-SKU visitors are
  distinct per day only and may not be added over days (DOMAIN.md: UV is not additive).
- Share of SKUs: among the store's SKUs that are not delisted, now.
- Store average margin = total gross profit / total line GMV of the period; a role's margin =
  its gross profit / its GMV. No value when the GMV is 0.
- Flags, each with the numbers behind it:
  * ``traffic_few_first_orders``: the traffic role's share of first orders is below its share
    of SKUs (it brings fewer new buyers than its weight in the catalog);
  * ``traffic_few_views``: the same with the share of views;
  * ``profit_margin_below_average``: the profit role's margin is below the store average;
  * ``image_below_profit_band``: image SKUs priced below the top of the profit items' price
    band (the highest profit-item price), listed;
  * ``traffic_share_off_target``: the traffic share of SKUs differs from
    ``Store.traffic_share_target`` by more than ``TRAFFIC_SHARE_TOLERANCE`` (10 points).
- Role suggestions (only with at least ``SUGGESTION_MIN_SKUS`` priced SKUs): price bands are
  thirds of the store's SKUs ranked by price. Lowest third -> traffic; highest third ->
  image; middle third -> profit when the SKU's list margin ((price - cost) / price) is at
  least the store's mean list margin, traffic when it is below and the SKU's views are at
  least the median views per SKU; otherwise no suggestion. Untagged SKUs get any suggestion;
  a tagged SKU only a clear mis-tag (a traffic item in the highest third -> image, an image
  item in the lowest third -> traffic). Never again after the operator rejected the same
  role for the SKU.
"""

import dataclasses
import datetime
import statistics
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from analytics.models import DailySkuMetrics
from opsdesk.models import Store

from .models import ProductRole, RoleSuggestionDecision, Sku, SkuStatus

UNTAGGED = ""
ROLE_ORDER = (ProductRole.TRAFFIC, ProductRole.PROFIT, ProductRole.IMAGE, UNTAGGED)
TRAFFIC_SHARE_TOLERANCE = Decimal("0.10")
SUGGESTION_MIN_SKUS = 3
ZERO = Decimal("0")


@dataclasses.dataclass(frozen=True)
class MatrixQuery:
    """Store-local days ``start..end`` inclusive."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end is before start")


@dataclasses.dataclass(frozen=True)
class RoleRow:
    role: str  # "" = untagged
    skus: int
    gmv: Decimal
    gross_profit: Decimal
    views: int
    first_orders: int
    units: int
    sku_share: Decimal | None
    gmv_share: Decimal | None
    gross_profit_share: Decimal | None
    views_share: Decimal | None
    first_orders_share: Decimal | None
    margin: Decimal | None  # gross profit / GMV

    @property
    def label(self) -> str:
        return ProductRole(self.role).label if self.role else _("Untagged")


@dataclasses.dataclass(frozen=True)
class SkuPoint:
    sku_id: int
    code: str
    title: str
    role: str
    price: Decimal
    cost: Decimal
    list_margin: Decimal | None  # (price - cost) / price
    units: int
    gmv: Decimal
    gross_profit: Decimal
    views: int
    first_orders: int


@dataclasses.dataclass(frozen=True)
class MatrixFlag:
    """A role not doing its job. ``numbers`` holds the figures the message quotes."""

    code: str
    role: str
    numbers: dict
    skus: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        n = self.numbers
        if self.code == "traffic_few_first_orders":
            return _(
                "Traffic items are %(sku_share)s of SKUs but bring only %(share)s of first orders."
            ) % {"sku_share": _pct(n["sku_share"]), "share": _pct(n["first_orders_share"])}
        if self.code == "traffic_few_views":
            return _("Traffic items are %(sku_share)s of SKUs but get only %(share)s of views.") % {
                "sku_share": _pct(n["sku_share"]),
                "share": _pct(n["views_share"]),
            }
        if self.code == "profit_margin_below_average":
            return _("Profit items' margin %(margin)s is below the store average %(average)s.") % {
                "margin": _pct(n["margin"]),
                "average": _pct(n["store_margin"]),
            }
        if self.code == "image_below_profit_band":
            return _(
                "%(count)d image item(s) priced below the top of the profit band "
                "(profit items ¥%(low)s to ¥%(high)s)."
            ) % {"count": len(self.skus), "low": n["band_low"], "high": n["band_high"]}
        if self.code == "traffic_share_off_target":
            return _(
                "Traffic items are %(share)s of SKUs; the target is %(target)s "
                "(tolerance ±%(tolerance)s)."
            ) % {
                "share": _pct(n["sku_share"]),
                "target": _pct(n["target"]),
                "tolerance": _pct(n["tolerance"]),
            }
        return self.code


@dataclasses.dataclass(frozen=True)
class RoleSuggestion:
    sku_id: int
    code: str
    title: str
    current_role: str
    suggested_role: str
    reason: str


@dataclasses.dataclass(frozen=True)
class MatrixResult:
    store_id: int
    start: datetime.date
    end: datetime.date
    roles: tuple[RoleRow, ...]
    skus: tuple[SkuPoint, ...]
    total_skus: int
    total_gmv: Decimal
    total_gross_profit: Decimal
    store_margin: Decimal | None
    traffic_share_target: Decimal
    traffic_share_tolerance: Decimal
    flags: tuple[MatrixFlag, ...]
    suggestions: tuple[RoleSuggestion, ...]

    def role(self, role: str) -> RoleRow:
        return next(row for row in self.roles if row.role == role)


def _pct(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%"


def _share(part, whole) -> Decimal | None:
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)


class ProductMatrixRunner:
    """Typed query in, typed result out. Three queries: SKUs, sales per SKU, rejected
    suggestions. Not cached: roles change when an operator tags a SKU, outside the rollups."""

    def __init__(self, *, store: Store, query: MatrixQuery) -> None:
        self.store = store
        self.query = query

    def run(self) -> MatrixResult:
        store, query = self.store, self.query
        skus = list(
            Sku.objects.filter(store=store)
            .exclude(status=SkuStatus.DELISTED)
            .order_by("code", "pk")
            .values("pk", "code", "title", "role", "price", "cost")
        )
        sales_rows = (
            DailySkuMetrics.objects.filter(store=store, day__range=(query.start, query.end))
            .values("sku_id", "sku__role")
            .annotate(
                units=Sum("units"),
                gmv=Sum("gmv"),
                gross_profit=Sum("gross_profit"),
                views=Sum("views"),
                first_orders=Sum("first_orders"),
            )
            .order_by()
        )
        by_sku: dict[int, dict] = {}
        by_role: dict[str, dict] = {role: {} for role in ROLE_ORDER}
        for row in sales_rows:
            by_sku[row["sku_id"]] = row
            totals = by_role.setdefault(row["sku__role"] or UNTAGGED, {})
            for name in ("units", "gmv", "gross_profit", "views", "first_orders"):
                totals[name] = totals.get(name, 0) + (row[name] or 0)
        sku_counts: dict[str, int] = dict.fromkeys(ROLE_ORDER, 0)
        for sku in skus:
            sku_counts[sku["role"] or UNTAGGED] = sku_counts.get(sku["role"] or UNTAGGED, 0) + 1

        total = {
            name: sum((totals.get(name, 0) for totals in by_role.values()), 0)
            for name in ("units", "gmv", "gross_profit", "views", "first_orders")
        }
        total_gmv = Decimal(total["gmv"] or 0)
        total_profit = Decimal(total["gross_profit"] or 0)
        roles = tuple(
            RoleRow(
                role=role,
                skus=sku_counts.get(role, 0),
                gmv=Decimal(by_role[role].get("gmv", 0)),
                gross_profit=Decimal(by_role[role].get("gross_profit", 0)),
                views=int(by_role[role].get("views", 0)),
                first_orders=int(by_role[role].get("first_orders", 0)),
                units=int(by_role[role].get("units", 0)),
                sku_share=_share(sku_counts.get(role, 0), len(skus)),
                gmv_share=_share(by_role[role].get("gmv", 0), total_gmv),
                gross_profit_share=_share(by_role[role].get("gross_profit", 0), total_profit),
                views_share=_share(by_role[role].get("views", 0), total["views"]),
                first_orders_share=_share(
                    by_role[role].get("first_orders", 0), total["first_orders"]
                ),
                margin=_share(by_role[role].get("gross_profit", 0), by_role[role].get("gmv", 0)),
            )
            for role in ROLE_ORDER
        )
        points = tuple(
            SkuPoint(
                sku_id=sku["pk"],
                code=sku["code"],
                title=sku["title"],
                role=sku["role"],
                price=sku["price"],
                cost=sku["cost"],
                list_margin=_share(sku["price"] - sku["cost"], sku["price"]),
                units=int(by_sku.get(sku["pk"], {}).get("units") or 0),
                gmv=Decimal(by_sku.get(sku["pk"], {}).get("gmv") or 0),
                gross_profit=Decimal(by_sku.get(sku["pk"], {}).get("gross_profit") or 0),
                views=int(by_sku.get(sku["pk"], {}).get("views") or 0),
                first_orders=int(by_sku.get(sku["pk"], {}).get("first_orders") or 0),
            )
            for sku in skus
        )
        store_margin = _share(total_profit, total_gmv)
        flags = _flags(
            roles=roles,
            points=points,
            store_margin=store_margin,
            target=store.traffic_share_target,
        )
        suggestions = _suggestions(store=store, points=points)
        return MatrixResult(
            store_id=store.pk,
            start=query.start,
            end=query.end,
            roles=roles,
            skus=points,
            total_skus=len(skus),
            total_gmv=total_gmv,
            total_gross_profit=total_profit,
            store_margin=store_margin,
            traffic_share_target=store.traffic_share_target,
            traffic_share_tolerance=TRAFFIC_SHARE_TOLERANCE,
            flags=flags,
            suggestions=suggestions,
        )


def _flags(
    *,
    roles: tuple[RoleRow, ...],
    points: tuple[SkuPoint, ...],
    store_margin: Decimal | None,
    target: Decimal,
) -> tuple[MatrixFlag, ...]:
    by_role = {row.role: row for row in roles}
    traffic, profit = by_role[ProductRole.TRAFFIC], by_role[ProductRole.PROFIT]
    flags: list[MatrixFlag] = []
    if traffic.skus and traffic.sku_share is not None:
        if (
            traffic.first_orders_share is not None
            and traffic.first_orders_share < traffic.sku_share
        ):
            flags.append(
                MatrixFlag(
                    "traffic_few_first_orders",
                    ProductRole.TRAFFIC,
                    {
                        "sku_share": traffic.sku_share,
                        "first_orders_share": traffic.first_orders_share,
                        "first_orders": traffic.first_orders,
                    },
                )
            )
        if traffic.views_share is not None and traffic.views_share < traffic.sku_share:
            flags.append(
                MatrixFlag(
                    "traffic_few_views",
                    ProductRole.TRAFFIC,
                    {
                        "sku_share": traffic.sku_share,
                        "views_share": traffic.views_share,
                        "views": traffic.views,
                    },
                )
            )
    if profit.margin is not None and store_margin is not None and profit.margin < store_margin:
        flags.append(
            MatrixFlag(
                "profit_margin_below_average",
                ProductRole.PROFIT,
                {"margin": profit.margin, "store_margin": store_margin},
            )
        )
    profit_prices = [p.price for p in points if p.role == ProductRole.PROFIT]
    if profit_prices:
        high = max(profit_prices)
        cheap_images = tuple(
            p.code for p in points if p.role == ProductRole.IMAGE and p.price < high
        )
        if cheap_images:
            flags.append(
                MatrixFlag(
                    "image_below_profit_band",
                    ProductRole.IMAGE,
                    {"band_low": min(profit_prices), "band_high": high},
                    cheap_images,
                )
            )
    share = traffic.sku_share
    if share is not None and abs(share - target) > TRAFFIC_SHARE_TOLERANCE:
        flags.append(
            MatrixFlag(
                "traffic_share_off_target",
                ProductRole.TRAFFIC,
                {"sku_share": share, "target": target, "tolerance": TRAFFIC_SHARE_TOLERANCE},
            )
        )
    return tuple(flags)


def _suggestions(*, store: Store, points: tuple[SkuPoint, ...]) -> tuple[RoleSuggestion, ...]:
    priced = [p for p in points if p.price > 0]
    if len(priced) < SUGGESTION_MIN_SKUS:
        return ()
    prices = sorted(p.price for p in priced)
    third = -(-len(prices) // 3)  # ceil(n / 3)
    low_top, high_bottom = prices[third - 1], prices[len(prices) - third]
    margins = [p.list_margin for p in priced if p.list_margin is not None]
    mean_margin = sum(margins, ZERO) / len(margins)
    median_views = statistics.median(p.views for p in priced)
    rejected = set(
        RoleSuggestionDecision.objects.filter(store=store, accepted=False).values_list(
            "sku_id", "suggested_role"
        )
    )
    suggestions = []
    for point in priced:
        role, reason = _suggest(point, low_top, high_bottom, mean_margin, median_views)
        if not role or role == point.role or (point.sku_id, role) in rejected:
            continue
        if point.role and (point.role, role) not in _CLEAR_MISTAGS:
            continue
        suggestions.append(
            RoleSuggestion(point.sku_id, point.code, point.title, point.role, role, reason)
        )
    return tuple(suggestions)


#: A tagged SKU is only re-suggested when its price sits at the opposite end of its role:
#: a traffic item in the highest price third, an image item in the lowest. A profit item in
#: an outer third is left to the operator (the flags cover a profit role that underperforms).
_CLEAR_MISTAGS = frozenset(
    {(ProductRole.TRAFFIC, ProductRole.IMAGE), (ProductRole.IMAGE, ProductRole.TRAFFIC)}
)


def _suggest(
    point: SkuPoint,
    low_top: Decimal,
    high_bottom: Decimal,
    mean_margin: Decimal,
    median_views: float,
) -> tuple[str, str]:
    price = point.price
    if price <= low_top:
        return ProductRole.TRAFFIC, _("price ¥%(price)s is in the lowest third (≤ ¥%(limit)s)") % {
            "price": price,
            "limit": low_top,
        }
    if price >= high_bottom:
        return ProductRole.IMAGE, _("price ¥%(price)s is in the highest third (≥ ¥%(limit)s)") % {
            "price": price,
            "limit": high_bottom,
        }
    margin = point.list_margin
    if margin is not None and margin >= mean_margin:
        return ProductRole.PROFIT, _(
            "mid price; margin %(margin)s is at least the average %(average)s"
        ) % {"margin": _pct(margin), "average": _pct(mean_margin)}
    if point.views >= median_views and point.views > 0:
        return ProductRole.TRAFFIC, _(
            "mid price, margin %(margin)s below the average %(average)s, views %(views)d "
            "at least the median"
        ) % {"margin": _pct(margin), "average": _pct(mean_margin), "views": point.views}
    return "", ""
