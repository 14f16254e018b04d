"""The audit log: one append-only ``AuditEntry`` per write to a store's data.

Every service that writes store data calls ``audit_record`` inside its transaction, so an
entry exists exactly when the write committed.
"""

import datetime
import decimal
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from .models import ApiToken, AuditEntry, AuditSource, Store


@dataclass(frozen=True)
class Actor:
    """Who writes, and through what: passed to every service that writes store data.

    The web pages build ``Actor(user=request.user, source=AuditSource.WEB)``; the REST API adds
    the token the request authenticated with; tasks pass ``user=None, source=AuditSource.TASK``.
    """

    user: AbstractBaseUser | None
    source: str = AuditSource.API
    token: ApiToken | None = None


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a value (decimals and dates as strings, models as their pk)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return value


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for each field whose value differs, JSON-safe."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def audit_record(
    *,
    store: Store,
    user: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    changes: Mapping[str, Any] | None = None,
    source: str = AuditSource.API,
    token: ApiToken | None = None,
) -> AuditEntry:
    """Append one audit entry for a write to ``store``'s data and return it.

    ``action`` is a dotted verb (``sku.update``, ``events.ingest``); ``obj`` is the row written
    (for batches pass ``object_type`` and leave ``obj`` out); ``changes`` is stored JSON-safe.
    Call it inside the writing service's transaction.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
    return AuditEntry.objects.create(
        store=store,
        user=user if user is not None and user.is_authenticated else None,
        token=token,
        source=source,
        action=action,
        object_type=object_type,
        object_id="" if obj is None or obj.pk is None else str(obj.pk),
        object_repr="" if obj is None else str(obj)[:200],
        changes=_plain(dict(changes or {})),
    )


def audit_as(
    actor: Actor,
    *,
    store: Store,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """``audit_record`` for a write done by ``actor``."""
    return audit_record(
        store=store,
        user=actor.user,
        action=action,
        obj=obj,
        object_type=object_type,
        changes=changes,
        source=actor.source,
        token=actor.token,
    )
