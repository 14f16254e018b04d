"""Server time of every dashboard page on the demo shop (see bench/README.md, "Page server
times").

    export DATABASE_URL=sqlite:////tmp/dash-demo.sqlite3   # or postgres://...
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --stores 1
    .venv/bin/python manage.py rollup --all --if-needed
    .venv/bin/python bench/pages.py [--repeat 5]

Each page is requested through Django's test client (the whole middleware, view and template
stack in this process; no network, no browser), signed in as the demo admin, in zh-hans, with
the page's default date range:

* **uncached**: the cache is cleared before the request (every report runner computes; what
  the first visitor after a rollup or a deploy gets). Median of ``--repeat`` cold requests.
* **cached**: the same request again with a warm cache. Median of ``--repeat`` requests.
* **cached CPU ms**: CPU time of this process for a cached request (less sensitive to other
  processes on a busy machine than the wall clock; excludes PostgreSQL's server process).
* **queries**: SQL statements of one uncached and one cached request
  (``CaptureQueriesContext``).

The target of issue #4 is a cached server time under 300 ms.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from opsdesk.models import Membership  # noqa: E402

PAGES = (
    ("/", "overview"),
    ("/traffic/", "traffic and funnel"),
    ("/catalog/", "SKU list"),
    ("/catalog/matrix/", "product matrix"),
    ("/catalog/health/", "SKU health"),
    ("/catalog/compliance/", "compliance"),
    ("/customers/insights/", "customers and RFM"),
    ("/campaigns/", "campaigns"),
    ("/reports/", "orders"),
)
#: Not the default range: wider ranges an operator often picks (reported, not the target).
WIDER = (
    ("/?trend=365", "overview, 365-day trend"),
    ("/?range=last_30", "overview, last 30 days"),
    ("/traffic/?range=last_90", "traffic, last 90 days"),
    ("/customers/insights/?range=last_90", "customers, last 90 days"),
)
TARGET_MS = 300


def _client() -> Client:
    membership = (
        Membership.objects.select_related("user", "store").order_by("store_id", "pk").first()
    )
    if membership is None:
        sys.exit("No store with a member: seed the demo shop first (see the docstring).")
    client = Client()
    client.force_login(membership.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def _timed(client: Client, path: str) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds (of this process: Django, and SQLite's own work; a
    PostgreSQL server's work is in its own process) of one request."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return elapsed, cpu_ms


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured.captured_queries)


def measure(repeat: int, pages=PAGES) -> list[dict]:
    client = _client()
    # The session and the translation catalogues load once, outside the measurements.
    _timed(client, "/metrics/")
    rows = []
    for path, label in pages:
        cold: list[tuple[float, float]] = []
        for _ in range(repeat):
            cache.clear()
            cold.append(_timed(client, path))
        warm = [_timed(client, path) for _ in range(repeat)]
        cache.clear()
        cold_queries = _queries(client, path)
        warm_queries = _queries(client, path)
        rows.append(
            {
                "path": path,
                "label": label,
                "uncached": statistics.median(wall for wall, _cpu in cold),
                "cached": statistics.median(wall for wall, _cpu in warm),
                "cached_max": max(wall for wall, _cpu in warm),
                "cached_cpu": statistics.median(cpu for _wall, cpu in warm),
                "uncached_queries": cold_queries,
                "cached_queries": warm_queries,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="requests per page and state")
    options = parser.parse_args()
    setup_test_environment(debug=False)  # allows the test client's host; DEBUG off as served
    if connection.vendor == "postgresql":
        # seed_demo and a back-fill bulk-load the tables; without statistics the planner
        # estimates 22 orders for 12,322 and picks nested loops. Autovacuum would analyze them
        # eventually (it is off on the benchmark machine), so the measurement does it first.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor}, repeat: {options.repeat}")
    for title, pages in (("Default range", PAGES), ("Wider ranges", WIDER)):
        rows = measure(options.repeat, pages)
        print(f"\n{title}\n")
        print(
            "| page | uncached ms | cached ms (max) | cached CPU ms | queries uncached / cached "
            "| cached < 300 ms |"
        )
        print("|---|---:|---:|---:|---:|---|")
        for row in rows:
            verdict = "yes" if row["cached"] < TARGET_MS else "NO"
            print(
                f"| `{row['path']}` {row['label']} | {row['uncached']:.0f} | "
                f"{row['cached']:.0f} ({row['cached_max']:.0f}) | {row['cached_cpu']:.0f} | "
                f"{row['uncached_queries']} / {row['cached_queries']} | {verdict} |"
            )


if __name__ == "__main__":
    main()
