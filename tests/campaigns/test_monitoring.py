"""Day-of monitoring by hand: hourly rows from the facts, target pace, projection, flags.

Store Tea House (Asia/Shanghai). Campaign: pre-heat 2026-11-09, burst 11-10 and 11-11,
target 2000 -> 1000 per burst day. No baseline, so the curve is the store's usual one: the
28 days before the pre-heat hold three orders on Nov 1 paid at 00:30 (100), 01:30 (100) and
02:30 (200): hour 0 = 25%, hour 1 = 25%, hour 2 = 50% of a day's GMV.

Burst day Nov 10, now = 02:30 local:
  00:10 A pays 150 (S1 x3 @50)   00:40 B pays 50 (S2 x1)   01:20 A pays 100 (S1 x3 @...)
  02:05 C pays 80 (S2 x1)
  visitors: hour 0: v1 v2 v3 v4; hour 1: v1 v5; hour 2: v6.
hour  GMV  orders buyers UV  day buyers  day UV  target  cumulative target
0     200  2      2      4   2           4       250     250
1     100  1      1      2   2 (A again) 5       250     500
2      80  1      1      1   3           6       500     1000
Complete hours at 02:30: 0 and 1 -> 300 against 500: behind pace; projected finish =
300 / (25% + 25%) = 600.
Stock: lineup S1 has 5 in stock and sold 6 units in the 3 complete hours before 02:00
(23:00-02:00) = 2/h; 46 hours are left in the burst (02:00 Nov 10 to 24:00 Nov 11) -> 92
needed: running out, 5 / 2 = 2.5 hours of cover. S2 (stock 1000) is fine.
"""

import datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError

