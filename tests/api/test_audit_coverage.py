"""Every write is audited, proved over the URL conf and the admin registry, so a new write
path without an audit entry fails here without anyone remembering to add a test.

* Pages: every route outside ``/api/`` and ``/admin/`` gets a POST from a store admin; each
  one that does not answer 405 must be in ``PAGE_POSTS``, either as a ``Write`` (a real POST
  that must leave exactly its audit actions, source "web", by that user, in that store) or as
  ``NoStoreWrite`` with the reason (a POST to it must leave the audit log and every table of
  store data as they were).
* API: every route x write method of ``/api/v1/`` must be in ``API_WRITES`` with a real
  request, which must leave exactly its audit actions, source "api", with the token.
* Admin: every model admin that lets a store admin write is a ``StoreScopedAdmin`` (whose
  save, inline, delete and bulk-delete paths audit, source "admin") or is listed in
  ``ADMIN_OTHER_WRITES``; deleting a row of each writable store admin is audited.
* GET never writes: no page and no API route changes a table of store data or the audit log.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from analytics.models import ImportRun
from campaigns.models import Campaign, LineupItem, Mechanic
from catalog.compliance import compliance_scan_sku
from catalog.models import BannedTerm, Category, ComplianceFinding, ProductRole, Sku
from opsdesk.admin_scoping import StoreScopedAdmin
from opsdesk.audit import Actor, audit_as
from opsdesk.models import AuditEntry, AuditSource, Membership
from opsdesk.tokens import token_create
from tests.factories import UserFactory
from users.models import Customer, Playbook
from users.playbooks import playbooks_install_ready_made

from .routes import api_routes

A = "tea-house"


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, settings):
    settings.OPSDESK_IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def ctx(world):
    """The API world plus what the write pages need: a ready-made playbook, a banned term
    with an open finding on a SKU, a SKU outside the lineup and a monitored campaign day."""
    store = world.store
    actor = Actor(user=world.users["admin"], source=AuditSource.TASK)
    playbook = next(
        p
        for p in playbooks_install_ready_made(store=store, actor=actor)
        if p.code == "dormant_wakeup"
    )
    term = BannedTerm.objects.create(store=store, term="最好", replacement="很好")
    flagged = Sku.objects.create(store=store, code="FLAG1", title="最好的茶", price=9, cost=3)
    compliance_scan_sku(sku=flagged)
    spare = Sku.objects.create(store=store, code="SPARE1", title="Spare", price=5, cost=2)
    AuditEntry.objects.all().delete()  # only what the request under test writes counts
    return SimpleNamespace(
        world=world,
        store=store,
        admin=world.users["admin"],
        playbook=playbook,
        term=term,
        finding=ComplianceFinding.objects.get(sku=flagged),
        flagged=flagged,
        spare=spare,
        campaign=world.a[Campaign],
        item=world.a[LineupItem],
        mechanic=world.a[Mechanic],
        sku=world.a[Sku],
        customer=world.a[Customer],
        run=world.a[ImportRun],
    )


def csv_upload(text: str, name: str = "skus.csv") -> io.BytesIO:
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = name
    return upload


SKU_FILE = "sku_code,title,price,cost\nIMP1,Imported tea,12.00,4.00\n"


# --- pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """A page POST that writes store data: ``request(ctx)`` returns (url kwargs, form data)
    of a valid POST; ``actions`` are the audit actions it must leave, in order."""

    actions: tuple[str, ...]
    request: Callable[[SimpleNamespace], tuple[dict, dict]]
    prepare: Callable[[SimpleNamespace, object], None] | None = None


@dataclass(frozen=True)
class NoStoreWrite:
    """A page that accepts POST but writes no store data (``reason`` says what it does)."""

    reason: str


def _preview(ctx) -> ImportRun:
    """A previewed SKU file (what the upload POST leaves), for confirm and mapping."""
    client = Client()
    client.force_login(ctx.admin)
    client.post(reverse("import_list"), {"preset": "generic_skus", "file": csv_upload(SKU_FILE)})
    return ImportRun.objects.filter(store=ctx.store, dry_run=True).latest("pk")


def _campaign_form(ctx) -> dict:
    campaign = ctx.campaign
    return {
        "name": "Double 11 (edited)",
        "kind": campaign.kind,
        "preparation_start": campaign.preparation_start.isoformat(),
        "preheat_start": campaign.preheat_start.isoformat(),
        "burst_start": campaign.burst_start.isoformat(),
        "burst_end": campaign.burst_end.isoformat(),
        "wrapup_end": campaign.wrapup_end.isoformat(),
        "gmv_target": "2000000.00",
        "ad_budget": "50000.00",
        "notes": "Edited on the page",
    }


def _playbook_form(ctx) -> dict:
    from users.playbook_views import PlaybookForm

    form = PlaybookForm(instance=ctx.playbook)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = str(value)
    data["message_template"] = "{name}, come back!"
    return data


def _suggest_spare(ctx, monkeypatch) -> None:
    """The lineup page accepts only suggested SKUs: have the suggestions include the spare SKU
    (the suggestion arithmetic itself is tested in tests/campaigns/)."""
    import dataclasses

    from campaigns import lineup, views

    real = views.lineup_suggestions

    def suggestions(**kwargs) -> lineup.LineupSuggestions:
        result = real(**kwargs)
        spare = lineup.Suggestion(
            sku_id=ctx.spare.pk,
            code=ctx.spare.code,
            title=ctx.spare.title,
            conversion_rate=result.min_conversion,
            buyers=1,
            visitors=1,
            units_30d=30,
            expected_units=12,
            stock=100,
            stock_ok=True,
            in_lineup=False,
        )
        return dataclasses.replace(result, suggestions=(*result.suggestions, spare))

    monkeypatch.setattr(views, "lineup_suggestions", suggestions)


PAGE_POSTS: dict[str, Write | NoStoreWrite] = {
    # catalog
    "role_suggestion_decision": Write(
        ("sku.update",),
        lambda c: (
            {},
            {
                "sku": c.sku.pk,
                # a role the SKU does not have yet, so accepting changes it
                "suggested_role": next(r for r in ProductRole.values if r != c.sku.role),
                "decision": "accept",
            },
        ),
    ),
    "sku_delist": Write(("sku.delist",), lambda c: ({}, {"sku": [c.sku.pk]})),
    "finding_apply": Write(
        ("sku.compliance_replace",), lambda c: ({"finding_id": c.finding.pk}, {})
    ),
    "banned_term_save": Write(
        ("bannedterm.create",), lambda c: ({}, {"term": "第一", "replacement": "领先"})
    ),
    "banned_term_delete": Write(("bannedterm.delete",), lambda c: ({"term_id": c.term.pk}, {})),
    "banned_terms_seed": Write(("bannedterm.seed",), lambda c: ({}, {})),
    "sku_price": Write(
        ("sku.update",),
        lambda c: ({"sku_id": c.sku.pk}, {"new_price": "259.00", "note": "list price"}),
    ),
    # customers
    "playbooks_install": Write(
        ("playbook.create",),  # one per missing ready-made playbook: one is missing here
        lambda c: ({}, {}),
        prepare=lambda c, _m: Playbook.objects.filter(
            store=c.store, code="member_day_points"
        ).delete(),
    ),
    "playbook_new": Write(
        ("playbook.create",), lambda c: ({}, {**_playbook_form(c), "name": "Own wake-up"})
    ),
    "playbook_edit": Write(
        ("playbook.update",), lambda c: ({"playbook_id": c.playbook.pk}, _playbook_form(c))
    ),
    "playbook_toggle": Write(
        ("playbook.update",), lambda c: ({"playbook_id": c.playbook.pk}, {"enabled": "1"})
    ),
    "playbook_run": Write(
        ("playbook.run_requested", "playbook.run"),
        lambda c: ({"playbook_id": c.playbook.pk}, {}),
        prepare=lambda c, _m: Playbook.objects.filter(pk=c.playbook.pk).update(enabled=True),
    ),
    # campaigns
    "campaign_new": Write(
        ("campaign.create",), lambda c: ({}, {**_campaign_form(c), "name": "Double 12"})
    ),
    "campaign_edit": Write(
        ("campaign.update",), lambda c: ({"campaign_id": c.campaign.pk}, _campaign_form(c))
    ),
    "campaign_lineup": Write(
        ("lineup.add",),
        lambda c: (
            {"campaign_id": c.campaign.pk},
            {"sku": [c.spare.pk], f"units-{c.spare.pk}": "9"},
        ),
        prepare=_suggest_spare,
    ),
    "campaign_lineup_add": Write(
        ("lineup.add",),
        lambda c: ({"campaign_id": c.campaign.pk}, {"code": "SPARE1", "planned_units": "5"}),
    ),
    "campaign_lineup_remove": Write(
        ("lineup.remove",), lambda c: ({"campaign_id": c.campaign.pk, "item_id": c.item.pk}, {})
    ),
    "campaign_mechanic_add": Write(
        ("mechanic.create",),
        lambda c: (
            {"campaign_id": c.campaign.pk},
            {"kind": "full_reduction", "threshold": "300", "amount": "40"},
        ),
    ),
    "campaign_mechanic_remove": Write(
        ("mechanic.delete",),
        lambda c: ({"campaign_id": c.campaign.pk, "mechanic_id": c.mechanic.pk}, {}),
    ),
    "campaign_monitor_refresh": Write(
        ("campaign.monitor_refresh",),
        lambda c: ({"campaign_id": c.campaign.pk}, {"day": c.campaign.burst_start.isoformat()}),
    ),
    # imports: an upload is a preview (a dry run, rolled back; only the run record is written,
    # with its uploader); the confirm imports for real and is audited.
    "import_list": NoStoreWrite("upload = preview: a dry run rolled back, run record only"),
    "import_mapping": NoStoreWrite("preview again with chosen columns: a dry run"),
    "import_preview_again": NoStoreWrite("preview the same file again: a dry run"),
    "import_confirm": Write(("import.skus",), lambda c: ({"run_id": _preview(c).pk}, {})),
    # tokens
    "token_list": Write(
        ("token.create",),
        lambda c: ({}, {"name": "page token", "lifetime_days": "30", "stores": [c.store.pk]}),
    ),
    "token_revoke": Write(
        ("token.revoke",), lambda c: ({"token_id": c.world.tokens["admin"].pk}, {})
    ),
    # session only
    "switch_store": NoStoreWrite("the session's current store"),
    "set_language": NoStoreWrite("the language cookie"),
    "login": NoStoreWrite("signs in: the session"),
    "logout": NoStoreWrite("signs out: the session"),
    # pages that answer POST like GET (they read only)
    "import_detail": NoStoreWrite("reads only"),
    "import_errors": NoStoreWrite("reads only: the error report as CSV"),
    "import_template": NoStoreWrite("reads only: a CSV template"),
}


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def page_routes() -> list[tuple[str, URLPattern]]:
    """Every named route of the pages (not the API, not the admin)."""
    return sorted(
        (
            (pattern.name, pattern)
            for path, pattern in _walk(get_resolver().url_patterns)
            if pattern.name and not path.startswith(("api/", "admin/"))
        ),
        key=lambda item: item[0],
    )


PAGE_ROUTES = page_routes()


def page_kwargs(pattern: URLPattern, ctx) -> dict:
    """Existing rows of store A for a route's URL arguments (for the probe)."""
    values = {
        "campaign_id": ctx.campaign.pk,
        "item_id": ctx.item.pk,
        "mechanic_id": ctx.mechanic.pk,
        "sku_id": ctx.sku.pk,
        "finding_id": ctx.finding.pk,
        "term_id": ctx.term.pk,
        "playbook_id": ctx.playbook.pk,
        "customer_id": ctx.customer.pk,
        "token_id": ctx.world.tokens["admin"].pk,
        "run_id": ctx.run.pk,
        "job_id": 1,
        "kind": "orders",
    }
    return {name: values[name] for name in pattern.pattern.regex.groupindex}


