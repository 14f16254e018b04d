"""The admin is scoped like the pages: staff see and write only their stores' rows, by role.

Tea House (``store``) and Other Shop (``other_store``) each get the same kinds of rows; the
other store's are named "LEAK" and must never appear.
"""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from analytics.models import Order
from campaigns.models import Campaign, LineupItem
from catalog.models import Sku
from opsdesk.models import ApiToken, AuditEntry, AuditSource, Membership, Store
from opsdesk.roles import Role
from opsdesk.tokens import token_create
from tests.factories import (
    CampaignFactory,
    CategoryFactory,
    CustomerFactory,
    LineupItemFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    SkuFactory,
    UserFactory,
)

PROJECT_APPS = ("opsdesk", "catalog", "users", "campaigns", "analytics")


def staff(store, role=Role.OPERATOR, username="staffer"):
    return MembershipFactory(
        store=store, role=role, user__username=username, user__is_staff=True
    ).user


@pytest.fixture
def rows(store, other_store):
    """One of each main kind of row per store."""
    made = {}
    for target, marker in ((store, "MINE"), (other_store, "LEAK")):
        category = CategoryFactory(store=target, name=f"cat-{marker}")
        sku = SkuFactory(store=target, code=f"SKU-{marker}", category=category)
        customer = CustomerFactory(store=target, external_id=f"buyer-{marker}")
        order = OrderFactory(store=target, number=f"O-{marker}", customer=customer)
        OrderLineFactory(order=order, sku=sku)
        campaign = CampaignFactory(store=target, name=f"campaign-{marker}")
        made[marker] = {
            "category": category,
            "sku": sku,
            "customer": customer,
            "order": order,
            "campaign": campaign,
        }
    return made


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def sku_form(store, category, **overrides) -> dict:
    data = {
        "store": store.pk,
        "code": "NEW-1",
        "title": "New tea",
        "description": "",
        "category": category.pk if category else "",
        "role": "profit",
        "price": "99.00",
        "cost": "40.00",
        "stock": "10",
        "status": "on_shelf",
        "listed_on": "2026-11-10",
    }
    data.update(overrides)
    return data


# --- Every model is registered and scoped -----------------------------------------------------


def test_every_model_of_the_project_apps_has_an_admin():
    models = [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]
    missing = [m._meta.label for m in models if m not in admin.site._registry]
    assert missing == []


@pytest.mark.django_db
def test_every_changelist_opens_for_an_operator_and_shows_no_other_store_row(client, store, rows):
    client.force_login(staff(store))
    assert client.get(reverse("admin:index")).status_code == 200
    for model in [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]:
        response = client.get(changelist(model))
        if model is AuditEntry:  # store admins only (test_the_audit_log_is_for_store_admins)
            assert response.status_code == 403
            continue
        assert response.status_code == 200, model._meta.label
        assert "LEAK" not in response.content.decode(), model._meta.label
        assert "Other Shop" not in response.content.decode(), model._meta.label


# --- Reading ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "mine"),
    [
        (Sku, "SKU-MINE"),
        (Order, "O-MINE"),
        (Campaign, "campaign-MINE"),
        (apps.get_model("users", "Customer"), "buyer-MINE"),
        (apps.get_model("catalog", "Category"), "cat-MINE"),
    ],
)
def test_an_operator_sees_only_their_store_rows(client, store, rows, model, mine):
    client.force_login(staff(store))
    response = client.get(changelist(model))
    page = response.content.decode()
    assert response.status_code == 200
    assert mine in page
    assert "LEAK" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["sku", "order", "campaign", "customer", "category"])
