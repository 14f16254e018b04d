"""The API token pages: a user lists, creates (key shown once) and revokes their own tokens;
a store admin sees and revokes the tokens that reach their store. Every write is audited
(source "web"), CSRF-protected, and another user's token is a 404."""

import datetime
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from opsdesk.models import ApiToken, AuditEntry, AuditSource
from opsdesk.roles import Role
from opsdesk.tokens import token_create
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

LIST = "/accounts/tokens/"
STORE_LIST = "/accounts/tokens/store/"


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests compare English messages; the default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def shop(store, other_store, make_member):
    """Tea House with an admin, a manager and an operator (who also belongs to Other Shop);
    Other Shop's own admin belongs to Other Shop only."""
    admin = make_member(store, Role.ADMIN, "boss")
    manager = make_member(store, Role.MANAGER, "mgr")
    operator = make_member(store, Role.OPERATOR, "op")
    MembershipFactory(user=operator, store=other_store, role=Role.ANALYST)
    outsider = make_member(other_store, Role.ADMIN, "elsewhere")
    return {
        "store": store,
        "other": other_store,
        "admin": admin,
        "manager": manager,
        "operator": operator,
        "outsider": outsider,
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def key_on(page: str) -> str:
    found = re.findall(r'value="(ops_[A-Za-z0-9_-]+)"', page)
    assert len(found) == 1, found
    return found[0]


# --- list ------------------------------------------------------------------------------------


def test_the_list_shows_own_tokens_with_their_stores_times_and_state(shop):
    user = shop["operator"]
    tea = token_create(user=user, name="tea sync", stores=[shop["store"]]).token
    both = token_create(user=user, name="both", stores=[shop["store"], shop["other"]]).token
    unlimited = token_create(user=user, name="all of them").token
    gone = token_create(user=user, name="old").token
    ApiToken.objects.filter(pk=gone.pk).update(revoked_at=timezone.now())
    expired = token_create(user=user, name="lapsed").token
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(hours=1)
    )
    theirs = token_create(user=shop["admin"], name="boss script").token

    page = signed_in(user).get(LIST).content.decode()

    rows = dict(re.findall(r'<tr data-token="(\d+)" data-state="(\w+)">', page))
    assert rows == {
        str(tea.pk): "active",
        str(both.pk): "active",
        str(unlimited.pk): "active",
        str(gone.pk): "revoked",
        str(expired.pk): "expired",
    }
    assert str(theirs.pk) not in rows and "boss script" not in page
    row_of_both = page.split(f'data-token="{both.pk}"')[1].split("</tr>")[0]
    assert "Other Shop, Tea House" in row_of_both
    assert tea.prefix in page
    assert "All your stores" in page.split(f'data-token="{unlimited.pk}"')[1].split("</tr>")[0]
    # A revoked token has no revoke button; the live ones do.
    assert f'data-testid="revoke-{gone.pk}"' not in page
    assert f'data-testid="revoke-{tea.pk}"' in page


def test_the_page_is_in_the_nav_and_only_admins_get_the_store_tab(shop):
    admin_page = signed_in(shop["admin"]).get(LIST).content.decode()
    manager_page = signed_in(shop["manager"]).get(LIST).content.decode()

    assert f'href="{LIST}" aria-current="page"' in admin_page
    assert 'data-testid="store-tokens-tab"' in admin_page
    assert 'data-testid="store-tokens-tab"' not in manager_page


def test_the_list_needs_a_sign_in(shop):
    response = Client().get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_costs_a_fixed_number_of_queries(shop, django_assert_num_queries):
    user = shop["operator"]
    for number in range(5):
        token_create(user=user, name=f"t{number}", stores=[shop["store"]])
    client = signed_in(user)
    client.get(LIST)  # warm the session

    # session, user, memberships (base); count + page of tokens, their stores (prefetch);
    # the form's store choices
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200


# --- create ----------------------------------------------------------------------------------


def test_create_shows_the_key_once_stores_its_hash_and_audits(shop):
    user, store = shop["operator"], shop["store"]
    client = signed_in(user)
    before = timezone.now()

    response = client.post(LIST, {"name": "BI export", "lifetime_days": "30", "stores": [store.pk]})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = key_on(response.content.decode())
    token = ApiToken.objects.get(user=user, name="BI export")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.prefix) and key != token.prefix
    assert list(token.stores.all()) == [store]
    # 30 days from the request, to the second.
    expected = before + datetime.timedelta(days=30)
    assert abs((token.expires_at - expected).total_seconds()) < 5
    entry = AuditEntry.objects.get(action="token.create")
    assert (entry.store, entry.user, entry.source, entry.object_id) == (
        store,
        user,
        AuditSource.WEB,
        str(token.pk),
    )
    assert entry.changes["name"] == "BI export"
    # The key works at once, and is never shown again.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/stores/").json()["results"][0]["slug"] == store.slug
    assert key not in client.get(LIST).content.decode()


