"""Tenancy: another store's rows are never listed, every object URL answers 404 for them, and a
body naming another store's related row is a 400 with nothing written.

The 404 probes walk the URL conf; the body probes walk every integer field of every JSON write
body of the schema (``REFERENCES`` says which name rows), so new routes and fields are probed
without anyone writing a case for them."""

import pytest
import yaml
from django.conf import settings
from django.urls import reverse

from analytics.models import BehaviourEvent
from campaigns.models import Campaign, LineupItem, Mechanic
from catalog.models import Category, ComplianceFinding, Sku
from opsdesk.models import AuditEntry, Membership
from users.models import Customer

from .routes import api_routes
from .test_audit_coverage import store_data_counts
from .test_permission_matrix import OWN, QUERY, REQUIRED

SCHEMA = yaml.safe_load((settings.BASE_DIR / "openapi" / "schema.yaml").read_text())
STORE_ROUTES = [r for r in api_routes() if REQUIRED.get(r.basename) != OWN]
DETAIL_ROUTES = [r for r in STORE_ROUTES if "pk" in r.kwargs]
LIST_ROUTES = [r for r in STORE_ROUTES if "pk" not in r.kwargs and "get" in r.actions]


def _kwargs(route, world, rows, pk=None):
    kwargs = {"store_slug": world.store.slug}
    if "campaign_pk" in route.kwargs:
        kwargs["campaign_pk"] = rows[Campaign].pk
    if pk is not None:
        kwargs["pk"] = pk
    return kwargs


@pytest.mark.parametrize("route", DETAIL_ROUTES, ids=str)
def test_another_stores_row_is_404_on_every_method(world, client_for, route):
    client = client_for("admin")
    foreign = world.b[route.viewset.model]
    url = reverse(f"v1:{route.name}", kwargs=_kwargs(route, world, world.a.rows, foreign.pk))
    for method in route.actions:
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 404, (route.name, method)
        assert response.json()["code"] == "not_found"
    assert type(foreign).objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("route", [r for r in DETAIL_ROUTES if "campaign_pk" in r.kwargs], ids=str)
def test_a_nested_route_under_another_stores_campaign_is_404(world, client_for, route):
    kwargs = _kwargs(route, world, world.b.rows, world.b[route.viewset.model].pk)
    response = client_for("admin").get(reverse(f"v1:{route.name}", kwargs=kwargs))
    assert response.status_code == 404


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_lists_show_only_the_stores_rows(world, client_for, route):
    response = client_for("admin").get(
        reverse(f"v1:{route.name}", kwargs=_kwargs(route, world, world.a.rows)),
        QUERY.get(route.basename, {}),
    )
    assert response.status_code == 200
    if route.basename in ("report", "catalog-report"):
        # Reports: tests/api/test_report_endpoints.py checks their numbers are the store's.
        assert response["Content-Type"] == "application/json"
        return
    if route.name == "audit-export":
        lines = response.content.decode("utf-8-sig").splitlines()[1:]
        ids = {int(line.split(",")[0]) for line in lines}
    else:
        ids = {row["id"] for row in response.json()["results"]}
    assert world.a[route.viewset.model].pk in ids
    assert world.b[route.viewset.model].pk not in ids


def test_store_list_shows_only_the_callers_stores(world, client_for):
    body = client_for("operator").get("/api/v1/stores/").json()
    assert [store["slug"] for store in body["results"]] == ["tea-house"]
    assert body["results"][0]["role"] == "operator"


def test_a_store_that_does_not_exist_looks_like_one_you_do_not_belong_to(world, client_for):
    client = client_for("admin")
    missing = client.get("/api/v1/stores/no-such-store/skus/")
    foreign = client.get("/api/v1/stores/other-shop/skus/")
    assert missing.status_code == foreign.status_code == 404
    assert missing.json()["code"] == foreign.json()["code"] == "not_found"


def _count(model):
    return model.objects.count()


FOREIGN_BODIES = [
    pytest.param(
        "sku-list",
        lambda w: {
            "code": "X1",
            "title": "x",
            "price": "1.00",
            "cost": "0.50",
            "category": w.b[Category].pk,
        },
        Sku,
        "category",
        id="sku-create-foreign-category",
    ),
    pytest.param(
        "category-list",
        lambda w: {"name": "Tea", "parent": w.b[Category].pk},
        Category,
        "parent",
        id="category-create-foreign-parent",
    ),
    pytest.param(
        "campaign-list",
        lambda w: {
            "name": "618",
            "kind": "618",
            "preparation_start": "2026-05-01",
            "preheat_start": "2026-05-20",
            "burst_start": "2026-06-01",
            "burst_end": "2026-06-18",
            "wrapup_end": "2026-06-21",
            "baseline": w.b[Campaign].pk,
        },
        Campaign,
        "baseline",
        id="campaign-create-foreign-baseline",
    ),
    pytest.param(
        "lineup-item-list",
        lambda w: {"sku": w.b[Sku].pk, "planned_units": 5},
        LineupItem,
        "sku",
        id="lineup-add-foreign-sku",
    ),
    pytest.param(
        "event-list",
        lambda w: [
            {
                "visitor_id": "v1",
                "event_type": "view",
                "channel": "search",
                "occurred_at": "2026-11-01T10:00:00+08:00",
                "sku": w.a[Sku].pk,
            },
            {
                "visitor_id": "v2",
                "event_type": "view",
                "channel": "search",
                "occurred_at": "2026-11-01T10:00:00+08:00",
                "sku": w.b[Sku].pk,
            },
        ],
        BehaviourEvent,
        "1.sku",
        id="events-foreign-sku",
    ),
    pytest.param(
        "event-list",
        lambda w: [
            {
                "visitor_id": "v1",
                "event_type": "view",
                "channel": "search",
                "occurred_at": "2026-11-01T10:00:00+08:00",
                "customer": w.b[Customer].pk,
            },
        ],
        BehaviourEvent,
        "0.customer",
        id="events-foreign-customer",
    ),
]