def admin_client(ctx) -> Client:
    client = Client()
    client.force_login(ctx.admin)
    return client


def store_data_counts() -> dict[str, int]:
    """Rows per table of the apps that hold store data (sessions and users excluded)."""
    labels = {"opsdesk", "catalog", "users", "campaigns", "analytics"}
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in labels
    }


def test_the_pages_were_found():
    names = {name for name, _ in PAGE_ROUTES}
    assert {"sku_price", "campaign_new", "import_confirm", "token_list", "overview"} <= names


def test_every_listed_page_exists():
    assert set(PAGE_POSTS) <= {name for name, _ in PAGE_ROUTES}


@pytest.mark.parametrize(("name", "pattern"), PAGE_ROUTES, ids=[n for n, _ in PAGE_ROUTES])
def test_every_page_that_accepts_post_is_listed_with_its_audit(ctx, name, pattern):
    response = admin_client(ctx).post(reverse(name, kwargs=page_kwargs(pattern, ctx)), {})

    if response.status_code == 405:
        assert name not in PAGE_POSTS, f"{name} refuses POST: take it out of PAGE_POSTS"
    else:
        assert name in PAGE_POSTS, (
            f"{name} accepts POST ({response.status_code}): add it to PAGE_POSTS with the "
            "audit actions it writes (or why it writes no store data)"
        )


