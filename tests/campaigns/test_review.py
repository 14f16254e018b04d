"""The review of the hand-made campaign (tests/campaigns/shop.py), every number by hand."""

import datetime
import math
from decimal import Decimal

import pytest

from campaigns.decomposition import Factors, lmdi
from campaigns.review import campaign_review, pareto
from tests.campaigns.shop import D, build_campaign_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return build_campaign_shop()


def test_no_review_while_the_burst_runs(shop):
    assert campaign_review(store=shop.store, campaign=shop.camp, today=D(2026, 11, 10)) is None


def test_review_after_the_wrap_up_by_hand(shop):
    review = campaign_review(store=shop.store, campaign=shop.camp, today=D(2026, 12, 12))

    assert review.stage == "final"
    # Burst Nov 10: GMV 400 + 200 + 100 + 100 = 800 of 1000 -> gap -200, 80%.
    assert (review.gmv, review.target, review.gap) == (
        Decimal("800.00"),
        Decimal("1000.00"),
        Decimal("-200.00"),
    )
    assert review.achievement == Decimal("0.800000")
    # UV 50, buyers 4 -> CR 0.08, SPB 200.
    assert (review.uv, review.paying_buyers, review.paid_orders) == (50, 4, 4)
    assert (review.conversion_rate, review.spend_per_buyer) == (
        Decimal("0.080000"),
        Decimal("200.00"),
    )

    # Against the plan: the baseline's rates CR 0.1 and SPB 100 make the 1000 target need
    # UV 1000 / (0.1 x 100) = 100. L = (800 - 1000) / ln(0.8) = 896.2840...
    # traffic = L ln(50/100) = -621.2597..., conversion = L ln(0.08/0.1) = -200 exactly,
    # spend per buyer = L ln(200/100) = +621.2597...: they add up to -200.
    plan = review.vs_plan
    weight = -200 / math.log(0.8)
    assert plan.exact.reference.uv == pytest.approx(100.0, rel=1e-12)
    assert plan.exact.traffic == pytest.approx(weight * math.log(0.5), abs=1e-6)
    assert plan.exact.conversion == pytest.approx(-200.0, abs=1e-6)
    assert plan.exact.spend_per_buyer == pytest.approx(weight * math.log(2), abs=1e-6)
    # Tolerance: the float effects add up to the gap to within 1e-6 (of GMVs ~1e3).
    assert plan.exact.traffic + plan.exact.conversion + plan.exact.spend_per_buyer == (
        pytest.approx(-200.0, abs=1e-6)
    )
    assert (plan.gap, plan.traffic, plan.conversion, plan.spend_per_buyer) == (
        Decimal("-200.00"),
        Decimal("-621.26"),
        Decimal("-200.00"),
        Decimal("621.26"),
    )
    assert plan.traffic + plan.conversion + plan.spend_per_buyer == plan.gap  # to the cent

    # Against the baseline (UV 20, CR 0.1, SPB 100, GMV 200): gap +600, L = 600 / ln 4;
    # traffic = L ln 2.5 = 396.578..., conversion = L ln 0.8 = -96.578..., SPB = L ln 2 = 300.
    base = review.vs_baseline
    assert base.gap == Decimal("600.00")
    assert base.exact.spend_per_buyer == pytest.approx(300.0, abs=1e-6)
    assert base.exact.traffic == pytest.approx(600 / math.log(4) * math.log(2.5), abs=1e-6)
    assert (base.traffic, base.conversion, base.spend_per_buyer) == (
        Decimal("396.58"),
        Decimal("-96.58"),
        Decimal("300.00"),
    )
    assert base.traffic + base.conversion + base.spend_per_buyer == base.gap

    # Pareto: S1 400 (50%), S2 200 (75%), S3 100 (87.5% >= 80%): S4 (tied with S3, later
    # code) is not needed.
    assert [(p.code, p.cumulative_share) for p in review.pareto] == [
        ("S1", Decimal("0.500000")),
        ("S2", Decimal("0.750000")),
        ("S3", Decimal("0.875000")),
    ]
    # Lineup: S1 planned 3, sold 2 -> underperforming; S2 planned 1, sold 1.
    assert [
        (o.code, o.planned_units, o.actual_units, o.underperforming) for o in review.lineup
    ] == [
        ("S1", 3, 2, True),
        ("S2", 1, 1, False),
    ]
    # ROI over pre-heat and burst: paid_search 600 / 150 = 4, 75% of the 200 budget; search
    # has no spend, so no ROI.
    channels = {c.channel: c for c in review.channels}
    assert (channels["paid_search"].roi, channels["paid_search"].budget_share) == (
        Decimal("4.000000"),
        Decimal("0.750000"),
    )
    assert channels["search"].roi is None
    assert (review.ad_spend, review.budget_used) == (Decimal("150.00"), Decimal("0.750000"))
    # New buyers: B, C, D (A bought on Nov 1) -> 3 / 4; B paid again on Nov 20 (known from
    # Dec 11 = Nov 10 + 31 days).
    assert (review.new_buyers, review.new_buyer_share) == (3, Decimal("0.750000"))
    assert review.repurchase_known_on == D(2026, 12, 11)
    assert review.new_buyers_returned == 1
    # Stockout: S2 ended Nov 10 with 0; last sale 03:20 -> out from 04:00 to 24:00 (20 h);
    # 1 unit in the 4 burst hours before -> 0.25/h -> 5 units lost x 200 = 1000.
    (stockout,) = review.stockouts
    assert (stockout.code, stockout.hours_before, stockout.units_before, stockout.hours_out) == (
        "S2",
        4,
        1,
        20,
    )
    assert (stockout.units_per_hour, stockout.lost_units, stockout.lost_sales) == (
        Decimal("0.25"),
        Decimal("5.00"),
        Decimal("1000.00"),
    )
    assert review.lost_sales == Decimal("1000.00")
    # Refunds by the end of the wrap-up (Nov 13): 100 on o1; the 50 on Nov 20 is later.
    assert (review.refund_amount, review.refund_rate) == (Decimal("100.00"), Decimal("0.125000"))


