"""Time an orders import against a plain COPY of the same rows into a bare table, side by side
(see bench/README.md "Imports").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_imports \\
        .venv/bin/python bench/imports.py --rows 100000

Needs a migrated PostgreSQL database it may write to: it creates (or reuses) the store
``bench-imports``, deletes that store's orders, customers and SKUs, writes a generic orders CSV
(one line per order, 200 SKUs, rows/5 customers) to a temporary file, then times:

* ``COPY`` of the file into a bare table with the same columns (typed: timestamptz, numeric);
* opsdesk's import of the file (parse, validate, create customers, orders, lines, recompute
  the touched customers' points; one transaction), with the time of its parts (the PostgreSQL
  fast path of ``analytics/imports/fastpath.py``, the points recompute, the commit with its
  deferred foreign-key checks), its re-import (everything unchanged) and the ratio to COPY;
* with ``--python-path``, the same import with the fast path switched off (the row-by-row
  path SQLite and files in other accepted forms use);
* which tables got their secondary indexes built after the rows (a first load: the tables
  hold fewer rows than the import adds, as in this database); ``--keep-indexes`` times the
  import with the indexes maintained row by row instead, as into tables holding more rows;
* peak RSS of the process before and after the import (flat memory: the file is streamed).

Each timed part starts after a ``CHECKPOINT`` (the reset's deletes leave up to 1 GB of WAL
that a checkpoint during the next timing would charge to it); ``--no-checkpoint`` leaves it out.

The re-roll of the touched days that an import queues on commit is not timed here.
"""

import argparse
import csv
import datetime
import os
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.db import DatabaseError, connection, transaction  # noqa: E402

from analytics.imports import fastpath, services  # noqa: E402
from analytics.imports.services import create_run, import_run  # noqa: E402
from analytics.models import ImportRun, StaleDay  # noqa: E402
from catalog.models import Sku  # noqa: E402
from opsdesk.audit import Actor  # noqa: E402
from opsdesk.models import AuditSource, Store  # noqa: E402

