"""What the resources return and how their writes behave: money as decimal strings,
datetimes in the store's time zone, price changes recorded, tiers, targets guarded by role."""

import datetime
from decimal import Decimal

import pytest

from analytics.models import Order
from campaigns.models import Campaign
from catalog.models import PriceChange, Sku
from tests.factories import CustomerFactory, TierChangeFactory
from users.models import Customer, Tier

A = "/api/v1/stores/tea-house"


def test_money_is_a_decimal_string_and_datetimes_are_store_local(world, client_for):
    order = world.a[Order]
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.datetime(2026, 11, 1, 1, 30, tzinfo=datetime.UTC),
        paid_at=datetime.datetime(2026, 11, 1, 1, 32, tzinfo=datetime.UTC),
    )
    body = client_for("analyst").get(f"{A}/orders/{order.pk}/").json()

    assert body["paid_amount"] == "199.00"
    assert body["created_at"] == "2026-11-01T09:30:00+08:00"  # Asia/Shanghai
    assert body["lines"][0]["unit_price"] == "199.00"
    assert body["lines"][0]["sku_code"] == world.a[Sku].code
    assert body["refunds"][0]["amount"] == "50.00"
    assert body["customer_external_id"] == order.customer.external_id


def test_another_time_zone_shows_its_own_offset(world, client_for):
    world.store.time_zone = "America/New_York"
    world.store.save()
    order = world.a[Order]
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.datetime(2026, 7, 1, 16, 0, tzinfo=datetime.UTC), paid_at=None
    )
    body = client_for("analyst").get(f"{A}/orders/{order.pk}/").json()
    assert body["created_at"] == "2026-07-01T12:00:00-04:00"
    assert body["paid_at"] is None


def test_order_filters_use_store_local_days(world, client_for):
    order = world.a[Order]
    # 2026-11-01 23:30 in Shanghai is still 2026-11-01 there, though 15:30 UTC.
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.datetime(2026, 11, 1, 15, 0, tzinfo=datetime.UTC),
        paid_at=datetime.datetime(2026, 11, 1, 15, 30, tzinfo=datetime.UTC),
    )
    client = client_for("analyst")

    def ids(**params):
        return [row["id"] for row in client.get(f"{A}/orders/", params).json()["results"]]

    assert ids(paid_from="2026-11-01", paid_to="2026-11-01") == [order.pk]
    assert ids(paid_from="2026-11-02") == []
    assert ids(channel="search", status="paid", customer=order.customer_id) == [order.pk]
    assert ids(channel="direct") == []


def test_a_price_change_is_recorded_with_who_and_why(world, client_for):
    sku = world.a[Sku]
    response = client_for("operator").patch(
        f"{A}/skus/{sku.pk}/", {"price": "249.00", "price_note": "Double 11"}, format="json"
    )

    # A raise (a cut with price-protection exposure: tests/catalog/test_api_pricing.py).
    assert response.status_code == 200
    assert response.json()["price"] == "249.00"
    assert "price_note" not in response.json()
    change = PriceChange.objects.filter(sku=sku).latest("changed_at")
    assert (change.old_price, change.new_price, change.note) == (
        Decimal("199.00"),
        Decimal("249.00"),
        "Double 11",
    )
    assert change.changed_by == world.users["operator"]
    listed = client_for("analyst").get(f"{A}/price-changes/", {"sku": sku.pk}).json()["results"]
    assert listed[0]["new_price"] == "249.00" and listed[0]["changed_by"] == "operator"


def test_an_edit_that_keeps_the_price_records_no_price_change(world, client_for):
    sku = world.a[Sku]
    before = PriceChange.objects.count()
    client_for("operator").patch(
        f"{A}/skus/{sku.pk}/", {"price": "199.0", "title": "New title"}, format="json"
    )
    assert PriceChange.objects.count() == before


def test_a_sku_code_must_be_unique_in_the_store_only(world, client_for):
    client = client_for("operator")
    taken = client.post(
        f"{A}/skus/",
        {"code": world.a[Sku].code, "title": "t", "price": "1.00", "cost": "1.00"},
        format="json",
    )
    assert taken.status_code == 400 and "code" in taken.json()["errors"]
    other_stores_code = world.b[Sku].code + "-B"
    Sku.objects.filter(pk=world.b[Sku].pk).update(code=other_stores_code)
    fine = client.post(
        f"{A}/skus/",
        {"code": other_stores_code, "title": "t", "price": "1.00", "cost": "1.00"},
        format="json",
    )
    assert fine.status_code == 201


