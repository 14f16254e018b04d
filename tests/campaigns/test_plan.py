"""Plan breakdown from the store's recent rates (no baseline), by hand, on the hand-made shop
(tests/campaigns/shop.py, rolled up from 2026-10-31).

Campaign "Later": pre-heat 11-20, burst 11-25 and 11-26, target 1500, no baseline.

- Planned on 11-05: the 28 days 10-08 .. 11-04 (yesterday); 10-08 .. 10-30 (23 days) are not
  rolled up. Inside: Nov 1, GMV 200, buyers A and E, UV 20 -> CR 0.1, spend per buyer 100,
  UV value 10. 1500 needs 1500 / 100 = 15 buyers and 15 / 0.1 = 150 UV, 75 a burst day.
- Read on 11-22 (pre-heat under way): the 28 days end the day before the pre-heat, 10-23 ..
  11-19: Nov 1 and Nov 10, GMV 200 + 800 = 1000, buyers A, B, C, D, E = 5, UV 20 + 50 = 70
  -> CR 5 / 70 = 0.071429, spend per buyer 200. 1500 needs 7.5 -> 8 buyers and
  7.5 / 0.071429 = 104.9994 -> 105 UV (53 a day: 52.5 rounded up).
"""

from decimal import Decimal

import pytest

from campaigns.plan import plan_breakdown
from tests.campaigns.shop import D, build_campaign_shop
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def later():
    shop = build_campaign_shop()
    campaign = CampaignFactory(
        store=shop.store,
        name="Later",
        preparation_start=D(2026, 10, 10),
        preheat_start=D(2026, 11, 20),
        burst_start=D(2026, 11, 25),
        burst_end=D(2026, 11, 26),
        wrapup_end=D(2026, 11, 29),
        gmv_target=Decimal("1500.00"),
    )
    return shop.store, campaign


def test_plan_from_the_stores_recent_rates_by_hand(later):
    store, campaign = later
    plan = plan_breakdown(store=store, campaign=campaign, today=D(2026, 11, 5))
    assert (plan.source, plan.source_name, plan.start, plan.end, plan.missing_days) == (
        "recent",
        "",
        D(2026, 10, 8),
        D(2026, 11, 4),
        23,
    )
    assert (plan.conversion_rate, plan.spend_per_buyer, plan.uv_value) == (
        Decimal("0.100000"),
        Decimal("100.00"),
        Decimal("10.00"),
    )
    assert (plan.burst_days, plan.implied_buyers, plan.implied_uv, plan.implied_uv_per_day) == (
        2,
        15,
        150,
        75,
    )
    # The plan's factors multiply back to the target (the review's reference).
    assert plan.factors.gmv == pytest.approx(1500.0, rel=1e-12)


def test_once_the_pre_heat_starts_the_recent_days_stop_moving(later):
    store, campaign = later
    plan = plan_breakdown(store=store, campaign=campaign, today=D(2026, 11, 22))
    assert (plan.start, plan.end, plan.missing_days) == (D(2026, 10, 23), D(2026, 11, 19), 8)
    assert (plan.conversion_rate, plan.spend_per_buyer) == (Decimal("0.071429"), Decimal("200.00"))
    assert (plan.implied_buyers, plan.implied_uv, plan.implied_uv_per_day) == (8, 105, 53)
    assert plan_breakdown(store=store, campaign=campaign, today=D(2026, 12, 30)) == plan


def test_no_target_or_no_rates_imply_nothing(later):
    store, campaign = later
    campaign.gmv_target = None
    plan = plan_breakdown(store=store, campaign=campaign, today=D(2026, 11, 5))
    assert (plan.implied_uv, plan.implied_buyers, plan.factors) == (None, None, None)
    campaign.gmv_target = Decimal("1500.00")
    empty = plan_breakdown(store=store, campaign=campaign, today=D(2026, 10, 20))
    assert (empty.conversion_rate, empty.implied_uv, empty.factors) == (None, None, None)
