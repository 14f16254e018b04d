import datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.core.cache import cache

from analytics.funnel import funnel_depths
from analytics.models import FunnelDay
from analytics.reports.funnel import FunnelQuery, FunnelRunner
from analytics.rollups.services import rollup_day, rollup_range
from opsdesk.channels import Channel
from tests.analytics.handworked import D1, D2, D3, SHANGHAI, at, build_shop
from tests.factories import BehaviourEventFactory, CategoryFactory

pytestmark = pytest.mark.django_db

T0 = pd.Timestamp("2026-11-01T00:00:00Z")
DAY = datetime.timedelta(hours=24)


def frame(rows):
    return pd.DataFrame(
        [
            {"visitor": v, "event_type": t, "channel": c, "at": T0 + pd.Timedelta(minutes=m)}
            for v, t, c, m in rows
        ],
        columns=["visitor", "event_type", "channel", "at"],
    )


def depths(rows, end_minutes=24 * 60):
    result = funnel_depths(
        frame(rows), start=T0, end=T0 + pd.Timedelta(minutes=end_minutes), window=DAY
    )
    return dict(zip(result["visitor"], result["depth"], strict=True))


@pytest.mark.parametrize("rolled_up", [False, True], ids=["raw events", "FunnelDay rollup"])
def test_handworked_funnel(rolled_up):
    shop = build_shop()
    if rolled_up:
        rollup_range(store=shop.a, start=D1, end=D3, tiers=False)
    runner = FunnelRunner(store=shop.a, query=FunnelQuery(start=D1, end=D3, by_channel=True))
    assert runner._depths(shop.a.funnel_window_hours)[1] is rolled_up
    result = runner.run()
    # Step-1 visitors v1..v6 = 6. Cart: v1 (D1 09:30), v3, v5 (D1 23:45), v6 = 4.
    # Order: v1, v5 (23:50), v6 = 3 (v3 never ordered: an abandoned cart).
    # Pay: v1, v5 (D2 00:10, 30 min after its view: within 24 h), v6 = 3.
    assert [s.visitors for s in result.steps] == [6, 4, 3, 3]
    assert [s.conversion_from_previous for s in result.steps] == [
        None,
        Decimal("0.666667"),
        Decimal("0.750000"),
        Decimal("1.000000"),
    ]
    assert [s.conversion_from_first for s in result.steps] == [
        Decimal("1.000000"),
        Decimal("0.666667"),
        Decimal("0.500000"),
        Decimal("0.500000"),
    ]
    assert [s.drop_off for s in result.steps] == [0, 2, 1, 0]
    assert result.abandoned_cart_visitors == 1
    assert result.abandoned_cart_sample == ("v3",)
    channels = {c.channel: [s.visitors for s in c.steps] for c in result.channels}
    # Channel of the step-1 event that went deepest (earliest on ties): v1 paid_search (D1),
    # v2 search, v3 recommendation, v4 direct, v5 search (D1 23:40), v6 paid_feed.
    assert channels == {
        Channel.PAID_SEARCH: [1, 1, 1, 1],
        Channel.SEARCH: [2, 1, 1, 1],
        Channel.RECOMMENDATION: [1, 1, 0, 0],
        Channel.DIRECT: [1, 0, 0, 0],
        Channel.PAID_FEED: [1, 1, 1, 1],
    }


def test_a_nightly_rollup_rewrites_the_funnel_of_the_day_before():
    # v7 views on D1 at 23:00 and pays on D2 at 01:00 (2 h later, within 24 h): the D1 row
    # written by the D1 night (before the D2 events existed) has depth 1; the D2 night
    # rewrites the D1 row with the completed funnel.
    shop = build_shop()
    store = shop.a
    BehaviourEventFactory(
        store=store, visitor_id="v7", event_type="view", occurred_at=at(SHANGHAI, D1, 23)
    )
    rollup_day(store=store, day=D1, tiers=False)
    d1 = FunnelRunner(store=store, query=FunnelQuery(start=D1, end=D1)).run()
    for step in ("add_to_cart", "order", "pay"):
        BehaviourEventFactory(
            store=store, visitor_id="v7", event_type=step, occurred_at=at(SHANGHAI, D2, 1)
        )
    rollup_day(store=store, day=D2, tiers=False)
    cache.clear()
    again = FunnelRunner(store=store, query=FunnelQuery(start=D1, end=D1)).run()
    # D1 step-1 visitors: v1, v2, v3, v5 and v7 = 5; payers v1 and v5 (D2 00:10), then v7.
    assert d1.steps[0].visitors == again.steps[0].visitors == 5
    assert d1.steps[3].visitors == 2
    assert again.steps[3].visitors == 3
    assert FunnelDay.objects.get(store=store, day=D1).window_hours == 24