def test_sku_filters(world, client_for):
    client = client_for("analyst")
    sku = world.a[Sku]

    def codes(**params):
        return [row["code"] for row in client.get(f"{A}/skus/", params).json()["results"]]

    assert codes(role="profit", status="on_shelf", category=sku.category_id) == [sku.code]
    assert codes(role="traffic") == []
    assert codes(search=sku.title.upper()) == [sku.code]
    assert codes(ordering="-price") == [sku.code]


def test_customers_show_their_latest_tier_or_prospect(world, client_for):
    customer = world.a[Customer]
    TierChangeFactory(
        customer=customer, day=datetime.date(2026, 11, 5), tier=Tier.ACTIVE, previous_tier=Tier.NEW
    )
    prospect = CustomerFactory(store=world.store)
    client = client_for("analyst")

    rows = {row["id"]: row for row in client.get(f"{A}/customers/").json()["results"]}

    assert rows[customer.pk]["tier"] == "active"
    assert rows[customer.pk]["member_level"]["code"] == customer.member_level.code
    assert rows[prospect.pk]["tier"] == "prospect"
    assert rows[prospect.pk]["member_level"] is None
    by_tier = client.get(f"{A}/customers/", {"tier": "prospect"}).json()["results"]
    assert [row["id"] for row in by_tier] == [prospect.pk]
    level = client.get(f"{A}/customers/", {"member_level": customer.member_level.code}).json()
    assert [row["id"] for row in level["results"]] == [customer.pk]


CAMPAIGN = {
    "name": "618",
    "kind": "618",
    "preparation_start": "2026-05-01",
    "preheat_start": "2026-05-20",
    "burst_start": "2026-06-01",
    "burst_end": "2026-06-18",
    "wrapup_end": "2026-06-21",
}


@pytest.mark.parametrize(("caller", "status"), [("operator", 403), ("manager", 201)])
def test_setting_a_target_needs_set_targets(world, client_for, caller, status):
    before = Campaign.objects.count()
    response = client_for(caller).post(
        f"{A}/campaigns/", {**CAMPAIGN, "gmv_target": "500000.00"}, format="json"
    )
    assert response.status_code == status
    if status == 403:
        assert "gmv_target" in response.json()["detail"]
        assert "set_targets" in response.json()["detail"]
        assert Campaign.objects.count() == before


def test_an_operator_edits_other_fields_and_may_resend_unchanged_targets(world, client_for):
    campaign = world.a[Campaign]
    client = client_for("operator")
    url = f"{A}/campaigns/{campaign.pk}/"

    ok = client.patch(url, {"notes": "Book banners", "gmv_target": "1000000.00"}, format="json")
    denied = client.patch(url, {"ad_budget": "1.00", "notes": "cut"}, format="json")

    assert ok.status_code == 200
    assert denied.status_code == 403
    campaign.refresh_from_db()
    assert campaign.notes == "Book banners"
    assert campaign.ad_budget == Decimal("100000.00")


def test_campaign_phases_must_be_in_order(world, client_for):
    response = client_for("manager").post(
        f"{A}/campaigns/", {**CAMPAIGN, "burst_end": "2026-05-31"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_a_campaign_shows_its_lineup_mechanics_and_phase(world, client_for):
    campaign = world.a[Campaign]
    body = client_for("analyst").get(f"{A}/campaigns/{campaign.pk}/").json()
    assert body["lineup"][0]["sku"] == world.a[Sku].pk
    assert body["mechanics"][0]["kind"] == "full_reduction"
    assert body["mechanics"][0]["threshold"] == "300.00"
    assert body["phase"] in {"upcoming", "preparation", "preheat", "burst", "wrapup", "review"}


def test_a_sku_already_in_the_lineup_is_400(world, client_for):
    campaign = world.a[Campaign]
    response = client_for("operator").post(
        f"{A}/campaigns/{campaign.pk}/lineup/", {"sku": world.a[Sku].pk}, format="json"
    )
    assert response.status_code == 400
    assert "sku" in response.json()["errors"]
