"""Per-kind validation and batched writing of imported rows.

A writer receives parsed rows one by one (``add``), checks what needs the rows around it
(duplicates, an order's rows being consecutive), and every ``BATCH`` keys ``flush``es: one
lookup of the existing rows by natural key per batch, then ``bulk_create`` with
``update_conflicts`` for the new and changed rows only, so a re-import of the same file
writes nothing and counts every row as unchanged. Natural keys (per store): orders and refunds
by number, SKUs by code, customers by external id, events by client id, ad spend by
(channel, day). The caller (``services``) owns the transaction.
"""

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import (
    AdSpend,
    BehaviourEvent,
    ImportKind,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
)
from catalog.models import PriceChange, Sku
from catalog.pricing import PriceExposure, price_change_note, price_change_previews
from catalog.services import SkuStatusTransition, sku_status_history_record
from opsdesk.localtime import local_day
from opsdesk.models import Store
from users.models import Customer

from . import bulk
from .presets import Preset
from .values import text

BATCH = 2000


@dataclass
class Problem:
    """One reason a row is rejected: spreadsheet row, column (the file's header), value."""

    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class PriceCut:
    """A cut of an existing SKU's price by the file (spreadsheet ``row``) that exposes paid
    orders to price-protection claims (保价), as ``catalog.pricing`` works it out."""

    row: int
    code: str
    exposure: PriceExposure

    def as_dict(self) -> dict[str, Any]:
        """What ``ImportRun.price_cuts`` keeps (and the API and the pages show)."""
        exposure = self.exposure
        return {
            "row": self.row,
            "sku_code": self.code,
            "old_price": str(exposure.old_price),
            "new_price": str(exposure.new_price),
            "orders": exposure.orders,
            "units": exposure.units,
            "amount": str(exposure.amount),
        }


@dataclass
class Context:
    store: Store
    preset: Preset
    headers: dict[str, str]  # field -> the file's header it is read from
    user: Any = None
    problems: list[Problem] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    extra: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stale_days: set[datetime.date] = field(default_factory=set)
    #: Customers whose orders or refunds the import wrote (or who were imported): their
    #: points and member level are recomputed after the import (``users.members``).
    customers: set[int] = field(default_factory=set)
    #: SKUs created or whose texts the import wrote: scanned for banned terms after it.
    skus: set[int] = field(default_factory=set)
    #: Price cuts with price-protection exposure, in file order (``SkusWriter``): the caller
    #: refuses the import unless they are confirmed (``services``).
    price_cuts: list[PriceCut] = field(default_factory=list)
    #: Why the import was refused for its price cuts: "unconfirmed" (no confirmation) or
    #: "changed" (a confirmation of other figures); empty when it was not.
    price_cuts_refused: str = ""
    max_problems: int = 1000

    @property
    def writing(self) -> bool:
        """Writes stop at the first problem (the transaction is rolled back anyway)."""
        return not self.problems

    def fail(self, row: int, field_name: str, value: Any, reason: str) -> None:
        """Record a problem; ``value`` may be the parsed row (the cell as written is shown)."""
        if isinstance(value, dict):
            value = text(value.get("_raw", {}).get(field_name))
        self.rejected_rows.add(row)
        if len(self.problems) < self.max_problems:
            column = self.headers.get(field_name, field_name)
            shown = "" if value is None else str(value)
            self.problems.append(Problem(row, column, shown[:200], reason))

    def count(self, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)

    def touch(self, *instants: datetime.datetime | None) -> None:
        zone = self.store.zone
        self.stale_days.update(local_day(zone, i) for i in instants if i is not None)


def _chunks(items: list, size: int = 0) -> Iterable[list]:
    # One query per writer batch on PostgreSQL; SQLite keeps under its variable limit.
    size = size or (BATCH if connection.vendor == "postgresql" else 500)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fetch(queryset, field_name: str, keys: Iterable[Any], *values: str) -> dict[Any, dict]:
    """Existing rows by natural key, in chunks (SQLite's variable limit)."""
    found: dict[Any, dict] = {}
    keys = list(keys)
    for part in _chunks(keys):
        for row in queryset.filter(**{f"{field_name}__in": part}).values(field_name, *values):
            found[row[field_name]] = row
    return found