WRITES = [name for name, case in PAGE_POSTS.items() if isinstance(case, Write)]
NO_WRITES = [name for name, case in PAGE_POSTS.items() if isinstance(case, NoStoreWrite)]


@pytest.mark.parametrize("name", WRITES)
def test_a_page_write_leaves_exactly_its_audit_entries(
    ctx, monkeypatch, django_capture_on_commit_callbacks, name
):
    case = PAGE_POSTS[name]
    if case.prepare is not None:
        case.prepare(ctx, monkeypatch)
    kwargs, data = case.request(ctx)
    expected = list(case.actions)
    AuditEntry.objects.all().delete()
    url = reverse(name, kwargs=kwargs)

    with django_capture_on_commit_callbacks(execute=True):  # tasks queued on commit run too
        response = admin_client(ctx).post(url, data)

    assert response.status_code in (200, 302), (name, response.status_code)
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [entry.action for entry in entries] == expected, name
    for entry in entries:
        assert (entry.store, entry.user, entry.source) == (ctx.store, ctx.admin, AuditSource.WEB)


@pytest.mark.parametrize("name", WRITES)
def test_a_page_write_without_the_csrf_token_is_refused_and_writes_nothing(ctx, monkeypatch, name):
    """The same valid POST as above, from a signed-in browser that does not send the CSRF
    token: 403, nothing written."""
    case = PAGE_POSTS[name]
    if case.prepare is not None:
        case.prepare(ctx, monkeypatch)
    kwargs, data = case.request(ctx)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ctx.admin)
    before = store_data_counts()

    response = client.post(reverse(name, kwargs=kwargs), data)

    assert response.status_code == 403, (name, response.status_code)
    assert store_data_counts() == before, name


