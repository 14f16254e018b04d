"""The per-day channel series of DailyMetricsRunner (the channel trends of the traffic page):
hand-worked cells of the small shop, and every cell against a brute-force computation from
the raw facts (orders and events), by day and by week."""

import datetime
import json
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from analytics.metrics import rate
from analytics.models import BehaviourEvent, Order
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner, bucket_ranges
from analytics.rollups.services import rollup_range
from opsdesk.localtime import local_day
from tests.analytics.handworked import D1, D2, D3, build_shop
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    return shop


def run(store, start, end, interval="day"):
    return DailyMetricsRunner(
        store=store,
        query=DailyMetricsQuery(start=start, end=end, interval=interval, channel_series=True),
    ).run(use_cache=False)


def brute_force(store, start, end, interval):
    """GMV, UV, paying buyers and conversion per (bucket start, channel), straight from the
    facts: paid orders by the local day of paid_at and the order's channel; events by the
    local day of occurred_at and the event's channel; distinct within the bucket."""
    zone = store.zone
    buckets = bucket_ranges(start, end, interval)

    def bucket_of(day):
        return next((first for first, last in buckets if first <= day <= last), None)

    gmv = defaultdict(lambda: Decimal("0"))
    buyers, visitors = defaultdict(set), defaultdict(set)
    for order in Order.objects.filter(store=store, paid_at__isnull=False):
        bucket = bucket_of(local_day(zone, order.paid_at))
        if bucket:
            gmv[(bucket, order.channel)] += order.paid_amount
            buyers[(bucket, order.channel)].add(order.customer_id)
    for event in BehaviourEvent.objects.filter(store=store):
        bucket = bucket_of(local_day(zone, event.occurred_at))
        if bucket:
            visitors[(bucket, event.channel)].add(event.visitor_id)
    keys = set(gmv) | set(visitors)
    return {
        key: (
            gmv[key],
            len(visitors[key]),
            len(buyers[key]),
            rate(len(buyers[key]), len(visitors[key])),
        )
        for key in keys
    }


def cells(result):
    return {
        (point.start, series.channel): (
            point.metrics.gmv,
            point.metrics.uv,
            point.metrics.paying_buyers,
            point.metrics.conversion_rate,
        )
        for series in result.channel_series
        for point in series.points
        if point.metrics.gmv or point.metrics.uv or point.metrics.paying_buyers
    }


def test_channel_series_by_day_hand_worked(shop):
    result = run(shop.a, D1, D3)
    # Channels by GMV of the range: paid_search 200+100, paid_feed 270, search 60+100,
    # content 50, then the channels without GMV by code: direct, recommendation.
    assert [s.channel for s in result.channel_series] == [
        "paid_search",
        "paid_feed",
        "search",
        "content",
        "direct",
        "recommendation",
    ]
    search = next(s for s in result.channel_series if s.channel == "search")
    assert [p.start for p in search.points] == [D1, D2, D3]
    # D1: v2 and v5 visit through search, O2 (bob) is paid only at D2 00:10 -> 0 of 2.
    # D2: O2 60, visitors v5 (pay 00:10) and v2 -> 1 buyer of 2 = 50%.
    # D3: O6 100 (alice), visitors v1 and v2 -> 50%.
    assert [(p.metrics.gmv, p.metrics.uv, p.metrics.paying_buyers) for p in search.points] == [
        (Decimal("0.00"), 2, 0),
        (Decimal("60.00"), 2, 1),
        (Decimal("100.00"), 2, 1),
    ]
    assert [p.metrics.conversion_rate for p in search.points] == [
        Decimal("0"),
        Decimal("0.5"),
        Decimal("0.5"),
    ]
    paid_search = next(s for s in result.channel_series if s.channel == "paid_search")
    # D1 O1 200 and D2 O3 100 (alice, v1 each day); nothing on D3: zeros, no conversion.
    assert [(p.metrics.gmv, p.metrics.uv) for p in paid_search.points] == [
        (Decimal("200.00"), 1),
        (Decimal("100.00"), 1),
        (Decimal("0.00"), 0),
    ]
    assert [p.metrics.conversion_rate for p in paid_search.points] == [
        Decimal("1"),
        Decimal("1"),
        None,
    ]
    # ROI of a channel-day: paid_search D1 200 / 100 spend = 2; D2 100 / 50 = 2.
    assert [p.metrics.roi for p in paid_search.points[:2]] == [Decimal("2"), Decimal("2")]
    assert cells(result) == brute_force(shop.a, D1, D3, "day")


