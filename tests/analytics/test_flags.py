import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import DailyChannelMetrics, DailySkuMetrics, DailyStoreMetrics
from analytics.reports.flags import FlagsQuery, FlagsRunner
from analytics.rollups.services import rollup_range
from opsdesk.channels import Channel
from tests.analytics.handworked import D1, D3, build_shop
from tests.factories import SkuFactory, StoreFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 30)


def channel_day(store, day, channel, **values):
    DailyChannelMetrics.objects.create(
        store=store, day=day, channel=channel, computed_at=timezone.now(), **values
    )


def test_handworked_consider_pausing():
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    flags = FlagsRunner(store=shop.a, query=FlagsQuery(day=D3)).run().flags
    pausing = [f for f in flags if f.kind == "consider_pausing"]
    # 7 days to D3: paid_feed 270 / 300 = 0.9 < 1 -> flagged; paid_search 300 / 150 = 2 -> not;
    # content sold 50 without spend -> no ROI, never flagged.
    assert [(f.channel, f.value) for f in pausing] == [(Channel.PAID_FEED, Decimal("0.900000"))]


def test_roi_window_is_seven_days():
    store = StoreFactory(slug="roi")
    # A loss 7 days before MONDAY is outside [MONDAY-6, MONDAY].
    channel_day(
        store,
        MONDAY - datetime.timedelta(days=7),
        Channel.PAID_SEARCH,
        gmv=Decimal("0"),
        ad_spend=Decimal("1000"),
    )
    channel_day(
        store,
        MONDAY - datetime.timedelta(days=6),
        Channel.PAID_SEARCH,
        gmv=Decimal("100"),
        ad_spend=Decimal("100"),
    )  # ROI exactly 1: not below 1
    assert FlagsRunner(store=store, query=FlagsQuery(day=MONDAY)).run().flags == ()


@pytest.mark.parametrize(("today_spend", "flagged"), [("121", True), ("120", False)])
def test_cpc_above_own_median(today_spend, flagged):
    store = StoreFactory(slug="cpc")
    for ago in range(1, 11):  # 10 days of CPC 1.00 (100 / 100 clicks)
        channel_day(
            store,
            MONDAY - datetime.timedelta(days=ago),
            Channel.PAID_FEED,
            ad_spend=Decimal("100"),
            clicks=100,
            impressions=1000,
        )
    channel_day(
        store,
        MONDAY,
        Channel.PAID_FEED,
        ad_spend=Decimal(today_spend),
        clicks=100,
        impressions=1000,
        gmv=Decimal("1000"),
    )
    flags = [
        f
        for f in FlagsRunner(store=store, query=FlagsQuery(day=MONDAY)).run().flags
        if f.kind == "cpc_above_median"
    ]
    # 1.21 > 1.00 x 1.2 is flagged; 1.20 is not "more than 20%" above.
    assert bool(flags) is flagged
    if flagged:
        assert (flags[0].channel, flags[0].value, flags[0].high) == (
            Channel.PAID_FEED,
            Decimal("1.21"),
            Decimal("1.20"),
        )


def test_gmv_anomaly_names_contributors():
    store = StoreFactory(slug="anomaly")
    tea = SkuFactory(store=store, code="TEA")
    cup = SkuFactory(store=store, code="CUP")
    now = timezone.now()
    history = [100, 110, 90, 100, 105, 95, 100, 2000]  # 8 previous Mondays, one past spike
    for week, gmv in enumerate(history, start=1):
        day = MONDAY - datetime.timedelta(weeks=week)
        DailyStoreMetrics.objects.create(store=store, day=day, gmv=Decimal(gmv), computed_at=now)
        channel_day(store, day, Channel.SEARCH, gmv=Decimal(gmv))
        DailySkuMetrics.objects.create(
            store=store, day=day, sku=tea, gmv=Decimal(gmv), computed_at=now
        )
    DailyStoreMetrics.objects.create(store=store, day=MONDAY, gmv=Decimal("400"), computed_at=now)
    channel_day(store, MONDAY, Channel.SEARCH, gmv=Decimal("100"))
    channel_day(store, MONDAY, Channel.PAID_FEED, gmv=Decimal("300"))
    DailySkuMetrics.objects.create(
        store=store, day=MONDAY, sku=cup, gmv=Decimal("300"), computed_at=now
    )
    DailySkuMetrics.objects.create(
        store=store, day=MONDAY, sku=tea, gmv=Decimal("100"), computed_at=now
    )
    (flag,) = FlagsRunner(store=store, query=FlagsQuery(day=MONDAY)).run().flags
    # Median of the 8 Mondays: sorted 90 95 100 100 100 105 110 2000 -> 100.
    # |x - 100|: 10 5 0 0 0 5 10 1900 -> MAD 5; 3 x 1.4826 x 5 = 22.239 > 20% of 100 = 20.
    assert flag.kind == "gmv_anomaly"
    assert (flag.low, flag.high) == (Decimal("77.76"), Decimal("122.24"))
    contributors = [(c.kind, c.key, c.delta) for c in flag.contributors]
    # paid_feed +300 (no history), search 100 - median 100 = 0; SKU cup +300, tea 0.
    assert contributors[0] == ("channel", Channel.PAID_FEED, Decimal("300"))
    assert ("sku", "CUP", Decimal("300")) in contributors


def test_gmv_within_band_or_too_little_history_is_not_flagged():
    store = StoreFactory(slug="calm")
    now = timezone.now()
    for week in range(1, 4):  # only 3 comparison weeks: not enough
        DailyStoreMetrics.objects.create(
            store=store,
            day=MONDAY - datetime.timedelta(weeks=week),
            gmv=Decimal("100"),
            computed_at=now,
        )
    DailyStoreMetrics.objects.create(store=store, day=MONDAY, gmv=Decimal("1000"), computed_at=now)
    assert FlagsRunner(store=store, query=FlagsQuery(day=MONDAY)).run().flags == ()
    DailyStoreMetrics.objects.create(
        store=store, day=MONDAY - datetime.timedelta(weeks=4), gmv=Decimal("100"), computed_at=now
    )
    DailyStoreMetrics.objects.filter(store=store, day=MONDAY).update(gmv=Decimal("119"))
    # Flat history: MAD 0, the 20% floor gives 80..120; 119 is inside.
    assert FlagsRunner(store=store, query=FlagsQuery(day=MONDAY)).run(use_cache=False).flags == ()
