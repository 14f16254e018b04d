"""Price protection (保价): ``price_change_preview``, ``sku_price_change`` and the binding of a
confirmation to the exposure it was given for."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from analytics.models import Order, OrderStatus
from catalog.models import PriceChange
from catalog.pricing import (
    PriceCutNotConfirmedError,
    PriceExposureChangedError,
    price_change_preview,
    sku_price_change,
    sku_update,
)
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from tests import factories
from tests.factories import OrderLineFactory, SkuFactory

NOW = datetime.datetime(2026, 11, 20, 4, 0, tzinfo=datetime.UTC)


def sold(sku, **kwargs):
    return factories.sold(sku, now=NOW, **kwargs)


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

    shown = price_change_preview(sku=sku_with_sales, new_price=Decimal("159.00"))

    change = sku_price_change(
        sku=sku_with_sales,
        new_price=Decimal("159.00"),
        actor=Actor(user=operator, source=AuditSource.WEB),
        confirmation=shown.confirmation,
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


# --- the confirmation is bound to the exposure shown ----------------------------------------


def assert_nothing_written(sku, price: str) -> None:
    sku.refresh_from_db()
    assert sku.price == Decimal(price)
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_an_order_paid_between_the_check_and_the_confirmation_refuses_the_cut(
    sku_with_sales, operator, monkeypatch
):
    monkeypatch.setattr("catalog.pricing.timezone.now", lambda: NOW)
    shown = price_change_preview(sku=sku_with_sales, new_price=Decimal("159.00"))
    assert (shown.orders, shown.units, shown.amount) == (2, 3, Decimal("100.00"))
    # While the operator reads the figures, a buyer pays 1 unit at 199.00: (199-159) x 1 = 40.
    sold(sku_with_sales, days_ago=0.01, unit_price="199.00", quantity=1)

    with pytest.raises(PriceExposureChangedError) as raised:
        sku_price_change(
            sku=sku_with_sales,
            new_price=Decimal("159.00"),
            actor=Actor(user=operator),
            confirmation=shown.confirmation,
        )

    # The new exposure: 3 orders, 4 units, 100.00 + 40.00 = 140.00; and what was seen.
    refused = raised.value
    assert (refused.exposure.orders, refused.exposure.units, refused.exposure.amount) == (
        3,
        4,
        Decimal("140.00"),
    )
    assert (refused.seen.orders, refused.seen.units, refused.seen.amount) == (
        2,
        3,
        Decimal("100.00"),
    )
    assert refused.exposure.confirmation != shown.confirmation
    with translation.override("en"):
        message = str(PriceExposureChangedError(refused.exposure, seen=refused.seen).messages[0])
    assert "it was 2 order(s) (3 unit(s)), up to ¥100.00" in message
    assert "exposes 3 paid order(s) (4 unit(s))" in message and "up to ¥140.00" in message
    assert_nothing_written(sku_with_sales, "199.00")

    # Confirming the new exposure applies the cut, with the figures confirmed in the note.
    change = sku_price_change(
        sku=sku_with_sales,
        new_price=Decimal("159.00"),
        actor=Actor(user=operator),
        confirmation=refused.exposure.confirmation,
    )
    assert change.new_price == Decimal("159.00")
    assert "3 orders, 4 units, exposure 140.00" in change.note


@pytest.mark.django_db
@pytest.mark.parametrize(
    "meanwhile",
    [
        # A refund takes the 2-day-old order out: 20.00 left (the exposure shrank).
        pytest.param("refund", id="an exposed order refunded"),
        # The 29-day-old order ages out of the 30 days: now + 1.5 days.
        pytest.param("time", id="an order aged out of the window"),
        # Another editor raised the price: the cut is no longer 199 -> 159.
        pytest.param("price", id="another price meanwhile"),
    ],
)
def test_any_change_of_the_exposure_needs_a_fresh_confirmation(
    sku_with_sales, operator, monkeypatch, meanwhile
):
    monkeypatch.setattr("catalog.pricing.timezone.now", lambda: NOW)
    shown = price_change_preview(sku=sku_with_sales, new_price=Decimal("159.00"))
    if meanwhile == "refund":
        Order.objects.filter(
            lines__sku=sku_with_sales, paid_at=NOW - datetime.timedelta(days=2)
        ).update(status=OrderStatus.REFUNDED)
    elif meanwhile == "time":
        later = NOW + datetime.timedelta(days=1.5)
        monkeypatch.setattr("catalog.pricing.timezone.now", lambda: later)
    else:
        sku_update(sku=sku_with_sales, actor=Actor(user=operator), price=Decimal("209.00"))
        PriceChange.objects.all().delete()
        AuditEntry.objects.all().delete()

    with pytest.raises(PriceExposureChangedError):
        sku_price_change(
            sku=sku_with_sales,
            new_price=Decimal("159.00"),
            actor=Actor(user=operator),
            confirmation=shown.confirmation,
        )

    assert_nothing_written(sku_with_sales, "209.00" if meanwhile == "price" else "199.00")


@pytest.mark.django_db
def test_a_confirmation_of_nothing_or_of_another_sku_or_forged_is_refused(
    sku_with_sales, store, operator, monkeypatch
):
    monkeypatch.setattr("catalog.pricing.timezone.now", lambda: NOW)
    other = SkuFactory(store=store, price=Decimal("199.00"))
    sold(other, days_ago=2, unit_price="199.00", quantity=2)
    elsewhere = price_change_preview(sku=other, new_price=Decimal("159.00")).confirmation
    genuine = price_change_preview(sku=sku_with_sales, new_price=Decimal("159.00")).confirmation
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")

    for confirmation, error in [
        (None, PriceCutNotConfirmedError),
        ("", PriceCutNotConfirmedError),
        (elsewhere, PriceExposureChangedError),
        (forged, PriceExposureChangedError),
        ("not-a-token", PriceExposureChangedError),
    ]:
        with pytest.raises(error) as raised:
            sku_price_change(
                sku=sku_with_sales,
                new_price=Decimal("159.00"),
                actor=Actor(user=operator),
                confirmation=confirmation,
            )
        assert raised.value.exposure.amount == Decimal("100.00")
    assert_nothing_written(sku_with_sales, "199.00")


@pytest.mark.django_db
def test_sku_update_is_guarded_too_and_refuses_the_whole_edit(sku_with_sales, operator):
    # The API and the admin edit through sku_update: an unconfirmed exposing price refuses the
    # other fields of the same edit as well.
    with pytest.raises(PriceCutNotConfirmedError):
        sku_update(
            sku=sku_with_sales,
            actor=Actor(user=operator),
            price=Decimal("159.00"),
            title="Renamed",
        )
    sku_with_sales.refresh_from_db()
    assert sku_with_sales.title != "Renamed"
    assert_nothing_written(sku_with_sales, "199.00")


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [500, 2])
def test_previews_of_many_skus_equal_each_skus_own_preview(
    store, other_store, monkeypatch, django_assert_num_queries, batch_size
):
    from catalog import pricing
    from catalog.pricing import price_change_previews

    monkeypatch.setattr(pricing, "PREVIEW_BATCH_SIZE", batch_size)
    tea = SkuFactory(store=store, code="TEA", price=Decimal("199.00"))
    cup = SkuFactory(store=store, code="CUP", price=Decimal("50.00"))
    pot = SkuFactory(store=store, code="POT", price=Decimal("300.00"))
    sold(tea, days_ago=2, unit_price="199.00", quantity=2)  # (199 - 159) x 2 = 80.00
    sold(tea, days_ago=3, unit_price="179.00", quantity=1)  # (179 - 159) x 1 = 20.00
    sold(cup, days_ago=5, unit_price="50.00", quantity=4)  # (50 - 45) x 4 = 20.00
    sold(cup, days_ago=6, unit_price="44.00", quantity=9)  # below 45: nothing
    order = sold(pot, days_ago=1, unit_price="300.00", quantity=1).order  # pot: 300 -> 300
    OrderLineFactory(order=order, sku=cup, unit_price=Decimal("48.00"), quantity=1)  # 3.00
    sold(SkuFactory(store=other_store), days_ago=1, unit_price="999.00", quantity=9)
    new_prices = {tea.pk: Decimal("159.00"), cup.pk: Decimal("45.00"), pot.pk: Decimal("300.00")}
    skus = list(type(tea).objects.filter(store=store).select_related("store").order_by("code"))

    # One aggregate per batch of SKUs: 1 with 500 per batch, 2 with 2 per batch.
    with django_assert_num_queries(1 if batch_size == 500 else 2):
        many = price_change_previews(skus=skus, new_prices=new_prices, at=NOW)

    figures = {
        sku.code: (many[sku.pk].orders, many[sku.pk].units, many[sku.pk].amount) for sku in skus
    }
    assert figures == {
        "TEA": (2, 3, Decimal("100.00")),
        "CUP": (2, 5, Decimal("23.00")),
        "POT": (0, 0, Decimal("0.00")),
    }
    for sku in skus:
        alone = price_change_preview(sku=sku, new_price=new_prices[sku.pk], at=NOW)
        assert many[sku.pk] == alone  # fingerprint (so the confirmation) included


# --- several exposures confirmed at once (the price cuts of an import) ----------------------


@pytest.mark.django_db
def test_one_confirmation_binds_each_exposure_of_a_set(sku_with_sales, store):
    from catalog.pricing import (
        price_change_previews,
        price_exposures_confirmation,
        price_exposures_unconfirmed,
    )

    cup = SkuFactory(store=store, price=Decimal("50.00"))
    bare = SkuFactory(store=store, price=Decimal("80.00"))  # never sold: no exposure
    sold(cup, days_ago=5, unit_price="50.00", quantity=4)  # (50 - 45) x 4 = 20.00
    new_prices = {sku_with_sales.pk: Decimal("159.00"), cup.pk: Decimal("45.00")}
    new_prices[bare.pk] = Decimal("70.00")
    skus = [sku_with_sales, cup, bare]

    def exposures():
        return list(price_change_previews(skus=skus, new_prices=new_prices, at=NOW).values())

    shown = exposures()
    token = price_exposures_confirmation(exposures=shown)
    tea_only = price_exposures_confirmation(exposures=shown[:1])

    assert price_exposures_unconfirmed(exposures=shown, confirmation=token) == []
    # No token, an unreadable one, or one naming only the tea: the uncovered exposures.
    assert price_exposures_unconfirmed(exposures=shown, confirmation=None) == shown[:2]
    assert price_exposures_unconfirmed(exposures=shown, confirmation="x") == shown[:2]
    assert price_exposures_unconfirmed(exposures=shown, confirmation=tea_only) == [shown[1]]
    # A cup paid meanwhile changes the cup's exposure only.
    sold(cup, days_ago=0.01, unit_price="50.00", quantity=1)
    now = exposures()
    assert price_exposures_unconfirmed(exposures=now, confirmation=token) == [now[1]]
    # Nothing exposed: nothing to confirm, no token.
    assert price_exposures_confirmation(exposures=shown[2:]) == ""
    assert price_exposures_unconfirmed(exposures=shown[2:], confirmation=None) == []


def test_price_change_note_appends_the_exposure_to_the_note():
    from catalog.pricing import PriceExposure, price_change_note

    exposure = PriceExposure(
        sku_id=1,
        old_price=Decimal("199.00"),
        new_price=Decimal("159.00"),
        at=NOW,
        window_start=NOW - datetime.timedelta(days=30),
        protection_days=30,
        orders=2,
        lines=2,
        units=3,
        amount=Decimal("100.00"),
    )
    detail = "price protection: 2 orders, 3 units, exposure 100.00"
    assert price_change_note(note="import", exposure=exposure) == f"import; {detail}"
    assert price_change_note(note="", exposure=exposure) == detail
    assert price_change_note(note="import", exposure=None) == "import"
    assert len(price_change_note(note="x" * 300, exposure=exposure)) == 255