def test_channel_series_by_week_counts_distinct_over_the_week(shop):
    # D1 (Sunday) ends a week; D2..D3 start the next.
    result = run(shop.a, D1, D3, interval="week")
    search = next(s for s in result.channel_series if s.channel == "search")
    assert [(p.start, p.end) for p in search.points] == [(D1, D1), (D2, D3)]
    # D2..D3 through search: visitors v5, v2 (both days: once), v1 -> 3, not 2 + 2 = 4;
    # buyers bob (O2) and alice (O6) -> 2 of 3.
    week = search.points[1]
    assert (week.metrics.gmv, week.metrics.uv, week.metrics.paying_buyers) == (
        Decimal("160.00"),
        3,
        2,
    )
    assert week.metrics.conversion_rate == Decimal("0.666667")
    assert cells(result) == brute_force(shop.a, D1, D3, "week")


def test_channel_series_is_off_unless_asked_and_cached_with_the_query(
    shop, django_assert_num_queries
):
    plain = DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D1, end=D3)).run()
    assert plain.channel_series == ()
    runner = DailyMetricsRunner(
        store=shop.a, query=DailyMetricsQuery(start=D1, end=D3, channel_series=True)
    )
    first = runner.run()
    assert len(first.channel_series) == 6
    # Cached: the second run answers from the cache without a query.
    with django_assert_num_queries(0):
        assert runner.run() == first


def test_channel_series_reads_only_its_store_and_marks_unrolled_days_missing(shop):
    before = D1 - datetime.timedelta(days=1)
    result = run(shop.a, before, D1)
    assert result.missing_days == (before,)
    search = next(s for s in result.channel_series if s.channel == "search")
    assert [p.metrics.uv for p in search.points] == [0, 2]
    # GMV adds up over channels to the store's own total: A 200 + 160 + 420 = 780.
    for store, total in ((shop.a, Decimal("780.00")), (shop.b, None)):
        whole = run(store, D1, D3)
        summed = sum(p.metrics.gmv for s in whole.channel_series for p in s.points)
        assert summed == whole.totals.gmv
        if total is not None:
            assert summed == total


@pytest.fixture
def shop_client(client, shop):
    user = MembershipFactory(store=shop.a, user__username="op").user
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_traffic_page_shows_the_channel_trends_chart_and_table(shop_client, shop):
    response = shop_client.get(
        reverse("traffic"), {"range": "custom", "start": D1.isoformat(), "end": D3.isoformat()}
    )
    assert response.status_code == 200
    page = response.content.decode()
    figure = json.loads(
        re.search(
            r'<script id="channel-trend-chart-data" type="application/json">(.*?)</script>',
            page,
            re.S,
        ).group(1)
    )
    # 6 channels x 3 panels (GMV, UV, conversion in %), one legend entry per channel.
    assert len(figure["data"]) == 18
    search_traces = [t for t in figure["data"] if t["legendgroup"] == "search"]
    assert [t["y"] for t in search_traces] == [[0.0, 60.0, 100.0], [2, 2, 2], [0.0, 50.0, 50.0]]
    assert [t["yaxis"] for t in search_traces] == ["y", "y2", "y3"]
    assert sum(1 for t in figure["data"] if t["showlegend"]) == 6
    # The table: the D2 search row carries the runner's numbers.
    row = re.search(r'<tr data-day="2026-11-02" data-channel="search">(.*?)</tr>', page, re.S)
    assert row, "no D2 search row"
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(1)) == ["¥60.00", "2", "50.0%"]
    # Newest day first.
    days = re.findall(r'<tr data-day="([0-9-]+)" data-channel="paid_search">', page)
    assert days == ["2026-11-03", "2026-11-02", "2026-11-01"]