@pytest.mark.parametrize("name", NO_WRITES)
def test_a_page_post_without_store_writes_changes_no_store_data(ctx, name):
    pattern = dict(PAGE_ROUTES)[name]
    before = store_data_counts()

    admin_client(ctx).post(reverse(name, kwargs=page_kwargs(pattern, ctx)), {})

    assert not AuditEntry.objects.exists(), name
    assert store_data_counts() == before, name


def test_an_upload_is_a_preview_that_writes_only_its_run(ctx):
    before = store_data_counts()

    run = _preview(ctx)

    assert run.status == "previewed" and run.created == 1
    after = store_data_counts()
    assert {label for label in after if after[label] != before[label]} == {"analytics.ImportRun"}
    assert not Sku.objects.filter(code="IMP1").exists()
    assert not AuditEntry.objects.exists()


# --- API -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiWrite:
    """``request(ctx, client)`` sends one valid write and returns the response; ``actions``
    are the audit actions it must leave. ``session``: sent from a signed-in session (token
    creation refuses tokens)."""

    actions: tuple[str, ...]
    request: Callable
    session: bool = False


BASE = f"/api/v1/stores/{A}"


def _put_back(client, url: str, **changes):
    """PUT what a GET of ``url`` answered, with ``changes``: the round trip a client does."""
    body = {**client.get(url).json(), **changes}
    return client.put(url, body, format="json")


