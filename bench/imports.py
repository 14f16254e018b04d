"""Time an orders import against a plain COPY of the same rows into a bare table, side by side
(see bench/README.md "Imports").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_imports \\
        .venv/bin/python bench/imports.py --rows 100000

Needs a migrated PostgreSQL database it may write to: it creates (or reuses) the store
``bench-imports``, deletes that store's orders, customers and SKUs, writes a generic orders CSV
(one line per order, 200 SKUs, rows/5 customers) to a temporary file, then times:

* ``COPY`` of the file into a bare table with the same columns (typed: timestamptz, numeric);
* opsdesk's import of the file (parse, validate, create customers, orders, lines; one
  transaction), its re-import (everything unchanged) and the ratio to COPY;
* peak RSS of the process before and after the import (flat memory: the file is streamed).

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

from django.db import connection  # noqa: E402

from analytics.imports import services  # noqa: E402
from analytics.imports.services import create_run, import_run  # noqa: E402
from analytics.models import ImportRun, Order, OrderLine, Refund, StaleDay  # noqa: E402
from catalog.models import Sku  # noqa: E402
from opsdesk.audit import Actor  # noqa: E402
from opsdesk.models import AuditSource, Store  # noqa: E402
from users.models import Customer  # noqa: E402

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
    for model in (Refund, OrderLine, Order, Customer, Sku, StaleDay, ImportRun):
        model.objects.filter(store=store).delete()
    Sku.objects.bulk_create(
        [
            Sku(store=store, code=f"SKU{i:03d}", title=f"SKU {i}", price=99, cost=40)
            for i in range(200)
        ]
    )


def time_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute(BARE)
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


def time_import(store: Store, path: Path) -> tuple[float, ImportRun]:
    with path.open("rb") as source:
        run = create_run(store=store, kind="orders", source=source, file_name=path.name)
    started = time.perf_counter()
    run = import_run(run, actor=Actor(user=None, source=AuditSource.TASK))
    return time.perf_counter() - started, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
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
        seconds, run = time_import(store, path)
        rss_after = peak_mb()
        assert run.status == "succeeded", (run.status, run.message, run.errors[:3])
        again, rerun = time_import(store, path)
        copy_2 = time_copy(path)
    copy = (copy_1 + copy_2) / 2
    print(f"rows {args.rows:,} ({size_mb:.1f} MB CSV), PostgreSQL {connection.pg_version}")
    print(f"COPY into a bare table: {copy_1:.2f} s / {copy_2:.2f} s (mean {copy:.2f} s)")
    print(
        f"import: {seconds:.2f} s = {seconds / copy:.1f}x COPY "
        f"({run.created:,} orders created, {run.message})"
    )
    print(f"re-import (all unchanged: {rerun.unchanged:,}): {again:.2f} s = {again / copy:.1f}x")
    print(f"rows/s: {args.rows / seconds:,.0f} import, {args.rows / copy:,.0f} COPY")
    print(f"peak RSS: {rss_before:.0f} MB before the import, {rss_after:.0f} MB after")


if __name__ == "__main__":
    main()
