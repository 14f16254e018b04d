"""Staff writes through the API (add, change role, remove; MANAGE_STAFF only; the last admin
stays; every change audited) and the audit log's CSV/XLSX export."""

import codecs
import csv
import io
import json

import pytest
from openpyxl import load_workbook

from opsdesk.audit import Actor, audit_as
from opsdesk.exports import XLSX_TYPE
from opsdesk.models import AuditEntry, Membership
from opsdesk.roles import Role
from tests.factories import UserFactory

MEMBERS = "/api/v1/stores/tea-house/memberships/"
EXPORT = "/api/v1/stores/tea-house/audit/export/"


def test_admin_adds_a_member_audited(world, client_for):
    newcomer = UserFactory(username="newcomer")

    response = client_for("admin").post(
        MEMBERS, {"username": "newcomer", "role": "operator"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["username"] == "newcomer"
    assert response.json()["role"] == "operator"
    membership = Membership.objects.get(store=world.store, user=newcomer)
    entry = AuditEntry.objects.get(action="membership.create")
    assert entry.store == world.store
    assert entry.user == world.users["admin"]
    assert entry.object_id == str(membership.pk)
    assert entry.changes == {"username": "newcomer", "role": "operator"}


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"username": "nobody-here", "role": "operator"}, "username"),
        ({"username": "analyst", "role": "operator"}, "username"),  # already a member
        ({"username": "newcomer", "role": "owner"}, "role"),
        ({"role": "operator"}, "username"),
    ],
)
def test_bad_member_bodies_are_400s_writing_nothing(world, client_for, body, name):
    UserFactory(username="newcomer")
    before = Membership.objects.count()

    response = client_for("admin").post(MEMBERS, body, format="json")

    assert response.status_code == 400
    assert name in response.json()["errors"]
    assert Membership.objects.count() == before
    assert not AuditEntry.objects.filter(action__startswith="membership.").exists()


def test_body_store_is_ignored_the_url_store_is_used(world, client_for):
    UserFactory(username="newcomer")
    response = client_for("admin").post(
        MEMBERS,
        {"username": "newcomer", "role": "analyst", "store": world.b.store.pk},
        format="json",
    )
    assert response.status_code == 201
    assert Membership.objects.get(user__username="newcomer").store == world.store


def test_change_role_and_remove_audited(world, client_for):
    client = client_for("admin")
    analyst = Membership.objects.get(store=world.store, user=world.users["analyst"])

    response = client.patch(f"{MEMBERS}{analyst.pk}/", {"role": "manager"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "manager"
    analyst.refresh_from_db()
    assert analyst.role == Role.MANAGER
    assert AuditEntry.objects.get(action="membership.update").changes == {
        "role": ["analyst", "manager"]
    }

    response = client.delete(f"{MEMBERS}{analyst.pk}/")

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=analyst.pk).exists()
    entry = AuditEntry.objects.get(action="membership.delete")
    assert entry.changes == {"username": "analyst", "role": "manager"}
    # Gone from the store: their session now gets 404 there.
    assert client_for("analyst").get("/api/v1/stores/tea-house/skus/").status_code == 404


def test_the_last_admin_can_be_neither_demoted_nor_removed(world, client_for):
    client = client_for("admin")
    admin = Membership.objects.get(store=world.store, user=world.users["admin"])

    demote = client.patch(f"{MEMBERS}{admin.pk}/", {"role": "analyst"}, format="json")
    remove = client.delete(f"{MEMBERS}{admin.pk}/")

    assert demote.status_code == 400
    assert "role" in demote.json()["errors"]
    assert remove.status_code == 409
    assert remove.json()["code"] == "last_admin"
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN
    assert not AuditEntry.objects.filter(action__startswith="membership.").exists()

    # With a second admin, the first may step down.
    manager = Membership.objects.get(store=world.store, user=world.users["manager"])
    assert client.patch(f"{MEMBERS}{manager.pk}/", {"role": "admin"}).status_code == 200
    assert client.delete(f"{MEMBERS}{admin.pk}/").status_code == 204


@pytest.mark.parametrize("role", ["manager", "operator", "analyst"])
def test_only_admins_write_staff(world, client_for, role):
    UserFactory(username="newcomer")
    client = client_for(role)
    admin = Membership.objects.get(store=world.store, user=world.users["admin"])
    assert client.post(MEMBERS, {"username": "newcomer", "role": "admin"}).status_code == 403
    assert client.patch(f"{MEMBERS}{admin.pk}/", {"role": "analyst"}).status_code == 403
    assert client.delete(f"{MEMBERS}{admin.pk}/").status_code == 403
    assert Membership.objects.get(pk=admin.pk).role == Role.ADMIN


def test_another_stores_membership_is_404(world, client_for):
    foreign = Membership.objects.get(store=world.b.store)
    client = client_for("admin")
    assert client.patch(f"{MEMBERS}{foreign.pk}/", {"role": "analyst"}).status_code == 404
    assert client.delete(f"{MEMBERS}{foreign.pk}/").status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


# --- audit export -----------------------------------------------------------------------------


def test_audit_export_csv_is_the_stores_entries_escaped(world, client_for):
    audit_as(
        Actor(user=world.users["operator"]),
        store=world.store,
        action="sku.update",
        obj=world.a.rows[next(iter(world.a.rows))],
        changes={"title": ["旧", "=HYPERLINK()"]},
    )
    AuditEntry.objects.filter(action="sku.update").update(object_repr="=cmd|calc")

    response = client_for("admin").get(EXPORT)

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(codecs.BOM_UTF8)
    assert 'filename="audit-tea-house.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "id",
        "created_at",
        "username",
        "token",
        "source",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes",
    ]
    ids = {int(row[0]) for row in rows[1:]}
    assert ids == set(AuditEntry.objects.filter(store=world.store).values_list("pk", flat=True))
    assert not ids & set(
        AuditEntry.objects.filter(store=world.b.store).values_list("pk", flat=True)
    )
    update = next(row for row in rows[1:] if row[5] == "sku.update")
    assert update[2] == "operator"
    assert update[8] == "'=cmd|calc"
    assert json.loads(update[9]) == {"title": ["旧", "=HYPERLINK()"]}
    assert update[1].endswith("+08:00")  # store-local time


def test_audit_export_filters_and_xlsx(world, client_for):
    client = client_for("admin")
    audit_as(Actor(user=world.users["admin"]), store=world.store, action="x.y", changes={})

    rows = client.get(EXPORT, {"action": "x.y"}).content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and ",x.y," in rows[1]

    response = client.get(EXPORT, {"action": "x.y", "format": "xlsx"})
    assert response["Content-Type"] == XLSX_TYPE
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = list(book["audit"].iter_rows(values_only=True))
    assert sheet[1][5] == "x.y"

    bad = client.get(EXPORT, {"created_from": "2026-02-30"})
    assert bad.status_code == 400
    assert "created_from" in bad.json()["errors"]
    bad = client.get(EXPORT, {"format": "json"})
    assert bad.status_code == 400
    assert "format" in bad.json()["errors"]


@pytest.mark.parametrize(("role", "status"), [("manager", 403), ("analyst", 403), (None, 401)])
def test_audit_export_is_for_admins(world, client_for, role, status):
    response = client_for(role).get(EXPORT)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


def test_audit_export_of_another_store_is_404(world, client_for):
    response = client_for("outsider").get(EXPORT)
    assert response.status_code == 404
