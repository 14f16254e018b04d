"""The generic fields of each import kind (the documented templates) and the presets that map
a platform's export onto them.

A preset is a TOML file in ``presets/`` (its file name is its id): which kind it imports, which
file headers feed each field, how the platform's values translate (``values``), constants
(``defaults``), headers joined into one field (``join``), fields filled down from the row
above for the same ``fill_down_by`` key (Shopify writes order fields on an order's first line
only), and what to do with customers / SKUs an order names but the store lacks. Adding a
platform is adding a file.
"""

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from analytics.models import EventType, ImportKind, OrderStatus
from catalog.models import ProductRole, SkuStatus
from opsdesk.channels import Channel
from users.models import Gender

PRESET_DIR = Path(__file__).resolve().parent / "presets"

TEXT, MONEY, INT, DATETIME, DATE, BOOL = "text", "money", "int", "datetime", "date", "bool"
FORMATS = {
    TEXT: _("text"),
    MONEY: _("amount, 2 decimals (¥ and thousands separators accepted)"),
    INT: _("whole number"),
    DATETIME: _(
        "date and time (2026-11-01 10:00:00, 2026/11/1 10:00, 2026年11月1日 10:00:00; "
        "store time zone unless an offset is given)"
    ),
    DATE: _("date (2026-11-01, 2026/11/1, 2026年11月1日)"),
    BOOL: _("1/0, yes/no, 是/否"),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    help: Promise
    required: bool = False
    #: orders: a field of the order (read from the order's first row), not of the line.
    order_level: bool = False
    choices: tuple[str, ...] = ()
    example: str = ""
    max_length: int = 0

    @property
    def format(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        return str(FORMATS[self.type])


def _c(choices) -> tuple[str, ...]:
    return tuple(choices.values)


ORDER_FIELDS = [
    Field(
        "order_number",
        TEXT,
        _("Order number, unique in the store; rows of one order are consecutive."),
        True,
        True,
        example="TB1001",
        max_length=64,
    ),
    Field(
        "customer_id",
        TEXT,
        _("Buyer's id (member name, e-mail...); created if missing unless the preset says reject."),
        True,
        True,
        example="buyer_01",
        max_length=64,
    ),
    Field(
        "customer_name",
        TEXT,
        _("Buyer's name, used when the customer is created."),
        order_level=True,
        example="Li Lei",
        max_length=120,
    ),
    Field(
        "created_at",
        DATETIME,
        _("When the order was placed."),
        True,
        True,
        example="2026-11-01 10:00:00",
    ),
    Field(
        "paid_at",
        DATETIME,
        _("When it was paid (the balance, for a pre-sale); empty if unpaid."),
        order_level=True,
        example="2026-11-01 10:05:00",
    ),
    Field("status", TEXT, _("Order status."), True, True, _c(OrderStatus), "paid"),
    Field("channel", TEXT, _("Traffic source of the order."), False, True, _c(Channel), "search"),
    Field(
        "goods_amount",
        MONEY,
        _("Goods before discounts; default: the sum of the lines."),
        order_level=True,
        example="120.00",
    ),
    Field("discount_amount", MONEY, _("Discounts; default 0."), order_level=True, example="20.00"),
    Field("shipping_amount", MONEY, _("Shipping; default 0."), order_level=True, example="0.00"),
    Field(
        "paid_amount",
        MONEY,
        _("Paid: goods after discounts plus shipping (counts for GMV)."),
        True,
        True,
        example="100.00",
    ),
    Field(
        "refund_amount",
        MONEY,
        _("Refunded on this order, if any (one refund per order)."),
        order_level=True,
        example="0.00",
    ),
    Field(
        "refunded_at",
        DATETIME,
        _("When it was refunded; default: the payment time."),
        order_level=True,
        example="",
    ),
    Field("is_presale", BOOL, _("Deposit pre-sale order."), order_level=True, example="0"),
    Field("deposit_amount", MONEY, _("Deposit of a pre-sale order."), order_level=True, example=""),
    Field(
        "deposit_paid_at", DATETIME, _("When the deposit was paid."), order_level=True, example=""
    ),
    Field(
        "sku_code",
        TEXT,
        _("SKU code of the line; empty for an order without lines."),
        example="TEA-01",
        max_length=64,
    ),
    Field(
        "sku_title",
        TEXT,
        _("Product title, used when the SKU is created."),
        example="Oolong 250g",
        max_length=255,
    ),
    Field("quantity", INT, _("Units on the line (required with sku_code)."), example="2"),
    Field("unit_price", MONEY, _("Unit price paid (required with sku_code)."), example="60.00"),
    Field("unit_cost", MONEY, _("Unit cost; default: the SKU's cost."), example="25.00"),
]
LINE_FIELDS = [
    Field(
        "order_number",
        TEXT,
        _("Order number of an order already imported."),
        True,
        example="TB1001",
        max_length=64,
    ),
    Field("sku_code", TEXT, _("SKU code."), True, example="TEA-01", max_length=64),
    Field(
        "sku_title",
        TEXT,
        _("Product title, used when the SKU is created."),
        example="Oolong 250g",
        max_length=255,
    ),
    Field("quantity", INT, _("Units."), True, example="2"),
    Field("unit_price", MONEY, _("Unit price paid."), True, example="60.00"),
    Field("unit_cost", MONEY, _("Unit cost; default: the SKU's cost."), example="25.00"),
]
REFUND_FIELDS = [
    Field(
        "refund_number",
        TEXT,
        _("Refund number, unique in the store."),
        True,
        example="RF1001",
        max_length=64,
    ),
    Field(
        "order_number",
        TEXT,
        _("Order refunded (already imported)."),
        True,
        example="TB1001",
        max_length=64,
    ),
    Field("amount", MONEY, _("Amount refunded (> 0)."), True, example="60.00"),
    Field(
        "refunded_at",
        DATETIME,
        _("When the money was returned."),
        True,
        example="2026-11-03 09:00:00",
    ),
]
SKU_FIELDS = [
    Field(
        "sku_code", TEXT, _("SKU code, unique in the store."), True, example="TEA-01", max_length=64
    ),
    Field("title", TEXT, _("Product title."), True, example="Oolong 250g", max_length=255),
    Field("price", MONEY, _("List price."), True, example="60.00"),
    Field("cost", MONEY, _("Unit cost."), True, example="25.00"),
    Field("stock", INT, _("Units in stock; default 0."), example="100"),
    Field(
        "role",
        TEXT,
        _("Product role; empty if not set."),
        choices=_c(ProductRole),
        example="profit",
    ),
    Field(
        "status",
        TEXT,
        _("Shelf status; default on_shelf."),
        choices=_c(SkuStatus),
        example="on_shelf",
    ),
    Field("listed_on", DATE, _("Day it was listed."), example="2026-09-01"),
]
CUSTOMER_FIELDS = [
    Field(
        "customer_id",
        TEXT,
        _("Customer's id in the shop (member name, e-mail...), unique in the store."),
        True,
        example="buyer_01",
        max_length=64,
    ),
    Field("name", TEXT, _("Name."), example="Li Lei", max_length=120),
    Field("region", TEXT, _("Region or province."), example="浙江", max_length=60),
    Field("gender", TEXT, _("Gender."), choices=_c(Gender), example="female"),
    Field("registered_on", DATE, _("Day of registration."), example="2025-06-18"),
    Field("birthday", DATE, _("Birthday."), example=""),
    Field(
        "points",
        INT,
        _(
            "Points balance on the platform; checked, then replaced by the points worked out "
            "from the store's paid orders and refunds (the facts win)."
        ),
        example="0",
    ),
]
EVENT_FIELDS = [
    Field(
        "visitor_id", TEXT, _("Visitor (cookie/device) id."), True, example="v-001", max_length=64
    ),
    Field(
        "event_type", TEXT, _("What the visitor did."), True, choices=_c(EventType), example="view"
    ),
    Field("occurred_at", DATETIME, _("When."), True, example="2026-11-01 09:58:00"),
    Field("channel", TEXT, _("Traffic source."), True, choices=_c(Channel), example="search"),
    Field(
        "customer_id",
        TEXT,
        _("Customer id when logged in (must exist)."),
        example="",
        max_length=64,
    ),
    Field(
        "sku_code",
        TEXT,
        _("SKU viewed / added / bought (must exist)."),
        example="TEA-01",
        max_length=64,
    ),
    Field(
        "client_event_id",
        TEXT,
        _(
            "Your id of the event; a re-import skips ids already stored. "
            "Default: derived from the row."
        ),
        example="e-0001",
        max_length=64,
    ),
]
AD_SPEND_FIELDS = [
    Field("day", DATE, _("Store-local day."), True, example="2026-11-01"),
    Field("channel", TEXT, _("Paid channel."), True, choices=_c(Channel), example="paid_search"),
    Field(
        "spend", MONEY, _("Spend that day (replaces an earlier figure)."), True, example="300.00"
    ),
    Field("impressions", INT, _("Impressions; default 0."), example="12000"),
    Field("clicks", INT, _("Clicks (<= impressions); default 0."), example="420"),
]
FIELDS: dict[str, list[Field]] = {
    ImportKind.ORDERS: ORDER_FIELDS,
    ImportKind.ORDER_LINES: LINE_FIELDS,
    ImportKind.REFUNDS: REFUND_FIELDS,
    ImportKind.SKUS: SKU_FIELDS,
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
    ImportKind.EVENTS: EVENT_FIELDS,
    ImportKind.AD_SPEND: AD_SPEND_FIELDS,
}


class PresetError(ValueError):
    pass


@dataclass(frozen=True)
class Preset:
    """A mapping of a platform's file onto a kind's generic fields (see the module doc)."""

    id: str
    kind: str
    label: str
    generic: bool = False
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    join: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    fill_down_by: str = ""
    fill_down: tuple[str, ...] = ()
    skip_rows_without: tuple[str, ...] = ()
    missing_customers: str = "create"
    missing_skus: str = "reject"
    refund_suffix: str = "-R"

    @property
    def fields(self) -> list[Field]:
        return FIELDS[self.kind]

    def translate(self, field_name: str, value: str) -> str:
        """The generic value of a platform value (``交易成功`` -> ``completed``)."""
        table = self.values.get(field_name)
        if not table:
            return value
        key = value.strip().lower()
        if key in table:
            return table[key]
        return table.get("*", value)


def _load(path: Path) -> Preset:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    kind = data.get("kind")
    if kind not in FIELDS:
        raise PresetError(f"{path.name}: unknown kind {kind!r}")
    known = {f.name for f in FIELDS[kind]}
    columns = {
        k: tuple(v if isinstance(v, list) else [v]) for k, v in data.get("columns", {}).items()
    }
    join = {k: tuple(v) for k, v in data.get("join", {}).items()}
    unknown = (set(columns) | set(join) | set(data.get("defaults", {}))) - known
    if unknown:
        raise PresetError(f"{path.name}: unknown fields {sorted(unknown)}")
    policies = {"create", "reject"}
    for key in ("missing_customers", "missing_skus"):
        if data.get(key, "create") not in policies:
            raise PresetError(f"{path.name}: {key} must be create or reject")
    return Preset(
        id=path.stem,
        kind=kind,
        label=data.get("label", path.stem),
        generic=bool(data.get("generic", False)),
        columns=columns,
        join=join,
        values={
            name: {str(k).strip().lower(): str(v) for k, v in table.items()}
            for name, table in data.get("values", {}).items()
        },
        defaults=dict(data.get("defaults", {})),
        fill_down_by=data.get("fill_down_by", ""),
        fill_down=tuple(data.get("fill_down", ())),
        skip_rows_without=tuple(data.get("skip_rows_without", ())),
        missing_customers=data.get("missing_customers", "create"),
        missing_skus=data.get("missing_skus", "reject"),
        refund_suffix=data.get("refund_suffix", "-R"),
    )


@functools.cache
def all_presets() -> dict[str, Preset]:
    """Every preset by id, generic ones first."""
    presets = [_load(path) for path in sorted(PRESET_DIR.glob("*.toml"))]
    presets.sort(key=lambda p: (not p.generic, p.id))
    return {preset.id: preset for preset in presets}


def presets_for(kind: str) -> list[Preset]:
    return [p for p in all_presets().values() if p.kind == kind]


def get_preset(kind: str, name: str | None = None) -> Preset:
    """The preset ``name`` (or ``name_<kind>``, so ``--preset taobao`` works) for ``kind``;
    the generic preset of the kind when no name is given."""
    presets = all_presets()
    name = name or "generic"
    for candidate in (name, f"{name}_{kind}"):
        preset = presets.get(candidate)
        if preset is not None and preset.kind == kind:
            return preset
    if name in presets:
        raise PresetError(
            str(_("Preset %(name)s imports %(other)s, not %(kind)s."))
            % {"name": name, "other": presets[name].kind, "kind": kind}
        )
    choices = ", ".join(p.id for p in presets_for(kind))
    raise PresetError(
        str(_("No preset %(name)s for %(kind)s; choose one of: %(choices)s."))
        % {"name": name, "kind": kind, "choices": choices}
    )
