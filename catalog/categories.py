"""Writes to product categories. Every function is a service: keyword-only, typed, atomic,
audited."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from opsdesk.audit import Actor, audit_as, field_changes
from opsdesk.models import Store

from .models import Category


def _check_parent(store: Store, category: Category | None, parent: Category | None) -> None:
    """The parent must be a category of the same store and not the category or one of its
    descendants (no cycles)."""
    if parent is None:
        return
    if parent.store_id != store.pk:
        raise ValidationError({"parent": ["This category belongs to another store."]})
    if category is None:
        return
    seen = set()
    node: Category | None = parent
    while node is not None and node.pk not in seen:
        if node.pk == category.pk:
            raise ValidationError({"parent": ["A category cannot be inside itself."]})
        seen.add(node.pk)
        node = node.parent


def _name_taken(store: Store, name: str, exclude_pk: int | None = None) -> bool:
    return Category.objects.filter(store=store, name=name).exclude(pk=exclude_pk).exists()


def category_create(
    *, store: Store, actor: Actor, name: str, parent: Category | None = None
) -> Category:
    """Create a category of ``store``; ``ValidationError`` on ``name`` when taken in the
    store, on ``parent`` when it is another store's."""
    _check_parent(store, None, parent)
    try:
        with transaction.atomic():
            category = Category.objects.create(store=store, name=name, parent=parent)
            audit_as(
                actor,
                store=store,
                action="category.create",
                obj=category,
                changes={"name": name, "parent": parent},
            )
    except IntegrityError as error:
        if _name_taken(store, name):
            raise ValidationError({"name": ["This store already has this category."]}) from error
        raise
    return category


def category_update(
    *, category: Category, actor: Actor, **fields: str | Category | None
) -> Category:
    """Rename or move ``category`` (fields ``name``, ``parent``); audited when something
    changed. ``ValidationError`` on a taken name, a foreign parent or a cycle."""
    unknown = set(fields) - {"name", "parent"}
    if unknown:
        raise TypeError(f"category_update() cannot change {', '.join(sorted(unknown))}")
    store = category.store
    if "parent" in fields:
        _check_parent(store, category, fields["parent"])  # type: ignore[arg-type]
    try:
        with transaction.atomic():
            locked = Category.objects.select_for_update().get(pk=category.pk)
            changes = field_changes({name: getattr(locked, name) for name in fields}, fields)
            if not changes:
                return locked
            for name in changes:
                setattr(locked, name, fields[name])
            locked.save(update_fields=list(changes))
            audit_as(actor, store=store, action="category.update", obj=locked, changes=changes)
    except IntegrityError as error:
        name = fields.get("name")
        if isinstance(name, str) and _name_taken(store, name, exclude_pk=category.pk):
            raise ValidationError({"name": ["This store already has this category."]}) from error
        raise
    return locked


def category_delete(*, category: Category, actor: Actor) -> None:
    """Delete ``category`` (its SKUs lose their category). A category with sub-categories
    raises ``ProtectedError`` (the API answers 409) and nothing is written."""
    with transaction.atomic():
        audit_as(
            actor,
            store=category.store,
            action="category.delete",
            obj=category,
            changes={"name": category.name},
        )
        category.delete()
