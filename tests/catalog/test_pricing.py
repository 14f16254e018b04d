"""Price protection (保价): ``price_change_preview`` and ``sku_price_change``."""

import datetime
from decimal import Decimal

import pytest

from analytics.models import OrderStatus
from catalog.models import PriceChange
from catalog.pricing import PriceCutNotConfirmedError, price_change_preview, sku_price_change
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from tests.factories import OrderFactory, OrderLineFactory, SkuFactory

NOW = datetime.datetime(2026, 11, 20, 4, 0, tzinfo=datetime.UTC)


def sold(sku, *, days_ago: float, unit_price: str, quantity: int, status=OrderStatus.PAID):
    paid_at = NOW - datetime.timedelta(days=days_ago)
    order = OrderFactory(
        store=sku.store,
        created_at=paid_at - datetime.timedelta(minutes=5),
        paid_at=paid_at,
        status=status,
    )
    return OrderLineFactory(order=order, sku=sku, unit_price=Decimal(unit_price), quantity=quantity)


@pytest.fixture
def sku_with_sales(store):
    sku = SkuFactory(store=store, price=Decimal("199.00"))
    sold(sku, days_ago=2, unit_price="199.00", quantity=2)  # (199-159) x 2 = 80.00
    sold(sku, days_ago=29, unit_price="179.00", quantity=1)  # (179-159) x 1 = 20.00
    sold(sku, days_ago=10, unit_price="150.00", quantity=3)  # below the new price: 0
    sold(sku, days_ago=31, unit_price="199.00", quantity=5)  # outside the 30 days
    sold(sku, days_ago=1, unit_price="199.00", quantity=4, status=OrderStatus.REFUNDED)
    other = SkuFactory(store=store, price=Decimal("199.00"))
    sold(other, days_ago=1, unit_price="199.00", quantity=9)  # another SKU
    return sku


@pytest.mark.django_db
def test_preview_sums_the_claimable_difference_over_recent_paid_lines(sku_with_sales):
    exposure = price_change_preview(sku=sku_with_sales, new_price=Decimal("159.00"), at=NOW)

    # 80.00 + 20.00 = 100.00 over 2 orders, 3 units (the 150.00 line, the 31-day-old order,
    # the refunded order and the other SKU do not count).
    assert exposure.amount == Decimal("100.00")
    assert (exposure.orders, exposure.lines, exposure.units) == (2, 2, 3)
    assert exposure.protection_days == 30
    assert exposure.window_start == NOW - datetime.timedelta(days=30)
    assert exposure.is_cut and exposure.has_exposure


@pytest.mark.django_db
def test_preview_respects_the_store_protection_days(sku_with_sales):
    store = sku_with_sales.store
    store.price_protection_days = 7
    store.save()

    exposure = price_change_preview(sku=sku_with_sales, new_price=Decimal("159.00"), at=NOW)

    assert exposure.amount == Decimal("80.00")  # only the 2-day-old order


@pytest.mark.django_db
def test_unconfirmed_cut_with_exposure_is_refused_and_writes_nothing(
    sku_with_sales, operator, monkeypatch
):
    monkeypatch.setattr("catalog.pricing.timezone.now", lambda: NOW)

    with pytest.raises(PriceCutNotConfirmedError) as raised:
        sku_price_change(
            sku=sku_with_sales, new_price=Decimal("159.00"), actor=Actor(user=operator)
        )

    assert raised.value.exposure.amount == Decimal("100.00")
    sku_with_sales.refresh_from_db()
    assert sku_with_sales.price == Decimal("199.00")
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_confirmed_cut_records_the_change_with_its_exposure(sku_with_sales, operator, monkeypatch):
    monkeypatch.setattr("catalog.pricing.timezone.now", lambda: NOW)

    change = sku_price_change(
        sku=sku_with_sales,
        new_price=Decimal("159.00"),
        actor=Actor(user=operator, source=AuditSource.WEB),
        confirmed=True,
    )

    assert (change.old_price, change.new_price, change.changed_by) == (
        Decimal("199.00"),
        Decimal("159.00"),
        operator,
    )
    assert "exposure 100.00" in change.note
    sku_with_sales.refresh_from_db()
    assert sku_with_sales.price == Decimal("159.00")
    assert AuditEntry.objects.filter(action="sku.update").count() == 1


@pytest.mark.django_db
def test_a_raise_or_a_cut_without_sales_needs_no_confirmation(store, operator):
    sku = SkuFactory(store=store, price=Decimal("99.00"))

    change = sku_price_change(sku=sku, new_price=Decimal("89.00"), actor=Actor(user=operator))
    assert change.new_price == Decimal("89.00")
    change = sku_price_change(sku=sku, new_price=Decimal("109.00"), actor=Actor(user=operator))
    assert change.new_price == Decimal("109.00")
    assert (
        sku_price_change(sku=sku, new_price=Decimal("109.00"), actor=Actor(user=operator)) is None
    )
    assert PriceChange.objects.count() == 2