from campaigns.models import CampaignHour
from campaigns.monitoring import campaign_pace, hour_buckets, hourly_curve, hourly_facts
from campaigns.services import campaign_hours_refresh
from opsdesk.channels import Channel
from tests.campaigns.shop import SHANGHAI, D, at, pay, visit
from tests.factories import (
    CampaignFactory,
    CustomerFactory,
    LineupItemFactory,
    SkuFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Service messages are compared in English; the default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"


NOV10 = D(2026, 11, 10)


@pytest.fixture
def burst():
    store = StoreFactory(slug="tea-house", time_zone="Asia/Shanghai")
    s1 = SkuFactory(store=store, code="S1", stock=5)
    s2 = SkuFactory(store=store, code="S2", stock=1000)
    a, b, c, d = (CustomerFactory(store=store) for _ in range(4))
    campaign = CampaignFactory(
        store=store,
        preparation_start=D(2026, 10, 1),
        preheat_start=D(2026, 11, 9),
        burst_start=NOV10,
        burst_end=D(2026, 11, 11),
        wrapup_end=D(2026, 11, 14),
        gmv_target=Decimal("2000.00"),
    )
    LineupItemFactory(campaign=campaign, sku=s1, planned_units=50)
    LineupItemFactory(campaign=campaign, sku=s2, planned_units=50)
    nov1 = D(2026, 11, 1)
    pay(store, d, at(nov1, 0, 30), Channel.SEARCH, [(s2, 1, 100)])
    pay(store, d, at(nov1, 1, 30), Channel.SEARCH, [(s2, 1, 100)])
    pay(store, d, at(nov1, 2, 30), Channel.SEARCH, [(s2, 2, 100)])
    pay(store, a, at(NOV10, 0, 10), Channel.SEARCH, [(s1, 3, 50)])
    pay(store, b, at(NOV10, 0, 40), Channel.SEARCH, [(s2, 1, 50)])
    pay(store, a, at(NOV10, 1, 20), Channel.SEARCH, [(s1, 3, Decimal("33.34"))])
    pay(store, c, at(NOV10, 2, 5), Channel.SEARCH, [(s2, 1, 80)])
    visit(store, ["v1", "v2", "v3", "v4"], at(NOV10, 0, 1))
    visit(store, ["v1", "v5"], at(NOV10, 1, 1))
    visit(store, ["v6"], at(NOV10, 2, 1))
    return store, campaign


def test_hourly_rows_from_the_facts(burst):
    _store, campaign = burst
    written = campaign_hours_refresh(campaign=campaign, day=NOV10, now=at(NOV10, 2, 30))

    assert written == 3  # hours 0, 1 and the running hour 2; nothing invented after it
    rows = CampaignHour.objects.filter(campaign=campaign).order_by("hour")
    assert [
        (r.local_hour, r.gmv, r.paid_orders, r.paying_buyers, r.uv, r.day_buyers, r.day_uv)
        for r in rows
    ] == [
        (0, Decimal("200.00"), 2, 2, 4, 2, 4),
        (1, Decimal("100.02"), 1, 1, 2, 2, 5),
        (2, Decimal("80.00"), 1, 1, 1, 3, 6),
    ]
    assert rows[0].hour == datetime.datetime(2026, 11, 9, 16, tzinfo=datetime.UTC)


def test_refresh_is_idempotent_and_updates_the_running_hour(burst):
    store, campaign = burst
    campaign_hours_refresh(campaign=campaign, day=NOV10, now=at(NOV10, 2, 30))
    campaign_hours_refresh(campaign=campaign, day=NOV10, now=at(NOV10, 2, 30))
    assert CampaignHour.objects.filter(campaign=campaign).count() == 3
    pay(store, CustomerFactory(store=store), at(NOV10, 2, 45), Channel.SEARCH, [])
    campaign_hours_refresh(campaign=campaign, day=NOV10, now=at(NOV10, 2, 50))
    assert CampaignHour.objects.get(campaign=campaign, local_hour=2).paid_orders == 2


def test_pace_projection_and_flags_by_hand(burst):
    store, campaign = burst
    # 100.02 in hour 1 (3 x 33.34) keeps the arithmetic honest; the docstring rounds it.
    campaign_hours_refresh(campaign=campaign, day=NOV10, now=at(NOV10, 2, 30))

    curve = hourly_curve(store=store, campaign=campaign)
    assert curve.source == "usual"
    assert curve.shares[:3] == pytest.approx((0.25, 0.25, 0.5))
    pace = campaign_pace(store=store, campaign=campaign, day=NOV10, now=at(NOV10, 2, 30))

    assert pace.day_target == Decimal("1000.00")
    assert [(h.target_gmv, h.cumulative_target) for h in pace.hours] == [
        (Decimal("250.00"), Decimal("250.00")),
        (Decimal("250.00"), Decimal("500.00")),
        (Decimal("500.00"), Decimal("1000.00")),
    ]
    assert [h.cumulative_gmv for h in pace.hours] == [
        Decimal("200.00"),
        Decimal("300.02"),
        Decimal("380.02"),
    ]
    assert [h.complete for h in pace.hours] == [True, True, False]
    assert pace.hours[0].conversion_rate == Decimal("0.500000")  # 2 buyers / 4 UV
    assert pace.hours[2].day_conversion_rate == Decimal("0.500000")  # 3 / 6
    assert pace.complete_hours == 2
    assert pace.target_so_far == Decimal("500.00")
    assert pace.projected_gmv == Decimal("600.04")  # 300.02 / 0.5
    assert pace.progress == Decimal("0.380020")
    assert pace.behind_pace is True
    (alert,) = pace.stock_alerts
    assert (alert.code, alert.stock, alert.units_per_hour, alert.hours_left) == (
        "S1",
        5,
        Decimal("2.00"),
        46,
    )
    assert alert.hours_of_cover == Decimal("2.5")


def test_not_behind_when_ahead_of_the_curve(burst):
    store, campaign = burst
    campaign.gmv_target = Decimal("1000.00")  # 500 a day: 125 + 125 by 02:00
    campaign.save()
    campaign_hours_refresh(campaign=campaign, day=NOV10, now=at(NOV10, 2, 30))
    pace = campaign_pace(store=store, campaign=campaign, day=NOV10, now=at(NOV10, 2, 30))
    assert pace.target_so_far == Decimal("250.00")
    assert pace.behind_pace is False


def test_burst_progress_adds_up_the_burst_days_so_far(burst):
    """At 00:30 on Nov 11 (the second burst day): Nov 10 made 200 + 100.02 + 80 = 380.02,
    Nov 11 50 so far (00:20) -> the burst 430.02 of the 2000 target = 21.501%; Nov 10 alone
    380.02 = 19.001%; a pre-heat day has no burst progress."""
    store, campaign = burst
    from catalog.models import Sku

    s2 = Sku.objects.get(store=store, code="S2")
    nov11 = D(2026, 11, 11)
    pay(store, CustomerFactory(store=store), at(nov11, 0, 20), Channel.SEARCH, [(s2, 1, 50)])
    now = at(nov11, 0, 30)
    for day in (D(2026, 11, 9), NOV10, nov11):
        campaign_hours_refresh(campaign=campaign, day=day, now=now)

    second = campaign_pace(store=store, campaign=campaign, day=nov11, now=now)
    assert (second.gmv, second.progress) == (Decimal("50.00"), Decimal("0.050000"))
    assert (second.burst_gmv, second.burst_progress) == (Decimal("430.02"), Decimal("0.215010"))
    first = campaign_pace(store=store, campaign=campaign, day=NOV10, now=now)
    assert (first.burst_gmv, first.burst_progress) == (Decimal("380.02"), Decimal("0.190010"))
    preheat = campaign_pace(store=store, campaign=campaign, day=D(2026, 11, 9), now=now)
    assert (preheat.burst_gmv, preheat.burst_progress) == (None, None)

    campaign.gmv_target = None
    campaign.save()
    untargeted = campaign_pace(store=store, campaign=campaign, day=nov11, now=now)
    assert (untargeted.burst_gmv, untargeted.burst_progress) == (Decimal("430.02"), None)


def test_pre_heat_day_has_no_target_and_other_days_are_refused(burst):
    store, campaign = burst
    campaign_hours_refresh(campaign=campaign, day=D(2026, 11, 9), now=at(NOV10, 2, 30))
    pace = campaign_pace(store=store, campaign=campaign, day=D(2026, 11, 9), now=at(NOV10, 2, 30))
    assert len(pace.hours) == 24 and pace.day_target is None and pace.behind_pace is False
    with pytest.raises(ValidationError, match="2026-11-12 is not a pre-heat or burst day"):
        campaign_hours_refresh(campaign=campaign, day=D(2026, 11, 12))
    assert not CampaignHour.objects.filter(local_day=D(2026, 11, 12)).exists()


def test_baseline_curve_wins_over_the_usual_one(burst):
    store, campaign = burst
    campaign.baseline = CampaignFactory(
        store=store,
        preparation_start=D(2026, 9, 1),
        preheat_start=D(2026, 10, 1),
        burst_start=D(2026, 10, 2),
        burst_end=D(2026, 10, 2),
        wrapup_end=D(2026, 10, 3),
    )
    sku = SkuFactory(store=store)
    pay(store, CustomerFactory(store=store), at(D(2026, 10, 2), 20), Channel.SEARCH, [(sku, 1, 10)])
    curve = hourly_curve(store=store, campaign=campaign)
    assert curve.source == "baseline"
    assert curve.shares[20] == 1.0


@pytest.mark.parametrize(
    ("zone", "utc_hour", "local_day", "local_hour"),
    [
        # 2026-11-10 15:59 UTC is 23:59 on Nov 10 in Shanghai, 16:00 UTC is 00:00 on Nov 11.
        ("Asia/Shanghai", (15, 59), D(2026, 11, 10), 23),
        ("Asia/Shanghai", (16, 0), D(2026, 11, 11), 0),
        # Los Angeles (PST, UTC-8): 08:10 UTC is 00:10 local on the same date.
        ("America/Los_Angeles", (8, 10), D(2026, 11, 10), 0),
        ("America/Los_Angeles", (7, 50), D(2026, 11, 9), 23),
        # Kolkata (UTC+5:30): 18:29 UTC is 23:59, 18:30 UTC is midnight.
        ("Asia/Kolkata", (18, 29), D(2026, 11, 10), 23),
        ("Asia/Kolkata", (18, 30), D(2026, 11, 11), 0),
    ],
)
def test_an_order_lands_in_its_store_local_hour(zone, utc_hour, local_day, local_hour):
    store = StoreFactory(time_zone=zone)
    when = datetime.datetime(2026, 11, 10, *utc_hour, tzinfo=datetime.UTC)
    pay(store, CustomerFactory(store=store), when, Channel.SEARCH, [])
    facts = hourly_facts(store=store, day=local_day, until=when + datetime.timedelta(hours=2))
    assert [(f.local_hour, f.paid_orders) for f in facts if f.paid_orders] == [(local_hour, 1)]


def test_a_daylight_saving_day_has_25_hours():
    store = StoreFactory(time_zone="America/Los_Angeles")
    facts = hourly_facts(
        store=store,
        day=D(2026, 11, 1),
        until=datetime.datetime(2026, 11, 3, tzinfo=datetime.UTC),
    )
    assert len(facts) == 25
    assert [f.local_hour for f in facts[:3]] == [0, 1, 1]


def test_hour_buckets_over_two_days_start_the_day_counts_again():
    """Nov 10 23:00-24:00 and Nov 11 00:00-02:00 (Shanghai) in one call, as the demo does.

    A pays at 23:10 and again at 00:20, B at 01:30; visitor v1 at 23:05 and 00:05, v2 at 01:40;
    an order at 02:10 is after the hours and is ignored. Day counts restart at midnight: A is
    a new buyer of Nov 11 at 00:00, v1 a new visitor of it."""
    zone = SHANGHAI
    hours = [at(NOV10, 23), at(D(2026, 11, 11), 0), at(D(2026, 11, 11), 1)]
    hours = [hour.astimezone(datetime.UTC) for hour in hours]
    nov11 = D(2026, 11, 11)
    orders = pd.DataFrame(
        {
            "at": [at(NOV10, 23, 10), at(nov11, 0, 20), at(nov11, 1, 30), at(nov11, 2, 10)],
            "cents": [10_00, 20_50, 5_00, 99_00],
            "customer": ["A", "A", "B", "C"],
        }
    )
    events = pd.DataFrame(
        {
            "at": [at(NOV10, 23, 5), at(D(2026, 11, 11), 0, 5), at(D(2026, 11, 11), 1, 40)],
            "visitor": ["v1", "v1", "v2"],
        }
    )
    facts = hour_buckets(zone=zone, hours=hours, orders=orders, events=events)
    assert [
        (f.local_hour, f.gmv, f.paid_orders, f.paying_buyers, f.uv, f.day_buyers, f.day_uv)
        for f in facts
    ] == [
        (23, Decimal("10.00"), 1, 1, 1, 1, 1),
        (0, Decimal("20.50"), 1, 1, 1, 1, 1),  # a new day: A and v1 count again
        (1, Decimal("5.00"), 1, 1, 1, 2, 2),
    ]


def test_hour_buckets_of_no_facts_are_zero_hours():
    hours = [at(NOV10, 0).astimezone(datetime.UTC)]
    empty_orders = pd.DataFrame({"at": [], "cents": [], "customer": []})
    empty_events = pd.DataFrame({"at": [], "visitor": []})
    (fact,) = hour_buckets(zone=SHANGHAI, hours=hours, orders=empty_orders, events=empty_events)
    assert (fact.gmv, fact.paid_orders, fact.uv, fact.day_uv) == (Decimal("0.00"), 0, 0, 0)
