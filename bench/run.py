"""Time opsdesk's analytics engine against a hand-written SQL yardstick (see bench/README.md).

DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench .venv/bin/python bench/run.py
"""

import datetime
import multiprocessing
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402

from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner  # noqa: E402
from analytics.reports.funnel import FunnelQuery, FunnelRunner  # noqa: E402
from analytics.rfm import rfm_snapshot_write  # noqa: E402
from analytics.rollups.services import rollup_day, rollup_range  # noqa: E402
from opsdesk.models import Store  # noqa: E402
from users.tiers import tiers_rollup  # noqa: E402

FIRST = datetime.date(2025, 11, 20)
LAST = datetime.date(2026, 11, 19)
DOUBLE_11 = datetime.date(2026, 11, 11)

# Daily metrics per store, day and channel: GMV, refunds, orders, buyers, PV, UV, add-to-cart
# visitors, conversion, spend, ROI; visitors de-duplicated per day before counting.
YARDSTICK = """
SET LOCAL work_mem = '128MB';  -- the same sort/hash memory as opsdesk's rollup transactions
DROP TABLE IF EXISTS bench_yardstick;
CREATE UNLOGGED TABLE bench_yardstick AS
WITH o AS (
    SELECT o.store_id, (o.paid_at AT TIME ZONE s.time_zone)::date AS day, o.channel,
           SUM(o.paid_amount) AS gmv, COUNT(*) AS orders, COUNT(DISTINCT o.customer_id) AS buyers
    FROM analytics_order o JOIN opsdesk_store s ON s.id = o.store_id
    WHERE o.paid_at IS NOT NULL GROUP BY 1, 2, 3
), r AS (
    SELECT r.store_id, (r.refunded_at AT TIME ZONE s.time_zone)::date AS day, o.channel,
           SUM(r.amount) AS refunds
    FROM analytics_refund r JOIN analytics_order o ON o.id = r.order_id
    JOIN opsdesk_store s ON s.id = r.store_id GROUP BY 1, 2, 3
), vd AS (
    SELECT e.store_id, (e.occurred_at AT TIME ZONE s.time_zone)::date AS day, e.channel,
           e.visitor_id, COUNT(*) FILTER (WHERE e.event_type = 'view') AS views,
           BOOL_OR(e.event_type = 'add_to_cart') AS carted
    FROM analytics_behaviourevent e JOIN opsdesk_store s ON s.id = e.store_id
    GROUP BY 1, 2, 3, 4
), v AS (
    SELECT store_id, day, channel, SUM(views) AS pv, COUNT(*) AS uv,
           COUNT(*) FILTER (WHERE carted) AS cart_visitors
    FROM vd GROUP BY 1, 2, 3
), a AS (
    SELECT store_id, day, channel, SUM(spend) AS spend FROM analytics_adspend GROUP BY 1, 2, 3
)
SELECT COALESCE(o.store_id, r.store_id, v.store_id, a.store_id) AS store_id,
       COALESCE(o.day, r.day, v.day, a.day) AS day,
       COALESCE(o.channel, r.channel, v.channel, a.channel) AS channel,
       o.gmv, r.refunds, o.orders, o.buyers, v.pv, v.uv, v.cart_visitors,
       o.buyers::numeric / NULLIF(v.uv, 0) AS conversion, a.spend,
       o.gmv / NULLIF(a.spend, 0) AS roi
FROM o
FULL JOIN r USING (store_id, day, channel)
FULL JOIN v USING (store_id, day, channel)
FULL JOIN a USING (store_id, day, channel);
"""


ONE_DAY = datetime.timedelta(days=1)


def _backfill_store(store_id: int, chunk_days: int) -> None:
    from django.db import connection as child_connection

    child_connection.close()  # a forked child must not share the parent's connection
    store = Store.objects.get(pk=store_id)
    rollup_range(store=store, start=FIRST, end=LAST, tiers=True, chunk_days=chunk_days)
    child_connection.close()


def parallel_backfill(stores, args) -> None:
    """The year back-fill with ``args.workers`` stores at once (what the Celery fan-out of
    ``rollup_backfill`` does with that many workers)."""
    connection.close()
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers) as pool:
        pool.starmap(_backfill_store, [(store.pk, args.chunk_days) for store in stores])


def timed(label, function, results):
    began = time.perf_counter()
    value = function()
    seconds = time.perf_counter() - began
    results[label] = seconds
    print(f"{label:<44} {seconds:10.3f} s", flush=True)
    return value


