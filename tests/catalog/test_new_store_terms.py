"""A new store starts with the handbook's banned-term list (DOMAIN.md "Content compliance"),
whichever way it is created; existing stores keep the list they have."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from catalog.compliance import DEFAULT_TERMS, banned_terms_seed
from catalog.models import BannedTerm
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource, Store
from opsdesk.stores import store_create
from tests.factories import BannedTermFactory, StoreFactory, UserFactory

DEFAULT = sorted((term, replacement, allowed) for term, replacement, allowed in DEFAULT_TERMS)


def terms_of(store) -> list[tuple[str, str, str]]:
    return sorted(
        BannedTerm.objects.filter(store=store).values_list("term", "replacement", "allowed_phrases")
    )


@pytest.mark.django_db
def test_store_create_gives_the_full_default_list_without_queueing_a_scan(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        store = store_create(
            actor=Actor(user=None, source=AuditSource.TASK),
            name="New Shop",
            slug="new-shop",
            traffic_share_target="0.250",
        )

    assert terms_of(store) == DEFAULT
    assert len(DEFAULT) == 16
    # 第一次 is an allowed phrase of 第一, 最近 of 最 (the whitelist comes with the list).
    assert (
        BannedTerm.objects.get(store=store, term="第一").allowed_phrases == "第一次,第一步,第一天"
    )
    assert "最近" in BannedTerm.objects.get(store=store, term="最").allowed_phrases
    # No SKUs, nothing to scan: no re-scan is queued.
    assert callbacks == []
    assert list(
        AuditEntry.objects.filter(store=store).order_by("pk").values_list("action", flat=True)
    ) == ["store.create", "bannedterm.seed"]
    store.refresh_from_db()
    assert str(store.traffic_share_target) == "0.250"


@pytest.mark.django_db
def test_seeding_again_adds_nothing_and_a_store_with_terms_keeps_exactly_its_terms():
    actor = Actor(user=None, source=AuditSource.TASK)
    store = store_create(actor=actor, name="New Shop", slug="new-shop")
    assert banned_terms_seed(store=store, actor=actor) == 0
    assert terms_of(store) == DEFAULT

    edited = StoreFactory(slug="edited")
    BannedTermFactory(store=edited, term="爆款", replacement="热销", allowed_phrases="")
    migration = importlib.import_module("catalog.migrations.0004_seed_default_banned_terms")
    migration.seed_never_listed_stores(apps, None)
    assert terms_of(edited) == [("爆款", "热销", "")]
    assert terms_of(store) == DEFAULT


@pytest.mark.django_db
def test_the_migration_seeds_only_stores_that_never_had_a_list():
    never = StoreFactory(slug="never")  # created before store_create seeded the list
    emptied = StoreFactory(slug="emptied")  # an operator deleted every term on purpose
    AuditEntry.objects.create(
        store=emptied, source=AuditSource.WEB, action="bannedterm.delete", object_type="x"
    )
    migration = importlib.import_module("catalog.migrations.0004_seed_default_banned_terms")

    migration.seed_never_listed_stores(apps, None)
    migration.seed_never_listed_stores(apps, None)  # a re-run adds nothing

    assert terms_of(never) == DEFAULT
    assert terms_of(emptied) == []
    assert [entry.action for entry in AuditEntry.objects.filter(store=never)] == ["bannedterm.seed"]


@pytest.mark.django_db
def test_a_store_added_in_the_admin_has_the_default_list_and_is_audited(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    form = {
        "name": "Admin Shop",
        "slug": "admin-shop",
        "platform": "tmall",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
    }
    for field in Store._meta.concrete_fields:
        if field.editable and not field.primary_key and field.name not in form:
            default = field.get_default()
            form[field.name] = ",".join(map(str, default)) if isinstance(default, list) else default

    response = client.post(reverse("admin:opsdesk_store_add"), {**form, "_continue": "1"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    store = Store.objects.get(slug="admin-shop")
    assert response["Location"].endswith(f"/{store.pk}/change/")  # the saved row's own page
    assert terms_of(store) == DEFAULT
    entries = AuditEntry.objects.filter(store=store).order_by("pk")
    assert [(e.action, e.source) for e in entries] == [
        ("store.create", AuditSource.ADMIN),
        ("bannedterm.seed", AuditSource.ADMIN),
    ]


@pytest.mark.django_db
def test_a_demo_shop_has_the_default_list():
    from django.core.management import call_command

    call_command(
        "seed_demo", stores=1, days=7, end="2025-11-20", orders_per_day=2, no_progress=True
    )

    store = Store.objects.get()
    assert terms_of(store) == DEFAULT  # terms, replacements and allowed phrases