def test_an_operator_cannot_open_another_store_row(client, store, rows, kind):
    # given a row of Other Shop
    client.force_login(staff(store))
    obj = rows["LEAK"][kind]
    # when its change, history and delete pages are opened
    for url in (
        change_url(obj),
        change_url(obj).replace("/change/", "/history/"),
        change_url(obj).replace("/change/", "/delete/"),
    ):
        response = client.get(url)
        # then the admin says it does not exist (a redirect), never showing it
        assert response.status_code == 302, url
        assert response["Location"] == reverse("admin:index")
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_a_superuser_sees_every_store(client, rows):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(changelist(Sku)).content.decode()
    assert "SKU-MINE" in page
    assert "SKU-LEAK" in page
    assert client.get(change_url(rows["LEAK"]["sku"])).status_code == 200


@pytest.mark.django_db
def test_the_store_filter_lists_only_the_user_stores(client, store, rows):
    client.force_login(staff(store))
    page = client.get(changelist(Sku)).content.decode()
    assert "?store=" in page
    assert "Tea House" in page
    assert "Other Shop" not in page


@pytest.mark.django_db
def test_autocomplete_returns_only_the_user_store_rows(client, store, rows):
    client.force_login(staff(store))
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "analytics",
            "model_name": "order",
            "field_name": "customer",
            "term": "buyer",
        },
    )
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["results"]]
    assert ids == [str(rows["MINE"]["customer"].pk)]


@pytest.mark.django_db
def test_a_member_who_is_not_staff_cannot_enter_the_admin(client, operator):
    client.force_login(operator)
    response = client.get(changelist(Sku))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_sku_changelist_query_count(client, store, django_assert_max_num_queries):
    SkuFactory.create_batch(40, store=store)
    client.force_login(staff(store))
    client.get(changelist(Sku))  # the first page of a session stores the current store
    # session, user, memberships, store filter, count, rows (category and store joined)
    with django_assert_max_num_queries(8):
        assert client.get(changelist(Sku)).status_code == 200


# --- Writing: choices, validation, roles --------------------------------------------------------


@pytest.mark.django_db
def test_add_form_offers_only_the_user_stores_and_their_rows(client, store, rows):
    client.force_login(staff(store))
    response = client.get(add_url(Sku))
    form = response.context["adminform"].form
    assert list(form.fields["store"].queryset) == [store]
    assert list(form.fields["category"].queryset) == [rows["MINE"]["category"]]


@pytest.mark.django_db
def test_an_operator_adds_a_sku_to_their_store(client, store, rows):
    client.force_login(staff(store))
    response = client.post(add_url(Sku), sku_form(store, rows["MINE"]["category"]))
    assert response.status_code == 302
    assert Sku.objects.get(code="NEW-1").store == store


@pytest.mark.django_db
def test_a_sku_cannot_be_added_to_another_store(client, store, other_store, rows):
    client.force_login(staff(store))
    response = client.post(add_url(Sku), sku_form(other_store, None))
    assert response.status_code == 200
    assert "store" in response.context["adminform"].form.errors
    assert not Sku.objects.filter(code="NEW-1").exists()


@pytest.mark.django_db
def test_a_row_cannot_point_to_a_row_of_another_store(client, store, other_store, rows):
    # given an operator of both stores
    user = staff(store)
    MembershipFactory(user=user, store=other_store, role=Role.OPERATOR)
    client.force_login(user)
    # when they add a Tea House SKU in an Other Shop category
    response = client.post(add_url(Sku), sku_form(store, rows["LEAK"]["category"]))
    # then the form says so and nothing is written
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["category"] == ["cat-LEAK 属于其他店铺。"]
    assert not Sku.objects.filter(code="NEW-1").exists()


@pytest.mark.django_db
def test_the_store_of_a_row_is_read_only_once_created(client, store, rows):
    client.force_login(staff(store))
    form = client.get(change_url(rows["MINE"]["sku"])).context["adminform"].form
    assert "store" not in form.fields
    assert "category" in form.fields