HEADER = [
    "order_number", "customer_id", "created_at", "paid_at", "status", "channel",
    "paid_amount", "sku_code", "quantity", "unit_price",
]  # fmt: skip
BARE = """
DROP TABLE IF EXISTS bench_import_copy;
CREATE TABLE bench_import_copy (
    order_number varchar(64), customer_id varchar(64), created_at timestamptz,
    paid_at timestamptz, status varchar(10), channel varchar(16), paid_amount numeric(14, 2),
    sku_code varchar(64), quantity integer, unit_price numeric(14, 2)
);
"""
CHANNELS = ["search", "recommendation", "campaign", "paid_search", "direct"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime.datetime(2026, 9, 1, 8, 0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            created = start + datetime.timedelta(seconds=i * 30 + rng.randint(0, 29))
            quantity = rng.randint(1, 3)
            price = Decimal(rng.randint(990, 29900)) / 100
            writer.writerow(
                [
                    f"B{i:08d}",
                    f"c{rng.randint(0, rows // 5):07d}",
                    created.strftime("%Y-%m-%d %H:%M:%S"),
                    (created + datetime.timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S"),
                    "paid",
                    rng.choice(CHANNELS),
                    f"{price * quantity:.2f}",
                    f"SKU{rng.randint(0, 199):03d}",
                    quantity,
                    f"{price:.2f}",
                ]
            )


def reset(store: Store) -> None:
    """Empty the bench store with plain DELETEs (the ORM's cascade collector would load every
    row and dominate the process's peak memory)."""
    tables = [
        "analytics_refund", "analytics_orderline", "analytics_order",
        "users_memberlevelchange", "users_tierchange", "analytics_behaviourevent",
        "users_playbookcontact", "users_customerprediction", "users_customer",
        "catalog_pricechange", "catalog_compliancefinding", "catalog_stocksnapshot",
        "campaigns_lineupitem", "catalog_rolesuggestiondecision", "catalog_sku",
        StaleDay._meta.db_table, ImportRun._meta.db_table,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table} WHERE store_id = %s", [store.pk])
        # Without autovacuum (this machine), the deleted rows of the previous run would stay
        # in the tables the import joins with and be scanned again.
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
    Sku.objects.bulk_create(
        [
            Sku(store=store, code=f"SKU{i:03d}", title=f"SKU {i}", price=99, cost=40)
            for i in range(200)
        ]
    )


CHECKPOINTS = True


def checkpoint() -> None:
    """Write the WAL debt of what ran before (the reset's deletes, the other timing) out of the
    way of the next timing: each timed part starts after a checkpoint. (Needs a superuser or,
    on PostgreSQL 15+, the pg_checkpoint role; without, the timings go on without it.)"""
    if not CHECKPOINTS:
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass


def time_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute(BARE)
    checkpoint()
    started = time.perf_counter()
    with connection.cursor() as cursor, path.open(encoding="utf-8") as handle:
        cursor.execute("SET TIME ZONE 'Asia/Shanghai'")
        cursor.cursor.copy_expert(
            "COPY bench_import_copy FROM STDIN WITH (FORMAT csv, HEADER true)", handle
        )
        cursor.execute("SET TIME ZONE 'UTC'")
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_import_copy")
        assert cursor.fetchone()[0] > 0
        cursor.execute("DROP TABLE bench_import_copy")
    return elapsed


def _no_rollup(store_id: int) -> None:
    """The re-roll the import queues on commit is not part of the import (timed elsewhere:
    bench/run.py); here it is left out."""


services._queue_rollup = _no_rollup
QUEUED: list[tuple[int, datetime.date]] = []
MEMBERS: list[float] = []


def _members_later(store_id, day) -> None:
    """The points recompute a large import queues on commit (a Celery task in production):
    run and timed after the import, like the re-roll it is not part of the import."""
    QUEUED.append((store_id, day))


def run_queued() -> None:
    from users.members import members_recompute

    while QUEUED:
        store_id, day = QUEUED.pop()
        started = time.perf_counter()
        members_recompute(store=Store.objects.get(pk=store_id), day=day)
        MEMBERS.append(time.perf_counter() - started)


services._queue_members = _members_later


PARTS: dict[str, float] = {}


def _timed(name, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            PARTS[name] = PARTS.get(name, 0.0) + time.perf_counter() - started

    return wrapper


fastpath.run = _timed("fast path (COPY to staging, checks, writes)", fastpath.run)
REBUILT: list[str] = []
_drop = fastpath._drop_secondary_indexes


def _recording_drop(sql, table, *args):
    rebuild = _drop(sql, table, *args)
    if rebuild:
        REBUILT.append(f"{table} ({len(rebuild)})")
    return rebuild


fastpath._drop_secondary_indexes = _recording_drop


def time_import(store: Store, path: Path, *, python_path: bool = False):
    with path.open("rb") as source:
        run = create_run(store=store, kind="orders", source=source, file_name=path.name)
    PARTS.clear()
    commit = connection.commit
    connection.commit = _timed("commit (deferred FK checks)", commit)
    fastpath.ENABLED = not python_path
    checkpoint()
    started = time.perf_counter()
    try:
        run = import_run(run, actor=Actor(user=None, source=AuditSource.TASK))
    finally:
        fastpath.ENABLED = True
        connection.commit = commit
    return time.perf_counter() - started, run, dict(PARTS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--python-path",
        action="store_true",
        help="also time the Python path (row by row, what SQLite and non-canonical files use)",
    )
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="maintain the indexes row by row, as an import into tables holding more rows "
        "than it adds does (by default this empty-ish bench database gets a first load: "
        "indexes built after the rows)",
    )
    parser.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="no CHECKPOINT before each timed part (the figures before 2026-12-06's fifth "
        "session: the reset's deletes then leave up to 1 GB of WAL for the import to pay for)",
    )
    args = parser.parse_args()
    global CHECKPOINTS
    CHECKPOINTS = not args.no_checkpoint
    if args.keep_indexes:
        fastpath.BULK_MIN_ROWS = sys.maxsize
    if connection.vendor != "postgresql":
        sys.exit("bench/imports.py needs PostgreSQL (DATABASE_URL).")
    store, _ = Store.objects.get_or_create(
        slug="bench-imports", defaults={"name": "Bench imports", "time_zone": "Asia/Shanghai"}
    )
    reset(store)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        copy_1 = time_copy(path)
        rss_before = peak_mb()
        seconds, run, parts = time_import(store, path)
        rss_after = peak_mb()
        rebuilt_first = list(REBUILT)  # (the first import only)
        assert run.status == "succeeded", (run.status, run.message, run.errors[:3])
        run_queued()
        again, rerun, _parts = time_import(store, path)
        assert rerun.unchanged == rerun.rows, (rerun.status, rerun.unchanged)
        slow = None
        if args.python_path:
            reset(store)
            slow = time_import(store, path, python_path=True)
            assert slow[1].status == "succeeded"
        copy_2 = time_copy(path)
    copy = (copy_1 + copy_2) / 2
    print(f"rows {args.rows:,} ({size_mb:.1f} MB CSV), PostgreSQL {connection.pg_version}")
    print(f"COPY into a bare table: {copy_1:.2f} s / {copy_2:.2f} s (mean {copy:.2f} s)")
    print(
        f"import: {seconds:.2f} s = {seconds / copy:.1f}x COPY "
        f"({run.created:,} orders created, {run.message})"
    )
    for name, value in parts.items():
        print(f"  of which {name}: {value:.2f} s = {value / copy:.1f}x")
    rebuilt = ", ".join(rebuilt_first) or "none: maintained row by row"
    print(f"  secondary indexes built after the rows: {rebuilt}")
    if MEMBERS:
        print(f"then the points recompute queued on commit (a task): {MEMBERS[0]:.2f} s")
    print(f"re-import (all unchanged: {rerun.unchanged:,}): {again:.2f} s = {again / copy:.1f}x")
    if slow:
        print(f"Python path (fast path off), same file: {slow[0]:.2f} s = {slow[0] / copy:.1f}x")
    print(f"rows/s: {args.rows / seconds:,.0f} import, {args.rows / copy:,.0f} COPY")
    print(f"peak RSS: {rss_before:.0f} MB before the import, {rss_after:.0f} MB after")


if __name__ == "__main__":
    main()
