"""Facts edited in the Django admin mark the store-local days they affect stale (the day
before and after the edit), through the admin views, so the hourly re-roll picks them up.

Store "Tea House" is in Asia/Shanghai (UTC+8): 2026-11-01 23:30 local is 15:30 UTC and belongs
to local day 11-01, whatever the server's clock."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.forms import SplitDateTimeWidget
from django.urls import reverse
from django.utils import timezone

from analytics.models import AdSpend, BehaviourEvent, Refund, StaleDay
from opsdesk.roles import Role
from tests.factories import (
    AdSpendFactory,
    BehaviourEventFactory,
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    RefundFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D1, D2, D3, D4 = (datetime.date(2026, 11, day) for day in (1, 2, 3, 4))


def at(day: datetime.date, hh: int, mm: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hh, mm), tzinfo=SHANGHAI)


@pytest.fixture
def shop(db):
    return StoreFactory(name="Tea House", slug="tea-house", time_zone="Asia/Shanghai")


@pytest.fixture
def staff_client(client, shop):
    user = MembershipFactory(
        store=shop, role=Role.OPERATOR, user__username="staffer", user__is_staff=True
    ).user
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def stale(store) -> list[datetime.date]:
    return list(StaleDay.objects.filter(store=store).order_by("day").values_list("day", flat=True))


def url(obj_or_model, action: str = "change") -> str:
    meta = obj_or_model._meta
    name = f"admin:{meta.app_label}_{meta.model_name}_{action}"
    if action in ("change", "delete"):
        return reverse(name, args=[obj_or_model.pk])
    return reverse(name)


def form_data(client, page_url: str, **changes) -> dict:
    """The change form's current values as POST data (inlines included), with ``changes``."""
    context = client.get(page_url).context

    def put(data, form, name, field):
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(field.widget, SplitDateTimeWidget):
            local = timezone.localtime(value) if value else None
            data[f"{key}_0"] = local.date().isoformat() if local else ""
            data[f"{key}_1"] = local.time().isoformat() if local else ""
        else:
            data[key] = "" if value is None else value

    data: dict = {}
    form = context["adminform"].form
    for name, field in form.fields.items():
        put(data, form, name, field)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for inline_form in formset.forms:
            for name, field in inline_form.fields.items():
                put(data, inline_form, name, field)
    data.update(changes)
    return data


def test_moving_ad_spend_to_another_day_marks_both_days(staff_client, shop):
    spend = AdSpendFactory(store=shop, day=D1)
    other = StoreFactory(slug="other-shop")
    AdSpendFactory(store=other, day=D1)

    response = staff_client.post(url(spend), form_data(staff_client, url(spend), day="2026-11-02"))

    assert response.status_code == 302
    assert AdSpend.objects.get(pk=spend.pk).day == D2
    assert stale(shop) == [D1, D2]
    assert stale(other) == []


def test_an_unchanged_ad_spend_save_marks_only_its_day(staff_client, shop):
    spend = AdSpendFactory(store=shop, day=D3, spend=Decimal("100.00"))
    staff_client.post(url(spend), form_data(staff_client, url(spend), spend="80.00"))
    assert stale(shop) == [D3]


def test_adding_a_refund_marks_its_local_day(staff_client, shop):
    order = OrderFactory(store=shop, created_at=at(D1, 9), paid_at=at(D1, 9))
    data = {
        "store": shop.pk,
        "order": order.pk,
        "number": "R-1",
        "amount": "30.00",
        # 23:30 in Shanghai is 15:30 UTC: still local day 11-02.
        "refunded_at_0": "2026-11-02",
        "refunded_at_1": "23:30:00",
    }
    response = staff_client.post(url(Refund, "add"), data)
    assert response.status_code == 302
    assert Refund.objects.get(number="R-1").refunded_at == at(D2, 23, 30)
    assert stale(shop) == [D2]


def test_deleting_an_event_marks_its_day(staff_client, shop):
    event = BehaviourEventFactory(store=shop, occurred_at=at(D3, 0, 10))
    response = staff_client.post(url(event, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not BehaviourEvent.objects.filter(pk=event.pk).exists()
    assert stale(shop) == [D3]


def test_bulk_deleting_ad_spend_marks_every_day(staff_client, shop):
    rows = [AdSpendFactory(store=shop, day=day, channel="paid_search") for day in (D1, D4)]
    response = staff_client.post(
        url(AdSpend, "changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AdSpend.objects.filter(store=shop).exists()
    assert stale(shop) == [D1, D4]


def test_moving_an_orders_payment_marks_old_and_new_day_and_its_refund_day(staff_client, shop):
    customer = CustomerFactory(store=shop)
    order = OrderFactory(store=shop, customer=customer, created_at=at(D1, 8), paid_at=at(D1, 9))
    OrderLineFactory(order=order, quantity=1)
    RefundFactory(order=order, refunded_at=at(D4, 12))

    data = form_data(staff_client, url(order), paid_at_0="2026-11-02", paid_at_1="10:00:00")
    response = staff_client.post(url(order), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    order.refresh_from_db()
    assert order.paid_at == at(D2, 10)
    # D1 (paid before), D2 (paid now), D4 (its refund).
    assert stale(shop) == [D1, D2, D4]


def test_an_inline_refund_added_to_an_order_marks_its_day(staff_client, shop):
    order = OrderFactory(store=shop, created_at=at(D1, 8), paid_at=at(D1, 9))
    data = form_data(staff_client, url(order))
    data.update(
        {
            "refunds-TOTAL_FORMS": "1",
            "refunds-0-number": "R-9",
            "refunds-0-amount": "20.00",
            "refunds-0-refunded_at_0": "2026-11-03",
            "refunds-0-refunded_at_1": "08:00:00",
        }
    )
    response = staff_client.post(url(order), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Refund.objects.filter(order=order, number="R-9").exists()
    assert stale(shop) == [D1, D3]


def test_an_analyst_edit_is_refused_and_marks_nothing(client, shop):
    user = MembershipFactory(
        store=shop, role=Role.ANALYST, user__username="analyst", user__is_staff=True
    ).user
    client.force_login(user)
    spend = AdSpendFactory(store=shop, day=D1)
    response = client.post(url(spend, "delete"), {"post": "yes"})
    assert response.status_code == 403
    assert stale(shop) == []
