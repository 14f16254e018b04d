"""Write generated demo frames to the database, fast, and ensure the demo login.

Rows are inserted with primary keys assigned here (current max id + the frame's ``key`` + 1),
so lines, refunds and events reference orders, customers and SKUs without a round trip. On
SQLite the rows go through multi-row ``INSERT`` statements on the raw connection; on
PostgreSQL through ``COPY ... FROM STDIN`` (CSV), after which the id sequences are moved past
the new ids. Values
are prepared exactly as Django would store them (UTC datetimes, decimals, JSON), and every
``auto_now``/``auto_now_add`` column is filled from the frame, never from the clock.
"""

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.color import no_style
from django.db import connection, models, transaction

from analytics.models import AdSpend, BehaviourEvent, Order, OrderLine, Refund
from campaigns.models import Campaign, CampaignHour, ChannelBudget, LineupItem, Mechanic
from catalog.models import BannedTerm, Category, PriceChange, Sku, StockSnapshot
from opsdesk.models import Membership, Store
from opsdesk.roles import Role
from users.models import Customer, MemberLevel, MemberLevelChange

from .generate import StoreFrames

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "opsdesk-demo"
CHUNK_ROWS = 100_000

#: Frame name -> model, in an order where every referenced table comes first.
TABLES: tuple[tuple[str, type[models.Model]], ...] = (
    ("categories", Category),
    ("skus", Sku),
    ("price_changes", PriceChange),
    ("banned_terms", BannedTerm),
    ("member_levels", MemberLevel),
    ("customers", Customer),
    ("level_changes", MemberLevelChange),
    ("orders", Order),
    ("lines", OrderLine),
    ("refunds", Refund),
    ("events", BehaviourEvent),
    ("ad_spend", AdSpend),
    ("campaigns", Campaign),
    ("channel_budgets", ChannelBudget),
    ("lineup_items", LineupItem),
    ("mechanics", Mechanic),
    ("stock_snapshots", StockSnapshot),
    ("campaign_hours", CampaignHour),
)


def demo_slugs_taken(slugs: Sequence[str]) -> list[str]:
    """The slugs among ``slugs`` that a store already uses, sorted."""
    return sorted(Store.objects.filter(slug__in=list(slugs)).values_list("slug", flat=True))


def _with_nulls(values: list, missing: np.ndarray) -> list:
    if missing.any():
        for index in np.flatnonzero(missing).tolist():
            values[index] = None
    return values


def _datetime_text(series: pd.Series, *, postgres: bool) -> list:
    """Aware datetimes as Django stores them: UTC, 'YYYY-MM-DD HH:MM:SS' (+00:00 on PG)."""
    utc = pd.to_datetime(series, utc=True)
    missing = utc.isna().to_numpy()
    seconds = utc.dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    text = np.datetime_as_string(seconds, unit="s").astype("<U19")
    text.view(np.uint32).reshape(-1, 19)[:, 10] = ord(" ")  # ISO "T" -> " "
    if postgres:
        text = np.strings.add(text, "+00:00")
    return _with_nulls(text.tolist(), missing)


def _date_text(series: pd.Series) -> list:
    values = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
    missing = np.isnat(values)
    return _with_nulls(np.datetime_as_string(values, unit="D").tolist(), missing)