def _lineup(c) -> str:
    return f"{BASE}/campaigns/{c.campaign.pk}/lineup/"


def _mechanics(c) -> str:
    return f"{BASE}/campaigns/{c.campaign.pk}/mechanics/"


API_WRITES: dict[tuple[str, str], ApiWrite] = {
    ("ad-spend-list", "post"): ApiWrite(
        ("ad_spend.upsert",),
        lambda c, api: api.post(
            f"{BASE}/ad-spend/",
            [{"channel": "paid_feed", "day": "2026-11-02", "spend": "5.00"}],
            format="json",
        ),
    ),
    ("event-list", "post"): ApiWrite(
        ("events.ingest",),
        lambda c, api: api.post(
            f"{BASE}/events/",
            [
                {
                    "client_event_id": "cov-1",
                    "visitor_id": "v9",
                    "event_type": "view",
                    "channel": "search",
                    "occurred_at": "2026-11-01T08:00:00+08:00",
                }
            ],
            format="json",
        ),
    ),
    ("order-batch-list", "post"): ApiWrite(
        ("orders.push",),
        lambda c, api: api.post(
            f"{BASE}/order-batches/",
            [
                {
                    "number": "COV-1",
                    "customer_id": c.customer.external_id,
                    "status": "paid",
                    "created_at": "2026-11-01T10:00:00+08:00",
                    "paid_at": "2026-11-01T10:05:00+08:00",
                    "paid_amount": "20.00",
                    "lines": [{"sku_code": c.sku.code, "quantity": 1, "unit_price": "20.00"}],
                }
            ],
            format="json",
        ),
    ),
    ("import-list", "post"): ApiWrite(
        ("import.skus",),
        lambda c, api: api.post(
            f"{BASE}/imports/",
            {"kind": "skus", "preset": "generic_skus", "file": csv_upload(SKU_FILE)},
            format="multipart",
        ),
    ),
    ("category-list", "post"): ApiWrite(
        ("category.create",),
        lambda c, api: api.post(f"{BASE}/categories/", {"name": "Gifts"}, format="json"),
    ),
    ("category-detail", "put"): ApiWrite(
        ("category.update",),
        lambda c, api: _put_back(api, f"{BASE}/categories/{c.world.a[Category].pk}/", name="Teas"),
    ),
    ("category-detail", "patch"): ApiWrite(
        ("category.update",),
        lambda c, api: api.patch(
            f"{BASE}/categories/{c.world.a[Category].pk}/", {"name": "Teas"}, format="json"
        ),
    ),
    ("category-detail", "delete"): ApiWrite(
        ("category.delete",),
        lambda c, api: api.delete(f"{BASE}/categories/{c.world.a[Category].pk}/"),
    ),
    ("sku-list", "post"): ApiWrite(
        ("sku.create",),
        lambda c, api: api.post(
            f"{BASE}/skus/",
            {"code": "N1", "title": "New", "price": "9.90", "cost": "2.00"},
            format="json",
        ),
    ),
    ("sku-detail", "put"): ApiWrite(
        ("sku.update",),
        lambda c, api: _put_back(api, f"{BASE}/skus/{c.sku.pk}/", title="Oolong, renamed"),
    ),
    ("sku-detail", "patch"): ApiWrite(
        # A raise: a cut with price-protection exposure needs its confirmation (test_api_pricing).
        ("sku.update",),
        lambda c, api: api.patch(f"{BASE}/skus/{c.sku.pk}/", {"price": "219.00"}, format="json"),
    ),
    ("sku-delist", "post"): ApiWrite(
        ("sku.delist",),
        lambda c, api: api.post(f"{BASE}/skus/delist/", {"skus": [c.spare.pk]}, format="json"),
    ),
    ("sku-role-decision", "post"): ApiWrite(
        ("sku.role_suggestion_reject",),
        lambda c, api: api.post(
            f"{BASE}/skus/{c.spare.pk}/role-decision/",
            {"suggested_role": "traffic", "accepted": False},
            format="json",
        ),
    ),
    ("sku-apply-replacement", "post"): ApiWrite(
        ("sku.compliance_replace",),
        lambda c, api: api.post(
            f"{BASE}/skus/{c.flagged.pk}/apply-replacement/",
            {"finding": c.finding.pk},
            format="json",
        ),
    ),
    ("campaign-list", "post"): ApiWrite(
        ("campaign.create",),
        lambda c, api: api.post(
            f"{BASE}/campaigns/",
            {
                "name": "Member day",
                "kind": "member_day",
                "preparation_start": "2026-12-01",
                "preheat_start": "2026-12-05",
                "burst_start": "2026-12-08",
                "burst_end": "2026-12-08",
                "wrapup_end": "2026-12-10",
            },
            format="json",
        ),
    ),
    ("campaign-detail", "put"): ApiWrite(
        ("campaign.update",),
        lambda c, api: _put_back(api, f"{BASE}/campaigns/{c.campaign.pk}/", notes="PUT notes"),
    ),
    ("campaign-detail", "patch"): ApiWrite(
        ("campaign.update",),
        lambda c, api: api.patch(
            f"{BASE}/campaigns/{c.campaign.pk}/", {"notes": "Go"}, format="json"
        ),
    ),
    ("campaign-detail", "delete"): ApiWrite(
        ("campaign.delete",),
        lambda c, api: api.delete(f"{BASE}/campaigns/{c.campaign.pk}/"),
    ),
    ("campaign-lineup-suggestions", "post"): ApiWrite(
        ("lineup.add",),
        lambda c, api: api.post(
            f"{BASE}/campaigns/{c.campaign.pk}/lineup-suggestions/",
            {"items": [{"sku": c.spare.pk, "planned_units": 4}]},
            format="json",
        ),
    ),
    ("campaign-monitoring", "post"): ApiWrite(
        ("campaign.monitor_refresh",),
        lambda c, api: api.post(
            f"{BASE}/campaigns/{c.campaign.pk}/monitoring/",
            {"day": c.campaign.burst_start.isoformat()},
            format="json",
        ),
    ),
    ("lineup-item-list", "post"): ApiWrite(
        ("lineup.add",),
        lambda c, api: api.post(
            _lineup(c), {"sku": c.spare.pk, "planned_units": 10}, format="json"
        ),
    ),
    ("lineup-item-detail", "put"): ApiWrite(
        ("lineup.update",),
        lambda c, api: _put_back(api, f"{_lineup(c)}{c.item.pk}/", planned_units=77),
    ),
    ("lineup-item-detail", "patch"): ApiWrite(
        ("lineup.update",),
        lambda c, api: api.patch(f"{_lineup(c)}{c.item.pk}/", {"planned_units": 7}, format="json"),
    ),
    ("lineup-item-detail", "delete"): ApiWrite(
        ("lineup.remove",), lambda c, api: api.delete(f"{_lineup(c)}{c.item.pk}/")
    ),
    ("mechanic-list", "post"): ApiWrite(
        ("mechanic.create",),
        lambda c, api: api.post(
            _mechanics(c), {"kind": "discount", "rate": "0.850"}, format="json"
        ),
    ),
    ("mechanic-detail", "put"): ApiWrite(
        ("mechanic.update",),
        lambda c, api: _put_back(
            api, f"{_mechanics(c)}{c.world.a[Mechanic].pk}/", description="PUT description"
        ),
    ),
    ("mechanic-detail", "patch"): ApiWrite(
        ("mechanic.update",),
        lambda c, api: api.patch(
            f"{_mechanics(c)}{c.world.a[Mechanic].pk}/", {"amount": "60.00"}, format="json"
        ),
    ),
    ("mechanic-detail", "delete"): ApiWrite(
        ("mechanic.delete",),
        lambda c, api: api.delete(f"{_mechanics(c)}{c.world.a[Mechanic].pk}/"),
    ),
    ("membership-list", "post"): ApiWrite(
        ("membership.create",),
        lambda c, api: api.post(
            f"{BASE}/memberships/",
            {"username": UserFactory(username="newcomer").username, "role": "analyst"},
            format="json",
        ),
    ),
    ("membership-detail", "put"): ApiWrite(
        ("membership.update",),
        lambda c, api: api.put(
            f"{BASE}/memberships/{c.world.a[Membership].pk}/", {"role": "operator"}, format="json"
        ),
    ),
    ("membership-detail", "patch"): ApiWrite(
        ("membership.update",),
        lambda c, api: api.patch(
            f"{BASE}/memberships/{c.world.a[Membership].pk}/", {"role": "manager"}, format="json"
        ),
    ),
    ("membership-detail", "delete"): ApiWrite(
        ("membership.delete",),
        lambda c, api: api.delete(f"{BASE}/memberships/{c.world.a[Membership].pk}/"),
    ),
    ("store-token-detail", "delete"): ApiWrite(
        ("token.revoke",),
        lambda c, api: api.delete(f"{BASE}/tokens/{c.world.tokens['operator'].pk}/"),
    ),
    ("token-list", "post"): ApiWrite(
        ("token.create",),
        lambda c, api: api.post(
            "/api/v1/tokens/", {"name": "from a session", "stores": [A]}, format="json"
        ),
        session=True,
    ),
    ("token-detail", "delete"): ApiWrite(
        ("token.revoke",),
        lambda c, api: api.delete(f"/api/v1/tokens/{c.world.tokens['admin'].pk}/"),
    ),
}

