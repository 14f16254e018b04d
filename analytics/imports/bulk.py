"""Batched writes of plain row dicts: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

On PostgreSQL a batch is copied (text format) into a temporary table and moved into the
target with one ``INSERT ... SELECT ... ON CONFLICT (natural key) DO UPDATE``: no per-object
ORM work, one round trip per batch. Rows are dicts of model field names (``store_id`` style
attnames for foreign keys) and already-clean Python values.
"""

import datetime
import io
import itertools
from decimal import Decimal
from typing import Any

from django.db import connection, models

_counter = itertools.count()


def _column(model: type[models.Model], name: str) -> str:
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field.column
    raise LookupError(f"{model.__name__} has no field {name}")


def _text(value: Any) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.datetime | datetime.date | Decimal | int):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def write(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    unique: list[str] | None = None,
    update: list[str] | None = None,
) -> None:
    """Insert ``rows``; with ``unique`` + ``update``, a row whose natural key exists updates
    the ``update`` fields instead."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        options = {}
        if unique and update:
            options = {"update_conflicts": True, "unique_fields": unique, "update_fields": update}
        model.objects.bulk_create([model(**row) for row in rows], batch_size=1000, **options)
        return
    names = list(rows[0])
    columns = [_column(model, name) for name in names]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    temp = f"import_tmp_{next(_counter)}"
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_text(row[name]) for name in names))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {quoted} FROM {table} WITH NO DATA"
        )
        cursor.cursor.copy_expert(f"COPY {temp} ({quoted}) FROM STDIN", buffer)
        conflict = ""
        if unique and update:
            keys = ", ".join(connection.ops.quote_name(_column(model, n)) for n in unique)
            sets = ", ".join(
                f"{q} = EXCLUDED.{q}"
                for q in (connection.ops.quote_name(_column(model, n)) for n in update)
            )
            conflict = f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {temp}{conflict}")
        cursor.execute(f"DROP TABLE {temp}")
