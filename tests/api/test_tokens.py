"""API tokens: created from a session with the key shown once and stored hashed; both header
forms; expiry and revocation are 401; a token limited to a store cannot reach another."""

import datetime
import hashlib

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Sku
from opsdesk.models import ApiToken, AuditEntry
from opsdesk.roles import Role
from opsdesk.tokens import token_create
from tests.factories import MembershipFactory


def _bearer(key: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def test_create_shows_the_key_once_and_stores_only_its_hash(world, client_for):
    client = client_for("operator")

    response = client.post(
        "/api/v1/tokens/", {"name": "BI export", "stores": ["tea-house"]}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    key = body["key"]
    assert key.startswith("ops_") and len(key) > 40
    token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {token.key_hash, token.prefix, token.name}
    assert body["prefix"] == key[:10] == token.prefix
    assert body["stores"] == ["tea-house"]
    # Never shown again: neither in the list nor in the detail.
    listed = client.get("/api/v1/tokens/").json()["results"]
    detail = client.get(f"/api/v1/tokens/{token.pk}/").json()
    assert all("key" not in row for row in listed)
    assert "key" not in detail
    assert key not in str(listed) + str(detail)
    assert AuditEntry.objects.filter(action="token.create", object_id=str(token.pk)).count() == 1


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_both_header_forms_authenticate(world, keyword):
    created = token_create(user=world.users["analyst"], name="script")

    response = _bearer(created.key, keyword).get("/api/v1/stores/tea-house/skus/")

    assert response.status_code == 200
    created.token.refresh_from_db()
    assert created.token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer ops_wrong", "Bearer", "Token a b", "Bearer not-even-our-format"],
)
def test_a_bad_token_is_401_not_anonymous(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/stores/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert "WWW-Authenticate" in response.headers


def test_an_expired_token_is_401(world):
    created = token_create(user=world.users["analyst"], name="script")
    ApiToken.objects.filter(pk=created.token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert _bearer(created.key).get("/api/v1/stores/").status_code == 401


def test_a_revoked_token_is_401_and_stays_listed(world, client_for):
    created = token_create(user=world.users["operator"], name="script")
    client = client_for("operator")

    response = client.delete(f"/api/v1/tokens/{created.token.pk}/")

    assert response.status_code == 204
    assert _bearer(created.key).get("/api/v1/stores/").status_code == 401
    row = client.get(f"/api/v1/tokens/{created.token.pk}/").json()
    assert row["revoked_at"] is not None and row["is_active"] is False
    assert AuditEntry.objects.filter(action="token.revoke").count() == 1


def test_a_token_limited_to_a_store_cannot_reach_another_of_the_users_stores(world):
    user = world.users["operator"]
    MembershipFactory(user=user, store=world.b.store, role=Role.ADMIN)
    limited = token_create(user=user, name="tea only", stores=[world.store])
    unlimited = token_create(user=user, name="everything")

    assert _bearer(limited.key).get("/api/v1/stores/tea-house/skus/").status_code == 200
    assert _bearer(limited.key).get("/api/v1/stores/other-shop/skus/").status_code == 404
    assert _bearer(unlimited.key).get("/api/v1/stores/other-shop/skus/").status_code == 200
    listed = _bearer(limited.key).get("/api/v1/stores/").json()["results"]
    assert [store["slug"] for store in listed] == ["tea-house"]


def test_a_token_cannot_name_a_store_its_user_does_not_belong_to(world, client_for):
    response = client_for("operator").post(
        "/api/v1/tokens/", {"name": "x", "stores": ["other-shop"]}, format="json"
    )
    assert response.status_code == 400
    assert "stores" in response.json()["errors"]
    assert not ApiToken.objects.filter(name="x").exists()


@pytest.mark.parametrize("days", [-1, 400])
def test_expiry_must_be_in_the_future_and_bounded(world, client_for, days):
    expires = (timezone.now() + datetime.timedelta(days=days)).isoformat()
    response = client_for("operator").post(
        "/api/v1/tokens/", {"name": "x", "expires_at": expires}, format="json"
    )
    assert response.status_code == 400
    assert "expires_at" in response.json()["errors"]


def test_a_token_cannot_create_tokens(world):
    created = token_create(user=world.users["admin"], name="script")
    response = _bearer(created.key).post("/api/v1/tokens/", {"name": "more"}, format="json")
    assert response.status_code == 403
    assert ApiToken.objects.filter(name="more").count() == 0


def test_users_see_and_revoke_only_their_own_tokens(world, client_for):
    mine = world.tokens["analyst"]
    theirs = world.tokens["manager"]
    client = client_for("analyst")

    listed = [row["id"] for row in client.get("/api/v1/tokens/").json()["results"]]

    assert listed == [mine.pk]
    assert client.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_store_admins_can_revoke_a_staff_token_that_reaches_their_store(world, client_for):
    staff_token = world.tokens["operator"]
    admin = client_for("admin")

    listed = admin.get("/api/v1/stores/tea-house/tokens/").json()["results"]
    assert staff_token.pk in [row["id"] for row in listed]
    assert world.tokens["outsider"].pk not in [row["id"] for row in listed]

    assert admin.delete(f"/api/v1/stores/tea-house/tokens/{staff_token.pk}/").status_code == 204
    staff_token.refresh_from_db()
    assert staff_token.revoked_at is not None
    assert client_for("manager").get("/api/v1/stores/tea-house/tokens/").status_code == 403


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["operator"])

    response = client.post("/api/v1/tokens/", {"name": "x"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ApiToken.objects.filter(name="x").exists()


def test_token_requests_need_no_csrf(world):
    created = token_create(user=world.users["operator"], name="script")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created.key}")

    response = client.patch(
        f"/api/v1/stores/tea-house/skus/{world.a[Sku].pk}/", {"title": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    assert Sku.objects.get(pk=world.a[Sku].pk).title == "Renamed"
