"""Acting on the catalog reports through the API, as on the pages: delist candidates in bulk,
answer role suggestions, apply a compliance finding's replacement. Each is recorded, needs
EDIT_CATALOG, and another store's rows are refused."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.compliance import compliance_scan_sku
from catalog.models import (
    ComplianceFinding,
    ProductRole,
    RoleSuggestionDecision,
    Sku,
    SkuStatus,
    SkuStatusChange,
)
from opsdesk.models import AuditEntry, AuditSource
from opsdesk.roles import Role
from tests.factories import BannedTermFactory, SkuFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(store, make_member):
    def make(role=Role.OPERATOR) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(make_member(store, role))
        return client

    return make


def base(store) -> str:
    return f"/api/v1/stores/{store.slug}"


# --- bulk delisting --------------------------------------------------------------------------


def test_delisting_candidates_in_bulk_is_recorded(api_for, store):
    first, second = SkuFactory(store=store, code="A"), SkuFactory(store=store, code="B")
    already = SkuFactory(store=store, code="C", status=SkuStatus.DELISTED)

    response = api_for().post(
        f"{base(store)}/skus/delist/", {"skus": [first.pk, second.pk, already.pk]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"delisted": [first.pk, second.pk]}
    assert set(Sku.objects.values_list("code", "status")) == {
        ("A", "delisted"),
        ("B", "delisted"),
        ("C", "delisted"),
    }
    entry = AuditEntry.objects.get(action="sku.delist")
    assert entry.source == AuditSource.API
    assert [row["code"] for row in entry.changes["skus"]] == ["A", "B"]
    assert SkuStatusChange.objects.filter(new_status="delisted").count() == 2


def test_delisting_another_stores_sku_refuses_the_whole_request(api_for, store, other_store):
    mine, theirs = SkuFactory(store=store), SkuFactory(store=other_store)

    response = api_for().post(
        f"{base(store)}/skus/delist/", {"skus": [mine.pk, theirs.pk]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"skus": [f"No such SKU in this store: {theirs.pk}."]}
    assert set(Sku.objects.values_list("status", flat=True)) == {SkuStatus.ON_SHELF}
    assert not AuditEntry.objects.exists()
    assert not SkuStatusChange.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"), [({}, "skus"), ({"skus": []}, "skus"), ({"skus": ["x"]}, "skus.0")]
)
def test_delisting_needs_a_list_of_ids(api_for, store, body, field):
    response = api_for().post(f"{base(store)}/skus/delist/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_an_analyst_cannot_act(api_for, store):
    sku = SkuFactory(store=store, role="", title="最佳")
    analyst = api_for(Role.ANALYST)
    url = f"{base(store)}/skus/"
    for path, body in [
        ("delist/", {"skus": [sku.pk]}),
        (f"{sku.pk}/role-decision/", {"suggested_role": "traffic", "accepted": True}),
        (f"{sku.pk}/apply-replacement/", {"finding": 1}),
    ]:
        assert analyst.post(url + path, body, format="json").status_code == 403
    sku.refresh_from_db()
    assert (sku.status, sku.role, sku.title) == (SkuStatus.ON_SHELF, "", "最佳")
    assert not RoleSuggestionDecision.objects.exists()


# --- role suggestions --------------------------------------------------------------------------


@pytest.fixture
def untagged(store):
    """Three untagged SKUs: price thirds ¥9.90 | ¥99 | ¥299 -> the cheapest is a clear traffic
    suggestion, the dearest a clear image suggestion (catalog/matrix.py)."""
    return {
        code: SkuFactory(store=store, code=code, role="", price=Decimal(price), cost=Decimal(cost))
        for code, price, cost in [
            ("T", "9.90", "6.00"),
            ("P", "99.00", "30.00"),
            ("I", "299", "90"),
        ]
    }


def suggestions(api, store) -> dict[str, str]:
    yesterday = timezone.localdate(timezone=store.zone) - datetime.timedelta(days=1)
    body = api.get(
        f"{base(store)}/reports/product-matrix/",
        {"start": (yesterday - datetime.timedelta(days=29)).isoformat(), "end": yesterday},
    ).json()
    return {row["code"]: row["suggested_role"] for row in body["suggestions"]}


def test_accepting_and_rejecting_suggestions_through_the_api(api_for, store, untagged):
    api = api_for()
    assert suggestions(api, store) == {"T": "traffic", "P": "profit", "I": "image"}
    url = f"{base(store)}/skus/{{}}/role-decision/"

    accepted = api.post(
        url.format(untagged["T"].pk), {"suggested_role": "traffic", "accepted": True}, format="json"
    )
    rejected = api.post(
        url.format(untagged["I"].pk),
        {"suggested_role": "image", "accepted": False, "reason": "a gift box, not an image item"},
        format="json",
    )

    assert accepted.status_code == rejected.status_code == 201
    assert accepted.json()["previous_role"] == "" and accepted.json()["accepted"] is True
    assert rejected.json()["reason"] == "a gift box, not an image item"
    assert set(Sku.objects.values_list("code", "role")) == {("T", "traffic"), ("P", ""), ("I", "")}
    assert list(
        RoleSuggestionDecision.objects.order_by("pk").values_list("sku__code", "accepted")
    ) == [("T", True), ("I", False)]
    assert set(AuditEntry.objects.values_list("action", "source")) == {
        ("sku.update", AuditSource.API),
        ("sku.role_suggestion_reject", AuditSource.API),
    }
    # T has its role now and I's image suggestion was rejected: only P is left.
    assert suggestions(api, store) == {"P": "profit"}


def test_a_role_decision_on_another_stores_sku_is_404(api_for, store, other_store):
    theirs = SkuFactory(store=other_store, role="")
    response = api_for().post(
        f"{base(store)}/skus/{theirs.pk}/role-decision/",
        {"suggested_role": ProductRole.TRAFFIC, "accepted": True},
        format="json",
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == ""
    assert not RoleSuggestionDecision.objects.exists()


def test_a_role_decision_needs_a_known_role_and_an_answer(api_for, store):
    sku = SkuFactory(store=store)
    url = f"{base(store)}/skus/{sku.pk}/role-decision/"
    bad = api_for().post(url, {"suggested_role": "hero", "accepted": True}, format="json")
    missing = api_for().post(url, {"suggested_role": "traffic"}, format="json")
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["suggested_role"])
    assert (missing.status_code, list(missing.json()["errors"])) == (400, ["accepted"])


# --- compliance replacement --------------------------------------------------------------------


def test_applying_a_findings_replacement_through_the_api(api_for, store):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    sku = SkuFactory(store=store, title="最佳绿茶 最佳口感")
    compliance_scan_sku(sku=sku)
    finding = ComplianceFinding.objects.filter(sku=sku).order_by("position").first()

    response = api_for().post(
        f"{base(store)}/skus/{sku.pk}/apply-replacement/", {"finding": finding.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    # Every hit of the term in the field is replaced: both findings close.
    assert response.json()["title"] == "优选绿茶 优选口感"
    assert not ComplianceFinding.objects.filter(resolved_at__isnull=True).exists()
    entry = AuditEntry.objects.get(action="sku.compliance_replace")
    assert entry.source == AuditSource.API
    assert entry.changes["title"] == ["最佳绿茶 最佳口感", "优选绿茶 优选口感"]


def test_replacement_needs_an_open_finding_of_that_sku_with_a_replacement(
    api_for, store, other_store
):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    BannedTermFactory(store=store, term="第一", replacement="")
    sku = SkuFactory(store=store, title="最佳 第一")
    other = SkuFactory(store=store, title="最佳")
    compliance_scan_sku(sku=sku)
    compliance_scan_sku(sku=other)
    best, first = ComplianceFinding.objects.filter(sku=sku).order_by("position")
    api = api_for()
    url = f"{base(store)}/skus/{{}}/apply-replacement/"

    of_another_sku = api.post(url.format(other.pk), {"finding": best.pk}, format="json")
    no_replacement = api.post(url.format(sku.pk), {"finding": first.pk}, format="json")
    foreign_sku = api.post(
        url.format(SkuFactory(store=other_store).pk), {"finding": best.pk}, format="json"
    )

    assert of_another_sku.status_code == 400
    assert of_another_sku.json()["errors"] == {
        "finding": [f"No open finding {best.pk} of this SKU."]
    }
    assert no_replacement.status_code == 400
    assert no_replacement.json()["errors"] == {
        "finding": ["“第一” has no replacement; edit the text or add one."]
    }
    assert foreign_sku.status_code == 404
    assert set(Sku.objects.filter(store=store).values_list("title", flat=True)) == {
        "最佳 第一",
        "最佳",
    }
    assert not AuditEntry.objects.exists()