@pytest.mark.django_db
def test_a_store_where_the_user_is_analyst_is_not_offered_for_writing(client, store, other_store):
    # given an operator of Tea House who is only an analyst in Other Shop
    user = staff(store)
    MembershipFactory(user=user, store=other_store, role=Role.ANALYST)
    client.force_login(user)
    # then Other Shop is not a store they may add SKUs to
    form = client.get(add_url(Sku)).context["adminform"].form
    assert list(form.fields["store"].queryset) == [store]
    response = client.post(add_url(Sku), sku_form(other_store, None))
    assert response.status_code == 200
    assert not Sku.objects.filter(code="NEW-1").exists()


@pytest.mark.django_db
def test_an_analyst_can_view_but_not_add_change_or_delete(client, store, rows):
    # given an analyst of Tea House
    client.force_login(staff(store, role=Role.ANALYST, username="analyst"))
    sku = rows["MINE"]["sku"]
    # then they can list and view
    assert "SKU-MINE" in client.get(changelist(Sku)).content.decode()
    view = client.get(change_url(sku))
    assert view.status_code == 200
    assert view.context["has_change_permission"] is False
    # but not add, change or delete
    assert client.get(add_url(Sku)).status_code == 403
    assert client.post(add_url(Sku), sku_form(store, None)).status_code == 403
    changed = client.post(change_url(sku), sku_form(store, None, title="Renamed"))
    assert changed.status_code == 403
    delete_url = change_url(sku).replace("/change/", "/delete/")
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    sku.refresh_from_db()
    assert sku.title != "Renamed"
    assert not Sku.objects.filter(code="NEW-1").exists()


@pytest.mark.django_db
def test_delete_selected_refuses_rows_of_a_store_the_user_may_only_view(
    client, store, other_store, rows
):
    # given an operator of Tea House who is analyst in Other Shop
    user = staff(store)
    MembershipFactory(user=user, store=other_store, role=Role.ANALYST)
    client.force_login(user)
    leak = rows["LEAK"]["category"]
    # when they bulk-delete an Other Shop category
    response = client.post(
        changelist(apps.get_model("catalog", "Category")),
        {"action": "delete_selected", "_selected_action": [leak.pk], "post": "yes"},
    )
    # then it is refused and the category remains
    assert response.status_code == 403
    assert type(leak).objects.filter(pk=leak.pk).exists()


@pytest.mark.django_db
def test_an_operator_cannot_set_campaign_targets_but_a_manager_can(client, store, rows):
    campaign = rows["MINE"]["campaign"]
    client.force_login(staff(store, role=Role.OPERATOR, username="op"))
    operator_form = client.get(change_url(campaign)).context["adminform"].form
    assert "name" in operator_form.fields
    assert "gmv_target" not in operator_form.fields
    assert "ad_budget" not in operator_form.fields
    client.force_login(staff(store, role=Role.MANAGER, username="boss"))
    manager_form = client.get(change_url(campaign)).context["adminform"].form
    assert "gmv_target" in manager_form.fields