def test_a_token_for_two_stores_is_audited_in_both(shop):
    user = shop["operator"]

    signed_in(user).post(
        LIST,
        {"name": "two", "lifetime_days": "7", "stores": [shop["store"].pk, shop["other"].pk]},
    )

    entries = AuditEntry.objects.filter(action="token.create")
    assert sorted(entry.store.slug for entry in entries) == ["other-shop", "tea-house"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "lifetime_days": "90"}, "name", "This field is required."),
        ({"name": "x", "lifetime_days": "90", "stores": []}, "stores", "Choose at least one"),
        ({"name": "x", "lifetime_days": "400"}, "lifetime_days", "Select a valid choice"),
        ({"name": "x" * 81, "lifetime_days": "90"}, "name", "at most 80 characters"),
        ({"name": "x", "lifetime_days": "90", "stores": ["abc"]}, "stores", "Choose stores"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(shop, data, field, message):
    if field != "stores":
        data = {**data, "stores": [shop["store"].pk]}

    response = signed_in(shop["operator"]).post(LIST, data)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_store_the_user_does_not_belong_to_is_refused(shop):
    stranger = StoreFactory(slug="stranger")

    response = signed_in(shop["admin"]).post(
        LIST, {"name": "x", "lifetime_days": "90", "stores": [shop["store"].pk, stranger.pk]}
    )

    assert response.status_code == 400
    assert "Choose stores you belong to." in response.context["form"].errors["stores"][0]
    assert not ApiToken.objects.exists()


def test_create_needs_the_csrf_token(shop):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shop["operator"])

    response = client.post(LIST, {"name": "x", "lifetime_days": "90", "stores": [1]})

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_the_form_offers_only_the_users_stores(shop):
    page = signed_in(shop["admin"]).get(LIST).content.decode()
    assert "Tea House" in page
    assert "Other Shop" not in page


# --- revoke ----------------------------------------------------------------------------------


def test_revoke_asks_first_then_revokes_and_audits(shop):
    user = shop["operator"]
    created = token_create(user=user, name="script", stores=[shop["store"]])
    client = signed_in(user)
    url = reverse("token_revoke", args=[created.token.pk])

    confirm = client.get(url)
    created.token.refresh_from_db()
    assert confirm.status_code == 200 and "Revoke token script?" in confirm.content.decode()
    assert created.token.revoked_at is None

    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == LIST
    created.token.refresh_from_db()
    assert created.token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {created.key}")
    assert api.get("/api/v1/stores/").status_code == 401
    entry = AuditEntry.objects.get(action="token.revoke")
    assert (entry.store, entry.user, entry.source) == (shop["store"], user, AuditSource.WEB)


def test_revoking_twice_keeps_the_first_time_and_one_entry(shop):
    token = token_create(user=shop["operator"], name="s", stores=[shop["store"]]).token
    client = signed_in(shop["operator"])
    url = reverse("token_revoke", args=[token.pk])
    client.post(url)
    token.refresh_from_db()
    first = token.revoked_at

    response = client.post(url)

    token.refresh_from_db()
    assert response.status_code == 302
    assert token.revoked_at == first
    assert AuditEntry.objects.filter(action="token.revoke").count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_users_token_is_a_404_for_non_admins(shop, method):
    token = token_create(user=shop["admin"], name="boss", stores=[shop["store"]]).token

    for who in ("operator", "manager", "outsider"):
        response = getattr(signed_in(shop[who]), method)(reverse("token_revoke", args=[token.pk]))
        assert response.status_code == 404, who
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEntry.objects.filter(action="token.revoke").exists()


def test_revoke_needs_the_csrf_token(shop):
    token = token_create(user=shop["operator"], name="s", stores=[shop["store"]]).token
    client = Client(enforce_csrf_checks=True)
    client.force_login(shop["operator"])

    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


# --- the store's tokens (admins) ------------------------------------------------------------


def test_store_admins_see_the_tokens_that_reach_their_store(shop):
    store, other = shop["store"], shop["other"]
    only = token_create(user=shop["operator"], name="only tea", stores=[store]).token
    more = token_create(user=shop["operator"], name="tea and more", stores=[store, other]).token
    everything = token_create(user=shop["manager"], name="everything").token
    not_here = token_create(user=shop["operator"], name="other only", stores=[other]).token
    outsider = token_create(user=shop["outsider"], name="outsider's").token

    page = signed_in(shop["admin"]).get(STORE_LIST).content.decode()

    listed = set(re.findall(r'<tr data-token="(\d+)"', page))
    assert listed == {str(only.pk), str(more.pk), str(everything.pk)}
    assert "other only" not in page and "outsider's" not in page
    assert not_here.pk and outsider.pk

    def row(token):
        return page.split(f'data-token="{token.pk}"')[1].split("</tr>")[0]

    assert "This store only" in row(only)
    assert "This store and others" in row(more)
    assert "Other Shop" not in row(more)  # the other stores are not named
    assert "All of the owner's stores" in row(everything)
    assert ">op<" in row(only)


@pytest.mark.parametrize("who", ["manager", "operator"])
def test_the_store_list_is_for_admins_only(shop, who):
    assert signed_in(shop[who]).get(STORE_LIST).status_code == 403


def test_a_store_admin_revokes_a_staff_token_reaching_the_store(shop):
    token = token_create(user=shop["operator"], name="op script", stores=[shop["store"]]).token
    client = signed_in(shop["admin"])

    response = client.post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 302 and response["Location"] == STORE_LIST
    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = AuditEntry.objects.get(action="token.revoke")
    assert (entry.user, entry.source, entry.changes) == (
        shop["admin"],
        AuditSource.WEB,
        {"owner": "op"},
    )


def test_a_store_admin_cannot_revoke_a_token_that_does_not_reach_the_store(shop):
    token = token_create(user=shop["operator"], name="other", stores=[shop["other"]]).token

    response = signed_in(shop["admin"]).post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_admin_of_another_store_cannot_revoke_tea_house_tokens(shop):
    token = token_create(user=shop["operator"], name="tea", stores=[shop["store"]]).token

    response = signed_in(shop["outsider"]).post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_store_list_costs_a_fixed_number_of_queries(shop, django_assert_num_queries):
    for number in range(4):
        token_create(user=shop["operator"], name=f"t{number}", stores=[shop["store"]])
    client = signed_in(shop["admin"])
    client.get(STORE_LIST)

    # session, user, memberships (base); count + page of tokens with users, their stores
    with django_assert_num_queries(6):
        assert client.get(STORE_LIST).status_code == 200