def reports(stores, results) -> None:
    """Cold-cache report timings on the first store: ``DailyMetricsRunner`` with channels over
    the preset ranges (p95 of 20), the funnel by channel over the same ranges (p95 of 10),
    and an arbitrary custom range by week with exact UV (max of 5)."""
    store = stores[0]
    presets = {
        "yesterday": (LAST, LAST),
        "last 7 days": (LAST - datetime.timedelta(days=6), LAST),
        "last 30 days": (LAST - datetime.timedelta(days=29), LAST),
        "last 90 days": (LAST - datetime.timedelta(days=89), LAST),
        "last 365 days": (FIRST, LAST),
        "calendar month (2026-10)": (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)),
        "campaign window (Double 11)": (datetime.date(2026, 10, 20), DOUBLE_11),
    }

    def p95(make_runner, repeat: int) -> float:
        samples = []
        for _ in range(repeat):
            cache.clear()
            began = time.perf_counter()
            make_runner().run()
            samples.append(time.perf_counter() - began)
        return statistics.quantiles(samples, n=20)[-1] if repeat >= 20 else max(samples)

    for name, (start, end) in presets.items():
        query = DailyMetricsQuery(start=start, end=end, by_channel=True)
        value = p95(lambda query=query: DailyMetricsRunner(store=store, query=query), 20)
        results[f"report {name} p95"] = value
        print(f"{'report ' + name + ' p95':<44} {value * 1000:10.1f} ms", flush=True)
    for name, (start, end) in presets.items():
        query = FunnelQuery(start=start, end=end, by_channel=True)
        value = p95(lambda query=query: FunnelRunner(store=store, query=query), 10)
        results[f"funnel {name} max"] = value
        print(f"{'funnel ' + name + ' max of 10':<44} {value * 1000:10.1f} ms", flush=True)
    samples = []
    for _ in range(5):
        cache.clear()
        query = DailyMetricsQuery(
            start=datetime.date(2026, 1, 15),
            end=datetime.date(2026, 10, 20),
            interval="week",
            by_channel=True,
        )
        began = time.perf_counter()
        result = DailyMetricsRunner(store=store, query=query).run()
        samples.append(time.perf_counter() - began)
    results["custom range max"] = max(samples)
    print(
        f"{'custom 279-day range, exact UV, max of 5':<44} {max(samples):10.3f} s"
        f"   (UV {result.totals.uv:,})"
    )


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="also time the back-fill with this many stores in parallel (processes; 1 = skip)",
    )
    parser.add_argument(
        "--chunk-days",
        type=int,
        default=366,
        help="days per back-fill transaction (production default: 31)",
    )
    parser.add_argument(
        "--metrics-only",
        action="store_true",
        help="time the metrics back-fill only (not again with lifecycle tiers)",
    )
    parser.add_argument(
        "--reports-only",
        action="store_true",
        help="only the report timings, on the tables the last full run rolled up",
    )
    args = parser.parse_args()
    results: dict[str, float] = {}
    stores = list(Store.objects.filter(slug__startswith="bench-").order_by("pk"))
    if args.reports_only:
        reports(stores, results)
        return
    with connection.cursor() as cursor:
        for table in ("analytics_order", "analytics_orderline", "analytics_behaviourevent"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            print(f"{table:<44} {cursor.fetchone()[0]:>12,}")
        cursor.execute(
            "TRUNCATE analytics_visitorset, analytics_funnelday, analytics_buyerday, "
            "analytics_dailystoremetrics, analytics_dailychannelmetrics, "
            "analytics_dailyskumetrics, analytics_visitor, analytics_staleday, "
            "analytics_tierdailycount, analytics_rfmscore, users_tierchange"
        )
        cursor.execute("VACUUM ANALYZE")

    def yardstick():
        with connection.cursor() as cursor:
            cursor.execute(YARDSTICK)

    timed("yardstick: hand-written SQL, year, all stores", yardstick, results)

    def backfill(tiers):
        for store in stores:
            rollup_range(
                store=store, start=FIRST, end=LAST, tiers=tiers, chunk_days=args.chunk_days
            )

    timed("opsdesk year back-fill, metrics only", lambda: backfill(False), results)
    if not args.metrics_only:
        timed("opsdesk year back-fill, metrics + tiers", lambda: backfill(True), results)
    if args.workers > 1:
        label = f"opsdesk year back-fill, + tiers, {args.workers} stores at once"
        timed(label, lambda: parallel_backfill(stores, args), results)
    # The machine is shared: time the yardstick again after the back-fills and compare with
    # the mean of both runs.
    timed("yardstick again", yardstick, results)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    def night(day):
        for store in stores:
            rollup_day(store=store, day=day)
            rfm_snapshot_write(store=store, as_of=day)

    # A night follows the previous night: re-roll the tiers of the day before (untimed) so
    # that each store's customer state is as of that day, as it is in production.
    for day in (LAST, DOUBLE_11):
        for store in stores:
            tiers_rollup(store=store, start=day - ONE_DAY, end=day - ONE_DAY)
        label = "ordinary night" if day == LAST else "Double 11 night"
        timed(f"{label} (all stores, + tiers, RFM)", lambda day=day: night(day), results)

    reports(stores, results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory of this process':<44} {peak:10.0f} MB")
    yard = statistics.mean(
        [results["yardstick: hand-written SQL, year, all stores"], results["yardstick again"]]
    )
    print(f"{'yardstick, mean of both runs':<44} {yard:10.3f} s")
    for label in results:
        if not label.startswith("opsdesk year back-fill"):
            continue
        print(f"{label + ' / yardstick':<56} {results[label] / yard:6.2f}x")


if __name__ == "__main__":
    main()
