"""Price protection through the API: a SKU price edit (PATCH/PUT ``skus/{id}/``) with exposure
needs the ``confirmation`` the ``price-exposure`` report gave for that very exposure."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import PriceChange, Sku
from opsdesk.models import AuditEntry
from tests.factories import OrderFactory, OrderLineFactory, SkuFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(operator):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(operator)
    return client


def paid(sku, *, unit_price: str, quantity: int, days_ago: float = 2) -> None:
    at = timezone.now() - datetime.timedelta(days=days_ago)
    order = OrderFactory(store=sku.store, created_at=at, paid_at=at)
    OrderLineFactory(order=order, sku=sku, unit_price=Decimal(unit_price), quantity=quantity)


@pytest.fixture
def sku(store):
    sku = SkuFactory(store=store, code="TEA", title="Tea", price=Decimal("199.00"))
    paid(sku, unit_price="199.00", quantity=2)  # (199 - 159) x 2 = 80.00 at a cut to 159
    return sku


def urls(sku) -> tuple[str, str]:
    base = f"/api/v1/stores/{sku.store.slug}"
    return f"{base}/skus/{sku.pk}/", f"{base}/reports/price-exposure/"


def confirmation_for(api, sku, new_price: str) -> dict:
    _detail, report = urls(sku)
    return api.get(report, {"sku": sku.pk, "new_price": new_price}).json()["rows"][0]


def assert_unchanged(sku) -> None:
    sku.refresh_from_db()
    assert (sku.price, sku.title) == (Decimal("199.00"), "Tea")
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_cut_with_exposure_is_refused_without_a_confirmation(api, sku):
    detail, _report = urls(sku)

    response = api.patch(detail, {"price": "159.00", "title": "Cheap tea"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["price_confirmation"]
    assert body["errors"]["price_confirmation"] == [
        "Changing the price from ¥199.00 to ¥159.00 exposes 1 paid order(s) (2 unit(s)) of the "
        "last 30 days to price-protection claims of up to ¥80.00. Confirm this exposure to "
        "apply the change."
    ]
    assert_unchanged(sku)  # the title of the same edit is not written either


def test_the_reports_confirmation_applies_the_cut(api, sku):
    detail, _report = urls(sku)
    row = confirmation_for(api, sku, "159.00")
    assert (row["orders"], row["units"], row["amount"]) == (1, 2, "80.00")
    assert row["confirmation"]

    response = api.patch(
        detail,
        {"price": "159.00", "price_confirmation": row["confirmation"], "price_note": "618"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["price"] == "159.00"
    assert "price_confirmation" not in response.json()  # write-only
    change = PriceChange.objects.get()
    assert (change.old_price, change.new_price) == (Decimal("199.00"), Decimal("159.00"))
    assert change.note == "618; price protection: 1 orders, 2 units, exposure 80.00"


def test_an_order_paid_after_the_report_refuses_the_cut_until_confirmed_again(api, sku):
    detail, _report = urls(sku)
    stale = confirmation_for(api, sku, "159.00")["confirmation"]
    paid(sku, unit_price="179.00", quantity=1, days_ago=0.01)  # (179 - 159) x 1 = 20.00

    refused = api.patch(detail, {"price": "159.00", "price_confirmation": stale}, format="json")

    assert refused.status_code == 400
    assert refused.json()["errors"]["price_confirmation"] == [
        "The exposure changed after it was shown: it was 1 order(s) (2 unit(s)), up to ¥80.00, "
        "for ¥199.00 to ¥159.00. Changing the price from ¥199.00 to ¥159.00 exposes 2 paid "
        "order(s) (3 unit(s)) of the last 30 days to price-protection claims of up to "
        "¥100.00. Check the new figures and confirm again."
    ]
    assert_unchanged(sku)

    fresh = confirmation_for(api, sku, "159.00")
    assert (fresh["orders"], fresh["amount"]) == (2, "100.00")
    applied = api.patch(
        detail, {"price": "159.00", "price_confirmation": fresh["confirmation"]}, format="json"
    )
    assert applied.status_code == 200
    assert Sku.objects.get(pk=sku.pk).price == Decimal("159.00")


def test_a_put_is_guarded_like_a_patch(api, sku):
    detail, _report = urls(sku)
    body = api.get(detail).json()
    body.update(price="159.00")
    for read_only in ("id", "created_at", "updated_at"):
        body.pop(read_only)

    assert api.put(detail, body, format="json").status_code == 400
    assert_unchanged(sku)


def test_a_change_without_exposure_needs_no_confirmation(api, sku):
    detail, _report = urls(sku)
    # A raise to 249.00: nobody paid more than that, no exposure, no confirmation.
    row = confirmation_for(api, sku, "249.00")
    assert (row["amount"], row["confirmation"]) == ("0.00", "")

    assert api.patch(detail, {"price": "249.00"}, format="json").status_code == 200
    assert api.patch(detail, {"title": "Green tea"}, format="json").status_code == 200
    assert PriceChange.objects.get().new_price == Decimal("249.00")


def test_the_store_wide_cut_report_reads_every_sku_in_one_aggregate(
    api, sku, django_assert_max_num_queries
):
    # A 10% cut of every SKU on shelf: TEA 199.00 -> 179.10, (199 - 179.10) x 2 = 39.80.
    _detail, report = urls(sku)
    for number in range(3):
        other = SkuFactory(store=sku.store, code=f"S{number}", price=Decimal("10.00"))
        paid(other, unit_price="10.00", quantity=1)  # (10 - 9) x 1 = 1.00 each
    api.get(report, {"cut_percent": "10"})  # warm the session and caches
    with django_assert_max_num_queries(20) as few:
        body = api.get(report, {"cut_percent": "10"}).json()
    assert [(row["code"], row["amount"]) for row in body["rows"]] == [
        ("S0", "1.00"),
        ("S1", "1.00"),
        ("S2", "1.00"),
        ("TEA", "39.80"),
    ]
    assert body["amount"] == "42.80"
    for number in range(3, 30):
        other = SkuFactory(store=sku.store, code=f"S{number:02}", price=Decimal("10.00"))
        paid(other, unit_price="10.00", quantity=1)

    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.get(report, {"cut_percent": "10"}).json()

    assert len(body["rows"]) == 31 and body["amount"] == "69.80"  # 39.80 + 30 x 1.00
