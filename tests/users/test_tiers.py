"""Lifecycle tiers as of D = 2026-11-30 with the default thresholds (30 / 90 / 180 days,
3 orders, average 200.00). Boundaries as documented in users/tiers.py."""

import datetime
from decimal import Decimal

import pytest

from analytics.models import TierDailyCount
from analytics.reports.tiers import TierQuery, TierRunner
from tests.factories import CustomerFactory, OrderFactory, StoreFactory
from users.models import Tier, TierChange
from users.tiers import tier_on, tiers_rollup

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 11, 30)


@pytest.fixture
def shop():
    return StoreFactory(slug="tiers")


def buyer(store, name, orders):
    """A customer with paid orders: (days before D, amount)."""
    customer = CustomerFactory(
        store=store, external_id=name, registered_on=datetime.date(2024, 1, 1)
    )
    for ago, amount in orders:
        moment = datetime.datetime.combine(
            D - datetime.timedelta(days=ago), datetime.time(12), tzinfo=store.zone
        )
        OrderFactory(
            store=store,
            customer=customer,
            created_at=moment,
            paid_at=moment,
            goods_amount=Decimal(amount),
            paid_amount=Decimal(amount),
        )
    return customer


CASES = [
    # name, orders (days before D, amount), tier on D
    ("first_29_days_ago", [(29, "50")], Tier.NEW),  # first paid day D-29: within 30 days
    ("first_today", [(0, "50")], Tier.NEW),
    ("first_30_days_ago", [(30, "50")], Tier.ACTIVE),  # D-30: no longer new
    ("last_181_days_ago", [(300, "50"), (181, "50")], Tier.CHURNED),  # more than 180 days
    ("last_180_days_ago", [(300, "50"), (180, "50")], Tier.DORMANT),  # 180 is still dormant
    ("last_90_days_ago", [(300, "50"), (90, "50")], Tier.DORMANT),  # 90 is dormant
    ("last_89_days_ago", [(300, "50"), (89, "50")], Tier.ACTIVE),
    ("three_orders_avg_200", [(300, "100"), (100, "200"), (1, "300")], Tier.HIGH_VALUE),
    ("three_orders_avg_below", [(300, "100"), (100, "200"), (1, "299.99")], Tier.ACTIVE),
    ("two_big_orders", [(300, "500"), (1, "500")], Tier.ACTIVE),  # too few orders
    ("new_before_high_value", [(20, "300"), (10, "300"), (1, "300")], Tier.NEW),  # order wins
    ("churned_before_high_value", [(300, "300"), (250, "300"), (200, "300")], Tier.CHURNED),
    ("dormant_before_high_value", [(300, "300"), (250, "300"), (100, "300")], Tier.DORMANT),
]


@pytest.mark.parametrize(("name", "orders", "tier"), CASES, ids=[c[0] for c in CASES])
def test_tier_on_day(shop, name, orders, tier):
    customer = buyer(shop, name, orders)
    tiers_rollup(store=shop, start=D, end=D)
    assert tier_on(store=shop, customer=customer, day=D) == tier


def test_prospect_and_not_yet_registered(shop):
    prospect = CustomerFactory(store=shop, registered_on=datetime.date(2026, 1, 1))
    later = CustomerFactory(store=shop, registered_on=D + datetime.timedelta(days=1))
    tiers_rollup(store=shop, start=D, end=D)
    assert tier_on(store=shop, customer=prospect, day=D) == Tier.PROSPECT
    assert not TierChange.objects.filter(customer=later).exists()
    counts = dict(TierDailyCount.objects.filter(store=shop, day=D).values_list("tier", "customers"))
    assert counts[Tier.PROSPECT] == 1
    assert sum(counts.values()) == 1


