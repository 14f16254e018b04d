"""Every write through the API leaves one audit entry (who, what, through which token), and
the store's audit log is readable by its admins only."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import Campaign, LineupItem, Mechanic
from catalog.models import Category, Sku
from opsdesk.models import AuditEntry, AuditSource
from opsdesk.tokens import token_create

A = "tea-house"


def _writes(world):
    campaign = world.a[Campaign].pk
    lineup = reverse("v1:lineup-item-list", kwargs={"store_slug": A, "campaign_pk": campaign})
    mechanics = reverse("v1:mechanic-list", kwargs={"store_slug": A, "campaign_pk": campaign})
    base = f"/api/v1/stores/{A}"
    new_sku = Sku.objects.create(store=world.store, code="LINEUP2", title="t", price=1, cost=1)
    return [
        ("post", f"{base}/categories/", {"name": "Gifts"}, "category.create"),
        (
            "patch",
            f"{base}/categories/{world.a[Category].pk}/",
            {"name": "Teas"},
            "category.update",
        ),
        (
            "post",
            f"{base}/skus/",
            {"code": "N1", "title": "New", "price": "9.90", "cost": "2.00"},
            "sku.create",
        ),
        ("patch", f"{base}/skus/{world.a[Sku].pk}/", {"price": "259.00"}, "sku.update"),
        (
            "post",
            f"{base}/campaigns/",
            {
                "name": "Member day",
                "kind": "member_day",
                "preparation_start": "2026-12-01",
                "preheat_start": "2026-12-05",
                "burst_start": "2026-12-08",
                "burst_end": "2026-12-08",
                "wrapup_end": "2026-12-10",
            },
            "campaign.create",
        ),
        ("patch", f"{base}/campaigns/{campaign}/", {"notes": "Go"}, "campaign.update"),
        ("post", lineup, {"sku": new_sku.pk, "planned_units": 10}, "lineup.add"),
        ("patch", f"{lineup}{world.a[LineupItem].pk}/", {"planned_units": 7}, "lineup.update"),
        ("delete", f"{lineup}{world.a[LineupItem].pk}/", None, "lineup.remove"),
        ("post", mechanics, {"kind": "discount", "rate": "0.850"}, "mechanic.create"),
        ("patch", f"{mechanics}{world.a[Mechanic].pk}/", {"amount": "60.00"}, "mechanic.update"),
        ("delete", f"{mechanics}{world.a[Mechanic].pk}/", None, "mechanic.delete"),
        (
            "post",
            f"{base}/events/",
            [
                {
                    "visitor_id": "v",
                    "event_type": "view",
                    "channel": "search",
                    "occurred_at": "2026-11-01T08:00:00+08:00",
                }
            ],
            "events.ingest",
        ),
        (
            "post",
            f"{base}/ad-spend/",
            [{"channel": "paid_feed", "day": "2026-11-01", "spend": "5.00"}],
            "ad_spend.upsert",
        ),
        ("delete", f"{base}/campaigns/{campaign}/", None, "campaign.delete"),
        ("delete", f"{base}/categories/{world.a[Category].pk}/", None, "category.delete"),
    ]


def test_every_write_records_one_audit_entry_with_the_token(world):
    created = token_create(user=world.users["admin"], name="sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created.key}")

    for method, url, body, action in _writes(world):
        before = AuditEntry.objects.count()
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code < 300, (url, response.content)
        entries = list(AuditEntry.objects.order_by("-pk")[: AuditEntry.objects.count() - before])
        assert [entry.action for entry in entries] == [action]
        entry = entries[0]
        assert entry.store == world.store
        assert entry.user == world.users["admin"]
        assert entry.token == created.token
        assert entry.source == AuditSource.API


def test_an_update_records_old_and_new_values_and_no_change_records_nothing(world, client_for):
    client = client_for("operator")
    url = f"/api/v1/stores/{A}/skus/{world.a[Sku].pk}/"

    # A raise: a cut below what the world's order paid would need a price-protection
    # confirmation (tests/catalog/test_api_pricing.py).
    client.patch(url, {"price": "259.00", "title": world.a[Sku].title}, format="json")
    client.patch(url, {"price": "259.00"}, format="json")

    entries = AuditEntry.objects.filter(action="sku.update")
    assert [entry.changes for entry in entries] == [{"price": ["199.00", "259.00"]}]


def test_failed_writes_record_nothing(world, client_for):
    before = AuditEntry.objects.count()
    client_for("operator").post(f"/api/v1/stores/{A}/skus/", {"code": ""}, format="json")
    client_for("analyst").post(f"/api/v1/stores/{A}/categories/", {"name": "x"}, format="json")
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("caller", "status"),
    [("admin", 200), ("manager", 403), ("operator", 403), ("analyst", 403), ("outsider", 404)],
)
def test_the_audit_log_is_for_the_stores_admins_only(world, client_for, caller, status):
    response = client_for(caller).get(f"/api/v1/stores/{A}/audit/")
    assert response.status_code == status


def test_the_audit_log_lists_this_stores_entries_newest_first(world, client_for):
    client_for("operator").patch(
        f"/api/v1/stores/{A}/skus/{world.a[Sku].pk}/", {"title": "Oolong"}, format="json"
    )
    rows = client_for("admin").get(f"/api/v1/stores/{A}/audit/").json()["results"]

    assert rows[0]["action"] == "sku.update"
    assert rows[0]["username"] == "operator"
    assert rows[0]["changes"]["title"][1] == "Oolong"
    assert world.b[AuditEntry].pk not in [row["id"] for row in rows]
    filtered = client_for("admin").get(f"/api/v1/stores/{A}/audit/", {"action": "seed"}).json()
    assert [row["action"] for row in filtered["results"]] == ["seed"]
