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
from django.utils.translation import gettext as _

from catalog.models import Sku
from opsdesk.audit import Actor, audit_as, field_changes
from opsdesk.channels import Channel
from opsdesk.models import Store

from .models import (
    Campaign,
    CampaignHour,
    CampaignKind,
    ChannelBudget,
    LineupItem,
    Mechanic,
    MechanicKind,
)
from .monitoring import hourly_facts

#: Campaign fields only a role with SET_TARGETS may set or change (the money of a campaign).
TARGET_FIELDS = ("gmv_target", "preheat_gmv_target", "ad_budget", "channel_budgets")
#: The fields of the ``Campaign`` row itself (``channel_budgets`` are rows of their own).
CAMPAIGN_FIELDS = (
    "name",
    "kind",
    "preparation_start",
    "preheat_start",
    "burst_start",
    "burst_end",
    "wrapup_end",
    "gmv_target",
    "preheat_gmv_target",
    "ad_budget",
    "channels",
    "baseline",
    "notes",
)
CAMPAIGN_EDITABLE_FIELDS = frozenset({*CAMPAIGN_FIELDS, "channel_budgets"})
PHASE_DATES = ("preparation_start", "preheat_start", "burst_start", "burst_end", "wrapup_end")
MECHANIC_EDITABLE_FIELDS = frozenset(
    {"kind", "threshold", "amount", "rate", "inflated_amount", "description"}
)


def channel_budgets_of(campaign: Campaign) -> dict[str, Decimal]:
    """The campaign's channel budgets as ``{channel: budget}`` (reads a prefetch if any)."""
    return {row.channel: row.budget for row in campaign.channel_budgets.all()}


def target_fields_changed(campaign: Campaign | None, fields: Mapping[str, Any]) -> list[str]:
    """The guarded fields (``TARGET_FIELDS``) that ``fields`` would set to a new value
    (for a new campaign: to anything but null, or any channel budget)."""
    changed = []
    for name in TARGET_FIELDS:
        if name not in fields:
            continue
        if name == "channel_budgets":
            current = channel_budgets_of(campaign) if campaign is not None else {}
            if dict(fields[name] or {}) != current:
                changed.append(name)
            continue
        current = getattr(campaign, name) if campaign is not None else None
        if fields[name] != current:
            changed.append(name)
    return changed