def test_history_rows_only_on_change(shop):
    customer = CustomerFactory(store=shop, registered_on=datetime.date(2026, 1, 1))
    paid = datetime.datetime(2026, 11, 1, 12, tzinfo=shop.zone)
    OrderFactory(store=shop, customer=customer, created_at=paid, paid_at=paid)
    start, end = datetime.date(2026, 10, 31), datetime.date(2026, 12, 1)
    tiers_rollup(store=shop, start=start, end=end)
    rows = list(
        TierChange.objects.filter(customer=customer)
        .order_by("day")
        .values_list("day", "previous_tier", "tier")
    )
    # Prospect on 10-31; new on 11-01 (first paid day); 30 days later, on 12-01, active.
    assert rows == [
        (datetime.date(2026, 10, 31), "", Tier.PROSPECT),
        (datetime.date(2026, 11, 1), Tier.PROSPECT, Tier.NEW),
        (datetime.date(2026, 12, 1), Tier.NEW, Tier.ACTIVE),
    ]
    # 32 days of counts, one customer each day.
    assert TierDailyCount.objects.filter(store=shop).count() == 32 * 6
    assert (
        TierDailyCount.objects.get(
            store=shop, day=datetime.date(2026, 11, 15), tier=Tier.NEW
        ).customers
        == 1
    )

    # Re-running one day in the middle, or the whole range, writes nothing new.
    tiers_rollup(store=shop, start=datetime.date(2026, 11, 15), end=datetime.date(2026, 11, 15))
    tiers_rollup(store=shop, start=start, end=end)
    again = list(
        TierChange.objects.filter(customer=customer)
        .order_by("day")
        .values_list("day", "previous_tier", "tier")
    )
    assert again == rows


def test_day_by_day_equals_range(shop):
    for name, orders, _tier in CASES[:6]:
        buyer(shop, name, orders)
    start = D - datetime.timedelta(days=5)
    tiers_rollup(store=shop, start=start, end=D)
    by_range = sorted(
        TierChange.objects.filter(store=shop).values_list(
            "customer_id", "day", "tier", "previous_tier"
        )
    )
    TierChange.objects.filter(store=shop).delete()
    day = start
    while day <= D:
        tiers_rollup(store=shop, start=day, end=day)
        day += datetime.timedelta(days=1)
    by_day = sorted(
        TierChange.objects.filter(store=shop).values_list(
            "customer_id", "day", "tier", "previous_tier"
        )
    )
    assert by_day == by_range


def test_other_store_untouched(shop):
    other = StoreFactory(slug="other-tiers")
    customer = buyer(other, "x", [(1, "10")])
    tiers_rollup(store=other, start=D, end=D)
    before = list(TierChange.objects.filter(store=other).values_list("id", "tier"))
    buyer(shop, "y", [(1, "10")])
    tiers_rollup(store=shop, start=D - datetime.timedelta(days=3), end=D)
    assert list(TierChange.objects.filter(store=other).values_list("id", "tier")) == before
    assert tier_on(store=other, customer=customer, day=D) == Tier.NEW


def test_tier_runner_sizes_flows_and_entries(shop):
    customer = CustomerFactory(
        store=shop, external_id="amy", registered_on=datetime.date(2026, 1, 1)
    )
    paid = datetime.datetime(2026, 11, 1, 12, tzinfo=shop.zone)
    OrderFactory(store=shop, customer=customer, created_at=paid, paid_at=paid)
    CustomerFactory(store=shop, external_id="zed", registered_on=datetime.date(2026, 1, 1))
    tiers_rollup(store=shop, start=datetime.date(2026, 10, 31), end=datetime.date(2026, 12, 1))
    query = TierQuery(
        start=datetime.date(2026, 10, 31),
        end=datetime.date(2026, 11, 1),
        flow_from=datetime.date(2026, 10, 31),
        flow_to=datetime.date(2026, 12, 1),
        entered_day=datetime.date(2026, 11, 1),
        entered_tier=Tier.NEW,
    )
    result = TierRunner(store=shop, query=query).run()
    assert [dict(s.sizes)[Tier.PROSPECT] for s in result.sizes] == [2, 1]
    assert [dict(s.sizes)[Tier.NEW] for s in result.sizes] == [0, 1]
    flows = {(f.from_tier, f.to_tier): f.customers for f in result.flows}
    assert flows == {(Tier.PROSPECT, Tier.ACTIVE): 1, (Tier.PROSPECT, Tier.PROSPECT): 1}
    assert [(e.external_id, e.previous_tier, e.tier) for e in result.entered] == [
        ("amy", Tier.PROSPECT, Tier.NEW)
    ]
    assert result.entered[0].recommended_action.startswith("New-customer gift pack")