def test_review_in_the_wrap_up_has_no_refunds_and_repurchase_not_yet_known(shop):
    review = campaign_review(store=shop.store, campaign=shop.camp, today=D(2026, 11, 12))

    assert review.stage == "burst"
    assert review.refund_amount is None and review.refund_rate is None
    assert review.new_buyers_returned is None


def test_decomposition_sums_to_the_gap_whatever_the_numbers():
    reference = Factors.of(gmv=Decimal("123456.78"), buyers=901, uv=23456)
    actual = Factors.of(gmv=Decimal("98765.43"), buyers=1203, uv=40001)
    split = lmdi(reference, actual)
    # Float tolerance: 1e-6 on GMVs of ~1e5.
    assert split.traffic + split.conversion + split.spend_per_buyer == pytest.approx(
        98765.43 - 123456.78, abs=1e-6
    )
    shown = split.rounded()
    assert shown["traffic"] + shown["conversion"] + shown["spend_per_buyer"] == shown["gap"]
    assert shown["gap"] == Decimal("-24691.35")


def test_no_decomposition_without_buyers():
    assert Factors.of(gmv=Decimal(0), buyers=0, uv=10) is None
    assert lmdi(None, Factors.of(gmv=Decimal(1), buyers=1, uv=1)) is None


def test_pareto_of_one_sku_and_of_none():
    row = type("Row", (), {"sku_id": 1, "code": "A", "title": "", "gmv": Decimal("5")})
    assert [p.code for p in pareto([row])] == ["A"]
    assert pareto([]) == []


def test_stockout_without_a_sale_before_loses_nothing_it_can_estimate(shop):
    from tests.factories import StockSnapshotFactory

    StockSnapshotFactory(store=shop.store, sku=shop.skus["S4"], day=D(2026, 11, 10), stock=0)
    StockSnapshotFactory(
        store=shop.store, sku=shop.skus["S3"], day=datetime.date(2026, 11, 10), stock=-1
    )
    review = campaign_review(store=shop.store, campaign=shop.camp, today=D(2026, 11, 12))
    found = {s.code: s for s in review.stockouts}
    # S4 sold its unit at 05:30 -> out from 06:00, 18 h; 1 unit in 6 h -> 3 units x 100.
    assert (found["S4"].hours_before, found["S4"].hours_out, found["S4"].lost_sales) == (
        6,
        18,
        Decimal("300.00"),
    )
    assert set(found) == {"S2", "S3", "S4"}