API_WRITE_ROUTES = sorted(
    (route.name, method) for route in api_routes() for method in route.actions if method != "get"
)


def test_every_api_write_route_is_listed_with_its_audit():
    unlisted = [key for key in API_WRITE_ROUTES if key not in API_WRITES]
    assert not unlisted, f"Add these API writes to API_WRITES with their audit actions: {unlisted}"
    assert set(API_WRITES) <= set(API_WRITE_ROUTES), "API_WRITES lists routes that are gone"


@pytest.mark.parametrize(
    "key", sorted(API_WRITES), ids=["-".join(key) for key in sorted(API_WRITES)]
)
def test_an_api_write_leaves_exactly_its_audit_entries(
    ctx, django_capture_on_commit_callbacks, key
):
    case = API_WRITES[key]
    api = APIClient()
    token = None
    if case.session:
        api.force_login(ctx.admin)
    else:
        created = token_create(user=ctx.admin, name="audit coverage")
        token = created.token
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {created.key}")
    AuditEntry.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):  # tasks queued on commit run too
        response = case.request(ctx, api)

    assert response.status_code < 300, (key, response.status_code, response.content[:400])
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [entry.action for entry in entries] == list(case.actions), key
    for entry in entries:
        assert (entry.store, entry.user, entry.source, entry.token) == (
            ctx.store,
            ctx.admin,
            AuditSource.API,
            token,
        )


