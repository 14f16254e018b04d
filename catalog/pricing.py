"""Writes to SKUs: create and edit, recording every price change (保价 needs the history).

Every function is a service: keyword-only, typed, atomic, audited. ``sku_update`` is the one
writer of an existing SKU's price (pages, admin and API all end there): a price change that
exposes paid orders to price-protection claims is applied only with the ``confirmation`` of
the very exposure the editor was shown (see ``PriceExposure.confirmation``).
"""

import datetime
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.audit import Actor, audit_as, field_changes
from opsdesk.models import Store
from opsdesk.templatetags.opsdesk_ui import money

from .models import Category, PriceChange, ProductRole, Sku, SkuStatus
from .services import SkuStatusTransition, sku_status_history_record

#: Fields a SKU edit may change (everything else is fixed or bookkeeping).
SKU_EDITABLE_FIELDS = frozenset(
    {
        "code",
        "title",
        "description",
        "category",
        "role",
        "price",
        "cost",
        "stock",
        "status",
        "listed_on",
    }
)


def _scan_after_commit(sku_id: int) -> None:
    """Scan the SKU's texts for banned terms once the write is committed (广告法极限词 on
    save); the task re-reads the SKU, so it sees the committed text."""

    def enqueue() -> None:
        from .tasks import compliance_scan_sku_task

        compliance_scan_sku_task.delay(sku_id)

    transaction.on_commit(enqueue)


def _check_category(store: Store, category: Category | None) -> None:
    if category is not None and category.store_id != store.pk:
        raise ValidationError({"category": ["This category belongs to another store."]})


def sku_create(
    *,
    store: Store,
    actor: Actor,
    code: str,
    title: str,
    price: Decimal,
    cost: Decimal,
    description: str = "",
    category: Category | None = None,
    role: str = "",
    stock: int = 0,
    status: str = SkuStatus.ON_SHELF,
    listed_on: datetime.date | None = None,
) -> Sku:
    """Create a SKU of ``store`` and audit it.

    Raises ``ValidationError`` on ``code`` when the store already has that code, and on
    ``category`` when the category is another store's. The first price is not a price change.
    """
    _check_category(store, category)
    if role not in ("", *ProductRole.values):
        raise ValidationError({"role": [f"Unknown role {role!r}."]})
    sku = Sku(
        store=store,
        code=code,
        title=title,
        description=description,
        category=category,
        role=role,
        price=price,
        cost=cost,
        stock=stock,
        status=status,
        listed_on=listed_on,
    )
    try:
        with transaction.atomic():
            sku.save()
            audit_as(
                actor,
                store=store,
                action="sku.create",
                obj=sku,
                changes={
                    "code": code,
                    "title": title,
                    "price": price,
                    "cost": cost,
                    "category": category,
                    "role": role,
                    "stock": stock,
                    "status": status,
                },
            )
            _scan_after_commit(sku.pk)
    except IntegrityError as error:
        if Sku.objects.filter(store=store, code=code).exists():
            raise ValidationError(
                {"code": ["This store already has a SKU with this code."]}
            ) from error
        raise
    return sku