def test_the_runner_matches_raw_events_when_a_day_is_not_rolled_up_or_a_product_is_chosen():
    shop = build_shop()
    rollup_day(store=shop.a, day=D1, tiers=False)  # writes FunnelDay rows of D0 and D1 only
    runner = FunnelRunner(store=shop.a, query=FunnelQuery(start=D1, end=D3))
    assert runner._depths(24)[1] is False
    assert FunnelRunner(store=shop.a, query=FunnelQuery(start=D1, end=D1))._depths(24)[1]
    filtered = FunnelQuery(start=D1, end=D1, sku_ids=(shop.skus["cup"].pk,))
    assert FunnelRunner(store=shop.a, query=filtered)._depths(24)[1] is False
    # Another window than the store's: the rows were matched with 24 h.
    assert FunnelRunner(store=shop.a, query=FunnelQuery(start=D1, end=D1))._depths(2)[1] is False


def test_funnel_filtered_by_category():
    shop = build_shop()
    category = CategoryFactory(store=shop.a, name="Cups")
    shop.skus["cup"].category = category
    shop.skus["cup"].save()
    result = FunnelRunner(
        store=shop.a, query=FunnelQuery(start=D1, end=D3, category_id=category.pk)
    ).run()
    # Cup events only: v2 view (D1 11:05), v3 view+cart, v5 D1 view, cart, order, pay (D2),
    # v5 D3 view, order, pay (no cart).
    assert [s.visitors for s in result.steps] == [3, 2, 1, 1]


def test_steps_must_be_in_order():
    # Cart before the view does not count for that view.
    assert depths([("a", "add_to_cart", "search", 0), ("a", "view", "search", 5)]) == {"a": 1}


def test_same_instant_counts_as_in_order():
    rows = [("a", "view", "search", 0), ("a", "add_to_cart", "search", 0)]
    assert depths(rows) == {"a": 2}


def test_window_is_measured_from_step_one():
    rows = [
        ("a", "view", "search", 0),
        ("a", "add_to_cart", "search", 60),
        ("a", "order", "search", 24 * 60),  # exactly 24 h after the view: inside
        ("a", "pay", "search", 24 * 60 + 1),  # one minute too late
    ]
    assert depths(rows) == {"a": 3}


def test_a_later_start_can_complete_the_funnel():
    rows = [
        ("a", "view", "search", 0),
        ("a", "view", "paid_feed", 30 * 60),  # 30 h later, a new start
        ("a", "add_to_cart", "paid_feed", 30 * 60 + 5),
        ("a", "order", "paid_feed", 30 * 60 + 6),
        ("a", "pay", "paid_feed", 30 * 60 + 7),
    ]
    result = funnel_depths(frame(rows), start=T0, end=T0 + pd.Timedelta(days=2), window=DAY)
    assert result.to_dict("records") == [{"visitor": "a", "depth": 4, "channel": "paid_feed"}]


def test_views_outside_the_range_are_not_starts():
    rows = [("a", "view", "search", 25 * 60), ("b", "view", "search", 10)]
    assert depths(rows) == {"b": 1}


def test_empty_range():
    shop = build_shop()
    day = datetime.date(2020, 1, 1)
    result = FunnelRunner(store=shop.a, query=FunnelQuery(start=day, end=day)).run()
    assert [s.visitors for s in result.steps] == [0, 0, 0, 0]
    assert result.steps[1].conversion_from_previous is None