# --- admin -----------------------------------------------------------------------------------

#: Model admins that write without being a StoreScopedAdmin, and how they audit.
ADMIN_OTHER_WRITES = {
    "opsdesk.ApiToken": "revoke action only, through opsdesk.tokens.token_revoke (audited)",
    "auth.User": "superusers only: accounts are not store data",
    "auth.Group": "superusers only: not store data",
}


#: Write methods a store admin overrides that hand the write to an audited service.
ADMIN_DELEGATING_OVERRIDES = {
    "catalog.Sku.save_model": "catalog.pricing.sku_create / sku_update (audited, see test_admin)",
    "catalog.BannedTerm.save_model": "catalog.compliance.banned_term_save (audited, re-scans)",
    "catalog.BannedTerm.delete_model": "catalog.compliance.banned_term_delete (audited)",
    "catalog.BannedTerm.delete_queryset": "catalog.compliance.banned_term_delete per term",
}


def test_every_writable_model_admin_audits():
    problems = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        if label in ADMIN_OTHER_WRITES:
            continue
        if not isinstance(model_admin, StoreScopedAdmin):
            problems.append(f"{label}: derive its admin from StoreScopedAdmin (which audits)")
            continue
        for method in ("save_model", "delete_model", "delete_queryset", "save_formset"):
            override = next(
                (
                    klass.__dict__[method]
                    for klass in type(model_admin).__mro__
                    if method in klass.__dict__
                ),
                None,
            )
            owner = override.__qualname__.split(".")[0] if override else ""
            if owner in {"StoreScopedAdmin", "ModelAdmin"}:
                continue
            # An override must hand on to StoreScopedAdmin's audited method, or to a service.
            if {"super", "StoreScopedAdmin"} & set(override.__code__.co_names):
                continue
            if f"{label}.{method}" not in ADMIN_DELEGATING_OVERRIDES:
                problems.append(f"{label}: {owner}.{method} overrides the audited write")
        custom_actions = [a for a in (model_admin.actions or ()) if a != "delete_selected"]
        if custom_actions:
            problems.append(f"{label}: admin actions {custom_actions} need an audit test")
    assert not problems, problems


