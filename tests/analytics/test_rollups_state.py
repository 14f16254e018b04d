"""The customer state snapshot (``CustomerStateSnapshot``) that nights start from: tiers and RFM
computed from it equal those computed from the whole order history, and it is dropped whenever
facts of a day it covers may have changed."""

import datetime
from decimal import Decimal

import pandas as pd
import pytest

from analytics.models import CustomerStateSnapshot
from analytics.rfm import rfm_frame
from analytics.rollups.services import mark_days_stale, rollup_day
from tests.factories import CustomerFactory, OrderFactory, StoreFactory
from users.models import TierChange
from users.tiers import customer_state, tiers_rollup

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 11, 30)


def paid(store, customer, day, amount):
    moment = datetime.datetime.combine(day, datetime.time(12), tzinfo=store.zone)
    OrderFactory(
        store=store,
        customer=customer,
        created_at=moment,
        paid_at=moment,
        goods_amount=Decimal(amount),
        paid_amount=Decimal(amount),
    )


@pytest.fixture
def shop():
    # A 10-day RFM window so that orders leave it during the test.
    store = StoreFactory(slug="state", rfm_window_days=10)
    start = D - datetime.timedelta(days=40)
    for position, gaps in enumerate([[0, 3, 9, 12], [1, 11, 25, 38], [5], [30, 31, 32], []]):
        customer = CustomerFactory(
            store=store, external_id=f"c{position}", registered_on=datetime.date(2026, 1, 1)
        )
        for gap in gaps:
            paid(store, customer, start + datetime.timedelta(days=gap), f"{100 + 37 * gap}.10")
    return store


def frame_of(frame: pd.DataFrame) -> list[tuple]:
    return sorted(tuple(str(value) for value in row) for row in frame.itertuples(index=False))


def rfm_from_orders(monkeypatch, store, as_of) -> list[tuple]:
    with monkeypatch.context() as patch:
        patch.setattr("users.tiers.customer_state", lambda **_: None)
        return frame_of(rfm_frame(store=store, as_of=as_of))


def test_nights_from_the_state_equal_the_history(shop, monkeypatch):
    start = D - datetime.timedelta(days=42)
    tiers_rollup(store=shop, start=start, end=start + datetime.timedelta(days=5))
    day = start + datetime.timedelta(days=6)
    while day <= D:
        # Each night starts from yesterday's state: no order before the day is read.
        assert customer_state(store=shop, as_of=day - datetime.timedelta(days=1)) is not None
        tiers_rollup(store=shop, start=day, end=day)
        from_state = frame_of(rfm_frame(store=shop, as_of=day))
        assert from_state == rfm_from_orders(monkeypatch, shop, day), day
        day += datetime.timedelta(days=1)
    by_night = sorted(
        TierChange.objects.filter(store=shop).values_list("customer_id", "day", "tier")
    )
    CustomerStateSnapshot.objects.filter(store=shop).delete()
    tiers_rollup(store=shop, start=start, end=D)
    by_range = sorted(
        TierChange.objects.filter(store=shop).values_list("customer_id", "day", "tier")
    )
    assert by_night == by_range


def test_state_is_dropped_when_a_covered_day_changes(shop):
    tiers_rollup(store=shop, start=D - datetime.timedelta(days=3), end=D)
    assert CustomerStateSnapshot.objects.filter(store=shop, as_of=D).exists()
    mark_days_stale(store=shop, days=[D + datetime.timedelta(days=1)])  # after it: kept
    assert CustomerStateSnapshot.objects.filter(store=shop).exists()
    mark_days_stale(store=shop, days=[D - datetime.timedelta(days=2)])
    assert not CustomerStateSnapshot.objects.filter(store=shop).exists()

    rollup_day(store=shop, day=D)  # tiers of D from the history; the state is as of D again
    assert customer_state(store=shop, as_of=D) is not None
    rollup_day(store=shop, day=D, tiers=False)  # a re-roll of D drops it
    assert customer_state(store=shop, as_of=D) is None


def test_state_of_another_window_is_not_used(shop, monkeypatch):
    tiers_rollup(store=shop, start=D, end=D)
    assert customer_state(store=shop, as_of=D) is not None
    shop.rfm_window_days = 365
    shop.save(update_fields=["rfm_window_days"])
    assert customer_state(store=shop, as_of=D) is None
    assert frame_of(rfm_frame(store=shop, as_of=D)) == rfm_from_orders(monkeypatch, shop, D)
