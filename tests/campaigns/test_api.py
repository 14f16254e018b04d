"""The campaign report endpoints: the hand-made shop's numbers through the API, roles, and
another store's campaign id as a 404."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import CampaignHour, LineupItem
from opsdesk.roles import Role
from tests.campaigns.shop import SHANGHAI, D, build_campaign_shop
from tests.factories import CampaignFactory, MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests compare English messages; the default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def shop():
    return build_campaign_shop()


def freeze(monkeypatch, day, hour=12, minute=0):
    instant = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: instant)


def api(store, role=Role.MANAGER):
    client = APIClient()
    client.force_authenticate(MembershipFactory(store=store, role=role).user)
    return client


def url(shop, name, campaign=None):
    return reverse(
        f"v1:campaign-{name}",
        kwargs={"store_slug": shop.store.slug, "pk": (campaign or shop.camp).pk},
    )


def test_review_report(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 12, 12))
    body = api(shop.store, Role.ANALYST).get(url(shop, "review")).json()
    review = body["review"]
    assert body["available"] is True
    assert (review["stage"], review["gmv"], review["gap"]) == ("final", "800.00", "-200.00")
    assert review["vs_plan"]["traffic"] == "-621.26"
    assert review["vs_plan"]["conversion"] == "-200.00"
    assert review["vs_plan"]["spend_per_buyer"] == "621.26"
    assert [p["code"] for p in review["pareto"]] == ["S1", "S2", "S3"]
    assert review["stockouts"][0]["lost_sales"] == "1000.00"
    assert review["new_buyers_returned"] == 1
    assert Decimal(review["refund_rate"]) == Decimal("0.125")


def test_review_is_null_before_the_burst_ends(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10))
    body = api(shop.store).get(url(shop, "review")).json()
    assert body == {"available": False, "available_from": "2026-11-11", "review": None}


def test_plan_report(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 22))
    body = api(shop.store).get(url(shop, "plan")).json()
    assert (body["source"], body["source_name"]) == ("baseline", "Base")
    assert (body["implied_uv"], body["implied_buyers"], body["spend_per_buyer"]) == (
        100,
        10,
        "100.00",
    )


def test_monitoring_refresh_and_read(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10), hour=6, minute=30)
    client = api(shop.store, Role.OPERATOR)
    refreshed = client.post(url(shop, "monitoring"), {"day": "2026-11-10"}, format="json")
    assert refreshed.json() == {"day": "2026-11-10", "hours": 7}
    body = client.get(url(shop, "monitoring"), {"day": "2026-11-10"}).json()
    assert (body["gmv"], body["day_target"], body["behind_pace"]) == ("800.00", "1000.00", True)
    assert [h["gmv"] for h in body["hours"][:4]] == ["400.00", "0.00", "0.00", "200.00"]
    bad = client.post(url(shop, "monitoring"), {"day": "2026-12-01"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"]["day"] == [
        "Choose a pre-heat or burst day, 2026-11-09 to 2026-11-10."
    ]


def test_an_analyst_cannot_refresh_or_accept(shop):
    client = api(shop.store, Role.ANALYST)
    assert (
        client.post(url(shop, "monitoring"), {"day": "2026-11-10"}, format="json").status_code
        == 403
    )
    accept = client.post(
        url(shop, "lineup-suggestions"),
        {"items": [{"sku": shop.skus["S3"].pk, "planned_units": 1}]},
        format="json",
    )
    assert accept.status_code == 403
    assert not CampaignHour.objects.exists()
    assert LineupItem.objects.filter(sku=shop.skus["S3"]).count() == 0


def test_accept_lineup_items_through_the_api(shop):
    client = api(shop.store)
    response = client.post(
        url(shop, "lineup-suggestions"),
        {"items": [{"sku": shop.skus["S3"].pk, "planned_units": 4}]},
        format="json",
    )
    assert response.status_code == 201
    assert [(i["sku_code"], i["planned_units"]) for i in response.json()] == [("S3", 4)]
    again = client.post(
        url(shop, "lineup-suggestions"),
        {"items": [{"sku": shop.skus["S3"].pk, "planned_units": 1}]},
        format="json",
    )
    assert again.status_code == 400
    assert "S3 is already in the lineup." in again.json()["errors"]["items"]


def test_another_stores_campaign_id_is_a_404(shop):
    foreign = CampaignFactory(store=StoreFactory(slug="other-shop"))
    client = api(shop.store, Role.ADMIN)
    for name in ("review", "plan", "monitoring", "lineup-suggestions"):
        response = client.get(url(shop, name, foreign))
        assert response.status_code == 404, name
        assert response.json()["code"] == "not_found"
    post = client.post(url(shop, "monitoring", foreign), {"day": "2026-11-10"}, format="json")
    assert post.status_code == 404
    assert not CampaignHour.objects.exists()


def test_review_export_file_and_query_count(shop, monkeypatch, django_assert_max_num_queries):
    freeze(monkeypatch, D(2026, 12, 12))
    client = api(shop.store, Role.ANALYST)
    with django_assert_max_num_queries(30):
        response = client.get(url(shop, "review-export"))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "Gap vs plan,,Spend-per-buyer effect,621.26" in text
    xlsx = client.get(url(shop, "review-export"), {"file": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = client.get(url(shop, "review-export"), {"file": "pdf"})
    assert bad.status_code == 400 and bad.json()["errors"]["file"] == ["Choose file csv or xlsx."]


def test_review_export_before_the_burst_ends_is_a_400(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10))
    response = api(shop.store).get(url(shop, "review-export"))
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        "The review is available once the burst is over (2026-11-11)."
    ]


def test_review_queries_do_not_grow_with_lineup_and_stockouts(shop, monkeypatch):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import LineupItemFactory, StockSnapshotFactory

    freeze(monkeypatch, D(2026, 12, 12))
    client = api(shop.store, Role.ANALYST)
    with CaptureQueriesContext(connection) as before:
        client.get(url(shop, "review"))
    for code in ("S3", "S4"):
        LineupItemFactory(campaign=shop.camp, sku=shop.skus[code], planned_units=9)
        StockSnapshotFactory(store=shop.store, sku=shop.skus[code], day=D(2026, 11, 10), stock=0)
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        body = client.get(url(shop, "review")).json()["review"]
    assert len(body["stockouts"]) == 3 and len(body["lineup"]) == 4
    assert len(after.captured_queries) == len(before.captured_queries)
