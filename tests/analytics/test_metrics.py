from decimal import Decimal

import pytest

from analytics import metrics
from analytics.metrics import METRICS, METRICS_BY_KEY, Measures, MetricValues, compute


@pytest.mark.parametrize(
    ("function", "args"),
    [
        (metrics.roi, (Decimal("50.00"), Decimal("0.00"))),
        (metrics.conversion_rate, (3, 0)),
        (metrics.refund_rate, (Decimal("5.00"), Decimal("0.00"))),
        (metrics.cpc, (Decimal("10.00"), 0)),
        (metrics.cpa, (Decimal("10.00"), 0)),
        (metrics.ctr, (0, 0)),
        (metrics.spend_per_buyer, (Decimal("10.00"), 0)),
        (metrics.average_order_value, (Decimal("10.00"), 0)),
        (metrics.uv_value, (Decimal("10.00"), 0)),
        (metrics.add_to_cart_rate, (0, 0)),
        (metrics.new_buyer_share, (0, 0)),
        (metrics.repurchase_rate, (0, 0)),
    ],
)
def test_zero_denominator_is_no_value(function, args):
    assert function(*args) is None


def test_rounding():
    assert metrics.roi(Decimal("2.00"), Decimal("3.00")) == Decimal("0.666667")  # half up
    assert metrics.cpc(Decimal("10.00"), 3) == Decimal("3.33")
    assert metrics.average_order_value(Decimal("0.05"), 2) == Decimal("0.03")  # 0.025 -> 0.03
    assert metrics.net_sales(Decimal("10.00"), Decimal("12.00")) == Decimal("-2.00")


def test_empty_period():
    values = compute(Measures())
    assert values.gmv == Decimal("0.00")
    assert values.roi is None and values.conversion_rate is None and values.cpc is None


def test_registry_covers_every_metric_once():
    keys = [m.key for m in METRICS]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(MetricValues.__dataclass_fields__)
    assert METRICS_BY_KEY["uv"].additive is False
    assert METRICS_BY_KEY["roi"].name_zh == "投入产出比"