# ---------------------------------------------------------------------------------- helpers
def ensure_customers(ctx: Context, wanted: dict[str, tuple[int, str]]) -> dict[str, int]:
    """Ids of the store's customers by external id; missing ones created or reported as the
    preset says. ``wanted``: external id -> (first row naming it, name)."""
    found = {
        k: v["pk"]
        for k, v in _fetch(
            Customer.objects.filter(store=ctx.store), "external_id", wanted, "pk"
        ).items()
    }
    missing = [key for key in wanted if key not in found]
    if not missing:
        return found
    if ctx.preset.missing_customers != "create":
        for key in missing:
            ctx.fail(
                wanted[key][0], "customer_id", key, _("No customer with this id in the store.")
            )
        return found
    if ctx.writing:
        now = timezone.now()
        bulk.write(
            Customer,
            [
                {
                    "store_id": ctx.store.pk,
                    "external_id": key,
                    "name": wanted[key][1][:120],
                    "region": "",
                    "gender": "unknown",
                    "points": 0,
                    "created_at": now,
                }
                for key in missing
            ],
        )
        ctx.extra["customers_created"] += len(missing)
        found.update(
            {
                k: v["pk"]
                for k, v in _fetch(
                    Customer.objects.filter(store=ctx.store), "external_id", missing, "pk"
                ).items()
            }
        )
    return found


@dataclass
class SkuWanted:
    row: int
    title: str
    price: Decimal | None
    cost: Decimal | None


def ensure_skus(ctx: Context, wanted: dict[str, SkuWanted]) -> dict[str, dict]:
    """The store's SKUs by code (``pk``, ``cost``); missing ones created or reported."""
    queryset = Sku.objects.filter(store=ctx.store)
    found = _fetch(queryset, "code", wanted, "pk", "cost")
    missing = [key for key in wanted if key not in found]
    if not missing:
        return found
    if ctx.preset.missing_skus != "create":
        for key in missing:
            ctx.fail(wanted[key].row, "sku_code", key, _("No SKU with this code in the store."))
        return found
    if ctx.writing:
        Sku.objects.bulk_create(
            [
                Sku(
                    store=ctx.store,
                    code=key,
                    title=(wanted[key].title or key)[:255],
                    price=wanted[key].price or Decimal("0.00"),
                    cost=wanted[key].cost or Decimal("0.00"),
                )
                for key in missing
            ],
            batch_size=500,
        )
        ctx.extra["skus_created"] += len(missing)
        created = _fetch(queryset, "code", missing, "pk", "cost")
        ctx.skus.update(row["pk"] for row in created.values())
        found.update(created)
    return found


def _line_key(line: dict) -> tuple:
    return (line["sku_id"], line["quantity"], line["unit_price"], line["unit_cost"])


def replace_lines(
    ctx: Context, order_lines: dict[int, list[dict]], new_orders: frozenset[int] = frozenset()
) -> set[int]:
    """Give each order (id -> wanted lines) exactly the wanted lines; returns the ids of the
    orders whose lines changed (identical lines are left alone). ``new_orders`` were just
    created: they have no lines to read or delete."""
    existing: dict[int, list[tuple]] = defaultdict(list)
    ids = [order_id for order_id in order_lines if order_id not in new_orders]
    for part in _chunks(ids):
        for row in OrderLine.objects.filter(store=ctx.store, order_id__in=part).values(
            "order_id", "sku_id", "quantity", "unit_price", "unit_cost"
        ):
            existing[row["order_id"]].append(_line_key(row))
    changed = {
        order_id
        for order_id, lines in order_lines.items()
        if sorted(existing.get(order_id, [])) != sorted(_line_key(line) for line in lines)
    }
    if changed:
        for part in _chunks(sorted(changed - new_orders)):
            OrderLine.objects.filter(store=ctx.store, order_id__in=part).delete()
        bulk.write(
            OrderLine,
            [
                {"store_id": ctx.store.pk, "order_id": order_id, **line}
                for order_id in sorted(changed)
                for line in order_lines[order_id]
            ],
        )
    return changed


class Writer:
    kind = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def add(self, row: int, values: dict[str, Any]) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.flush()


# ----------------------------------------------------------------------------------- orders
ORDER_COLUMNS = (
    "customer_id",
    "created_at",
    "paid_at",
    "status",
    "channel",
    "goods_amount",
    "discount_amount",
    "shipping_amount",
    "paid_amount",
    "is_presale",
    "deposit_amount",
    "deposit_paid_at",
)


@dataclass
class PendingOrder:
    row: int
    number: str
    values: dict[str, Any]
    lines: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    ok: bool = True