def sku_update(
    *,
    sku: Sku,
    actor: Actor,
    price_note: str = "",
    price_confirmation: str | None = None,
    **fields: Any,
) -> Sku:
    """Change ``fields`` of ``sku`` (names from ``SKU_EDITABLE_FIELDS``) and return it.

    Contract:
    - The row is locked while it changes; only fields whose value differs are written.
    - A new price with price-protection exposure (``price_change_preview`` worked out here,
      under the lock) is applied only when ``price_confirmation`` is that exposure's
      ``confirmation``; otherwise ``PriceCutNotConfirmedError`` is raised (its subclass
      ``PriceExposureChangedError`` when a confirmation was given but the exposure is no longer
      the one it was issued for: orders paid, refunded or aged out since, or another price)
      carrying the current exposure, and nothing is written.
    - When the price changes, one ``PriceChange`` (old, new, now, the actor's user,
      ``price_note`` plus the exposure when there is one) is recorded in the same transaction.
    - When the status or the listing day changes, one ``SkuStatusChange`` is recorded.
    - One audit entry ``sku.update`` with ``{field: [old, new]}``; none when nothing changed.
    - ``ValidationError`` on ``code`` (taken in the store), ``category`` (another store's) or
      ``price`` (negative).
    """
    unknown = set(fields) - SKU_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"sku_update() cannot change {', '.join(sorted(unknown))}")
    if "category" in fields:
        _check_category(sku.store, fields["category"])
    if "price" in fields and fields["price"] is not None and fields["price"] < 0:
        raise ValidationError({"price": [_("A price cannot be negative.")]})
    try:
        with transaction.atomic():
            locked = Sku.objects.select_for_update().select_related("store").get(pk=sku.pk)
            before = {name: getattr(locked, name) for name in fields}
            changes = field_changes(before, fields)
            if not changes:
                return locked
            if "price" in changes:
                exposure = price_change_preview(sku=locked, new_price=fields["price"])
                if exposure.has_exposure:
                    price_exposure_check(exposure=exposure, confirmation=price_confirmation)
                price_note = price_change_note(note=price_note, exposure=exposure)
            now = timezone.now()
            shelf_before = (locked.status, locked.listed_on)
            for name in changes:
                setattr(locked, name, fields[name])
            locked.save(update_fields=[*changes, "updated_at"])
            if "price" in changes:
                PriceChange.objects.create(
                    store=locked.store,
                    sku=locked,
                    old_price=before["price"],
                    new_price=fields["price"],
                    changed_at=now,
                    changed_by=actor.user,
                    note=price_note,
                )
            if changes.keys() & {"status", "listed_on"}:
                sku_status_history_record(
                    store=locked.store,
                    transitions=[
                        SkuStatusTransition(
                            sku_id=locked.pk,
                            old_status=shelf_before[0],
                            new_status=locked.status,
                            old_listed_on=shelf_before[1],
                            new_listed_on=locked.listed_on,
                        )
                    ],
                    user=actor.user,
                    note=f"edit ({actor.source})",
                    at=now,
                )
            audit_as(actor, store=locked.store, action="sku.update", obj=locked, changes=changes)
            if changes.keys() & {"title", "description"}:
                _scan_after_commit(locked.pk)
    except IntegrityError as error:
        code = fields.get("code")
        if code and Sku.objects.filter(store=sku.store, code=code).exclude(pk=sku.pk).exists():
            raise ValidationError(
                {"code": ["This store already has a SKU with this code."]}
            ) from error
        raise
    return locked


# --- Price protection (保价) ---------------------------------------------------------------

#: Salt of the signed confirmation tokens (``PriceExposure.confirmation``).
CONFIRMATION_SALT = "catalog.pricing.exposure"


@dataclass(frozen=True)
class PriceExposure:
    """What a price change to ``new_price`` would expose to price-protection claims.

    ``window_start``..``at``: the last ``Store.price_protection_days`` days before the change.
    ``orders``/``lines``/``units``: paid orders of the SKU in that window (not cancelled or
    refunded) whose unit price paid is above ``new_price``; ``amount`` = the sum over those
    lines of (unit price paid - new price) x quantity, the most buyers could claim.
    ``last_line_id`` is the newest exposed order line; ``fingerprint`` identifies the exposed
    set (the SKU, both prices, the counts, the amount, and the count, sum and maximum of the
    exposed line ids), so an order paid, refunded or aged out of the window changes it.
    """

    sku_id: int
    old_price: Decimal
    new_price: Decimal
    at: datetime.datetime
    window_start: datetime.datetime
    protection_days: int
    orders: int
    lines: int
    units: int
    amount: Decimal
    currency: str = "CNY"
    last_line_id: int | None = None
    fingerprint: str = ""

    @property
    def is_cut(self) -> bool:
        return self.new_price < self.old_price

    @property
    def has_exposure(self) -> bool:
        return self.amount > 0

    @property
    def confirmation(self) -> str:
        """A signed token naming this exposure, to send back with the change that confirms it:
        it carries the fingerprint and the figures shown, so a later change of the exposure is
        detected and the editor can be told what they had seen."""
        return signing.dumps(
            {
                "sku": self.sku_id,
                "fp": self.fingerprint,
                "old": str(self.old_price),
                "new": str(self.new_price),
                "orders": self.orders,
                "units": self.units,
                "amount": str(self.amount),
            },
            salt=CONFIRMATION_SALT,
            compress=True,
        )