def _decimal_values(series: pd.Series, places: int, *, postgres: bool) -> list:
    """Integers scaled by 10**places as decimals: text on PG, float on SQLite (which stores a
    decimal in a NUMERIC column as REAL either way, exactly as Django's own writes do)."""
    scaled = series.astype("Int64")
    missing = scaled.isna().to_numpy()
    whole = scaled.fillna(0).to_numpy(dtype=np.int64)
    if not postgres:
        return _with_nulls((whole / 10**places).tolist(), missing)
    if (whole < 0).any():
        raise ValueError(f"negative decimal in {series.name}")
    units = (whole // 10**places).astype(str)
    fraction = np.strings.zfill((whole % 10**places).astype(str), places)
    return _with_nulls(np.strings.add(np.strings.add(units, "."), fraction).tolist(), missing)


def _nullable_ints(series: pd.Series, offset: int = 0) -> list:
    values = series.astype("Int64")
    missing = values.isna().to_numpy()
    return _with_nulls((values.fillna(0).to_numpy(dtype=np.int64) + offset).tolist(), missing)


def _column_values(
    field: models.Field,
    frame: pd.DataFrame,
    *,
    store_id: int,
    offsets: dict[type[models.Model], int],
    postgres: bool,
) -> list:
    """One column of ``field`` for every row of ``frame``, ready for the driver."""
    count = len(frame)
    model = field.model
    if field.primary_key:
        return (frame["key"].to_numpy(dtype=np.int64) + offsets[model] + 1).tolist()
    if field.is_relation:
        if field.name == "store":
            return [store_id] * count
        column = f"{field.name}_key"
        if column not in frame:
            if field.null:
                return [None] * count
            raise ValueError(f"{model.__name__}.{field.name}: frame has no {column}")
        return _nullable_ints(frame[column], offsets[field.related_model] + 1)
    if field.name not in frame:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{field.name} must be filled explicitly")
        if field.null:
            return [None] * count
        if field.has_default():
            return [field.get_db_prep_save(field.get_default(), connection)] * count
        raise ValueError(f"{model.__name__}.{field.name}: no value and no default")
    series = frame[field.name]
    if isinstance(field, models.DecimalField):
        return _decimal_values(series, field.decimal_places, postgres=postgres)
    if isinstance(field, models.DateTimeField):
        return _datetime_text(series, postgres=postgres)
    if isinstance(field, models.DateField):
        return _date_text(series)
    if isinstance(field, models.JSONField):
        return [json.dumps(value) for value in series.tolist()]
    if isinstance(field, models.BooleanField):
        return series.astype(bool).tolist()
    if isinstance(field, models.IntegerField):
        return _nullable_ints(series)
    return series.astype(object).where(series.notna(), None).tolist()


def _copy_rows(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    """COPY rows into ``table`` (PostgreSQL): CSV, with \\N for NULL so '' stays ''."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(tuple(r"\N" if value is None else value for value in row) for row in rows)
    buffer.seek(0)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, buffer)
    else:  # psycopg 3
        with raw.copy(sql) as copy:
            copy.write(buffer.getvalue())


def _insert(
    model: type[models.Model],
    frame: pd.DataFrame,
    *,
    store_id: int,
    offsets: dict[type[models.Model], int],
    advance: Callable[[int], object],
) -> None:
    postgres = connection.vendor == "postgresql"
    fields = model._meta.concrete_fields
    columns = [connection.ops.quote_name(f.column) for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        values = [
            _column_values(f, chunk, store_id=store_id, offsets=offsets, postgres=postgres)
            for f in fields
        ]
        rows = list(zip(*values, strict=True))
        # The raw driver calls below raise driver errors; make them Django's (IntegrityError).
        with connection.wrap_database_errors:
            if postgres:
                with connection.cursor() as cursor:
                    _copy_rows(cursor, table, columns, rows)
            else:
                _sqlite_insert(table, columns, rows)
        advance(len(rows))


def _sqlite_insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Multi-row INSERTs on the raw connection: about half the CPU of ``executemany``."""
    raw_connection = connection.connection
    try:
        limit = raw_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except AttributeError:  # Python < 3.11
        limit = 999
    per_statement = max(1, min(2000, limit // len(columns)))
    prefix = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    one = "(" + ", ".join("?" * len(columns)) + ")"
    full = prefix + ", ".join([one] * per_statement)
    cursor = raw_connection.cursor()
    try:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            sql = full if len(batch) == per_statement else prefix + ", ".join([one] * len(batch))
            cursor.execute(sql, list(chain.from_iterable(batch)))
    finally:
        cursor.close()


def demo_store_write(
    *, frames: StoreFrames, advance: Callable[[int], object] | None = None
) -> Store:
    """Create the store of ``frames`` and every row of it, in one transaction.

    Contract: all or nothing for the store (a failure rolls the whole store back); ids
    continue after the current maximum of each table (the tables are locked for the duration
    on PostgreSQL); ``advance(n)`` is called after each batch of ``n`` rows. Raises
    ``IntegrityError`` if the slug is taken.
    """
    advance = advance or (lambda rows: None)
    spec = frames.spec
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        store = Store.objects.create(
            name=spec.name, slug=spec.slug, platform=spec.platform, time_zone=spec.time_zone
        )
        # auto_now_add ignores a given value; the demo's history starts before "now".
        Store.objects.filter(pk=store.pk).update(created_at=frames.store_created_at)
        store.created_at = frames.store_created_at
        offsets = {}
        with connection.cursor() as cursor:
            for _, model in TABLES:
                table = connection.ops.quote_name(model._meta.db_table)
                if postgres:
                    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                offsets[model] = cursor.fetchone()[0]
        tables = frames.tables()
        for name, model in TABLES:
            _insert(model, tables[name], store_id=store.pk, offsets=offsets, advance=advance)
        if postgres:
            statements = connection.ops.sequence_reset_sql(no_style(), [m for _, m in TABLES])
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
                # A bulk load leaves the planner without statistics until autovacuum analyzes
                # the tables (never, where it is off): 22 orders estimated for 12,322 made the
                # orders page sort through a nested loop (bench/README.md, "Page server times").
                for _, model in TABLES:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return store


def demo_login_ensure(*, stores: Sequence[Store]) -> AbstractUser:
    """The demo login: user ``demo`` / ``opsdesk-demo``, staff but not superuser, admin of
    every store in ``stores``. Idempotent: resets the password and flags of an existing
    ``demo`` user and upgrades existing memberships to admin."""
    user_model = get_user_model()
    with transaction.atomic():
        user, _ = user_model.objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = True
        user.is_superuser = False
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        for store in stores:
            Membership.objects.update_or_create(
                user=user, store=store, defaults={"role": Role.ADMIN}
            )
    return user
