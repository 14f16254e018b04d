"""Writes to the promotion calendar: campaigns, their lineup and their mechanics.

Every function is a service: keyword-only, typed, atomic, audited. Role checks (who may set
GMV targets and ad budgets) belong to the caller; ``target_fields_changed`` tells it which
guarded fields a write would change.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Sku
from opsdesk.audit import Actor, audit_as, field_changes
from opsdesk.channels import Channel
from opsdesk.models import Store

from .models import Campaign, CampaignHour, CampaignKind, LineupItem, Mechanic, MechanicKind
from .monitoring import hourly_facts

#: Campaign fields only a role with SET_TARGETS may set or change.
TARGET_FIELDS = ("gmv_target", "ad_budget")
CAMPAIGN_EDITABLE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "preparation_start",
        "preheat_start",
        "burst_start",
        "burst_end",
        "wrapup_end",
        "gmv_target",
        "ad_budget",
        "channels",
        "baseline",
        "notes",
    }
)
PHASE_DATES = ("preparation_start", "preheat_start", "burst_start", "burst_end", "wrapup_end")
MECHANIC_EDITABLE_FIELDS = frozenset(
    {"kind", "threshold", "amount", "rate", "inflated_amount", "description"}
)


def target_fields_changed(campaign: Campaign | None, fields: Mapping[str, Any]) -> list[str]:
    """The guarded fields (``TARGET_FIELDS``) that ``fields`` would set to a new value
    (for a new campaign: to anything but null)."""
    changed = []
    for name in TARGET_FIELDS:
        if name not in fields:
            continue
        current = getattr(campaign, name) if campaign is not None else None
        if fields[name] != current:
            changed.append(name)
    return changed


def _check_campaign(store: Store, values: Mapping[str, Any], campaign: Campaign | None) -> None:
    dates = [values[name] for name in PHASE_DATES]
    if any(later < earlier for earlier, later in pairwise(dates)):
        raise ValidationError(
            {
                "non_field_errors": [
                    "Phase dates must be in order: preparation_start <= preheat_start <= "
                    "burst_start <= burst_end <= wrapup_end."
                ]
            }
        )
    if values["kind"] not in CampaignKind.values:
        raise ValidationError({"kind": [f"Unknown kind {values['kind']!r}."]})
    unknown = [channel for channel in values.get("channels") or [] if channel not in Channel.values]
    if unknown:
        raise ValidationError({"channels": [f"Unknown channels: {', '.join(unknown)}."]})
    baseline = values.get("baseline")
    if baseline is not None:
        if baseline.store_id != store.pk:
            raise ValidationError({"baseline": ["This campaign belongs to another store."]})
        if campaign is not None and baseline.pk == campaign.pk:
            raise ValidationError({"baseline": ["A campaign cannot be its own baseline."]})
    for name in TARGET_FIELDS:
        value = values.get(name)
        if value is not None and value < 0:
            raise ValidationError({name: ["Must be 0 or more."]})


def campaign_create(
    *,
    store: Store,
    actor: Actor,
    name: str,
    kind: str,
    preparation_start: datetime.date,
    preheat_start: datetime.date,
    burst_start: datetime.date,
    burst_end: datetime.date,
    wrapup_end: datetime.date,
    gmv_target: Decimal | None = None,
    ad_budget: Decimal | None = None,
    channels: Iterable[str] = (),
    baseline: Campaign | None = None,
    notes: str = "",
) -> Campaign:
    """Create a campaign of ``store`` created by the actor's user, and audit it.

    ``ValidationError`` when the phase dates are out of order, the kind or a channel is
    unknown, a target is negative, or the baseline is another store's campaign.
    """
    values = {
        "name": name,
        "kind": kind,
        "preparation_start": preparation_start,
        "preheat_start": preheat_start,
        "burst_start": burst_start,
        "burst_end": burst_end,
        "wrapup_end": wrapup_end,
        "gmv_target": gmv_target,
        "ad_budget": ad_budget,
        "channels": list(channels),
        "baseline": baseline,
        "notes": notes,
    }
    _check_campaign(store, values, None)
    with transaction.atomic():
        campaign = Campaign.objects.create(store=store, created_by=actor.user, **values)
        audit_as(actor, store=store, action="campaign.create", obj=campaign, changes=values)
    return campaign


def campaign_update(*, campaign: Campaign, actor: Actor, **fields: Any) -> Campaign:
    """Change ``fields`` (names from ``CAMPAIGN_EDITABLE_FIELDS``) of ``campaign``; audited
    with ``{field: [old, new]}`` when something changed. Same checks as ``campaign_create``
    on the resulting values."""
    unknown = set(fields) - CAMPAIGN_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"campaign_update() cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("store").get(pk=campaign.pk)
        current = {name: getattr(locked, name) for name in CAMPAIGN_EDITABLE_FIELDS}
        _check_campaign(locked.store, {**current, **fields}, locked)
        changes = field_changes({name: current[name] for name in fields}, fields)
        if not changes:
            return locked
        for name in changes:
            setattr(locked, name, fields[name])
        locked.save(update_fields=list(changes))
        audit_as(actor, store=locked.store, action="campaign.update", obj=locked, changes=changes)
    return locked


def campaign_delete(*, campaign: Campaign, actor: Actor) -> None:
    """Delete ``campaign`` with its lineup and mechanics; audited."""
    with transaction.atomic():
        audit_as(
            actor,
            store=campaign.store,
            action="campaign.delete",
            obj=campaign,
            changes={"name": campaign.name},
        )
        campaign.delete()


def _check_sku(campaign: Campaign, sku: Sku) -> None:
    if sku.store_id != campaign.store_id:
        raise ValidationError({"sku": ["This SKU belongs to another store."]})


def lineup_item_add(
    *, campaign: Campaign, actor: Actor, sku: Sku, planned_units: int = 0
) -> LineupItem:
    """Put ``sku`` (of the campaign's store) in the campaign's lineup, chosen by the actor's
    user. ``ValidationError`` on ``sku`` when it is another store's or already in the lineup."""
    _check_sku(campaign, sku)
    try:
        with transaction.atomic():
            item = LineupItem.objects.create(
                store_id=campaign.store_id,
                campaign=campaign,
                sku=sku,
                planned_units=planned_units,
                chosen_by=actor.user,
            )
            audit_as(
                actor,
                store=campaign.store,
                action="lineup.add",
                obj=item,
                changes={"campaign": campaign, "sku": sku, "planned_units": planned_units},
            )
    except IntegrityError as error:
        if LineupItem.objects.filter(campaign=campaign, sku=sku).exists():
            raise ValidationError({"sku": ["This SKU is already in the lineup."]}) from error
        raise
    return item


def lineup_item_update(*, item: LineupItem, actor: Actor, planned_units: int) -> LineupItem:
    """Change the planned units of a lineup item; audited when they change."""
    with transaction.atomic():
        locked = LineupItem.objects.select_for_update().select_related("store").get(pk=item.pk)
        changes = field_changes(
            {"planned_units": locked.planned_units}, {"planned_units": planned_units}
        )
        if changes:
            locked.planned_units = planned_units
            locked.save(update_fields=["planned_units"])
            audit_as(actor, store=locked.store, action="lineup.update", obj=locked, changes=changes)
    return locked


def lineup_item_remove(*, item: LineupItem, actor: Actor) -> None:
    """Take an item out of its campaign's lineup; audited."""
    with transaction.atomic():
        audit_as(
            actor,
            store=item.store,
            action="lineup.remove",
            obj=item,
            changes={"campaign": item.campaign_id, "sku": item.sku_id},
        )
        item.delete()


def _check_mechanic(values: Mapping[str, Any]) -> None:
    if values["kind"] not in MechanicKind.values:
        raise ValidationError({"kind": [f"Unknown kind {values['kind']!r}."]})
    rate = values.get("rate")
    if rate is not None and not (0 < rate <= 1):
        raise ValidationError({"rate": ["A rate is above 0 and at most 1 (0.85 = 15% off)."]})
    for name in ("threshold", "amount", "inflated_amount"):
        value = values.get(name)
        if value is not None and value < 0:
            raise ValidationError({name: ["Must be 0 or more."]})


def mechanic_create(
    *,
    campaign: Campaign,
    actor: Actor,
    kind: str,
    threshold: Decimal | None = None,
    amount: Decimal | None = None,
    rate: Decimal | None = None,
    inflated_amount: Decimal | None = None,
    description: str = "",
) -> Mechanic:
    """Add a mechanic (玩法) to ``campaign``; audited. ``ValidationError`` on an unknown kind,
    a rate outside (0, 1] or a negative amount."""
    values = {
        "kind": kind,
        "threshold": threshold,
        "amount": amount,
        "rate": rate,
        "inflated_amount": inflated_amount,
        "description": description,
    }
    _check_mechanic(values)
    with transaction.atomic():
        mechanic = Mechanic.objects.create(store_id=campaign.store_id, campaign=campaign, **values)
        audit_as(
            actor,
            store=campaign.store,
            action="mechanic.create",
            obj=mechanic,
            changes={"campaign": campaign, **values},
        )
    return mechanic


def mechanic_update(*, mechanic: Mechanic, actor: Actor, **fields: Any) -> Mechanic:
    """Change ``fields`` (from ``MECHANIC_EDITABLE_FIELDS``) of a mechanic; audited."""
    unknown = set(fields) - MECHANIC_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"mechanic_update() cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Mechanic.objects.select_for_update().select_related("store").get(pk=mechanic.pk)
        current = {name: getattr(locked, name) for name in MECHANIC_EDITABLE_FIELDS}
        _check_mechanic({**current, **fields})
        changes = field_changes({name: current[name] for name in fields}, fields)
        if changes:
            for name in changes:
                setattr(locked, name, fields[name])
            locked.save(update_fields=list(changes))
            audit_as(
                actor, store=locked.store, action="mechanic.update", obj=locked, changes=changes
            )
    return locked


def mechanic_delete(*, mechanic: Mechanic, actor: Actor) -> None:
    """Remove a mechanic from its campaign; audited."""
    with transaction.atomic():
        audit_as(
            actor,
            store=mechanic.store,
            action="mechanic.delete",
            obj=mechanic,
            changes={"campaign": mechanic.campaign_id, "kind": mechanic.kind},
        )
        mechanic.delete()


def lineup_accept(
    *, campaign: Campaign, actor: Actor, picks: Sequence[tuple[Sku, int]]
) -> list[LineupItem]:
    """Put the accepted suggestions (SKU, planned units) in the lineup at once, chosen by the
    actor's user; audited per item. All or nothing: ``ValidationError`` naming the SKU code
    when one is another store's, already in the lineup, listed twice or has negative units."""
    if not picks:
        raise ValidationError({"items": ["Choose at least one SKU."]})
    seen: set[int] = set()
    existing = set(LineupItem.objects.filter(campaign=campaign).values_list("sku_id", flat=True))
    for sku, units in picks:
        _check_sku(campaign, sku)
        if sku.pk in seen or sku.pk in existing:
            raise ValidationError({"items": [f"{sku.code} is already in the lineup."]})
        if units < 0:
            raise ValidationError({"items": [f"{sku.code}: planned units must be 0 or more."]})
        seen.add(sku.pk)
    with transaction.atomic():
        return [
            lineup_item_add(campaign=campaign, actor=actor, sku=sku, planned_units=units)
            for sku, units in picks
        ]


def campaign_hours_refresh(
    *,
    campaign: Campaign,
    day: datetime.date,
    now: datetime.datetime | None = None,
    actor: Actor | None = None,
) -> int:
    """Recompute the hourly monitoring rows (``CampaignHour``) of ``day`` from the facts, for
    the hours that started before ``now``, and upsert them on (campaign, hour). Idempotent.
    A refresh a person asked for (``actor``: the page's button, the API) is audited as
    ``campaign.monitor_refresh``; the 15-minute task passes no actor (derived rows only).

    ``ValidationError`` on ``day`` unless it is a pre-heat or burst day of the campaign.
    Returns the number of hours written.
    """
    if not campaign.preheat_start <= day <= campaign.burst_end:
        raise ValidationError(
            {
                "day": [
                    f"{day.isoformat()} is not a pre-heat or burst day of this campaign "
                    f"({campaign.preheat_start.isoformat()} to {campaign.burst_end.isoformat()})."
                ]
            }
        )
    now = now or timezone.now()
    store = campaign.store
    facts = hourly_facts(store=store, day=day, until=now)
    rows = [
        CampaignHour(
            store_id=campaign.store_id,
            campaign=campaign,
            hour=fact.hour,
            local_day=day,
            local_hour=fact.local_hour,
            gmv=fact.gmv,
            paid_orders=fact.paid_orders,
            paying_buyers=fact.paying_buyers,
            uv=fact.uv,
            day_buyers=fact.day_buyers,
            day_uv=fact.day_uv,
            computed_at=now,
        )
        for fact in facts
    ]
    with transaction.atomic():
        CampaignHour.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["campaign", "hour"],
            update_fields=[
                "local_day",
                "local_hour",
                "gmv",
                "paid_orders",
                "paying_buyers",
                "uv",
                "day_buyers",
                "day_uv",
                "computed_at",
            ],
        )
        if actor is not None:
            audit_as(
                actor,
                store=store,
                action="campaign.monitor_refresh",
                obj=campaign,
                changes={"day": day, "hours": len(rows)},
            )
    return len(rows)
