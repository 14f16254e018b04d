"""Writes to the catalog. Every function is a service: keyword-only, typed, atomic."""

import dataclasses
import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opsdesk.audit import Actor, audit_as
from opsdesk.models import Store

from .models import (
    ProductRole,
    RoleSuggestionDecision,
    Sku,
    SkuStatus,
    SkuStatusChange,
    StockSnapshot,
)

#: ``SkuStatusChange.note`` of a bulk delisting (the monthly review of delisting candidates).
DELIST_NOTE = "delist"
#: Rows read and upserted per round trip; bounds memory for stores with many SKUs.
STOCK_SNAPSHOT_BATCH_SIZE = 2_000


def stock_snapshot_take(*, store: Store, day: datetime.date) -> int:
    """Record the current stock of every SKU of ``store`` as its snapshot for ``day``.

    Contract:
    - ``day`` is a calendar day in the store's time zone (the caller works it out); the row
      for ``day`` means "stock at the end of that local day", so the caller takes it as late
      in that day as it can (see ``opsdesk/schedule.py``).
    - One ``StockSnapshot`` per SKU of the store whose status is not delisted (on or off
      shelf), with the SKU's ``stock`` as it is now. Delisted SKUs get no row; a row they
      already have for ``day`` is left as it is.
    - Idempotent upsert on the unique (sku, day) constraint: a re-run for the same day
      updates ``stock`` of the existing rows and never adds a second row per SKU.
    - Only rows of ``store`` are read or written; other stores are untouched.
    - All in one transaction: either every SKU's row is written or none is.

    Returns the number of rows written (inserted or updated), i.e. the number of SKUs
    snapshotted.
    """
    skus = (
        Sku.objects.filter(store=store)
        .exclude(status=SkuStatus.DELISTED)
        .order_by("pk")
        .values_list("pk", "stock")
    )
    written = 0
    with transaction.atomic():
        batch: list[StockSnapshot] = []
        for sku_id, stock in skus.iterator(chunk_size=STOCK_SNAPSHOT_BATCH_SIZE):
            batch.append(StockSnapshot(store=store, sku_id=sku_id, day=day, stock=stock))
            if len(batch) == STOCK_SNAPSHOT_BATCH_SIZE:
                written += _stock_snapshot_upsert(batch)
                batch = []
        if batch:
            written += _stock_snapshot_upsert(batch)
    return written


def _stock_snapshot_upsert(rows: list[StockSnapshot]) -> int:
    """Insert ``rows``, or update ``stock`` where (sku, day) already has a row."""
    StockSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["sku", "day"],
        update_fields=["stock"],
    )
    return len(rows)


@dataclasses.dataclass(frozen=True)
class SkuStatusTransition:
    """A SKU's status and listing day before and after one write."""

    sku_id: int
    old_status: str
    new_status: str
    old_listed_on: datetime.date | None
    new_listed_on: datetime.date | None

    @property
    def changed(self) -> bool:
        return (self.old_status, self.old_listed_on) != (self.new_status, self.new_listed_on)


def sku_status_history_record(
    *,
    store: Store,
    transitions: Iterable[SkuStatusTransition],
    user: Any = None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> int:
    """Append one ``SkuStatusChange`` per transition that changes the status or listing day.

    Contract:
    - The one writer of the status history. Every write of ``Sku.status`` or
      ``Sku.listed_on`` calls it in the same transaction, with the values before and after
      (``sku_update``, ``sku_delist_bulk``, the SKU import); a SKU's creation is not a change.
    - ``at`` (default now) is when the change happened; ``user`` who made it (None for an
      import without a user or a task); ``note`` says through what.
    - Transitions that change nothing are skipped; the rest are written in one bulk insert.
      Only rows of ``store`` are written; the SKU ids are the caller's, already scoped.

    Returns the number of rows written.
    """
    at = at or timezone.now()
    rows = [
        SkuStatusChange(
            store=store,
            sku_id=transition.sku_id,
            changed_at=at,
            old_status=transition.old_status,
            new_status=transition.new_status,
            old_listed_on=transition.old_listed_on,
            new_listed_on=transition.new_listed_on,
            changed_by=user if user is not None and user.is_authenticated else None,
            note=note[:255],
        )
        for transition in transitions
        if transition.changed
    ]
    with transaction.atomic():
        SkuStatusChange.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def sku_delist_bulk(*, store: Store, sku_ids: Iterable[int], actor: Actor) -> list[int]:
    """Delist the on-shelf or off-shelf SKUs of ``store`` among ``sku_ids`` in one update.

    Contract: ids of other stores or unknown ids are ignored, so a forged id writes nothing;
    already delisted SKUs are left alone. One audit entry ``sku.delist`` lists the delisted
    ids and their codes (nothing audited when nothing changed), and each delisted SKU gets a
    ``SkuStatusChange`` (so a past day's health still shows it on shelf). Returns the
    delisted ids.
    """
    ids = sorted({int(pk) for pk in sku_ids})
    with transaction.atomic():
        rows = list(
            Sku.objects.select_for_update()
            .filter(store=store, pk__in=ids)
            .exclude(status=SkuStatus.DELISTED)
            .order_by("pk")
            .values_list("pk", "code", "status", "listed_on")
        )
        if not rows:
            return []
        now = timezone.now()
        delisted = [pk for pk, _code, _status, _listed in rows]
        Sku.objects.filter(pk__in=delisted).update(status=SkuStatus.DELISTED, updated_at=now)
        sku_status_history_record(
            store=store,
            transitions=[
                SkuStatusTransition(pk, status, SkuStatus.DELISTED, listed, listed)
                for pk, _code, status, listed in rows
            ],
            user=actor.user,
            note=DELIST_NOTE,
            at=now,
        )
        audit_as(
            actor,
            store=store,
            action="sku.delist",
            object_type="catalog.sku",
            changes={
                "skus": [
                    {"id": pk, "code": code, "status": [status, SkuStatus.DELISTED]}
                    for pk, code, status, _listed in rows
                ]
            },
        )
    return delisted


def role_suggestion_decide(
    *,
    sku: Sku,
    suggested_role: str,
    accepted: bool,
    actor: Actor,
    reason: str = "",
) -> RoleSuggestionDecision:
    """Record the operator's answer to a suggested role; on acceptance set ``sku.role``.

    Both answers are kept (``RoleSuggestionDecision``); a rejected role is not suggested again
    for the SKU. The role change is audited as ``sku.update`` like any other edit.
    """
    if suggested_role not in ProductRole.values:
        raise ValidationError({"suggested_role": [f"Unknown role {suggested_role!r}."]})
    with transaction.atomic():
        locked = Sku.objects.select_for_update().select_related("store").get(pk=sku.pk)
        decision = RoleSuggestionDecision.objects.create(
            store=locked.store,
            sku=locked,
            suggested_role=suggested_role,
            previous_role=locked.role,
            accepted=accepted,
            reason=reason[:255],
            decided_at=timezone.now(),
            decided_by=actor.user,
        )
        if accepted and locked.role != suggested_role:
            old = locked.role
            locked.role = suggested_role
            locked.save(update_fields=["role", "updated_at"])
            audit_as(
                actor,
                store=locked.store,
                action="sku.update",
                obj=locked,
                changes={"role": [old, suggested_role], "via": "role_suggestion"},
            )
        elif not accepted:
            audit_as(
                actor,
                store=locked.store,
                action="sku.role_suggestion_reject",
                obj=locked,
                changes={"suggested_role": suggested_role},
            )
    return decision
