"""Writes to SKUs: create and edit, recording every price change (保价 needs the history).

Every function is a service: keyword-only, typed, atomic, audited.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum, Value
from django.utils import timezone

from opsdesk.audit import Actor, audit_as, field_changes
from opsdesk.models import Store

from .models import Category, PriceChange, ProductRole, Sku, SkuStatus

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


def sku_update(*, sku: Sku, actor: Actor, price_note: str = "", **fields: Any) -> Sku:
    """Change ``fields`` of ``sku`` (names from ``SKU_EDITABLE_FIELDS``) and return it.

    Contract:
    - The row is locked while it changes; only fields whose value differs are written.
    - When the price changes, one ``PriceChange`` (old, new, now, the actor's user,
      ``price_note``) is recorded in the same transaction.
    - One audit entry ``sku.update`` with ``{field: [old, new]}``; none when nothing changed.
    - ``ValidationError`` on ``code`` (taken in the store) or ``category`` (another store's).
    """
    unknown = set(fields) - SKU_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"sku_update() cannot change {', '.join(sorted(unknown))}")
    if "category" in fields:
        _check_category(sku.store, fields["category"])
    try:
        with transaction.atomic():
            locked = Sku.objects.select_for_update().select_related("store").get(pk=sku.pk)
            before = {name: getattr(locked, name) for name in fields}
            changes = field_changes(before, fields)
            if not changes:
                return locked
            for name in changes:
                setattr(locked, name, fields[name])
            locked.save(update_fields=[*changes, "updated_at"])
            if "price" in changes:
                PriceChange.objects.create(
                    store=locked.store,
                    sku=locked,
                    old_price=before["price"],
                    new_price=fields["price"],
                    changed_at=timezone.now(),
                    changed_by=actor.user,
                    note=price_note,
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


@dataclass(frozen=True)
class PriceExposure:
    """What a price change to ``new_price`` would expose to price-protection claims.

    ``window_start``..``at``: the last ``Store.price_protection_days`` days before the change.
    ``orders``/``lines``/``units``: paid orders of the SKU in that window (not cancelled or
    refunded) whose unit price paid is above ``new_price``; ``amount`` = the sum over those
    lines of (unit price paid - new price) x quantity, the most buyers could claim.
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

    @property
    def is_cut(self) -> bool:
        return self.new_price < self.old_price

    @property
    def has_exposure(self) -> bool:
        return self.amount > 0


class PriceCutNotConfirmedError(ValidationError):
    """A price cut with price-protection exposure was not confirmed; carries the exposure."""

    def __init__(self, exposure: PriceExposure) -> None:
        super().__init__(
            {"confirmed": ["This price cut exposes recent orders to price-protection claims."]},
        )
        self.exposure = exposure


def price_change_preview(
    *, sku: Sku, new_price: Decimal, at: datetime.datetime | None = None
) -> PriceExposure:
    """The price-protection exposure of changing ``sku``'s price to ``new_price`` at ``at``
    (default now). One aggregate query over the SKU's paid order lines; no writes."""
    from analytics.models import OrderLine, OrderStatus

    at = at or timezone.now()
    store = sku.store
    days = store.price_protection_days
    window_start = at - datetime.timedelta(days=days)
    claim = ExpressionWrapper(
        (F("unit_price") - Value(new_price)) * F("quantity"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    exposed = (
        OrderLine.objects.filter(
            store=store,
            sku=sku,
            unit_price__gt=new_price,
            order__paid_at__gt=window_start,
            order__paid_at__lte=at,
        )
        .exclude(order__status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
        .aggregate(
            orders=Count("order", distinct=True),
            lines=Count("pk"),
            units=Sum("quantity"),
            amount=Sum(claim),
        )
    )
    return PriceExposure(
        sku_id=sku.pk,
        old_price=sku.price,
        new_price=new_price,
        at=at,
        window_start=window_start,
        protection_days=days,
        orders=exposed["orders"] or 0,
        lines=exposed["lines"] or 0,
        units=exposed["units"] or 0,
        amount=(exposed["amount"] or Decimal("0")).quantize(Decimal("0.01")),
    )


def sku_price_change(
    *,
    sku: Sku,
    new_price: Decimal,
    actor: Actor,
    confirmed: bool = False,
    note: str = "",
) -> PriceChange | None:
    """Change ``sku``'s price, refusing an unconfirmed cut that has price-protection exposure.

    Contract:
    - The SKU row is locked; the exposure is worked out under the lock, so the confirmation
      covers the orders that exist when the price changes.
    - A cut with exposure and ``confirmed=False`` raises ``PriceCutNotConfirmedError`` (its
      ``exposure`` says why) and writes nothing.
    - Otherwise the price changes through ``sku_update``: one ``PriceChange`` (its note gets
      the exposure when there is one) and one audit entry. Returns the ``PriceChange``, or
      None when ``new_price`` equals the current price (nothing written).
    """
    if new_price < 0:
        raise ValidationError({"price": ["A price cannot be negative."]})
    with transaction.atomic():
        locked = Sku.objects.select_for_update().select_related("store").get(pk=sku.pk)
        if locked.price == new_price:
            return None
        exposure = price_change_preview(sku=locked, new_price=new_price)
        if exposure.has_exposure and not confirmed:
            raise PriceCutNotConfirmedError(exposure)
        if exposure.has_exposure:
            detail = (
                f"price protection: {exposure.orders} orders, {exposure.units} units, "
                f"exposure {exposure.amount}"
            )
            note = f"{note}; {detail}" if note else detail
        sku_update(sku=locked, actor=actor, price_note=note[:255], price=new_price)
        return PriceChange.objects.filter(sku=locked).order_by("-changed_at", "-pk").first()