class LineGrouping(Writer):
    """Rows of one order are consecutive; lines are collected under their order."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.pending: list[PendingOrder] = []
        self.current: PendingOrder | None = None
        self.seen: dict[str, int] = {}

    def start(self, row: int, values: dict[str, Any]) -> PendingOrder | None:
        number = values["order_number"]
        if number is None:  # (every row names its order: no row belongs to the one above)
            self.ctx.fail(row, "order_number", "", _("Required."))
            return None
        if self.current is not None and number == self.current.number:
            return self.current
        if number in self.seen:
            self.ctx.fail(
                row,
                "order_number",
                number,
                _("Rows of one order must be consecutive; this order started at row %(row)d.")
                % {"row": self.seen[number]},
            )
            return None
        if len(self.pending) >= BATCH:
            self.flush()
        self.seen[number] = row
        self.current = PendingOrder(row=row, number=number, values=values)
        self.pending.append(self.current)
        return self.current

    def line(self, order: PendingOrder, row: int, values: dict[str, Any]) -> None:
        if not values.get("sku_code"):
            for name in ("quantity", "unit_price", "unit_cost"):
                if values.get(name) is not None and self.kind == ImportKind.ORDERS:
                    self.ctx.fail(row, "sku_code", "", _("Required when the row has a line."))
                    order.ok = False
                    return
            return
        problems = False
        for name in ("quantity", "unit_price"):
            if values.get(name) is None:
                self.ctx.fail(row, name, "", _("Required for a line."))
                problems = True
        if values.get("quantity") is not None and values["quantity"] < 1:
            self.ctx.fail(row, "quantity", values, _("Must be at least 1."))
            problems = True
        if values.get("unit_price") is not None and values["unit_price"] < 0:
            self.ctx.fail(row, "unit_price", values, _("Cannot be negative."))
            problems = True
        if problems:
            order.ok = False
        else:
            order.lines.append((row, values))

    def skus_of(self, orders: list[PendingOrder]) -> dict[str, dict]:
        wanted: dict[str, SkuWanted] = {}
        for order in orders:
            for row, line in order.lines:
                wanted.setdefault(
                    line["sku_code"],
                    SkuWanted(
                        row, line.get("sku_title") or "", line["unit_price"], line.get("unit_cost")
                    ),
                )
        return ensure_skus(self.ctx, wanted) if wanted else {}

    @staticmethod
    def wanted_lines(order: PendingOrder, skus: dict[str, dict]) -> list[dict] | None:
        lines = []
        for _row, line in order.lines:
            sku = skus.get(line["sku_code"])
            if sku is None:
                return None
            cost = line.get("unit_cost")
            lines.append(
                {
                    "sku_id": sku["pk"],
                    "quantity": line["quantity"],
                    "unit_price": line["unit_price"],
                    "unit_cost": sku["cost"] if cost is None else cost,
                }
            )
        return lines


class OrdersWriter(LineGrouping):
    kind = ImportKind.ORDERS
    REQUIRED = ("customer_id", "created_at", "status", "paid_amount")

    def add(self, row: int, values: dict[str, Any]) -> None:
        order = self.start(row, values)
        if order is None:
            return
        if order.row == row:
            self.check_order(order)
        self.line(order, row, values)

    def check_order(self, order: PendingOrder) -> None:
        v, fail, row = order.values, self.ctx.fail, order.row
        for name in self.REQUIRED:
            if v.get(name) is None or v.get(name) == "":
                fail(row, name, "", _("Required on the first row of an order."))
                order.ok = False
        if not order.ok:
            return
        if v.get("paid_at") and v["paid_at"] < v["created_at"]:
            fail(row, "paid_at", v, _("Paid before the order was created."))
            order.ok = False
        for name in (
            "paid_amount",
            "goods_amount",
            "discount_amount",
            "shipping_amount",
            "refund_amount",
        ):
            if v.get(name) is not None and v[name] < 0:
                fail(row, name, v, _("Cannot be negative."))
                order.ok = False
        refund = v.get("refund_amount") or Decimal(0)
        if refund > v["paid_amount"]:
            fail(row, "refund_amount", v, _("More than the amount paid."))
            order.ok = False
        if refund > 0 and not v.get("paid_at"):
            fail(row, "refund_amount", v, _("A refund on an order never paid."))
            order.ok = False
        if v["status"] == OrderStatus.CANCELLED and v.get("paid_at") and refund > 0:
            v["status"] = OrderStatus.REFUNDED  # closed after payment with money returned

    def flush(self) -> None:
        orders = [o for o in self.pending if o.ok]
        self.pending = []
        if not orders:
            return
        ctx = self.ctx
        wanted = {}
        for order in orders:
            wanted.setdefault(
                order.values["customer_id"], (order.row, order.values.get("customer_name") or "")
            )
        customers = ensure_customers(ctx, wanted)
        skus = self.skus_of(orders)
        if not ctx.writing:
            return
        existing = _fetch(
            Order.objects.filter(store=ctx.store),
            "number",
            [o.number for o in orders],
            "pk",
            *ORDER_COLUMNS,
        )
        now_objects, outcome = [], {}
        for order in orders:
            fields = self.order_fields(order, customers)
            before = existing.get(order.number)
            if before is None:
                outcome[order.number] = "created"
            elif any(
                before[k if k != "customer" else "customer_id"] != fields[k]
                for k in fields
                if k != "customer"
            ):
                outcome[order.number] = "updated"
                ctx.touch(before["created_at"], before["paid_at"])
            else:
                outcome[order.number] = "unchanged"
            if outcome[order.number] != "unchanged":
                ctx.touch(fields["created_at"], fields["paid_at"])
                now_objects.append({"store_id": ctx.store.pk, "number": order.number, **fields})
        bulk.write(
            Order,
            now_objects,
            unique=["store", "number"],
            update=[c if c != "customer_id" else "customer" for c in ORDER_COLUMNS],
        )
        ids = {
            number: row["pk"]
            for number, row in _fetch(
                Order.objects.filter(store=ctx.store), "number", [o.number for o in orders], "pk"
            ).items()
        }
        with_lines = {}
        for order in orders:
            if order.lines:
                with_lines[ids[order.number]] = self.wanted_lines(order, skus)
        created = frozenset(ids[o.number] for o in orders if outcome[o.number] == "created")
        changed_lines = replace_lines(ctx, with_lines, created) if with_lines else set()
        changed_refunds = self.write_refunds(orders, ids)
        by_id = {ids[o.number]: o for o in orders}
        for order_id in changed_lines | changed_refunds:
            order = by_id[order_id]
            if outcome[order.number] == "unchanged":
                outcome[order.number] = "updated"
                ctx.touch(order.values["created_at"], order.values.get("paid_at"))
        for order in orders:
            if outcome[order.number] != "unchanged":
                ctx.customers.add(customers[order.values["customer_id"]])
                before = existing.get(order.number)
                if before is not None:
                    ctx.customers.add(before["customer_id"])
        for result in outcome.values():
            ctx.count(result)

    def order_fields(self, order: PendingOrder, customers: dict[str, int]) -> dict[str, Any]:
        v = order.values
        discount = v.get("discount_amount") or Decimal("0.00")
        shipping = v.get("shipping_amount") or Decimal("0.00")
        goods = v.get("goods_amount")
        if goods is None:
            if order.lines:
                goods = sum(
                    (line["quantity"] * line["unit_price"] for _r, line in order.lines),
                    Decimal("0.00"),
                )
            else:
                goods = v["paid_amount"] - shipping + discount
        return {
            "customer_id": customers[v["customer_id"]],
            "created_at": v["created_at"],
            "paid_at": v.get("paid_at"),
            "status": v["status"],
            "channel": v.get("channel") or "other",
            "goods_amount": goods,
            "discount_amount": discount,
            "shipping_amount": shipping,
            "paid_amount": v["paid_amount"],
            "is_presale": bool(v.get("is_presale")),
            "deposit_amount": v.get("deposit_amount"),
            "deposit_paid_at": v.get("deposit_paid_at"),
        }

    def write_refunds(self, orders: list[PendingOrder], ids: dict[str, int]) -> set[int]:
        """The one refund per order an order report carries (``refund_amount``)."""
        if "refund_amount" not in self.ctx.headers:
            return set()
        ctx, suffix = self.ctx, self.ctx.preset.refund_suffix
        numbers = {o.number + suffix: o for o in orders}
        existing = _fetch(
            Refund.objects.filter(store=ctx.store),
            "number",
            numbers,
            "pk",
            "order_id",
            "amount",
            "refunded_at",
        )
        upsert, delete, changed = [], [], set()
        for number, order in numbers.items():
            amount = order.values.get("refund_amount") or Decimal(0)
            before = existing.get(number)
            order_id = ids[order.number]
            if amount <= 0:
                if before is not None:
                    delete.append(before["pk"])
                    changed.add(order_id)
                    ctx.touch(before["refunded_at"])
                continue
            when = order.values.get("refunded_at") or order.values["paid_at"]
            if before and (before["order_id"], before["amount"], before["refunded_at"]) == (
                order_id,
                amount,
                when,
            ):
                continue
            if before:
                ctx.touch(before["refunded_at"])
            ctx.touch(when)
            changed.add(order_id)
            upsert.append(
                Refund(
                    store=ctx.store,
                    number=number,
                    order_id=order_id,
                    amount=amount,
                    refunded_at=when,
                )
            )
        if delete:
            Refund.objects.filter(pk__in=delete).delete()
        if upsert:
            Refund.objects.bulk_create(
                upsert,
                update_conflicts=True,
                unique_fields=["store", "number"],
                update_fields=["order", "amount", "refunded_at"],
            )
        return changed


class OrderLinesWriter(LineGrouping):
    """Lines of orders already in the store (the Taobao item report)."""

    kind = ImportKind.ORDER_LINES

    def add(self, row: int, values: dict[str, Any]) -> None:
        order = self.start(row, values)
        if order is not None:
            self.line(order, row, values)

    def flush(self) -> None:
        orders = [o for o in self.pending if o.ok]
        self.pending = []
        if not orders:
            return
        ctx = self.ctx
        found = _fetch(
            Order.objects.filter(store=ctx.store),
            "number",
            [o.number for o in orders],
            "pk",
            "created_at",
            "paid_at",
        )
        for order in orders:
            if order.number not in found:
                ctx.fail(
                    order.row,
                    "order_number",
                    order.number,
                    _("No order with this number in the store: import the orders first."),
                )
        orders = [o for o in orders if o.number in found]
        skus = self.skus_of(orders)
        if not ctx.writing:
            return
        wanted = {found[o.number]["pk"]: self.wanted_lines(o, skus) for o in orders}
        had_lines = set(
            OrderLine.objects.filter(store=ctx.store, order_id__in=list(wanted))
            .values_list("order_id", flat=True)
            .distinct()
        )
        changed = replace_lines(ctx, wanted)
        for order in orders:
            order_id = found[order.number]["pk"]
            if order_id not in changed:
                ctx.count("unchanged")
                continue
            ctx.count("updated" if order_id in had_lines else "created")
            ctx.touch(found[order.number]["created_at"], found[order.number]["paid_at"])


# ------------------------------------------------------------------------- keyed upserts
class KeyedWriter(Writer):
    """One row per natural key; an existing row is updated when a mapped field differs."""

    model: type
    key_field = ""  # generic field holding the key
    model_key = ""  # model field of the key
    compare: tuple[str, ...] = ()  # model fields read from the file

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.pending: dict[Any, tuple[int, dict[str, Any]]] = {}
        self.seen: dict[Any, int] = {}

    def key(self, values: dict[str, Any]) -> Any:
        return values[self.key_field]

    def add(self, row: int, values: dict[str, Any]) -> None:
        if not self.check(row, values):
            return
        key = self.key(values)
        if key in self.seen:
            self.ctx.fail(
                row,
                self.key_field,
                key if not isinstance(key, tuple) else " / ".join(map(str, key)),
                _("Repeats row %(row)d.") % {"row": self.seen[key]},
            )
            return
        self.seen[key] = row
        self.pending[key] = (row, values)
        if len(self.pending) >= BATCH:
            self.flush()

    def check(self, row: int, values: dict[str, Any]) -> bool:
        return True

    def fields_of(self, values: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def updated_fields(self) -> list[str]:
        return list(self.compare)

    def existing(self, keys: list) -> dict[Any, dict]:
        return _fetch(
            self.model.objects.filter(store=self.ctx.store),
            self.model_key,
            keys,
            "pk",
            *self.compare,
        )

    def prepare(self, items: list[tuple[int, dict[str, Any]]]) -> bool:
        """Lookups needing the database (references); False when the batch has problems."""
        return True

    def flush(self) -> None:
        items = list(self.pending.items())
        self.pending = {}
        if not items or not self.prepare([item for _k, item in items]) or not self.ctx.writing:
            return
        existing = self.existing([k for k, _i in items])
        write = []
        for key, (_row, values) in items:
            fields = self.fields_of(values)
            before = existing.get(key)
            if before is None:
                self.ctx.count("created")
            elif any(before[name] != fields[name] for name in self.compare):
                self.ctx.count("updated")
                self.changed(before, fields)
            else:
                self.ctx.count("unchanged")
                continue
            self.written(fields)
            write.append(self.model(store=self.ctx.store, **fields))
        if write:
            self.model.objects.bulk_create(
                write,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["store", *self.unique],
                update_fields=self.updated_fields(),
            )
        self.after(existing, write)

    unique: tuple[str, ...] = ()

    def changed(self, before: dict, fields: dict) -> None:
        pass

    def written(self, fields: dict) -> None:
        pass

    def after(self, existing: dict, written: list) -> None:
        pass


class RefundsWriter(KeyedWriter):
    model, key_field, model_key, unique = Refund, "refund_number", "number", ("number",)
    compare = ("order_id", "amount", "refunded_at")

    def check(self, row, values) -> bool:
        if values["amount"] <= 0:
            self.ctx.fail(row, "amount", values, _("Must be more than 0."))
            return False
        return True

    def updated_fields(self) -> list[str]:
        return ["order", "amount", "refunded_at"]

    def prepare(self, items) -> bool:
        self.orders = _fetch(
            Order.objects.filter(store=self.ctx.store),
            "number",
            {v["order_number"] for _r, v in items},
            "pk",
            "paid_amount",
            "paid_at",
            "customer_id",
        )
        ok = True
        for row, values in items:
            order = self.orders.get(values["order_number"])
            if order is None:
                self.ctx.fail(
                    row,
                    "order_number",
                    values["order_number"],
                    _("No order with this number in the store."),
                )
                ok = False
            elif order["paid_at"] is None:
                self.ctx.fail(
                    row, "order_number", values["order_number"], _("This order was never paid.")
                )
                ok = False
            elif values["amount"] > order["paid_amount"]:
                self.ctx.fail(
                    row, "amount", values["amount"], _("More than the order's paid amount.")
                )
                ok = False
        return ok

    def fields_of(self, values):
        return {
            "number": values["refund_number"],
            "order_id": self.orders[values["order_number"]]["pk"],
            "amount": values["amount"],
            "refunded_at": values["refunded_at"],
        }

    def existing(self, keys):
        found = super().existing(keys)
        # The order a corrected file moves a refund away from: its buyer's points change too.
        old_orders = {row["order_id"] for row in found.values()}
        self.old_buyers = dict(
            Order.objects.filter(store=self.ctx.store, pk__in=old_orders).values_list(
                "pk", "customer_id"
            )
        )
        return found

    def changed(self, before, fields):
        self.ctx.touch(before["refunded_at"])
        self.ctx.customers.add(self.old_buyers[before["order_id"]])

    def written(self, fields):
        self.ctx.touch(fields["refunded_at"])
        by_id = {order["pk"]: order["customer_id"] for order in self.orders.values()}
        self.ctx.customers.add(by_id[fields["order_id"]])


class SkusWriter(KeyedWriter):
    model, key_field, model_key, unique = Sku, "sku_code", "code", ("code",)
    ALL = ("title", "price", "cost", "stock", "role", "status", "listed_on")

    def __init__(self, ctx):
        super().__init__(ctx)
        mapped = set(ctx.headers) | set(ctx.preset.defaults)
        self.compare = tuple(name for name in self.ALL if name in mapped)

    def existing(self, keys):
        """The file's existing SKUs, locked until the import ends (in id order), as
        ``sku_update`` locks the SKU it edits: the old prices that the price-protection
        exposure and the price history are worked out from cannot change under the import."""
        locked = Sku.objects.filter(store=self.ctx.store).select_for_update().order_by("pk")
        return _fetch(locked, self.model_key, keys, "pk", *self.compare)

    def check(self, row, values) -> bool:
        ok = True
        for name in ("price", "cost"):
            if values.get(name) is not None and values[name] < 0:
                self.ctx.fail(row, name, values, _("Cannot be negative."))
                ok = False
        return ok

    def fields_of(self, values):
        fields = {"code": values["sku_code"]}
        for name in self.compare:
            value = values.get(name)
            if value is None:
                value = {"stock": 0, "role": "", "status": "on_shelf"}.get(name)
            fields[name] = value
        return fields

    def updated_fields(self):
        return [*self.compare, "updated_at"]

    def after(self, existing, written):
        """Written SKUs whose title is new or changed are scanned for banned terms (as an edit
        in the UI is); a changed price is kept in the price history, as an edit would, with
        the price-protection exposure of a cut in its note (``sku_update``'s wording)."""
        scan = [
            sku.code
            for sku in written
            if sku.code not in existing
            or ("title" in self.compare and existing[sku.code]["title"] != sku.title)
        ]
        if scan:
            ids = _fetch(Sku.objects.filter(store=self.ctx.store), "code", scan, "pk")
            self.ctx.skus.update(row["pk"] for row in ids.values())
        self.record_shelf_changes(existing, written)
        if "price" not in self.compare:
            return
        repriced = [
            sku
            for sku in written
            if sku.code in existing and existing[sku.code]["price"] != sku.price
        ]
        exposures = self.cut_exposures(existing, repriced)
        now = timezone.now()
        changes = [
            PriceChange(
                store=self.ctx.store,
                sku_id=existing[sku.code]["pk"],
                old_price=existing[sku.code]["price"],
                new_price=sku.price,
                changed_at=now,
                changed_by=self.ctx.user,
                note=price_change_note(note="import", exposure=exposures.get(sku.code)),
            )
            for sku in repriced
        ]
        PriceChange.objects.bulk_create(changes)

    def cut_exposures(self, existing: dict, repriced: list[Sku]) -> dict[str, PriceExposure]:
        """The price-protection exposure of each new price among ``repriced``, by code, worked
        out by ``price_change_previews`` (one aggregate query per batch of SKUs, never one per
        SKU); those with exposure are added to ``ctx.price_cuts``. As for ``sku_update``, the
        new price is held against the prices paid in the window, not against the old price: a
        rise that stays below what buyers paid lately is a cut for them."""
        if not repriced:
            return {}
        # The SKUs as they were before this batch: the preview reads their id, store and price.
        before = {
            sku.code: Sku(
                pk=existing[sku.code]["pk"], store=self.ctx.store, price=existing[sku.code]["price"]
            )
            for sku in repriced
        }
        previews = price_change_previews(
            skus=list(before.values()),
            new_prices={before[sku.code].pk: sku.price for sku in repriced},
        )
        exposures = {code: previews[old.pk] for code, old in before.items()}
        self.ctx.price_cuts.extend(
            PriceCut(row=self.seen[code], code=code, exposure=exposure)
            for code, exposure in exposures.items()
            if exposure.has_exposure
        )
        return exposures

    def record_shelf_changes(self, existing, written) -> None:
        """A changed status or listing day of an existing SKU is kept in the catalog's status
        history, as an edit in the UI is (SKU health of a past day reads it)."""
        shelf = [name for name in ("status", "listed_on") if name in self.compare]
        moved = [
            sku.code
            for sku in written
            if sku.code in existing
            and any(existing[sku.code][name] != getattr(sku, name) for name in shelf)
        ]
        if not moved:
            return
        now = _fetch(
            Sku.objects.filter(store=self.ctx.store), "code", moved, "pk", "status", "listed_on"
        )
        sku_status_history_record(
            store=self.ctx.store,
            transitions=[
                SkuStatusTransition(
                    sku_id=now[code]["pk"],
                    old_status=existing[code].get("status", now[code]["status"]),
                    new_status=now[code]["status"],
                    old_listed_on=existing[code].get("listed_on", now[code]["listed_on"]),
                    new_listed_on=now[code]["listed_on"],
                )
                for code in moved
            ],
            user=self.ctx.user,
            note="import",
        )


class CustomersWriter(KeyedWriter):
    model, key_field, model_key, unique = Customer, "customer_id", "external_id", ("external_id",)
    ALL = ("name", "region", "gender", "registered_on", "birthday", "points")

    def __init__(self, ctx):
        super().__init__(ctx)
        mapped = set(ctx.headers) | set(ctx.preset.defaults) | set(ctx.preset.join)
        self.compare = tuple(name for name in self.ALL if name in mapped)

    def fields_of(self, values):
        fields = {"external_id": values["customer_id"]}
        for name in self.compare:
            value = values.get(name)
            if value is None:
                value = {"name": "", "region": "", "gender": "unknown", "points": 0}.get(name)
            fields[name] = value
        return fields

    def after(self, existing, written):
        """Written customers get their points and level recomputed from the facts after the
        import (an imported points balance does not survive it: see README, Imports)."""
        keys = [customer.external_id for customer in written]
        if keys:
            ids = _fetch(Customer.objects.filter(store=self.ctx.store), "external_id", keys, "pk")
            self.ctx.customers.update(row["pk"] for row in ids.values())


class AdSpendWriter(KeyedWriter):
    model, model_key, unique = AdSpend, "day", ("channel", "day")
    compare = ("spend", "impressions", "clicks")

    def key(self, values):
        return (values["channel"], values["day"])

    key_field = "day"

    def check(self, row, values) -> bool:
        ok = True
        if values["spend"] < 0:
            self.ctx.fail(row, "spend", values, _("Cannot be negative."))
            ok = False
        for name in ("impressions", "clicks"):
            if (values.get(name) or 0) < 0:
                self.ctx.fail(row, name, values, _("Cannot be negative."))
                ok = False
        if (values.get("clicks") or 0) > (values.get("impressions") or 0):
            self.ctx.fail(row, "clicks", values, _("Clicks cannot exceed impressions."))
            ok = False
        return ok

    def existing(self, keys):
        days = {day for _c, day in keys}
        rows = AdSpend.objects.filter(store=self.ctx.store, day__in=days).values(
            "pk", "channel", "day", *self.compare
        )
        return {(r["channel"], r["day"]): r for r in rows}

    def fields_of(self, values):
        return {
            "channel": values["channel"],
            "day": values["day"],
            "spend": values["spend"],
            "impressions": values.get("impressions") or 0,
            "clicks": values.get("clicks") or 0,
        }

    def written(self, fields):
        self.ctx.stale_days.add(fields["day"])


class EventsWriter(KeyedWriter):
    """Events are keyed by ``client_event_id``; a row without one gets an id derived from its
    content (and its repeat count), so re-importing the file stores nothing twice."""

    model, key_field, model_key = BehaviourEvent, "client_event_id", "client_event_id"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.repeats: dict[str, int] = defaultdict(int)

    def key(self, values):
        if values.get("client_event_id"):
            return values["client_event_id"]
        content = "|".join(
            str(values.get(n) or "")
            for n in (
                "visitor_id",
                "event_type",
                "occurred_at",
                "channel",
                "customer_id",
                "sku_code",
            )
        )
        digest = hashlib.sha1(content.encode(), usedforsecurity=False).hexdigest()
        self.repeats[digest] += 1
        values["client_event_id"] = f"imp-{digest[:40]}-{self.repeats[digest]}"
        return values["client_event_id"]

    def prepare(self, items) -> bool:
        store, ok = self.ctx.store, True
        customers = {v["customer_id"] for _r, v in items if v.get("customer_id")}
        skus = {v["sku_code"] for _r, v in items if v.get("sku_code")}
        self.customers = {
            k: r["pk"]
            for k, r in _fetch(
                Customer.objects.filter(store=store), "external_id", customers, "pk"
            ).items()
        }
        self.skus = {
            k: r["pk"]
            for k, r in _fetch(Sku.objects.filter(store=store), "code", skus, "pk").items()
        }
        for row, values in items:
            if values.get("customer_id") and values["customer_id"] not in self.customers:
                self.ctx.fail(
                    row,
                    "customer_id",
                    values["customer_id"],
                    _("No customer with this id in the store."),
                )
                ok = False
            if values.get("sku_code") and values["sku_code"] not in self.skus:
                self.ctx.fail(
                    row, "sku_code", values["sku_code"], _("No SKU with this code in the store.")
                )
                ok = False
        return ok

    def flush(self):
        items = list(self.pending.items())
        self.pending = {}
        if not items or not self.prepare([item for _k, item in items]) or not self.ctx.writing:
            return
        known = set(
            _fetch(
                BehaviourEvent.objects.filter(store=self.ctx.store),
                "client_event_id",
                [k for k, _i in items],
            )
        )
        new = []
        for key, (_row, v) in items:
            if key in known:
                self.ctx.count("unchanged")
                continue
            self.ctx.count("created")
            self.ctx.touch(v["occurred_at"])
            new.append(
                BehaviourEvent(
                    store=self.ctx.store,
                    visitor_id=v["visitor_id"],
                    event_type=v["event_type"],
                    channel=v["channel"],
                    occurred_at=v["occurred_at"],
                    client_event_id=key,
                    customer_id=self.customers.get(v.get("customer_id")),
                    sku_id=self.skus.get(v.get("sku_code")),
                )
            )
        BehaviourEvent.objects.bulk_create(new, batch_size=1000)


WRITERS: dict[str, type[Writer]] = {
    ImportKind.ORDERS: OrdersWriter,
    ImportKind.ORDER_LINES: OrderLinesWriter,
    ImportKind.REFUNDS: RefundsWriter,
    ImportKind.SKUS: SkusWriter,
    ImportKind.CUSTOMERS: CustomersWriter,
    ImportKind.EVENTS: EventsWriter,
    ImportKind.AD_SPEND: AdSpendWriter,
}
