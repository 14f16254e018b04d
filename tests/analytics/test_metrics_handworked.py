"""Every metric of DOMAIN.md on the hand-made shop of ``handworked.py``, worked out by hand.

The numbers in the comments are computed from the tables in ``handworked.py``'s docstring.
"""

import datetime
from decimal import Decimal

import pytest

from analytics.models import DailyChannelMetrics, DailyStoreMetrics
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.rollups.services import rollup_range
from opsdesk.channels import Channel
from tests.analytics.handworked import D1, D2, D3, build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    rollup_range(store=shop.b, start=D1 - datetime.timedelta(days=1), end=D2)
    return shop


def daily(shop, day):
    return DailyStoreMetrics.objects.get(store=shop.a, day=day)


def test_gmv_orders_buyers_per_day(shop):
    d1, d2, d3 = daily(shop, D1), daily(shop, D2), daily(shop, D3)
    # D1: O1 200. O2 was created on D1 23:50 but paid D2 00:10, so it is D2's.
    assert (d1.gmv, d1.paid_orders, d1.paying_buyers) == (Decimal("200.00"), 1, 1)
    # D2: O2 60 (50 goods + 10 shipping) + O3 100 = 160; O4 never paid does not count.
    assert (d2.gmv, d2.paid_orders, d2.paying_buyers) == (Decimal("160.00"), 2, 2)
    # D3: O5 270 (pre-sale counted when the balance is paid) + O6 100 + O7 50 = 420.
    assert (d3.gmv, d3.paid_orders, d3.paying_buyers) == (Decimal("420.00"), 3, 3)


def test_new_buyers_refunds_gross_profit_per_day(shop):
    d1, d2, d3 = daily(shop, D1), daily(shop, D2), daily(shop, D3)
    # D1 alice first-ever; D2 bob first-ever (alice is not); D3 dave bought on 10-01: nobody.
    assert (d1.new_buyers, d2.new_buyers, d3.new_buyers) == (1, 1, 0)
    # R1 (50) is reported on D3, the day it happened, not on O1's day.
    assert (d1.refund_amount, d2.refund_amount, d3.refund_amount) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("50.00"),
    )
    # GP: D1 (100-40)x2 = 120; D2 O2 (50-30) + O3 (100-40) = 80; D3 O5 (90-40)x3 + O6 60 + O7 20.
    assert (d1.gross_profit, d2.gross_profit, d3.gross_profit) == (
        Decimal("120.00"),
        Decimal("80.00"),
        Decimal("230.00"),
    )


def test_traffic_per_day(shop):
    d1, d2, d3 = daily(shop, D1), daily(shop, D2), daily(shop, D3)
    # D1: views v1, v2 x2, v3, v5 = 5 PV; visitors v1 v2 v3 v5 = 4; cart v1 v3 v5; order v1 v5;
    # pay v1 (v5 paid after midnight).
    assert (d1.pv, d1.uv, d1.cart_visitors, d1.order_visitors, d1.pay_visitors) == (5, 4, 3, 2, 1)
    # D2: views v1 v2 v4 = 3; visitors v5 (pay only) v1 v2 v4 = 4; no cart; order v1; pay v5 v1.
    assert (d2.pv, d2.uv, d2.cart_visitors, d2.order_visitors, d2.pay_visitors) == (3, 4, 0, 1, 2)
    # D3: views v6 v1 v5 v2 = 4; visitors 4; cart v6 v1; order v6 v1 v5; pay v6 v1 v5.
    assert (d3.pv, d3.uv, d3.cart_visitors, d3.order_visitors, d3.pay_visitors) == (4, 4, 2, 3, 3)


def test_daily_series_metrics(shop):
    result = DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D1, end=D3)).run()
    d1, d2, d3 = (point.metrics for point in result.series)
    # Conversion = buyers / UV: 1/4, 2/4, 3/4.
    assert (d1.conversion_rate, d2.conversion_rate, d3.conversion_rate) == (
        Decimal("0.250000"),
        Decimal("0.500000"),
        Decimal("0.750000"),
    )
    # D1 ROI: paid_search 200 / 100 = 2; D2: paid_search 100 / 50 = 2;
    # D3: only paid_feed had spend: 270 / 300 = 0.9 (content's 50 has no spend, not counted).
    assert (d1.roi, d2.roi, d3.roi) == (Decimal("2.000000"), Decimal("2.000000"), Decimal("0.9"))
    # D3 refund rate 50 / 420 = 0.1190476.. -> 0.119048; D1 has none: 0 / 200 = 0 (a value).
    assert d3.refund_rate == Decimal("0.119048")
    assert d1.refund_rate == Decimal("0.000000")
    # D2 new buyer share: bob of {bob, alice} = 0.5.
    assert d2.new_buyer_share == Decimal("0.500000")