@dataclass(frozen=True)
class SeenExposure:
    """The figures of the exposure a confirmation was issued for (what the editor saw)."""

    old_price: Decimal
    new_price: Decimal
    orders: int
    units: int
    amount: Decimal


def exposure_message(exposure: PriceExposure, *, seen: SeenExposure | None = None) -> str:
    """The exposure for a person, in the active language; with ``seen``, also what the
    confirmation was given for."""
    currency = exposure.currency
    message = _(
        "Changing the price from %(old)s to %(new)s exposes %(orders)d paid order(s) "
        "(%(units)d unit(s)) of the last %(days)d days to price-protection claims of up to "
        "%(amount)s."
    ) % {
        "old": money(exposure.old_price, currency),
        "new": money(exposure.new_price, currency),
        "orders": exposure.orders,
        "units": exposure.units,
        "days": exposure.protection_days,
        "amount": money(exposure.amount, currency),
    }
    if seen is None:
        return message
    return (
        _(
            "The exposure changed after it was shown: it was %(orders)d order(s) "
            "(%(units)d unit(s)), up to %(amount)s, for %(old)s to %(new)s."
        )
        % {
            "orders": seen.orders,
            "units": seen.units,
            "amount": money(seen.amount, currency),
            "old": money(seen.old_price, currency),
            "new": money(seen.new_price, currency),
        }
        + " "
        + message
    )


def price_change_note(*, note: str, exposure: PriceExposure | None) -> str:
    """The note of a ``PriceChange``: ``note``, then the exposure when the change has one
    ("price protection: N orders, U units, exposure X", in English like every note), cut to
    the column's 255 characters. Every price writer (``sku_update``, imports) words it so."""
    if exposure is not None and exposure.has_exposure:
        detail = (
            f"price protection: {exposure.orders} orders, {exposure.units} units, "
            f"exposure {exposure.amount}"
        )
        note = f"{note}; {detail}" if note else detail
    return note[:255]


class PriceCutNotConfirmedError(ValidationError):
    """A price change with price-protection exposure was not confirmed for that exposure;
    carries the current ``exposure`` (and its fresh ``confirmation``)."""

    def __init__(self, exposure: PriceExposure, *, seen: SeenExposure | None = None) -> None:
        self.exposure = exposure
        self.seen = seen
        super().__init__(
            {"price_confirmation": [exposure_message(exposure, seen=seen) + " " + self.hint()]}
        )

    def hint(self) -> str:
        return _("Confirm this exposure to apply the change.")


class PriceExposureChangedError(PriceCutNotConfirmedError):
    """A confirmation was given, but for another exposure than the one there is now (orders
    were paid, refunded or left the window, or the price changed meanwhile). ``seen`` is what
    the confirmation was issued for, when the token could be read."""

    def hint(self) -> str:
        return _("Check the new figures and confirm again.")


