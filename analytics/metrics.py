"""The metrics of DOMAIN.md, one implementation each: pure, typed functions of base measures.

Nothing here reads the database, knows about requests or draws charts. Report runners sum the
base measures of a period (``Measures``) from the rolled-up tables - with distinct counts
de-duplicated over the whole period - and call ``compute`` once; ratios are therefore always
recomputed from summed numerators and denominators, never averaged.

Conventions
-----------
* Money is ``Decimal`` with 2 places; money per unit (AOV, spend per buyer, UV value, CPC,
  CPA) is rounded half-up to 2 places; rates and ROI are rounded half-up to 6 places
  (0.123457 = 12.3457%).
* Every ratio whose denominator is 0 is ``None`` ("no value": null in the API, "-" on screen),
  never 0 and never infinity. ROI of a channel without spend is therefore ``None``.
"""

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from django.utils.translation import gettext, gettext_noop

ZERO = Decimal("0.00")
MONEY_PLACES = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")

Number = int | Decimal


def _ratio(numerator: Number, denominator: Number, places: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_UP)


def rate(numerator: Number, denominator: Number) -> Decimal | None:
    """``numerator / denominator`` to 6 places, ``None`` when the denominator is 0."""
    return _ratio(numerator, denominator, RATE_PLACES)


def money_per(amount: Number, count: Number) -> Decimal | None:
    """``amount / count`` in money (2 places), ``None`` when ``count`` is 0."""
    return _ratio(amount, count, MONEY_PLACES)


# --- one function per metric ----------------------------------------------------------------


def spend_per_buyer(gmv: Decimal, paying_buyers: int) -> Decimal | None:
    """客单价 = GMV / paying buyers."""
    return money_per(gmv, paying_buyers)


def average_order_value(gmv: Decimal, paid_orders: int) -> Decimal | None:
    """笔单价 = GMV / paid orders."""
    return money_per(gmv, paid_orders)


def net_sales(gmv: Decimal, refund_amount: Decimal) -> Decimal:
    """净销售额 = GMV - refund amount (refunds of the period, whatever the order's day)."""
    return gmv - refund_amount


def refund_rate(refund_amount: Decimal, gmv: Decimal) -> Decimal | None:
    """退款率 = refund amount / GMV of the same period."""
    return rate(refund_amount, gmv)


def conversion_rate(paying_buyers: int, uv: int) -> Decimal | None:
    """支付转化率 = paying buyers / UV."""
    return rate(paying_buyers, uv)


def uv_value(gmv: Decimal, uv: int) -> Decimal | None:
    """UV价值 = GMV / UV."""
    return money_per(gmv, uv)


def add_to_cart_rate(cart_visitors: int, uv: int) -> Decimal | None:
    """加购率 = distinct visitors who added to cart / UV."""
    return rate(cart_visitors, uv)


def roi(gmv: Decimal, ad_spend: Decimal) -> Decimal | None:
    """投入产出比 = GMV of the channel's orders / ad spend on it; ``None`` without spend."""
    return rate(gmv, ad_spend)


def ctr(clicks: int, impressions: int) -> Decimal | None:
    """点击率 = clicks / impressions."""
    return rate(clicks, impressions)


def cpc(ad_spend: Decimal, clicks: int) -> Decimal | None:
    """平均点击花费 (PPC) = spend / clicks."""
    return money_per(ad_spend, clicks)


def cpa(ad_spend: Decimal, paid_orders: int) -> Decimal | None:
    """获客成本 = spend / paid orders."""
    return money_per(ad_spend, paid_orders)


def new_buyer_share(new_buyers: int, paying_buyers: int) -> Decimal | None:
    """新客占比 = buyers whose first-ever paid order is in the period / paying buyers."""
    return rate(new_buyers, paying_buyers)


def repurchase_rate(repeat_buyers: int, paying_buyers: int) -> Decimal | None:
    """复购率 = buyers with >= 2 paid orders in the period / buyers with >= 1."""
    return rate(repeat_buyers, paying_buyers)


# --- the base measures of a period and every metric derived from them ------------------------


