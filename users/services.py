"""Writes of the users app that staff make: new playbooks and playbook settings. (Member
levels and points are recomputed by ``users.members``, predictions by ``users.prediction``,
playbook runs and the ready-made playbooks by ``users.playbooks``.)"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from analytics.rfm import SEGMENTS_BY_CODE
from opsdesk.audit import Actor, audit_as, field_changes
from opsdesk.models import Store

from . import webhooks
from .models import ActionKind, Playbook, Tier, TriggerKind

#: Fields an operator may change on a playbook.
EDITABLE = (
    "name",
    "trigger",
    "tier",
    "segment",
    "cart_hours",
    "churn_threshold",
    "member_day",
    "action",
    "message_template",
    "webhook_url",
    "webhook_secret",
    "coupon_value",
    "holdout_share",
    "cooldown_days",
    "enabled",
)


def playbook_validate(playbook: Playbook) -> None:
    """Raise ``ValidationError`` naming each field whose value does not fit the trigger or
    action: a tier for entered_tier, a segment for rfm_segment, a threshold in (0, 1) for
    churn_risk, a day 1..31 for member_day, a URL that resolves to public addresses only
    (``users.webhooks``) and a secret for webhooks, a hold-out share in [0, 1)."""
    errors: dict[str, str] = {}
    if playbook.trigger == TriggerKind.ENTERED_TIER and playbook.tier not in Tier.values:
        errors["tier"] = _("Choose the tier whose entrants this playbook contacts.")
    if playbook.trigger == TriggerKind.RFM_SEGMENT and playbook.segment not in SEGMENTS_BY_CODE:
        errors["segment"] = _("Choose the RFM segment this playbook contacts.")
    if playbook.trigger == TriggerKind.CHURN_RISK and not (
        Decimal("0") < Decimal(playbook.churn_threshold) < Decimal("1")
    ):
        errors["churn_threshold"] = _("The churn risk threshold must be between 0 and 1.")
    if playbook.trigger == TriggerKind.MEMBER_DAY and not 1 <= playbook.member_day <= 31:
        errors["member_day"] = _("The member day is a day of the month, 1 to 31.")
    if playbook.trigger == TriggerKind.ABANDONED_CART and not 1 <= playbook.cart_hours <= 720:
        errors["cart_hours"] = _("Look back 1 to 720 hours for abandoned carts.")
    if playbook.action == ActionKind.WEBHOOK:
        if not playbook.webhook_url:
            errors["webhook_url"] = _("A webhook playbook needs the URL to POST to.")
        else:
            try:
                webhooks.webhook_target(playbook.webhook_url)
            except webhooks.WebhookRefused as exc:
                errors["webhook_url"] = str(exc)
        if len(playbook.webhook_secret) < 16:
            errors["webhook_secret"] = _(
                "Give a signing secret of at least 16 characters; the receiver checks the "
                "signature with it."
            )
    if not Decimal("0") <= Decimal(playbook.holdout_share) < Decimal("1"):
        errors["holdout_share"] = _("The hold-out share must be at least 0 and below 1.")
    if Decimal(playbook.coupon_value) < 0:
        errors["coupon_value"] = _("The coupon value cannot be negative.")
    if errors:
        raise ValidationError(errors)


def _claim_name(playbook: Playbook) -> None:
    """Refuse a name another playbook of the store already has (the list and the customer
    page name playbooks, so they must stay unambiguous). Locks the store's row until the
    transaction ends, so two saves cannot both find a name free and both take it (PostgreSQL;
    SQLite writes one transaction at a time anyway). Call inside the saving transaction."""
    Store.objects.select_for_update().filter(pk=playbook.store_id).first()
    taken = (
        Playbook.objects.filter(store_id=playbook.store_id, name=playbook.name)
        .exclude(pk=playbook.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            {
                "name": _("This store already has a playbook named %(name)s; choose another name.")
                % {"name": playbook.name}
            }
        )


def playbook_create(*, store: Store, actor: Actor, **values) -> Playbook:
    """Create one of the store's own playbooks (no ready-made code) from ``EDITABLE`` fields,
    disabled unless ``enabled=True`` is given; validated like an edit (``playbook_validate``)
    and by name (unique within the store), saved with a ``playbook.create`` audit entry in
    one transaction. Unknown fields are a ``ValueError``; invalid values a ``ValidationError``
    (nothing written)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    values.setdefault("enabled", False)
    playbook = Playbook(store=store, **values)
    playbook_validate(playbook)
    changes = field_changes({}, values)
    changes.pop("webhook_secret", None)  # never in the log
    with transaction.atomic():
        _claim_name(playbook)
        playbook.save()
        audit_as(actor, store=store, action="playbook.create", obj=playbook, changes=changes)
    return playbook


def playbook_update(*, playbook: Playbook, actor: Actor, **values) -> Playbook:
    """Change the playbook's ``EDITABLE`` fields, validate the whole and save with an audit
    entry, in one transaction. Unknown fields are a ``ValueError``; invalid values a
    ``ValidationError`` (nothing written)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    before = {name: getattr(playbook, name) for name in values}
    for name, value in values.items():
        setattr(playbook, name, value)
    if values != {"enabled": False}:
        # Disabling alone is always allowed (a webhook host that stopped resolving, or now
        # resolves inside, must not keep a playbook running).
        playbook_validate(playbook)
    changes = field_changes(before, values)
    changes.pop("webhook_secret", None)  # never in the log
    with transaction.atomic():
        if "name" in changes:
            _claim_name(playbook)
        playbook.save()
        audit_as(
            actor, store=playbook.store, action="playbook.update", obj=playbook, changes=changes
        )
    return playbook


def playbook_set_enabled(*, playbook: Playbook, enabled: bool, actor: Actor) -> Playbook:
    """Enable or disable a playbook (validated first: a playbook that could not run cannot be
    enabled)."""
    return playbook_update(playbook=playbook, actor=actor, enabled=enabled)
