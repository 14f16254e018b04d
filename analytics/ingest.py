"""Batch writers for facts pushed through the API: behaviour events and ad spend.

Both are idempotent: events on the client's ``client_event_id`` (a re-sent event is counted as
a duplicate and not stored twice), ad spend as an upsert on (store, channel, day). Days that
were already rolled up (store-local days before today) are marked stale so the nightly job
rolls them up again (DOMAIN.md "Nightly rollups": late-arriving facts).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from analytics.models import AdSpend, BehaviourEvent
from analytics.rollups.days import local_day
from analytics.rollups.services import mark_days_stale
from catalog.models import Sku
from opsdesk.audit import Actor, audit_as
from opsdesk.models import Store
from users.models import Customer

#: Largest batch one call accepts (the API answers 413 above it).
MAX_BATCH_SIZE = 1000


class BatchTooLarge(ValueError):
    """More rows than ``MAX_BATCH_SIZE`` in one batch."""


@dataclass(frozen=True)
class EventRow:
    """One behaviour event to store; ``customer_id`` / ``sku_id`` are ids of the store's
    rows (checked), ``occurred_at`` is aware."""

    visitor_id: str
    event_type: str
    channel: str
    occurred_at: datetime.datetime
    customer_id: int | None = None
    sku_id: int | None = None
    client_event_id: str | None = None


@dataclass(frozen=True)
class EventIngestResult:
    received: int
    created: int
    duplicates: int


@dataclass(frozen=True)
class AdSpendRow:
    """Spend of one channel on one store-local day (replaces any earlier figure)."""

    channel: str
    day: datetime.date
    spend: Decimal
    impressions: int = 0
    clicks: int = 0


@dataclass(frozen=True)
class AdSpendUpsertResult:
    received: int
    created: int
    updated: int


def _check_size(rows: Sequence[object]) -> None:
    if len(rows) > MAX_BATCH_SIZE:
        raise BatchTooLarge(f"A batch holds at most {MAX_BATCH_SIZE} rows, got {len(rows)}.")


def _check_owned(
    store: Store, model: type[Sku] | type[Customer], ids: list[int | None], field: str
) -> None:
    """Every non-null id must be a row of ``store``; else a ValidationError naming each bad
    position (``3.sku``)."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return
    owned = set(model.objects.filter(store=store, pk__in=wanted).values_list("pk", flat=True))
    errors = {
        f"{index}.{field}": [f"No {field} with id {pk} in this store."]
        for index, pk in enumerate(ids)
        if pk is not None and pk not in owned
    }
    if errors:
        raise ValidationError(errors)


def _days_to_reroll(store: Store, days: Iterable[datetime.date]) -> list[datetime.date]:
    """The days among ``days`` that have been rolled up already (before local today)."""
    today = local_day(store.zone, timezone.now())
    return sorted({day for day in days if day < today})


def events_ingest(*, store: Store, actor: Actor, rows: Sequence[EventRow]) -> EventIngestResult:
    """Store a batch of behaviour events of ``store``, all or nothing.

    Contract:
    - At most ``MAX_BATCH_SIZE`` rows (``BatchTooLarge`` otherwise, nothing written).
    - ``sku_id`` / ``customer_id`` must be rows of ``store`` (``ValidationError`` keyed
      ``<index>.sku`` / ``<index>.customer``, nothing written).
    - An event whose ``client_event_id`` the store already has, or that repeats an earlier
      row of the batch, is a duplicate: not stored, counted. Events without a client id are
      always stored.
    - Past local days that received events are marked stale; one audit entry
      ``events.ingest`` with the counts.
    Queries: a constant number per batch (no per-row query).
    """
    _check_size(rows)
    _check_owned(store, Sku, [row.sku_id for row in rows], "sku")
    _check_owned(store, Customer, [row.customer_id for row in rows], "customer")
    client_ids = [row.client_event_id for row in rows if row.client_event_id]
    with transaction.atomic():
        known = set(
            BehaviourEvent.objects.filter(store=store, client_event_id__in=client_ids).values_list(
                "client_event_id", flat=True
            )
        )
        new: list[BehaviourEvent] = []
        for row in rows:
            if row.client_event_id:
                if row.client_event_id in known:
                    continue
                known.add(row.client_event_id)
            new.append(
                BehaviourEvent(
                    store=store,
                    visitor_id=row.visitor_id,
                    customer_id=row.customer_id,
                    event_type=row.event_type,
                    sku_id=row.sku_id,
                    channel=row.channel,
                    occurred_at=row.occurred_at,
                    client_event_id=row.client_event_id or None,
                )
            )
        # ignore_conflicts: a concurrent batch with the same client ids cannot fail this one.
        BehaviourEvent.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        stale = _days_to_reroll(store, (local_day(store.zone, e.occurred_at) for e in new))
        if stale:
            mark_days_stale(store=store, days=stale)
        result = EventIngestResult(
            received=len(rows), created=len(new), duplicates=len(rows) - len(new)
        )
        audit_as(
            actor,
            store=store,
            action="events.ingest",
            object_type=BehaviourEvent._meta.label_lower,
            changes={
                "received": result.received,
                "created": result.created,
                "duplicates": result.duplicates,
                "stale_days": stale,
            },
        )
    return result


def ad_spend_upsert(
    *, store: Store, actor: Actor, rows: Sequence[AdSpendRow]
) -> AdSpendUpsertResult:
    """Write a batch of ad-spend rows of ``store``: insert, or replace the figures of an
    existing (channel, day), all or nothing.

    Contract: at most ``MAX_BATCH_SIZE`` rows (``BatchTooLarge``); one row per (channel, day)
    in the batch and ``clicks <= impressions`` (``ValidationError`` keyed by position);
    re-sending the same batch changes nothing but the counts (all "updated"). Past days are
    marked stale; one audit entry ``ad_spend.upsert`` lists the (channel, day) keys written.
    """
    _check_size(rows)
    errors: dict[str, list[str]] = {}
    seen: dict[tuple[str, datetime.date], int] = {}
    for index, row in enumerate(rows):
        key = (row.channel, row.day)
        if key in seen:
            errors[f"{index}.day"] = [f"Repeats row {seen[key]} (same channel and day)."]
        seen.setdefault(key, index)
        if row.clicks > row.impressions:
            errors[f"{index}.clicks"] = ["Clicks cannot exceed impressions."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        days = {row.day for row in rows}
        existing = set(
            AdSpend.objects.filter(store=store, day__in=days).values_list("channel", "day")
        )
        AdSpend.objects.bulk_create(
            [
                AdSpend(
                    store=store,
                    channel=row.channel,
                    day=row.day,
                    spend=row.spend,
                    impressions=row.impressions,
                    clicks=row.clicks,
                )
                for row in rows
            ],
            batch_size=500,
            update_conflicts=True,
            unique_fields=["store", "channel", "day"],
            update_fields=["spend", "impressions", "clicks"],
        )
        stale = _days_to_reroll(store, days)
        if stale:
            mark_days_stale(store=store, days=stale)
        updated = sum(1 for row in rows if (row.channel, row.day) in existing)
        result = AdSpendUpsertResult(
            received=len(rows), created=len(rows) - updated, updated=updated
        )
        audit_as(
            actor,
            store=store,
            action="ad_spend.upsert",
            object_type=AdSpend._meta.label_lower,
            changes={
                "created": result.created,
                "updated": result.updated,
                "keys": sorted(f"{row.channel}:{row.day.isoformat()}" for row in rows),
                "stale_days": stale,
            },
        )
    return result