def _seen(confirmation: str) -> tuple[SeenExposure, dict] | None:
    try:
        payload = signing.loads(confirmation, salt=CONFIRMATION_SALT)
        seen = SeenExposure(
            old_price=Decimal(payload["old"]),
            new_price=Decimal(payload["new"]),
            orders=int(payload["orders"]),
            units=int(payload["units"]),
            amount=Decimal(payload["amount"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, ArithmeticError):
        return None
    return seen, payload


def price_exposure_check(*, exposure: PriceExposure, confirmation: str | None) -> None:
    """Refuse ``exposure`` unless ``confirmation`` was issued for exactly this exposure.

    No confirmation: ``PriceCutNotConfirmedError``. A confirmation of another exposure, or one
    that is not a valid token: ``PriceExposureChangedError``. Both carry ``exposure``.
    """
    if not exposure.has_exposure:
        return
    if not confirmation:
        raise PriceCutNotConfirmedError(exposure)
    read = _seen(confirmation)
    if read is None:
        raise PriceExposureChangedError(exposure)
    seen, payload = read
    if payload.get("sku") != exposure.sku_id or payload.get("fp") != exposure.fingerprint:
        raise PriceExposureChangedError(exposure, seen=seen)


#: Salt of the signed confirmations of several exposures at once
#: (``price_exposures_confirmation``).
EXPOSURES_CONFIRMATION_SALT = "catalog.pricing.exposures"


def price_exposures_confirmation(*, exposures: Iterable[PriceExposure]) -> str:
    """One signed token confirming every exposure of ``exposures`` that has one (the price
    cuts of a file, shown together): it names each SKU's exposure fingerprint, so
    ``price_exposures_unconfirmed`` accepts a SKU's exposure only while it is exactly the one
    shown. Empty when none has exposure (nothing to confirm)."""
    fingerprints = {str(e.sku_id): e.fingerprint for e in exposures if e.has_exposure}
    if not fingerprints:
        return ""
    return signing.dumps(
        {"fingerprints": fingerprints}, salt=EXPOSURES_CONFIRMATION_SALT, compress=True
    )


def price_exposures_unconfirmed(
    *, exposures: Iterable[PriceExposure], confirmation: str | None
) -> list[PriceExposure]:
    """The exposures of ``exposures`` that ``confirmation`` (a ``price_exposures_confirmation``)
    does not confirm, in their order: with no confirmation, or one that is not a valid token,
    every one that has exposure; otherwise those whose SKU it does not name or whose
    fingerprint differs (orders paid, refunded or aged out since, or other prices). As in
    ``sku_update``, a change without exposure needs no confirmation."""
    exposed = [e for e in exposures if e.has_exposure]
    if not exposed:
        return []
    fingerprints: Mapping[str, str] = {}
    if confirmation:
        try:
            payload = signing.loads(confirmation, salt=EXPOSURES_CONFIRMATION_SALT)
            fingerprints = payload["fingerprints"]
            if not isinstance(fingerprints, dict):
                fingerprints = {}
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            fingerprints = {}
    return [e for e in exposed if fingerprints.get(str(e.sku_id)) != e.fingerprint]


#: SKUs per aggregate query of ``price_change_previews`` (bounds the SQL parameters).
PREVIEW_BATCH_SIZE = 500


def price_change_preview(
    *, sku: Sku, new_price: Decimal, at: datetime.datetime | None = None
) -> PriceExposure:
    """The price-protection exposure of changing ``sku``'s price to ``new_price`` at ``at``
    (default now). One aggregate query over the SKU's paid order lines; no writes."""
    return price_change_previews(skus=[sku], new_prices={sku.pk: new_price}, at=at)[sku.pk]


def price_change_previews(
    *,
    skus: Sequence[Sku],
    new_prices: Mapping[int, Decimal],
    at: datetime.datetime | None = None,
) -> dict[int, PriceExposure]:
    """``price_change_preview`` of many SKUs of one store at once (the exposure report of a
    cut for every SKU on shelf): ``new_prices`` maps each SKU's id to its new price. One
    aggregate query per ``PREVIEW_BATCH_SIZE`` SKUs, grouped by SKU; no writes. Each exposure,
    its fingerprint included, is the one ``price_change_preview`` gives for that SKU alone.
    """
    from analytics.models import OrderLine, OrderStatus

    skus = list(skus)
    if not skus:
        return {}
    at = at or timezone.now()
    store = skus[0].store
    if any(sku.store_id != store.pk for sku in skus):
        raise ValueError("price_change_previews() takes SKUs of one store")
    days = store.price_protection_days
    window_start = at - datetime.timedelta(days=days)
    money = DecimalField(max_digits=16, decimal_places=2)
    exposed: dict[int, dict] = {}
    for first in range(0, len(skus), PREVIEW_BATCH_SIZE):
        batch = skus[first : first + PREVIEW_BATCH_SIZE]
        # The new price of each line's SKU (a single SKU needs no CASE).
        if len(batch) == 1:
            new_price_of: Any = Value(new_prices[batch[0].pk], output_field=money)
        else:
            new_price_of = Case(
                *(When(sku_id=sku.pk, then=Value(new_prices[sku.pk])) for sku in batch),
                output_field=money,
            )
        claim = ExpressionWrapper(
            (F("unit_price") - new_price_of) * F("quantity"), output_field=money
        )
        rows = (
            OrderLine.objects.filter(
                store=store,
                sku_id__in=[sku.pk for sku in batch],
                unit_price__gt=new_price_of,
                order__paid_at__gt=window_start,
                order__paid_at__lte=at,
            )
            .exclude(order__status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
            .values("sku_id")
            .annotate(
                orders=Count("order", distinct=True),
                lines=Count("pk"),
                units=Sum("quantity"),
                amount=Sum(claim),
                last_line=Max("pk"),
                line_id_sum=Sum("pk"),
            )
            .order_by()
        )
        exposed.update((row["sku_id"], row) for row in rows)
    cent = Decimal("0.01")
    previews = {}
    for sku in skus:
        new_price = new_prices[sku.pk]
        row = exposed.get(sku.pk, {})
        orders, lines = row.get("orders") or 0, row.get("lines") or 0
        units = row.get("units") or 0
        amount = (row.get("amount") or Decimal("0")).quantize(cent)
        facts = (
            sku.pk,
            str(Decimal(sku.price).quantize(cent)),
            str(Decimal(new_price).quantize(cent)),
            orders,
            lines,
            units,
            str(amount),
            row.get("last_line"),
            row.get("line_id_sum"),
        )
        previews[sku.pk] = PriceExposure(
            sku_id=sku.pk,
            old_price=sku.price,
            new_price=new_price,
            at=at,
            window_start=window_start,
            protection_days=days,
            orders=orders,
            lines=lines,
            units=units,
            amount=amount,
            currency=store.currency,
            last_line_id=row.get("last_line"),
            fingerprint=hashlib.sha256(repr(facts).encode()).hexdigest()[:32],
        )
    return previews


def sku_price_change(
    *,
    sku: Sku,
    new_price: Decimal,
    actor: Actor,
    confirmation: str | None = None,
    note: str = "",
) -> PriceChange | None:
    """Change ``sku``'s price through ``sku_update`` (the one price writer).

    Contract: a change with price-protection exposure needs ``confirmation`` = the
    ``PriceExposure.confirmation`` the editor was shown; without it ``PriceCutNotConfirmedError``,
    with one of another exposure ``PriceExposureChangedError`` (each carries the current
    exposure; nothing written). Otherwise one ``PriceChange`` (its note gets the exposure when
    there is one) and one audit entry. Returns the ``PriceChange``, or None when ``new_price``
    equals the current price (nothing written).
    """
    with transaction.atomic():
        current = Sku.objects.select_for_update().values_list("price", flat=True).get(pk=sku.pk)
        if current == new_price:
            return None
        locked = sku_update(
            sku=sku,
            actor=actor,
            price_note=note,
            price_confirmation=confirmation,
            price=new_price,
        )
        return PriceChange.objects.filter(sku=locked).order_by("-changed_at", "-pk").first()
