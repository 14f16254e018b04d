"""SKU price edits in the Django admin go through catalog.pricing: every change is recorded
(who, old, new), a cut with price-protection exposure is refused with the exposure shown until
confirmed, and price changes cannot be written by hand."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import BannedTerm, ComplianceFinding, PriceChange, Sku
from opsdesk.models import AuditEntry, AuditSource
from opsdesk.roles import Role
from tests.factories import (
    BannedTermFactory,
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    SkuFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, store):
    user = MembershipFactory(
        store=store, role=Role.OPERATOR, user__username="staffer", user__is_staff=True
    ).user
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.user = user
    return client


@pytest.fixture
def sku(store):
    return SkuFactory(
        store=store, code="TEA-1", title="Tea", price=Decimal("100.00"), cost=Decimal("40.00")
    )


def change_url(sku) -> str:
    return reverse("admin:catalog_sku_change", args=[sku.pk])


def form(sku, **overrides) -> dict:
    data = {
        "code": sku.code,
        "title": sku.title,
        "description": sku.description,
        "category": sku.category_id or "",
        "role": sku.role,
        "price": str(sku.price),
        "cost": str(sku.cost),
        "stock": str(sku.stock),
        "status": sku.status,
        "listed_on": sku.listed_on.isoformat() if sku.listed_on else "",
    }
    data.update(overrides)
    return data


def paid_order(sku, *, days_ago: int, quantity: int, unit_price: str) -> None:
    paid = timezone.now() - datetime.timedelta(days=days_ago)
    order = OrderFactory(
        store=sku.store,
        customer=CustomerFactory(store=sku.store),
        created_at=paid,
        paid_at=paid,
    )
    OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=Decimal(unit_price))


def test_a_price_raise_is_recorded_as_a_price_change(staff_client, sku):
    response = staff_client.post(change_url(sku), form(sku, price="120.00", title="Green tea"))

    assert response.status_code == 302
    sku.refresh_from_db()
    assert (sku.price, sku.title) == (Decimal("120.00"), "Green tea")
    change = PriceChange.objects.get(sku=sku)
    assert (change.old_price, change.new_price, change.changed_by) == (
        Decimal("100.00"),
        Decimal("120.00"),
        staff_client.user,
    )
    entries = list(AuditEntry.objects.filter(action="sku.update").order_by("pk"))
    assert all(entry.source == AuditSource.ADMIN for entry in entries)
    assert entries[0].changes == {"title": ["Tea", "Green tea"]}
    assert entries[1].changes == {"price": ["100.00", "120.00"]}


def shown_confirmation(response) -> str:
    """The confirmation token the refused admin form carries (its hidden input)."""
    page = response.content.decode()
    return page.split('name="price_confirmation" value="')[1].split('"')[0]


def test_a_cut_with_exposure_shows_it_and_needs_the_confirmation(staff_client, sku):
    page = staff_client.get(change_url(sku)).content.decode()
    assert 'name="confirm_price_cut"' in page
    assert 'type="hidden" name="price_confirmation"' in page
    # Paid in the 30-day window above the new price 80: 2 x (100 - 80) + 1 x (90 - 80) = 50.
    paid_order(sku, days_ago=3, quantity=2, unit_price="100.00")
    paid_order(sku, days_ago=10, quantity=1, unit_price="90.00")
    paid_order(sku, days_ago=40, quantity=5, unit_price="100.00")  # outside the window

    # Ticking the box before any exposure was shown does not confirm one.
    refused = staff_client.post(change_url(sku), form(sku, price="80.00", confirm_price_cut="on"))

    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors["price"]
    assert errors == [
        "Cutting the price from ¥100.00 to ¥80.00 exposes 2 paid order(s) (3 unit(s)) of the "
        "last 30 days to price-protection claims of up to ¥50.00. Tick “Confirm price cut” to "
        "save it."
    ]
    # Re-shown unticked, carrying the confirmation of the exposure in the error.
    assert refused.context["adminform"].form["confirm_price_cut"].value() is False
    assert shown_confirmation(refused) != ""
    sku.refresh_from_db()
    assert sku.price == Decimal("100.00")
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.exists()

    confirmed = staff_client.post(
        change_url(sku),
        form(
            sku,
            price="80.00",
            confirm_price_cut="on",
            price_confirmation=shown_confirmation(refused),
        ),
    )

    assert confirmed.status_code == 302
    sku.refresh_from_db()
    assert sku.price == Decimal("80.00")
    change = PriceChange.objects.get(sku=sku)
    assert (change.old_price, change.new_price) == (Decimal("100.00"), Decimal("80.00"))
    assert "2 orders, 3 units, exposure 50.00" in change.note


def test_an_order_paid_after_the_exposure_was_shown_refuses_the_confirmation(staff_client, sku):
    paid_order(sku, days_ago=3, quantity=2, unit_price="100.00")  # (100 - 80) x 2 = 40
    refused = staff_client.post(change_url(sku), form(sku, price="80.00"))
    token = shown_confirmation(refused)
    paid_order(sku, days_ago=0, quantity=1, unit_price="95.00")  # (95 - 80) x 1 = 15

    again = staff_client.post(
        change_url(sku),
        form(sku, price="80.00", confirm_price_cut="on", price_confirmation=token),
    )

    assert again.status_code == 200
    assert again.context["adminform"].form.errors["price"] == [
        "The exposure changed after it was shown: it was 1 order(s) (2 unit(s)), up to ¥40.00, "
        "for ¥100.00 to ¥80.00. Changing the price from ¥100.00 to ¥80.00 exposes 2 paid "
        "order(s) (3 unit(s)) of the last 30 days to price-protection claims of up to ¥55.00. "
        "Tick “Confirm price cut” again to save it."
    ]
    sku.refresh_from_db()
    assert sku.price == Decimal("100.00")
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.exists()
    fresh = shown_confirmation(again)
    assert fresh != token

    done = staff_client.post(
        change_url(sku),
        form(sku, price="80.00", confirm_price_cut="on", price_confirmation=fresh),
    )
    assert done.status_code == 302
    assert "2 orders, 3 units, exposure 55.00" in PriceChange.objects.get(sku=sku).note


def test_an_order_paid_between_the_forms_check_and_the_save_writes_nothing(
    staff_client, sku, monkeypatch
):
    # The form's check passes (no exposure yet); a buyer pays in the instant before the save:
    # the service's own check under the row lock refuses, the admin's transaction rolls back.
    from catalog import admin as catalog_admin

    check = catalog_admin.price_change_preview

    def check_then_a_buyer_pays(**kwargs):
        exposure = check(**kwargs)
        paid_order(sku, days_ago=0, quantity=1, unit_price="100.00")
        return exposure

    monkeypatch.setattr(catalog_admin, "price_change_preview", check_then_a_buyer_pays)

    response = staff_client.post(change_url(sku), form(sku, price="80.00", title="Green tea"))

    assert response.status_code == 302
    assert response["Location"] == change_url(sku)
    sku.refresh_from_db()
    assert (sku.price, sku.title) == (Decimal("100.00"), "Tea")
    assert not PriceChange.objects.exists()
    assert not AuditEntry.objects.exists()
    shown = [str(m) for m in staff_client.get(change_url(sku)).context["messages"]]
    assert shown == [
        "Changing the price from ¥100.00 to ¥80.00 exposes 1 paid order(s) (1 unit(s)) of the "
        "last 30 days to price-protection claims of up to ¥20.00. Confirm this exposure to "
        "apply the change."
    ]


def test_a_cut_without_exposure_needs_no_confirmation(staff_client, sku):
    paid_order(sku, days_ago=3, quantity=2, unit_price="70.00")  # paid below the new price
    response = staff_client.post(change_url(sku), form(sku, price="80.00"))
    assert response.status_code == 302
    assert PriceChange.objects.get(sku=sku).new_price == Decimal("80.00")


def test_an_edit_without_a_price_change_records_none(staff_client, sku):
    response = staff_client.post(change_url(sku), form(sku, stock="7"))
    assert response.status_code == 302
    assert not PriceChange.objects.exists()
    assert Sku.objects.get(pk=sku.pk).stock == 7


def test_the_add_form_has_no_confirmation_and_the_first_price_is_no_change(staff_client, store):
    page = staff_client.get(reverse("admin:catalog_sku_add"))
    assert 'name="confirm_price_cut"' not in page.content.decode()
    data = form(SkuFactory.build(store=store, code="NEW-1", category=None), store=store.pk)
    response = staff_client.post(reverse("admin:catalog_sku_add"), data)
    assert response.status_code == 302
    assert Sku.objects.filter(store=store, code="NEW-1").exists()
    assert not PriceChange.objects.exists()


def test_a_sku_added_in_the_admin_is_created_audited_and_scanned(
    staff_client, store, django_capture_on_commit_callbacks
):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    data = form(
        SkuFactory.build(store=store, code="NEW-2", title="最佳 绿茶", category=None),
        store=store.pk,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:catalog_sku_add"), data)

    assert response.status_code == 302
    created = Sku.objects.get(store=store, code="NEW-2")
    entry = AuditEntry.objects.get(action="sku.create")
    assert (entry.source, entry.object_id) == (AuditSource.ADMIN, str(created.pk))
    finding = ComplianceFinding.objects.get(sku=created)
    assert (finding.field, finding.term, finding.position) == ("title", "最佳", 0)


def test_a_banned_term_saved_or_removed_in_the_admin_rescans_every_sku(
    staff_client, store, django_capture_on_commit_callbacks
):
    sku = SkuFactory(store=store, title="全网最低价 好茶")
    add = reverse("admin:catalog_bannedterm_add")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            add,
            {"store": store.pk, "term": "全网最低", "replacement": "超值", "allowed_phrases": ""},
        )

    assert response.status_code == 302
    term = BannedTerm.objects.get(store=store, term="全网最低")
    finding = ComplianceFinding.objects.get(sku=sku, resolved_at__isnull=True)
    assert (finding.term, finding.position) == ("全网最低", 0)
    entry = AuditEntry.objects.get(action="bannedterm.create")
    assert (entry.source, entry.changes["replacement"]) == (AuditSource.ADMIN, "超值")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:catalog_bannedterm_delete", args=[term.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert not BannedTerm.objects.exists()
    finding.refresh_from_db()
    assert finding.resolved_at is not None  # the re-scan closed it
    assert AuditEntry.objects.filter(action="bannedterm.delete", source=AuditSource.ADMIN).exists()


@pytest.mark.parametrize(
    "model", ["compliancefinding", "rolesuggestiondecision", "skustatuschange", "pricechange"]
)
def test_rows_written_by_the_services_are_view_only_in_the_admin(staff_client, model):
    assert staff_client.get(reverse(f"admin:catalog_{model}_add")).status_code == 403
    assert staff_client.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200