def _check_channel_budgets(values: Mapping[str, Any], changed: Iterable[str]) -> None:
    """Channel budgets: known channels, 0 or more, adding up to at most the ad budget (which
    they split, so it must be set). The error names what the write changed."""
    budgets = values.get("channel_budgets") or {}
    unknown = sorted(channel for channel in budgets if channel not in Channel.values)
    if unknown:
        raise ValidationError(
            {"channel_budgets": [_("Unknown channels: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    negative = sorted(channel for channel, budget in budgets.items() if budget < 0)
    if negative:
        raise ValidationError(
            {
                "channel_budgets": [
                    _("A channel budget is 0 or more (%(codes)s).") % {"codes": ", ".join(negative)}
                ]
            }
        )
    if not budgets:
        return
    total, ad_budget = sum(budgets.values(), Decimal(0)), values.get("ad_budget")
    field = "channel_budgets" if "channel_budgets" in changed else "ad_budget"
    if ad_budget is None:
        raise ValidationError(
            {
                field: [
                    _(
                        "Channel budgets split the ad budget: set the ad budget, or remove the "
                        "channel budgets."
                    )
                ]
            }
        )
    if total > ad_budget:
        message = (
            _("The channel budgets add up to %(total)s, more than the ad budget %(budget)s.")
            if field == "channel_budgets"
            else _(
                "The ad budget %(budget)s is below the channel budgets, which add up to %(total)s."
            )
        ) % {"total": f"{total:.2f}", "budget": f"{ad_budget:.2f}"}
        raise ValidationError({field: [message]})


def _channel_budgets_write(campaign: Campaign, budgets: Mapping[str, Decimal]) -> None:
    """Replace the campaign's channel budgets with ``budgets`` (inside the caller's
    transaction)."""
    ChannelBudget.objects.filter(campaign=campaign).delete()
    ChannelBudget.objects.bulk_create(
        ChannelBudget(store_id=campaign.store_id, campaign=campaign, channel=channel, budget=budget)
        for channel, budget in sorted(budgets.items())
    )


def _check_campaign(
    store: Store,
    values: Mapping[str, Any],
    campaign: Campaign | None,
    changed: Iterable[str] = (),
) -> None:
    dates = [values[name] for name in PHASE_DATES]
    if any(later < earlier for earlier, later in pairwise(dates)):
        raise ValidationError(
            {
                "non_field_errors": [
                    _(
                        "Phase dates must be in order: preparation_start <= preheat_start <= "
                        "burst_start <= burst_end <= wrapup_end."
                    )
                ]
            }
        )
    if values["kind"] not in CampaignKind.values:
        raise ValidationError({"kind": [_("Unknown kind %(kind)r.") % {"kind": values["kind"]}]})
    unknown = [channel for channel in values.get("channels") or [] if channel not in Channel.values]
    if unknown:
        raise ValidationError(
            {"channels": [_("Unknown channels: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    baseline = values.get("baseline")
    if baseline is not None:
        if baseline.store_id != store.pk:
            raise ValidationError({"baseline": [_("This campaign belongs to another store.")]})
        if campaign is not None and baseline.pk == campaign.pk:
            raise ValidationError({"baseline": [_("A campaign cannot be its own baseline.")]})
    for name in ("gmv_target", "preheat_gmv_target", "ad_budget"):
        value = values.get(name)
        if value is not None and value < 0:
            raise ValidationError({name: [_("Must be 0 or more.")]})
    _check_channel_budgets(values, changed)


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
    preheat_gmv_target: Decimal | None = None,
    ad_budget: Decimal | None = None,
    channel_budgets: Mapping[str, Decimal] | None = None,
    channels: Iterable[str] = (),
    baseline: Campaign | None = None,
    notes: str = "",
) -> Campaign:
    """Create a campaign of ``store`` created by the actor's user, and audit it.

    ``channel_budgets`` ({channel: budget}) split the ad budget: they add up to at most
    ``ad_budget``. ``ValidationError`` when the phase dates are out of order, the kind or a
    channel is unknown, a target or budget is negative, the channel budgets exceed the ad
    budget (or there is none), or the baseline is another store's campaign.
    """
    budgets = dict(channel_budgets or {})
    values = {
        "name": name,
        "kind": kind,
        "preparation_start": preparation_start,
        "preheat_start": preheat_start,
        "burst_start": burst_start,
        "burst_end": burst_end,
        "wrapup_end": wrapup_end,
        "gmv_target": gmv_target,
        "preheat_gmv_target": preheat_gmv_target,
        "ad_budget": ad_budget,
        "channels": list(channels),
        "baseline": baseline,
        "notes": notes,
    }
    _check_campaign(store, {**values, "channel_budgets": budgets}, None, ["channel_budgets"])
    with transaction.atomic():
        campaign = Campaign.objects.create(store=store, created_by=actor.user, **values)
        _channel_budgets_write(campaign, budgets)
        changes = {**values, "channel_budgets": budgets} if budgets else values
        audit_as(actor, store=store, action="campaign.create", obj=campaign, changes=changes)
    return campaign


def campaign_update(*, campaign: Campaign, actor: Actor, **fields: Any) -> Campaign:
    """Change ``fields`` (names from ``CAMPAIGN_EDITABLE_FIELDS``) of ``campaign``; audited
    with ``{field: [old, new]}`` when something changed. ``channel_budgets`` replaces the
    whole set ({channel: budget}; {} removes them). Same checks as ``campaign_create`` on the
    resulting values."""
    unknown = set(fields) - CAMPAIGN_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"campaign_update() cannot change {', '.join(sorted(unknown))}")
    if "channel_budgets" in fields:
        fields = {**fields, "channel_budgets": dict(fields["channel_budgets"] or {})}
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("store").get(pk=campaign.pk)
        current = {name: getattr(locked, name) for name in CAMPAIGN_FIELDS}
        current["channel_budgets"] = channel_budgets_of(locked)
        _check_campaign(locked.store, {**current, **fields}, locked, fields)
        changes = field_changes({name: current[name] for name in fields}, fields)
        if not changes:
            return locked
        row_fields = [name for name in changes if name != "channel_budgets"]
        for name in row_fields:
            setattr(locked, name, fields[name])
        if row_fields:
            locked.save(update_fields=row_fields)
        if "channel_budgets" in changes:
            _channel_budgets_write(locked, fields["channel_budgets"])
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
        raise ValidationError({"sku": [_("This SKU belongs to another store.")]})


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
            raise ValidationError({"sku": [_("This SKU is already in the lineup.")]}) from error
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
        raise ValidationError({"kind": [_("Unknown kind %(kind)r.") % {"kind": values["kind"]}]})
    rate = values.get("rate")
    if rate is not None and not (0 < rate <= 1):
        # xgettext:no-python-format
        message = _("A rate is above 0 and at most 1 (0.85 = 15% off).")
        raise ValidationError({"rate": [message]})
    for name in ("threshold", "amount", "inflated_amount"):
        value = values.get(name)
        if value is not None and value < 0:
            raise ValidationError({name: [_("Must be 0 or more.")]})
    missing = [name for name in MECHANIC_NEEDS[values["kind"]] if values.get(name) is None]
    if missing:
        raise ValidationError(
            {
                name: [_("%(kind)s needs this.") % {"kind": MechanicKind(values["kind"]).label}]
                for name in missing
            }
        )
    deposit, inflated = values.get("amount"), values.get("inflated_amount")
    if values["kind"] == MechanicKind.DEPOSIT and inflated < deposit:
        raise ValidationError(
            {
                "inflated_amount": [
                    _("A deposit is worth at least what was paid: %(amount)s or more.")
                    % {"amount": f"{deposit:.2f}"}
                ]
            }
        )


#: The values each kind of mechanic needs (满 threshold 减 amount; a discount's rate; a
#: deposit's amount and what it is worth at the balance, 定金膨胀).
MECHANIC_NEEDS: dict[str, tuple[str, ...]] = {
    MechanicKind.COUPON: ("amount",),
    MechanicKind.FULL_REDUCTION: ("threshold", "amount"),
    MechanicKind.DISCOUNT: ("rate",),
    MechanicKind.DEPOSIT: ("amount", "inflated_amount"),
}


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
    a rate outside (0, 1], a negative amount, a value its kind needs left out
    (``MECHANIC_NEEDS``) or a deposit worth less than what was paid."""
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
        raise ValidationError({"items": [_("Choose at least one SKU.")]})
    seen: set[int] = set()
    existing = set(LineupItem.objects.filter(campaign=campaign).values_list("sku_id", flat=True))
    for sku, units in picks:
        _check_sku(campaign, sku)
        if sku.pk in seen or sku.pk in existing:
            raise ValidationError(
                {"items": [_("%(code)s is already in the lineup.") % {"code": sku.code}]}
            )
        if units < 0:
            raise ValidationError(
                {"items": [_("%(code)s: planned units must be 0 or more.") % {"code": sku.code}]}
            )
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
                    _(
                        "%(day)s is not a pre-heat or burst day of this campaign (%(first)s to "
                        "%(last)s)."
                    )
                    % {
                        "day": day.isoformat(),
                        "first": campaign.preheat_start.isoformat(),
                        "last": campaign.burst_end.isoformat(),
                    }
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