def campaign_form(store, **overrides) -> dict:
    data = {
        "store": store.pk,
        "name": "Member day",
        "kind": "member_day",
        "preparation_start": "2026-12-01",
        "preheat_start": "2026-12-05",
        "burst_start": "2026-12-08",
        "burst_end": "2026-12-08",
        "wrapup_end": "2026-12-11",
        "gmv_target": "500000.00",
        "ad_budget": "30000.00",
        "channels": "[]",
        "baseline": "",
        "notes": "",
        "created_by": "",
        "lineup-TOTAL_FORMS": "0",
        "lineup-INITIAL_FORMS": "0",
        "mechanics-TOTAL_FORMS": "0",
        "mechanics-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_lineup_rows_added_inline_take_the_campaign_store(client, store, rows):
    client.force_login(staff(store, role=Role.MANAGER, username="boss"))
    response = client.post(
        add_url(Campaign),
        campaign_form(
            store,
            **{
                "lineup-TOTAL_FORMS": "1",
                "lineup-0-sku": rows["MINE"]["sku"].pk,
                "lineup-0-planned_units": "30",
            },
        ),
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Member day")
    assert campaign.store == store
    assert campaign.gmv_target == Decimal("500000.00")
    item = LineupItem.objects.get(campaign=campaign)
    assert (item.store, item.sku, item.planned_units) == (store, rows["MINE"]["sku"], 30)


@pytest.mark.django_db
def test_an_inline_row_cannot_use_another_store_sku(client, store, other_store, rows):
    user = staff(store, role=Role.MANAGER, username="boss")
    MembershipFactory(user=user, store=other_store, role=Role.MANAGER)
    client.force_login(user)
    response = client.post(
        add_url(Campaign),
        campaign_form(
            store,
            **{
                "lineup-TOTAL_FORMS": "1",
                "lineup-0-sku": rows["LEAK"]["sku"].pk,
                "lineup-0-planned_units": "30",
            },
        ),
    )
    assert response.status_code == 200
    assert not Campaign.objects.filter(name="Member day").exists()
    assert not LineupItem.objects.filter(sku=rows["LEAK"]["sku"]).exists()


@pytest.mark.django_db
def test_an_operator_adding_a_campaign_cannot_set_a_target(client, store):
    client.force_login(staff(store))
    response = client.post(add_url(Campaign), campaign_form(store))
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Member day")
    assert (campaign.gmv_target, campaign.ad_budget) == (None, None)


@pytest.mark.django_db
def test_editing_a_lineup_of_another_store_is_not_possible(client, store, rows):
    leak_item = LineupItemFactory(campaign=rows["LEAK"]["campaign"], sku=rows["LEAK"]["sku"])
    client.force_login(staff(store))
    assert client.get(change_url(leak_item)).status_code == 302


# --- Stores and staff -------------------------------------------------------------------------


@pytest.mark.django_db
def test_store_admin_edits_their_store_but_cannot_create_or_delete_stores(
    client, store, other_store
):
    client.force_login(staff(store, role=Role.ADMIN, username="owner"))
    page = client.get(changelist(Store)).content.decode()
    assert "Tea House" in page
    assert "Other Shop" not in page
    assert client.get(change_url(store)).context["has_change_permission"] is True
    assert client.get(change_url(other_store)).status_code == 302
    assert client.get(add_url(Store)).status_code == 403
    delete_url = change_url(store).replace("/change/", "/delete/")
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Store.objects.filter(pk=store.pk).exists()


@pytest.mark.django_db
def test_an_operator_views_the_store_and_staff_but_cannot_change_them(client, store):
    client.force_login(staff(store))
    assert client.get(change_url(store)).context["has_change_permission"] is False
    assert client.get(add_url(Membership)).status_code == 403


@pytest.mark.django_db
def test_store_admin_manages_memberships_of_their_store_only(client, store, other_store):
    # given a store admin of Tea House, a colleague there and a stranger in Other Shop
    owner = staff(store, role=Role.ADMIN, username="owner")
    colleague = MembershipFactory(store=store, user__username="colleague").user
    stranger = MembershipFactory(store=other_store, user__username="stranger")
    client.force_login(owner)
    # then the staff list shows only Tea House memberships
    page = client.get(changelist(Membership)).content.decode()
    assert "colleague" in page
    assert "stranger" not in page
    # and the user choices are the staff of the owner's stores only
    form = client.get(add_url(Membership)).context["adminform"].form
    assert set(form.fields["user"].queryset) == {owner, colleague}
    assert list(form.fields["store"].queryset) == [store]
    assert client.get(change_url(stranger)).status_code == 302


@pytest.mark.django_db
def test_order_inline_lines_are_shown_for_the_order_store_only(client, store, rows):
    client.force_login(staff(store))
    response = client.get(change_url(rows["MINE"]["order"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "O-MINE" in page
    assert "LEAK" not in page


@pytest.mark.django_db
def test_rollup_tables_are_view_only(client, store):
    from analytics.models import DailyStoreMetrics

    client.force_login(staff(store, role=Role.ADMIN, username="owner"))
    assert client.get(changelist(DailyStoreMetrics)).status_code == 200
    assert client.get(add_url(DailyStoreMetrics)).status_code == 403


def test_admin_site_is_branded():
    with translation.override("zh-hans"):
        assert str(admin.site.site_header) == "opsdesk 管理后台"
    with translation.override("en"):
        assert str(admin.site.site_header) == "opsdesk administration"


# --- Audit and API tokens ---------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_writes_are_audited_with_source_admin(client, store, rows):
    user = staff(store)
    client.force_login(user)
    sku = rows["MINE"]["sku"]
    # The price stays: a price change is recorded by catalog.pricing (tests/catalog/test_admin.py).
    data = sku_form(
        store, rows["MINE"]["category"], code=sku.code, title="Renamed tea", price=str(sku.price)
    )
    response = client.post(change_url(sku), data)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="sku.update")
    assert (entry.store, entry.user, entry.source) == (store, user, AuditSource.ADMIN)
    assert entry.object_id == str(sku.pk)
    assert entry.changes["title"] == [sku.title, "Renamed tea"]
    assert "code" not in entry.changes
    assert not AuditEntry.objects.exclude(pk=entry.pk).exists()


@pytest.mark.django_db
def test_the_audit_log_is_view_only_and_scoped(client, store, other_store):
    AuditEntry.objects.create(store=store, source=AuditSource.WEB, action="sku.update")
    AuditEntry.objects.create(store=other_store, source=AuditSource.WEB, action="LEAK.update")
    client.force_login(staff(store, role=Role.ADMIN, username="owner"))
    page = client.get(changelist(AuditEntry)).content.decode()
    assert "sku.update" in page
    assert "LEAK" not in page
    assert client.get(add_url(AuditEntry)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MANAGER, Role.OPERATOR, Role.ANALYST])
def test_the_audit_log_is_for_store_admins_only(client, store, other_store, role):
    entry = AuditEntry.objects.create(store=store, source=AuditSource.WEB, action="sku.update")
    client.force_login(staff(store, role=role, username="member"))
    assert client.get(changelist(AuditEntry)).status_code == 403
    assert client.get(change_url(entry)).status_code in (302, 403)
    assert "auditentry" not in client.get(reverse("admin:index")).content.decode()
    # An admin of another store sees none of this store's entries.
    client.force_login(staff(other_store, role=Role.ADMIN, username="other-admin"))
    assert "sku.update" not in client.get(changelist(AuditEntry)).content.decode()


@pytest.mark.django_db
def test_api_tokens_are_listed_for_their_owner_and_the_store_admin_only(client, store, other_store):
    # given an operator's token, a stranger's token, and the store admin of Tea House
    operator = staff(store, username="op")
    mine = token_create(user=operator, name="op-token").token
    stranger = MembershipFactory(store=other_store, user__username="stranger").user
    token_create(user=stranger, name="LEAK-token")
    owner = staff(store, role=Role.ADMIN, username="owner")
    # then the operator sees their own token only, and cannot add one in the admin
    client.force_login(operator)
    page = client.get(changelist(ApiToken)).content.decode()
    assert "op-token" in page
    assert "LEAK-token" not in page
    assert client.get(add_url(ApiToken)).status_code == 403
    # and the store admin sees the operator's token and may revoke it
    client.force_login(owner)
    page = client.get(changelist(ApiToken)).content.decode()
    assert "op-token" in page
    assert "LEAK-token" not in page
    response = client.post(
        changelist(ApiToken), {"action": "revoke_tokens", "_selected_action": [mine.pk]}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None


@pytest.mark.django_db
def test_revoking_cannot_reach_a_token_outside_the_admin_stores(client, store, other_store):
    stranger = MembershipFactory(store=other_store, user__username="stranger").user
    theirs = token_create(user=stranger, name="LEAK-token").token
    client.force_login(staff(store, role=Role.ADMIN, username="owner"))
    client.post(changelist(ApiToken), {"action": "revoke_tokens", "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
