import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import (
    BuyerDay,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    StaleDay,
    VisitorSet,
)
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.rollups.services import (
    days_needing_rollup,
    mark_instants_stale,
    mark_orders_stale,
    rollup_day,
    rollup_range,
    rollup_stale,
)
from tests.analytics.handworked import D1, D2, D3, SHANGHAI, at, build_shop
from tests.factories import OrderFactory, RefundFactory

pytestmark = pytest.mark.django_db

TABLES = (DailyStoreMetrics, DailyChannelMetrics, DailySkuMetrics, VisitorSet, BuyerDay)


def snapshot(store):
    """Every rolled-up row of a store, without ids and computed_at."""
    result = {}
    for model in TABLES:
        rows = model.objects.filter(store=store).values()
        result[model.__name__] = sorted(
            tuple(
                sorted(
                    (k, bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v))
                    for k, v in row.items()
                    if k not in ("id", "computed_at")
                )
            )
            for row in rows
        )
    return result


def test_rollup_twice_is_identical():
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    first = snapshot(shop.a)
    rollup_range(store=shop.a, start=D1, end=D3)
    for day in (D1, D2, D3):
        rollup_day(store=shop.a, day=day)
    assert snapshot(shop.a) == first
    assert DailyStoreMetrics.objects.filter(store=shop.a).count() == 3


def test_day_by_day_equals_multi_day_run():
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3, chunk_days=3)
    by_run = snapshot(shop.a)
    rollup_range(store=shop.a, start=D1, end=D3, chunk_days=1)
    assert snapshot(shop.a) == by_run


def test_rollup_of_one_store_leaves_the_other_alone():
    shop = build_shop()
    rollup_range(store=shop.b, start=D1, end=D2)
    other = snapshot(shop.b)
    rollup_range(store=shop.a, start=D1, end=D3)
    rollup_day(store=shop.a, day=D1)
    assert snapshot(shop.b) == other


def test_late_refund_marks_the_day_and_is_rolled_up(django_capture_on_commit_callbacks):
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    before = DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D1, end=D3)).run()
    refund = RefundFactory(
        order=shop.orders["O3"],
        store=shop.a,
        amount=Decimal("30.00"),
        refunded_at=at(SHANGHAI, D2, 18),
    )
    assert mark_instants_stale(store=shop.a, instants=[refund.refunded_at]) == 1
    assert list(StaleDay.objects.filter(store=shop.a).values_list("day", flat=True)) == [D2]
    assert days_needing_rollup(store=shop.a) and D2 in days_needing_rollup(store=shop.a)

    with django_capture_on_commit_callbacks(execute=True):
        results = rollup_stale(store=shop.a)

    assert [r.first_day for r in results] == [D2]
    assert not StaleDay.objects.filter(store=shop.a).exists()
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D2).refund_amount == Decimal("30.00")
    after = DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D1, end=D3)).run()
    # The cached result is not served: the rollup moved the store's generation.
    assert before.totals.refund_amount == Decimal("50.00")
    assert after.totals.refund_amount == Decimal("80.00")


def test_late_earlier_order_moves_the_new_buyer():
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    # bob's first order was O2 (D2). An imported order of D1 makes D1 his first day.
    late = OrderFactory(
        store=shop.a,
        number="LATE",
        customer=shop.customers["bob"],
        created_at=at(SHANGHAI, D1, 8),
        paid_at=at(SHANGHAI, D1, 8),
    )
    assert mark_orders_stale(store=shop.a, orders=[late]) == 2  # D1 and D2
    rollup_stale(store=shop.a)
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D1).new_buyers == 2
    assert DailyStoreMetrics.objects.get(store=shop.a, day=D2).new_buyers == 0


def test_a_mark_made_during_a_rollup_survives(monkeypatch):
    shop = build_shop()
    mark_instants_stale(store=shop.a, instants=[at(SHANGHAI, D2, 1)])
    stale = StaleDay.objects.get(store=shop.a, day=D2)
    # A late fact is marked again after the rollup read the mark (while it reads facts).
    from analytics.rollups import sql

    original = sql.render

    def render_and_remark(template, run):
        StaleDay.objects.filter(pk=stale.pk).update(
            marked_at=stale.marked_at + datetime.timedelta(seconds=1)
        )
        return original(template, run)

    monkeypatch.setattr(sql, "render", render_and_remark)
    rollup_day(store=shop.a, day=D2)
    assert StaleDay.objects.filter(store=shop.a, day=D2).exists()
    monkeypatch.setattr(sql, "render", original)
    rollup_day(store=shop.a, day=D2)
    assert not StaleDay.objects.filter(store=shop.a, day=D2).exists()


def test_cost_does_not_grow_with_history():
    # The number of statements of a day's rollup is fixed, whatever the data.
    shop = build_shop()
    with CaptureQueriesContext(connection) as small:
        rollup_day(store=shop.a, day=D1, tiers=False)
    with CaptureQueriesContext(connection) as again:
        rollup_day(store=shop.a, day=D3, tiers=False)
    # At most (PostgreSQL): savepoint and release, the locks of the day and of the day before
    # (its funnel row), settings, stale marks, 7 deletes, the temporary table of the run's
    # orders (drop, create, analyse, drop), 7 inserts, the store row check, the funnel rows
    # (events read, delete, insert), the visitor sets read back and the store row's distinct
    # visitor counts.
    assert len(small) == len(again) <= 30


def test_report_query_count_is_fixed():
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    query = DailyMetricsQuery(start=D1, end=D3, interval="week", by_channel=True, by_sku=True)
    with CaptureQueriesContext(connection) as queries:
        DailyMetricsRunner(store=shop.a, query=query).run()
    # store rows, channel rows, the range's visitor and buyer sets (read once for every
    # grouping), SKU rows + 2 exact distinct counts.
    assert len(queries) == 7
    with CaptureQueriesContext(connection) as cached:
        DailyMetricsRunner(store=shop.a, query=query).run()
    assert len(cached) == 0
