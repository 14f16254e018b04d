"""Store services: creating a store (its settings and the lists a new store starts with)."""

from typing import Any

from django.db import transaction

from catalog.compliance import banned_terms_seed

from .audit import Actor, audit_as
from .models import Store


def store_create(*, actor: Actor, name: str, slug: str, **settings: Any) -> Store:
    """Create a store with ``settings`` (any ``Store`` field; the handbook defaults otherwise),
    audit it, and give it the handbook's banned-term list (DOMAIN.md "Content compliance") so
    its titles are checked from the first SKU on. All or nothing, in one transaction.

    A new store has no SKUs, so seeding the list schedules no re-scan.
    """
    with transaction.atomic():
        store = Store.objects.create(name=name, slug=slug, **settings)
        audit_as(
            actor,
            store=store,
            action="store.create",
            obj=store,
            changes={"name": name, "slug": slug, **settings},
        )
        banned_terms_seed(store=store, actor=actor)
    return store