@pytest.mark.parametrize(("name", "body", "model", "field"), FOREIGN_BODIES)
def test_a_body_naming_another_stores_row_is_400_and_writes_nothing(
    world, client_for, name, body, model, field
):
    kwargs = {"store_slug": world.store.slug}
    if name.startswith("lineup"):
        kwargs["campaign_pk"] = world.a[Campaign].pk
    before, audit_before = _count(model), _count(AuditEntry)

    response = client_for("admin").post(
        reverse(f"v1:{name}", kwargs=kwargs), body(world), format="json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert _count(model) == before
    assert _count(AuditEntry) == audit_before


@pytest.mark.parametrize(
    ("name", "model", "field", "foreign"),
    [
        ("sku-detail", Sku, "category", Category),
        ("category-detail", Category, "parent", Category),
        ("campaign-detail", Campaign, "baseline", Campaign),
    ],
)
def test_a_patch_naming_another_stores_row_is_400_and_changes_nothing(
    world, client_for, name, model, field, foreign
):
    row = world.a[model]
    before = getattr(row, f"{field}_id")
    url = reverse(f"v1:{name}", kwargs={"store_slug": world.store.slug, "pk": row.pk})

    response = client_for("admin").patch(url, {field: world.b[foreign].pk}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    row.refresh_from_db()
    assert getattr(row, f"{field}_id") == before


def test_store_id_and_author_in_a_body_are_ignored(world, client_for):
    response = client_for("manager").post(
        reverse("v1:campaign-list", kwargs={"store_slug": world.store.slug}),
        {
            "id": 999_999,
            "store": world.b.store.pk,
            "created_by": "outsider",
            "created_at": "2020-01-01T00:00:00Z",
            "name": "Member day",
            "kind": "member_day",
            "preparation_start": "2026-12-01",
            "preheat_start": "2026-12-05",
            "burst_start": "2026-12-08",
            "burst_end": "2026-12-08",
            "wrapup_end": "2026-12-10",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.pk != 999_999
    assert campaign.store == world.store
    assert campaign.created_by == world.users["manager"]
    assert response.json()["created_by"] == "manager"
    assert campaign.created_at.year != 2020


# --- generated: every id a write body can carry, over every write operation of the schema ---

#: Integer fields of request bodies that name a store-owned row (leaf name -> model), and those
#: that are plain numbers. A new integer field fails ``test_every_id_in_a_body_is_known`` until
#: it is listed in one of them, so a new endpoint's references are probed without anyone
#: remembering to write a probe.
REFERENCES = {
    "baseline": Campaign,
    "category": Category,
    "customer": Customer,
    "finding": ComplianceFinding,
    "parent": Category,
    "sku": Sku,
    "skus": Sku,
}
NUMBERS = {"clicks", "impressions", "planned_units", "quantity", "stock"}
#: The row a path's ``{id}`` names, by the folder before it.
ID_MODELS = {
    "campaigns": Campaign,
    "categories": Category,
    "lineup": LineupItem,
    "mechanics": Mechanic,
    "memberships": Membership,
    "skus": Sku,
}


def _deref(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _integer_paths(schema: dict, prefix: tuple = ()) -> list[tuple]:
    """Paths (tuples of property names and "[]") of the writable integer leaves of a body."""
    schema = _deref(schema)
    found = []
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            found += _integer_paths(sub, prefix)
    if schema.get("type") == "array":
        found += _integer_paths(schema["items"], (*prefix, "[]"))
    for name, spec in schema.get("properties", {}).items():
        if not (spec.get("readOnly") or _deref(spec).get("readOnly")):
            found += _integer_paths(spec, (*prefix, name))
    if schema.get("type") == "integer":
        found.append(prefix)
    return found


def body_ids() -> list[tuple[str, str, tuple]]:
    """(method, path, field path) of every integer leaf of every JSON write body."""
    found = []
    for path, item in SCHEMA["paths"].items():
        for method in ("post", "put", "patch"):
            content = item.get(method, {}).get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for leaf in _integer_paths(content["application/json"]["schema"]):
                    found.append((method, path, leaf))
    return found


BODY_IDS = body_ids()
BODY_REFERENCES = [
    pytest.param(m, p, leaf, id=f"{m.upper()} {p} {'.'.join(leaf)}")
    for m, p, leaf in BODY_IDS
    if [n for n in leaf if n != "[]"][-1] in REFERENCES
]


def test_every_id_in_a_body_is_known():
    names = {[n for n in leaf if n != "[]"][-1] for _, _, leaf in BODY_IDS}
    assert names - set(REFERENCES) - NUMBERS == set(), "list them in REFERENCES or NUMBERS"
    assert len(BODY_REFERENCES) >= 15  # the schema was read


#: The other fields of the object holding the id, where the id is checked only once they are
#: valid (batches check every item's fields, then the ids of the whole batch), by path suffix.
SIBLINGS = {
    "/events/": {
        "visitor_id": "v1",
        "event_type": "view",
        "channel": "search",
        "occurred_at": "2026-11-01T10:00:00+08:00",
    },
    "/lineup-suggestions/": {"planned_units": 5},
}


def _body(leaf: tuple, value, siblings: dict):
    if len(leaf) == 1 and leaf[0] != "[]":
        return {**siblings, leaf[0]: value}
    if not leaf:
        return value
    head, *rest = leaf
    inner = _body(tuple(rest), value, siblings)
    return [inner] if head == "[]" else {head: inner}


def _error_keys(leaf: tuple) -> set[str]:
    """The error keys that name ``leaf``: its own (list items by index, ``0.sku``) or a named
    field holding it (``items`` for ``items.0.sku``, ``skus`` for ``skus.0``)."""
    parts = ["0" if n == "[]" else n for n in leaf]
    keys = {".".join(parts)}
    for end in range(1, len(parts)):
        if parts[end - 1] != "0":
            keys.add(".".join(parts[:end]))
    return keys


def _row_of(rows, model):
    if model is ComplianceFinding:
        import datetime

        sku = rows[Sku]
        return ComplianceFinding.objects.create(
            store=sku.store,
            sku=sku,
            field="title",
            term="最",
            position=0,
            first_seen_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        )
    return rows[model]


def _url(world, path: str) -> str:
    url = path.replace("{store_slug}", world.store.slug)
    url = url.replace("{campaign_pk}", str(world.a[Campaign].pk))
    if "{id}" in url:
        folder = path.split("/{id}/")[0].rsplit("/", 1)[-1]
        url = url.replace("{id}", str(world.a[ID_MODELS[folder]].pk))
    return url


@pytest.mark.parametrize(("method", "path", "leaf"), BODY_REFERENCES)
def test_a_body_naming_another_stores_row_anywhere_is_400_and_writes_nothing(
    world, client_for, method, path, leaf
):
    model = REFERENCES[[n for n in leaf if n != "[]"][-1]]
    client = client_for("admin")
    url = _url(world, path)
    foreign = _row_of(world.b.rows, model)
    before = store_data_counts()

    siblings = next((v for suffix, v in SIBLINGS.items() if path.endswith(suffix)), {})

    response = getattr(client, method)(url, _body(leaf, foreign.pk, siblings), format="json")

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    named = _error_keys(leaf) & set(errors)
    assert named, (errors, leaf)
    assert store_data_counts() == before
    # The same field naming this store's row does not get that answer: the 400 above is the
    # store's wall (the row is not found), not a field that refuses every id.
    foreign_messages = {str(m) for key in named for m in errors[key]}
    own = _row_of(world.a.rows, model)
    response = getattr(client, method)(url, _body(leaf, own.pk, siblings), format="json")
    errors = response.json().get("errors", {}) if response.status_code == 400 else {}
    own_messages = {str(m) for key in _error_keys(leaf) & set(errors) for m in errors[key]}
    assert not foreign_messages & own_messages, (foreign_messages, own_messages)


def _writable_names(schema: dict, found: set[str]) -> set[str]:
    schema = _deref(schema)
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            _writable_names(sub, found)
    if schema.get("type") == "array":
        _writable_names(schema["items"], found)
    for name, spec in schema.get("properties", {}).items():
        if not (spec.get("readOnly") or _deref(spec).get("readOnly")):
            found.add(name)
            _writable_names(spec, found)
    return found


def test_no_write_body_of_the_schema_takes_a_store_an_id_or_an_author():
    """The store comes from the URL, ids from the database and authors from the request:
    no serializer that writes lists them as input (unknown keys are ignored)."""
    forbidden = {"store", "store_id", "id", "created_by", "author", "user", "decided_by"}
    offending, seen = [], set()
    for path, item in SCHEMA["paths"].items():
        for method in ("post", "put", "patch"):
            for media, content in (
                item.get(method, {}).get("requestBody", {}).get("content", {}).items()
            ):
                names = _writable_names(content["schema"], set())
                offending += [(method, path, media, name) for name in names & forbidden]
                seen |= names
    assert {"baseline", "sku", "skus", "stores", "planned_units"} <= seen  # the walk works
    assert not offending