def test_the_token_admins_revoke_action_is_audited(ctx):
    admin_user = ctx.admin
    admin_user.is_staff = True
    admin_user.save()
    token = ctx.world.tokens["operator"]

    admin_client(ctx).post(
        reverse("admin:opsdesk_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert [(e.action, e.source, e.user) for e in AuditEntry.objects.all()] == [
        ("token.revoke", AuditSource.ADMIN, admin_user)
    ]


def _deletable_seeded_admin_models() -> list:
    """Models whose admin is a StoreScopedAdmin that lets a store admin delete, and of which
    the API world seeds a row (the others' delete goes through the same audited method)."""
    from analytics.models import AdSpend, BehaviourEvent, Order

    from .conftest import seed_store  # noqa: F401 (the rows below are what it seeds)

    seeded = [Category, Sku, Campaign, LineupItem, Mechanic, Order, BehaviourEvent, AdSpend]
    return [model for model in seeded if isinstance(admin.site._registry[model], StoreScopedAdmin)]


DELETABLE = _deletable_seeded_admin_models()


@pytest.mark.parametrize("model", DELETABLE, ids=[m._meta.label for m in DELETABLE])
def test_deleting_a_row_in_the_admin_is_audited(ctx, model):
    admin_user = ctx.admin
    admin_user.is_staff = True
    admin_user.save()
    row = ctx.spare if model is Sku else ctx.world.a[model]  # the seeded SKU has order lines
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_delete", args=[row.pk])

    response = admin_client(ctx).post(url, {"post": "yes"})

    assert response.status_code == 302, response.content[:300]
    assert not model._default_manager.filter(pk=row.pk).exists()
    entries = [(e.action, e.source, e.user, e.object_id) for e in AuditEntry.objects.all()]
    assert (f"{model._meta.model_name}.delete", AuditSource.ADMIN, admin_user, str(row.pk)) in (
        entries
    )


# --- GET never writes ------------------------------------------------------------------------

GET_PAGES = [(name, pattern) for name, pattern in PAGE_ROUTES if name not in {"logout"}]


@pytest.mark.parametrize(("name", "pattern"), GET_PAGES, ids=[n for n, _ in GET_PAGES])
def test_no_page_get_writes_store_data(ctx, name, pattern):
    before = store_data_counts()

    admin_client(ctx).get(reverse(name, kwargs=page_kwargs(pattern, ctx)))

    assert not AuditEntry.objects.exists(), name
    assert store_data_counts() == before, name


API_GETS = [(route.name, route) for route in api_routes() if "get" in route.actions]


@pytest.mark.parametrize("route", [r for _, r in API_GETS], ids=[n for n, _ in API_GETS])
def test_no_api_get_writes_store_data(ctx, route):
    from .test_permission_matrix import QUERY, url_for

    if route.basename == "audit":  # the fixture emptied the log: one entry to read
        ctx.world.a.rows[AuditEntry] = audit_as(
            Actor(user=ctx.admin), store=ctx.store, action="seed", obj=ctx.sku
        )
    api = APIClient()
    api.force_login(ctx.admin)
    before = store_data_counts()  # the audit log included

    response = api.get(url_for(route, ctx.world, "admin"), QUERY.get(route.basename, {}))

    assert response.status_code == 200, (route.name, response.content[:200])
    assert store_data_counts() == before, route.name
