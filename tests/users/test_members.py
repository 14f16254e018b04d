"""Member levels and points by hand, refunds included (users.members).

Store: 1.5 points per paid yuan; levels V1 from ¥0, V2 from ¥500, V3 from ¥2,000.
Buyer "ann" (Asia/Shanghai days):
  Nov 1  paid ¥300.00             cumulative 300.00 -> 450 points, V1
  Nov 2  paid ¥250.50             cumulative 550.50 -> floor(825.75) = 825 points, V2
  Nov 3  refund ¥100.00 (order 2) cumulative 450.50 -> floor(675.75) = 675 points, back to V1
  Nov 3  23:59 Shanghai = 15:59 UTC still counts for Nov 3; an order paid Nov 4 00:10 does not.
Buyer "bob" never paid: 0 points; ¥0 reaches the ¥0 threshold, so he is V1 from Nov 1.
"""

import datetime
from decimal import Decimal

import pytest

from tests.analytics.handworked import SHANGHAI, at
from tests.factories import (
    CustomerFactory,
    MemberLevelFactory,
    OrderFactory,
    RefundFactory,
    StoreFactory,
)
from users.members import level_for, members_recompute, points_for
from users.models import Customer, MemberLevelChange

N1, N2, N3 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 2), datetime.date(2026, 11, 3)


@pytest.fixture
def shop(db):
    store = StoreFactory(points_per_yuan=Decimal("1.50"))
    levels = {
        code: MemberLevelFactory(store=store, code=code, name=code, min_spend=Decimal(spend))
        for code, spend in (("V1", "0"), ("V2", "500"), ("V3", "2000"))
    }
    ann = CustomerFactory(store=store, external_id="ann")
    bob = CustomerFactory(store=store, external_id="bob")
    first = OrderFactory(
        store=store,
        customer=ann,
        created_at=at(SHANGHAI, N1, 10),
        paid_at=at(SHANGHAI, N1, 10, 1),
        goods_amount=Decimal("300.00"),
    )
    second = OrderFactory(
        store=store,
        customer=ann,
        created_at=at(SHANGHAI, N2, 10),
        paid_at=at(SHANGHAI, N2, 10, 1),
        goods_amount=Decimal("250.50"),
    )
    OrderFactory(  # paid after the end of Nov 3 local: never counted as of Nov 3
        store=store,
        customer=ann,
        created_at=at(SHANGHAI, N3, 23, 59),
        paid_at=at(SHANGHAI, datetime.date(2026, 11, 4), 0, 10),
        goods_amount=Decimal("5000.00"),
    )
    RefundFactory(order=second, amount=Decimal("100.00"), refunded_at=at(SHANGHAI, N3, 23, 59))
    return store, levels, ann, bob, first


def test_points_and_levels_follow_paid_spend_minus_refunds_day_by_day(shop):
    store, levels, ann, bob, _first = shop

    day1 = members_recompute(store=store, day=N1)
    ann.refresh_from_db()
    assert (ann.points, ann.member_level) == (450, levels["V1"])
    assert (day1.customers, day1.points_changed, day1.level_changes) == (2, 1, 2)

    members_recompute(store=store, day=N2)
    ann.refresh_from_db()
    assert (ann.points, ann.member_level) == (825, levels["V2"])

    members_recompute(store=store, day=N3)
    ann.refresh_from_db()
    assert (ann.points, ann.member_level) == (675, levels["V1"])

    history = list(
        MemberLevelChange.objects.filter(customer=ann)
        .order_by("day")
        .values_list("day", "previous_level__code", "level__code")
    )
    assert history == [(N1, None, "V1"), (N2, "V1", "V2"), (N3, "V2", "V1")]
    bob.refresh_from_db()
    assert (bob.points, bob.member_level) == (0, levels["V1"])
    assert MemberLevelChange.objects.filter(customer=bob).count() == 1


def test_a_rerun_changes_nothing_and_a_second_change_on_a_day_keeps_one_row(shop):
    store, levels, ann, _bob, first = shop
    members_recompute(store=store, day=N2)
    again = members_recompute(store=store, day=N2)
    assert (again.points_changed, again.level_changes) == (0, 0)
    assert MemberLevelChange.objects.filter(customer=ann).count() == 1  # None -> V2 on Nov 2

    # A late refund of the whole first order arrives for Nov 2: 250.50 left -> 375 points, V1.
    RefundFactory(order=first, amount=Decimal("300.00"), refunded_at=at(SHANGHAI, N2, 20))
    members_recompute(store=store, day=N2)
    ann.refresh_from_db()
    assert (ann.points, ann.member_level) == (375, levels["V1"])
    rows = list(
        MemberLevelChange.objects.filter(customer=ann).values_list(
            "day", "previous_level", "level__code"
        )
    )
    assert rows == [(N2, None, "V1")]


def test_on_demand_recompute_touches_only_the_given_customers(shop):
    store, _levels, ann, bob, _first = shop
    Customer.objects.filter(pk=bob.pk).update(points=99)
    members_recompute(store=store, day=N1, customer_ids=[ann.pk])
    bob.refresh_from_db()
    ann.refresh_from_db()
    assert bob.points == 99
    assert ann.points == 450


def test_other_stores_facts_never_count(shop):
    store, _levels, ann, _bob, _first = shop
    other = StoreFactory()
    OrderFactory(
        store=other,
        created_at=at(SHANGHAI, N1, 9),
        paid_at=at(SHANGHAI, N1, 9),
        goods_amount=Decimal("9999.00"),
    )
    members_recompute(store=store, day=N1)
    ann.refresh_from_db()
    assert ann.points == 450


@pytest.mark.parametrize(
    ("spend", "rate", "points"),
    [("0", "1", 0), ("-20", "1", 0), ("99.99", "1", 99), ("10.01", "2.50", 25)],
)
def test_points_are_floored(spend, rate, points):
    assert points_for(Decimal(spend), Decimal(rate)) == points


def test_level_for_picks_the_highest_threshold_reached(shop):
    _store, levels, *_ = shop
    ordered = [levels["V1"], levels["V2"], levels["V3"]]
    assert level_for(Decimal("499.99"), ordered) == levels["V1"]
    assert level_for(Decimal("500.00"), ordered) == levels["V2"]
    assert level_for(Decimal("-1"), ordered) is None


def test_the_nightly_task_recomputes_every_store_for_its_yesterday(shop, monkeypatch):
    from django.utils import timezone

    from users.tasks import members_recompute_all_stores

    _store, levels, ann, _bob, _first = shop
    # 09:00 on Nov 3 in Shanghai: yesterday is Nov 2 (before the refund): 825 points, V2.
    monkeypatch.setattr(timezone, "now", lambda: at(SHANGHAI, N3, 9))
    assert members_recompute_all_stores() == 1
    ann.refresh_from_db()
    assert (ann.points, ann.member_level) == (825, levels["V2"])