@dataclass(frozen=True)
class Measures:
    """Numerators and denominators of one period (and optionally one channel).

    Additive: gmv, paid_orders, new_buyers, refund_amount, gross_profit, pv, ad_spend,
    impressions, clicks, spend_channel_gmv. Distinct over the WHOLE period (never a sum of
    daily values): paying_buyers, repeat_buyers, uv, cart_visitors, order_visitors,
    pay_visitors. ``spend_channel_gmv`` is the GMV of orders from channels that had ad spend in
    the period: the numerator of a store-level ROI (for one channel it is its GMV when it had
    spend, else 0).
    """

    gmv: Decimal = ZERO
    paid_orders: int = 0
    paying_buyers: int = 0
    new_buyers: int = 0
    repeat_buyers: int = 0
    refund_amount: Decimal = ZERO
    gross_profit: Decimal = ZERO
    pv: int = 0
    uv: int = 0
    cart_visitors: int = 0
    order_visitors: int = 0
    pay_visitors: int = 0
    ad_spend: Decimal = ZERO
    impressions: int = 0
    clicks: int = 0
    spend_channel_gmv: Decimal = ZERO

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class MetricValues:
    """Every metric of DOMAIN.md for one period; ``None`` = no value ("-")."""

    gmv: Decimal
    paid_orders: int
    paying_buyers: int
    spend_per_buyer: Decimal | None
    average_order_value: Decimal | None
    refund_amount: Decimal
    net_sales: Decimal
    refund_rate: Decimal | None
    gross_profit: Decimal
    pv: int
    uv: int
    conversion_rate: Decimal | None
    uv_value: Decimal | None
    add_to_cart_rate: Decimal | None
    roi: Decimal | None
    ctr: Decimal | None
    cpc: Decimal | None
    cpa: Decimal | None
    new_buyer_share: Decimal | None
    repurchase_rate: Decimal | None
    ad_spend: Decimal
    new_buyers: int


def compute(m: Measures) -> MetricValues:
    """Every metric from one period's measures (ROI uses ``spend_channel_gmv``)."""
    return MetricValues(
        gmv=m.gmv,
        paid_orders=m.paid_orders,
        paying_buyers=m.paying_buyers,
        spend_per_buyer=spend_per_buyer(m.gmv, m.paying_buyers),
        average_order_value=average_order_value(m.gmv, m.paid_orders),
        refund_amount=m.refund_amount,
        net_sales=net_sales(m.gmv, m.refund_amount),
        refund_rate=refund_rate(m.refund_amount, m.gmv),
        gross_profit=m.gross_profit,
        pv=m.pv,
        uv=m.uv,
        conversion_rate=conversion_rate(m.paying_buyers, m.uv),
        uv_value=uv_value(m.gmv, m.uv),
        add_to_cart_rate=add_to_cart_rate(m.cart_visitors, m.uv),
        roi=roi(m.spend_channel_gmv, m.ad_spend),
        ctr=ctr(m.clicks, m.impressions),
        cpc=cpc(m.ad_spend, m.clicks),
        cpa=cpa(m.ad_spend, m.paid_orders),
        new_buyer_share=new_buyer_share(m.new_buyers, m.paying_buyers),
        repurchase_rate=repurchase_rate(m.repeat_buyers, m.paying_buyers),
        ad_spend=m.ad_spend,
        new_buyers=m.new_buyers,
    )


# --- the metric dictionary ---------------------------------------------------------------------

Unit = Literal["money", "count", "rate", "ratio", "money_per"]


@dataclass(frozen=True)
class MetricDefinition:
    """One entry of the metric dictionary pages and the API render (DOMAIN.md's table).

    ``definition`` is the English text, marked for translation (``gettext_noop``) but kept a
    plain string: the API's field descriptions and the OpenAPI schema are English, and the
    serializers build them at import time, when a lazy string would take whatever language
    happened to be active. Pages show ``local_definition``, translated when it is read.
    """

    key: str
    name: str
    name_zh: str
    definition: str
    unit: Unit
    additive: bool

    @property
    def local_definition(self) -> str:
        """The definition in the active language (zh-hans from the translation catalogue)."""
        return gettext(self.definition)


METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "gmv",
        "GMV",
        "支付金额",
        gettext_noop(
            "Sum of the paid amount (goods after discounts plus shipping) of orders paid in the "
            "period; refunded orders still count; a deposit pre-sale counts when its balance is "
            "paid."
        ),
        "money",
        True,
    ),
    MetricDefinition(
        "paid_orders",
        "Paid orders",
        "支付订单数",
        gettext_noop("Orders paid in the period."),
        "count",
        True,
    ),
    MetricDefinition(
        "paying_buyers",
        "Paying buyers",
        "支付买家数",
        gettext_noop("Distinct customers with a paid order in the period."),
        "count",
        False,
    ),
    MetricDefinition(
        "spend_per_buyer",
        "Spend per buyer",
        "客单价",
        gettext_noop("GMV / paying buyers."),
        "money_per",
        False,
    ),
    MetricDefinition(
        "average_order_value",
        "Average order value",
        "笔单价",
        gettext_noop("GMV / paid orders."),
        "money_per",
        False,
    ),
    MetricDefinition(
        "refund_amount",
        "Refund amount",
        "退款金额",
        gettext_noop("Sum of refunds made in the period, whatever the day of the order."),
        "money",
        True,
    ),
    MetricDefinition(
        "net_sales",
        "Net sales",
        "净销售额",
        gettext_noop("GMV - refund amount."),
        "money",
        True,
    ),
    MetricDefinition(
        "refund_rate",
        "Refund rate",
        "退款率",
        gettext_noop("Refund amount / GMV of the same period."),
        "rate",
        False,
    ),
    MetricDefinition(
        "gross_profit",
        "Gross profit",
        "毛利",
        gettext_noop(
            "Sum over the lines of orders paid in the period of (unit price - unit cost) x "
            "quantity."
        ),
        "money",
        True,
    ),
    MetricDefinition(
        "pv",
        "PV",
        "浏览量",
        gettext_noop("Number of view events."),
        "count",
        True,
    ),
    MetricDefinition(
        "uv",
        "UV",
        "访客数",
        gettext_noop(
            "Distinct visitors with any event in the period. Not additive: the UV of a week is not "
            "the sum of daily UVs."
        ),
        "count",
        False,
    ),
    MetricDefinition(
        "conversion_rate",
        "Conversion rate",
        "支付转化率",
        gettext_noop("Paying buyers / UV."),
        "rate",
        False,
    ),
    MetricDefinition(
        "uv_value",
        "UV value",
        "UV价值",
        gettext_noop("GMV / UV."),
        "money_per",
        False,
    ),
    MetricDefinition(
        "add_to_cart_rate",
        "Add-to-cart rate",
        "加购率",
        gettext_noop("Distinct visitors who added to cart / UV."),
        "rate",
        False,
    ),
    MetricDefinition(
        "roi",
        "ROI",
        "投入产出比",
        gettext_noop(
            "GMV of the orders from a channel / ad spend on that channel in the same period. A "
            'channel without spend has no ROI ("-"). For a whole store: GMV of the channels with '
            "spend / total spend."
        ),
        "ratio",
        False,
    ),
    MetricDefinition(
        "ctr",
        "CTR",
        "点击率",
        gettext_noop("Clicks / impressions."),
        "rate",
        False,
    ),
    MetricDefinition(
        "cpc",
        "CPC (PPC)",
        "平均点击花费",
        gettext_noop("Spend / clicks."),
        "money_per",
        False,
    ),
    MetricDefinition(
        "cpa",
        "CPA",
        "获客成本",
        gettext_noop("Spend / paid orders."),
        "money_per",
        False,
    ),
    MetricDefinition(
        "new_buyer_share",
        "New buyer share",
        "新客占比",
        gettext_noop("Paying buyers whose first-ever paid order is in the period / paying buyers."),
        "rate",
        False,
    ),
    MetricDefinition(
        "repurchase_rate",
        "Repurchase rate",
        "复购率",
        gettext_noop("Buyers with at least 2 paid orders in the period / buyers with at least 1."),
        "rate",
        False,
    ),
    MetricDefinition(
        "ad_spend",
        "Ad spend",
        "推广花费",
        gettext_noop("Ad spend in the period."),
        "money",
        True,
    ),
    MetricDefinition(
        "new_buyers",
        "New buyers",
        "新客数",
        gettext_noop("Paying buyers whose first-ever paid order is in the period."),
        "count",
        True,
    ),
)

METRICS_BY_KEY: dict[str, MetricDefinition] = {m.key: m for m in METRICS}