def test_range_totals(shop):
    result = DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D1, end=D3)).run()
    t = result.totals
    assert t.gmv == Decimal("780.00")  # 200 + 160 + 420
    assert t.paid_orders == 6  # O1 O2 O3 O5 O6 O7
    assert t.paying_buyers == 3  # alice bob dave (not 1 + 2 + 3 = 6)
    # UV over the range is distinct: v1..v6 = 6, while the daily UVs add up to 4+4+4 = 12.
    assert t.uv == 6
    assert sum(point.measures.uv for point in result.series) == 12
    assert t.pv == 12  # 5 + 3 + 4: PV is additive
    assert t.refund_amount == Decimal("50.00")
    assert t.net_sales == Decimal("730.00")  # 780 - 50
    assert t.refund_rate == Decimal("0.064103")  # 50 / 780 = 0.0641025..
    assert t.gross_profit == Decimal("430.00")  # 120 + 80 + 230
    assert t.conversion_rate == Decimal("0.500000")  # 3 / 6
    assert t.uv_value == Decimal("130.00")  # 780 / 6
    assert t.average_order_value == Decimal("130.00")  # 780 / 6 orders
    assert t.spend_per_buyer == Decimal("260.00")  # 780 / 3
    # Cart visitors over the range: v1 v3 v5 v6 = 4 of 6.
    assert t.add_to_cart_rate == Decimal("0.666667")
    # New buyers: alice (D1) and bob (D2); dave is a returning buyer: 2 / 3.
    assert t.new_buyers == 2
    assert t.new_buyer_share == Decimal("0.666667")
    # Repurchase: alice 3 orders, bob 2, dave 1 in the range -> 2 of 3 (no day has one!).
    assert t.repurchase_rate == Decimal("0.666667")
    assert [point.measures.repeat_buyers for point in result.series] == [0, 0, 0]
    # Spend 100 + 50 + 300 = 450, impressions 4500, clicks 170, 6 orders.
    assert t.ad_spend == Decimal("450.00")
    assert t.ctr == Decimal("0.037778")  # 170 / 4500 = 0.0377777..
    assert t.cpc == Decimal("2.65")  # 450 / 170 = 2.647..
    assert t.cpa == Decimal("75.00")  # 450 / 6
    # Store ROI: GMV of channels with spend (paid_search 300 + paid_feed 270) / 450.
    assert t.roi == Decimal("1.266667")


def test_range_by_channel(shop):
    query = DailyMetricsQuery(start=D1, end=D3, by_channel=True)
    result = DailyMetricsRunner(store=shop.a, query=query).run()
    channels = {row.channel: row for row in result.channels}
    assert set(channels) == {
        Channel.PAID_SEARCH,
        Channel.SEARCH,
        Channel.PAID_FEED,
        Channel.CONTENT,
        Channel.RECOMMENDATION,
        Channel.DIRECT,
    }
    paid_search = channels[Channel.PAID_SEARCH].metrics
    assert paid_search.gmv == Decimal("300.00")  # O1 200 + O3 100
    assert paid_search.roi == Decimal("2.000000")  # 300 / 150
    assert paid_search.cpc == Decimal("2.14")  # 150 / 70 clicks = 2.142..
    assert paid_search.paying_buyers == 1  # alice twice
    assert paid_search.repurchase_rate == Decimal("1.000000")  # alice: 2 orders in the channel
    assert paid_search.uv == 1  # v1 on D1 and D2
    assert channels[Channel.PAID_FEED].metrics.roi == Decimal("0.900000")  # 270 / 300
    # Content sold 50 but had no spend: no ROI ("-"), never 0 or infinity.
    assert channels[Channel.CONTENT].metrics.gmv == Decimal("50.00")
    assert channels[Channel.CONTENT].metrics.roi is None
    assert channels[Channel.CONTENT].metrics.cpc is None
    # Search: O2 60 + O6 100; buyers bob, alice; visitors v2 v5 v1 (v1 on D3).
    search = channels[Channel.SEARCH].metrics
    assert (search.gmv, search.paying_buyers, search.uv) == (Decimal("160.00"), 2, 3)
    # Channel GMVs add up to the store's GMV; channel UVs do not (v1, v5 in two channels).
    assert sum(row.metrics.gmv for row in result.channels) == result.totals.gmv
    assert sum(row.metrics.uv for row in result.channels) == 8 > result.totals.uv


