"""Day targets by hand: the pre-heat GMV target (set, from the baseline's pre-heat share, from
the store's usual day) and its pace on a pre-heat day.

Store Tea House (Asia/Shanghai), one SKU, every order one line.

Baseline "618": pre-heat Jun 14-15 (2 days), burst Jun 16-18 (3 days).
  Pre-heat: Jun 14 10:20 pays 60, Jun 15 11:40 pays 60 -> 120 in 2 days = 60 a day; its
  hourly curve: hour 10 50%, hour 11 50%.
  Burst: Jun 16, 17, 18 each pay 300 at 20:00 -> 900 in 3 days = 300 a day.
  -> a pre-heat day sold 60 / 300 = 0.2 of a burst day.
Campaign "Double 11": pre-heat Nov 6-9 (4 days), burst Nov 10-11 (2 days), target 2000 ->
  1000 a burst day; pre-heat target from the baseline = 1000 x 0.2 x 4 days = 800, 200 a day.
The store's usual day: Oct 20 and Nov 5 each pay 70; the 28 days before the pre-heat (Oct 9 -
  Nov 5) are rolled up -> 140 / 28 = 5 a day -> pre-heat target 5 x 4 = 20, 5 a day.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from analytics.rollups.services import rollup_range
from campaigns.monitoring import campaign_pace, hourly_curve
from campaigns.services import campaign_hours_refresh
from campaigns.targets import day_target, preheat_days, preheat_target
from opsdesk.channels import Channel
from tests.campaigns.shop import D, at, pay
from tests.factories import CampaignFactory, CustomerFactory, SkuFactory, StoreFactory

pytestmark = pytest.mark.django_db
TODAY = D(2026, 11, 6)


@pytest.fixture
def world():
    store = StoreFactory(slug="tea-house", time_zone="Asia/Shanghai")
    sku = SkuFactory(store=store, code="S1", stock=1000)
    buyer = CustomerFactory(store=store)

    def sells(day, hour, minute, amount):
        pay(store, buyer, at(day, hour, minute), Channel.SEARCH, [(sku, 1, amount)])

    sells(D(2026, 6, 14), 10, 20, 60)
    sells(D(2026, 6, 15), 11, 40, 60)
    for day in (16, 17, 18):
        sells(D(2026, 6, day), 20, 0, 300)
    sells(D(2026, 10, 20), 9, 0, 70)
    sells(D(2026, 11, 5), 9, 0, 70)
    rollup_range(store=store, start=D(2026, 6, 14), end=D(2026, 6, 18), tiers=False)
    rollup_range(store=store, start=D(2026, 10, 9), end=D(2026, 11, 5), tiers=False)
    baseline = CampaignFactory(
        store=store,
        name="618",
        kind="618",
        preparation_start=D(2026, 5, 1),
        preheat_start=D(2026, 6, 14),
        burst_start=D(2026, 6, 16),
        burst_end=D(2026, 6, 18),
        wrapup_end=D(2026, 6, 21),
    )
    campaign = CampaignFactory(
        store=store,
        name="Double 11",
        preparation_start=D(2026, 9, 27),
        preheat_start=D(2026, 11, 6),
        burst_start=D(2026, 11, 10),
        burst_end=D(2026, 11, 11),
        wrapup_end=D(2026, 11, 14),
        gmv_target=Decimal("2000.00"),
        baseline=baseline,
    )
    return SimpleNamespace(store=store, sku=sku, buyer=buyer, baseline=baseline, campaign=campaign)


def test_pre_heat_target_from_the_baseline_pre_heat_share(world):
    target = preheat_target(store=world.store, campaign=world.campaign, today=TODAY)
    # 60 a pre-heat day / 300 a burst day = 0.2; 1000 a burst day x 0.2 x 4 days = 800.
    assert (target.source, target.baseline_ratio) == ("baseline", Decimal("0.200000"))
    assert (target.total, target.per_day, target.days) == (
        Decimal("800.00"),
        Decimal("200.00"),
        4,
    )
    assert (target.reference_start, target.reference_end) == (D(2026, 6, 14), D(2026, 6, 18))


def test_same_lengths_keep_the_baseline_pre_heat_share_of_its_total(world):
    # Campaign as long as the baseline (2 pre-heat, 3 burst days), target 900: the rule gives
    # 900 / 3 x 0.2 x 2 = 120, and 120 / (120 + 900) = the baseline's 120 / (120 + 900).
    world.campaign.preheat_start = D(2026, 11, 8)
    world.campaign.burst_end = D(2026, 11, 12)
    world.campaign.wrapup_end = D(2026, 11, 15)
    world.campaign.gmv_target = Decimal("900.00")
    target = preheat_target(store=world.store, campaign=world.campaign, today=TODAY)
    assert (target.total, target.per_day) == (Decimal("120.00"), Decimal("60.00"))


def test_pre_heat_target_from_the_stores_usual_day_without_a_baseline(world):
    world.campaign.baseline = None
    target = preheat_target(store=world.store, campaign=world.campaign, today=TODAY)
    # Oct 9 - Nov 5 rolled up: (70 + 70) / 28 = 5 a day, x 4 pre-heat days = 20.
    assert (target.source, target.recent_gmv_per_day) == ("recent", Decimal("5.00"))
    assert (target.total, target.per_day) == (Decimal("20.00"), Decimal("5.00"))
    assert (target.reference_start, target.reference_end) == (D(2026, 10, 9), D(2026, 11, 5))


def test_a_baseline_without_pre_heat_sales_falls_back_to_the_usual_day(world):
    world.baseline.preheat_start = world.baseline.burst_start  # no pre-heat days at all
    assert preheat_target(store=world.store, campaign=world.campaign, today=TODAY).source == (
        "recent"
    )


def test_a_set_pre_heat_target_wins_and_is_split_evenly_half_up(world):
    world.campaign.preheat_gmv_target = Decimal("1000.02")
    target = preheat_target(store=world.store, campaign=world.campaign, today=TODAY)
    # 1000.02 / 4 = 250.005 -> 250.01 (half up).
    assert (target.source, target.total, target.per_day) == (
        "set",
        Decimal("1000.02"),
        Decimal("250.01"),
    )
    # Set without a GMV target still counts: the manager planned the pre-heat only.
    world.campaign.gmv_target = None
    assert preheat_target(store=world.store, campaign=world.campaign, today=TODAY).per_day == (
        Decimal("250.01")
    )


def test_no_gmv_target_no_derived_pre_heat_target(world):
    world.campaign.gmv_target = None
    target = preheat_target(store=world.store, campaign=world.campaign, today=TODAY)
    assert (target.source, target.total, target.per_day) == (None, None, None)


def test_no_rolled_up_day_no_derived_target(world):
    world.campaign.baseline = None
    world.campaign.preheat_start = D(2026, 8, 1)  # the 28 days before it hold no rollup
    world.campaign.burst_start = D(2026, 8, 5)
    world.campaign.burst_end = D(2026, 8, 5)
    world.campaign.wrapup_end = D(2026, 8, 8)
    assert preheat_target(store=world.store, campaign=world.campaign, today=TODAY).source is None


def test_day_targets_of_each_phase(world):
    campaign = world.campaign
    targets = {
        day: day_target(store=world.store, campaign=campaign, day=day, today=TODAY)
        for day in (D(2026, 11, 5), D(2026, 11, 6), D(2026, 11, 9), D(2026, 11, 10))
    }
    assert {day: (t.amount, t.source) for day, t in targets.items()} == {
        D(2026, 11, 5): (None, None),  # before the pre-heat
        D(2026, 11, 6): (Decimal("200.00"), "baseline"),
        D(2026, 11, 9): (Decimal("200.00"), "baseline"),
        D(2026, 11, 10): (Decimal("1000.00"), "burst"),
    }
    assert preheat_days(campaign) == 4


def test_a_campaign_without_pre_heat_has_no_pre_heat_target(world):
    world.campaign.preheat_start = world.campaign.burst_start
    world.campaign.preheat_gmv_target = Decimal("500.00")
    target = preheat_target(store=world.store, campaign=world.campaign, today=TODAY)
    assert (target.days, target.total) == (0, None)


def test_pace_of_a_pre_heat_day_by_hand(world):
    """Nov 6 (pre-heat), now 12:30: 10:15 pays 50, 11:30 pays 30.

    Day target 200 (from the baseline) spread by the baseline's pre-heat curve, hours 10 and
    11 half each: 100 + 100. Complete hours 0..11 made 80 against 200: behind pace; projected
    80 / 100% of the curve = 80; progress 80 / 200 = 40%."""
    store, campaign = world.store, world.campaign
    pay(store, world.buyer, at(TODAY, 10, 15), Channel.SEARCH, [(world.sku, 1, 50)])
    pay(store, world.buyer, at(TODAY, 11, 30), Channel.SEARCH, [(world.sku, 1, 30)])
    now = at(TODAY, 12, 30)
    assert campaign_hours_refresh(campaign=campaign, day=TODAY, now=now) == 13

    curve = hourly_curve(store=store, campaign=campaign, preheat=True)
    assert (curve.source, curve.shares[10], curve.shares[11]) == ("baseline", 0.5, 0.5)
    # The burst days follow the baseline's burst curve instead: all at 20:00.
    assert hourly_curve(store=store, campaign=campaign).shares[20] == 1.0
    pace = campaign_pace(store=store, campaign=campaign, day=TODAY, now=now)

    assert (pace.is_burst_day, pace.day_target, pace.target_source) == (
        False,
        Decimal("200.00"),
        "baseline",
    )
    assert pace.curve_source == "baseline"
    assert [(h.local_hour, h.target_gmv, h.cumulative_target) for h in pace.hours[9:13]] == [
        (9, Decimal("0.00"), Decimal("0.00")),
        (10, Decimal("100.00"), Decimal("100.00")),
        (11, Decimal("100.00"), Decimal("200.00")),
        (12, Decimal("0.00"), Decimal("200.00")),
    ]
    assert (pace.gmv, pace.complete_hours, pace.target_so_far) == (
        Decimal("80.00"),
        12,
        Decimal("200.00"),
    )
    assert pace.behind_pace is True
    assert pace.projected_gmv == Decimal("80.00")
    assert pace.progress == Decimal("0.400000")


def test_pace_of_a_pre_heat_day_ahead_of_a_set_target(world):
    """Set target 40 over 4 days = 10 a day; by 12:30 the day made 80: ahead, not behind."""
    store, campaign = world.store, world.campaign
    campaign.preheat_gmv_target = Decimal("40.00")
    campaign.save()
    pay(store, world.buyer, at(TODAY, 10, 15), Channel.SEARCH, [(world.sku, 1, 80)])
    now = at(TODAY, 12, 30)
    campaign_hours_refresh(campaign=campaign, day=TODAY, now=now)
    pace = campaign_pace(store=store, campaign=campaign, day=TODAY, now=now)
    assert (pace.day_target, pace.target_source, pace.target_so_far) == (
        Decimal("10.00"),
        "set",
        Decimal("10.00"),
    )
    assert pace.behind_pace is False
    assert pace.progress == Decimal("8.000000")  # 80 / 10