def test_weekly_bucket_counts_distinct(shop):
    query = DailyMetricsQuery(start=D1, end=D3, interval="week")
    result = DailyMetricsRunner(store=shop.a, query=query).run()
    # 2026-11-01 is a Sunday: week 1 = [11-01], week 2 = [11-02, 11-03] (clipped).
    assert [(p.start, p.end) for p in result.series] == [(D1, D1), (D2, D3)]
    week2 = result.series[1].measures
    # D2..D3: visitors v5 v1 v2 v4 v6 = 5 (daily 4 + 4 = 8); buyers bob alice dave = 3.
    assert (week2.uv, week2.paying_buyers, week2.gmv) == (5, 3, Decimal("580.00"))
    # bob (O2, O7) and alice (O3, O6) bought twice in week 2.
    assert week2.repeat_buyers == 2


def test_sku_table(shop):
    query = DailyMetricsQuery(start=D1, end=D3, by_sku=True)
    skus = {row.code: row for row in DailyMetricsRunner(store=shop.a, query=query).run().skus}
    tea, cup = skus["TEA"], skus["CUP"]
    # tea: O1 2x100, O3 1x100, O5 3x90, O6 1x100 = 7 units, 670; GP 120+60+150+60 = 390.
    assert (tea.units, tea.gmv, tea.gross_profit, tea.paid_orders) == (
        7,
        Decimal("670.00"),
        Decimal("390.00"),
        4,
    )
    # tea buyers alice, dave = 2 (distinct over the range); first orders: O1 (alice) = 1.
    assert (tea.buyers, tea.first_orders) == (2, 1)
    # tea views: v1 D1, v2 D1, v1 D2, v2 D2, v6 D3, v1 D3, v2 D3 = 7; visitors v1 v2 v6 = 3.
    assert (tea.views, tea.visitors, tea.cart_visitors) == (7, 3, 2)
    # cup: O2 and O7 (bob): 2 units, 100, GP 40; first orders O2 = 1; buyers 1.
    assert (cup.units, cup.gmv, cup.gross_profit, cup.buyers, cup.first_orders) == (
        2,
        Decimal("100.00"),
        Decimal("40.00"),
        1,
        1,
    )


def test_other_time_zone_and_dst_day(shop):
    d1 = DailyStoreMetrics.objects.get(store=shop.b, day=D1)
    # P1 paid 00:05 PDT and P2 paid 23:30 PST (07:30 UTC the next day): both local 11-01,
    # the 25-hour day. P3 is 11-02.
    assert (d1.gmv, d1.paid_orders, d1.uv) == (Decimal("200.00"), 2, 2)
    d2 = DailyStoreMetrics.objects.get(store=shop.b, day=D2)
    assert (d2.gmv, d2.uv) == (Decimal("40.00"), 1)
    result = DailyMetricsRunner(store=shop.b, query=DailyMetricsQuery(start=D1, end=D2)).run()
    assert result.totals.uv == 2  # w1 came back on 11-02
    assert result.totals.repurchase_rate == Decimal("0.500000")  # frank 2 orders, gina 1
    # paid_search: 80 / 100 = 0.8.
    assert result.totals.roi == Decimal("0.800000")
    # 10-31 was rolled up with nothing in it: a zero row, not a missing day.
    assert DailyStoreMetrics.objects.get(store=shop.b, day=D1 - datetime.timedelta(days=1)).gmv == 0


def test_channel_rows_add_up_to_store_rows(shop):
    for day in (D1, D2, D3):
        rows = DailyChannelMetrics.objects.filter(store=shop.a, day=day)
        store_row = daily(shop, day)
        for field in (
            "gmv",
            "paid_orders",
            "new_buyers",
            "refund_amount",
            "gross_profit",
            "pv",
            "ad_spend",
            "impressions",
            "clicks",
        ):
            assert sum(getattr(row, field) for row in rows) == getattr(store_row, field), field


def test_missing_days_are_reported(shop):
    query = DailyMetricsQuery(start=D1, end=D3 + datetime.timedelta(days=1))
    result = DailyMetricsRunner(store=shop.a, query=query).run()
    assert result.missing_days == (D3 + datetime.timedelta(days=1),)
    assert result.totals.gmv == Decimal("780.00")
