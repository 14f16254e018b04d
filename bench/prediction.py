"""Benchmark of the churn/CLV fit (users.prediction) for a store of 300,000 customers.

    .venv/bin/python bench/prediction.py [--customers 300000] [--seed 7]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a database you may write to> \
        .venv/bin/python bench/prediction.py --database [--customers 300000]

Simulates a year of daily purchase history from a known BG/NBD + Gamma-Gamma process
(r=0.5, alpha=20 days, a=0.8, b=2.5; p=6, q=4, gamma=150 yuan).

Without ``--database``: aggregates it per customer with ``purchase_summary`` exactly as a
store fit does, fits both models and predicts every customer (``fit_and_predict``), and
prints the times and the recovered parameters.

With ``--database`` (a migrated PostgreSQL database; the store ``bench-prediction`` is
rebuilt in it): loads the customers and their paid orders with COPY (untimed), then times
the whole nightly task ``predictions_fit_for_store`` end to end — read the orders, summarise,
fit, predict, write the 300,000 ``CustomerPrediction`` rows — twice (the first run writes
into an empty table, the second replaces the first's rows as every later night does),
against a yardstick measured before and after in the same run: one hand-written SQL
statement that reads the same orders and writes one row per customer (purchase days, first
and last day, spend; ``CREATE UNLOGGED TABLE ... AS``). Ratios are to the yardstick's mean.
"""

import argparse
import datetime
import io
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from users.prediction import fit_and_predict, purchase_summary  # noqa: E402

SLUG = "bench-prediction"
ZONE = "Asia/Shanghai"


def simulate(customers: int, seed: int, days: int = 365) -> pd.DataFrame:
    """Orders (customer_id, day ordinal, cents) of a BG/NBD population over ``days`` days;
    customers join uniformly over the year."""
    rng = np.random.default_rng(seed)
    as_of = datetime.date(2026, 11, 19).toordinal()
    first = as_of - rng.integers(0, days, customers)
    rate = rng.gamma(0.5, 1 / 20, customers)  # purchases per day (r, alpha in days)
    drop = rng.beta(0.8, 2.5, customers)
    value = rng.gamma(4, 1 / 150, customers)  # nu ~ Gamma(q, gamma); spend ~ Gamma(p, nu)
    ids, day_list = [np.arange(customers)], [first]
    alive = np.ones(customers, dtype=bool)
    current = first.astype(np.float64)
    while alive.any():
        gap = rng.exponential(1 / np.maximum(rate[alive], 1e-9))
        current[alive] += gap
        alive_idx = np.flatnonzero(alive)
        within = current[alive_idx] <= as_of
        buyers = alive_idx[within]
        ids.append(buyers)
        day_list.append(np.floor(current[buyers]).astype(np.int64))
        alive[alive_idx[~within]] = False
        # after each purchase a customer becomes inactive with probability p
        dies = rng.random(len(buyers)) < drop[buyers]
        alive[buyers[dies]] = False
    customer_id = np.concatenate(ids)
    spend = rng.gamma(6, 1 / value[customer_id])
    return pd.DataFrame(
        {
            "customer_id": customer_id,
            "day": np.concatenate(day_list),
            "cents": np.maximum((spend * 100).round(), 1).astype(np.int64),
        }
    ), as_of


def _copy(table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )


def build(customers: int, seed: int):
    """The store ``bench-prediction`` with ``customers`` customers and their simulated paid
    orders (one order per purchase day, paid at a random second of that Shanghai day)."""
    from opsdesk.models import Store

    frame, as_of = simulate(customers, seed)
    started = time.perf_counter()
    old = Store.objects.filter(slug=SLUG).first()
    if old is not None:
        with connection.cursor() as cursor:
            for table in (
                "users_customerprediction",
                "users_predictionfit",
                "analytics_order",
                "users_customer",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE store_id = %s", [old.pk])
        old.delete()
    store = Store.objects.create(name="Bench prediction", slug=SLUG, time_zone=ZONE)
    now = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M:%S+00")
    _copy(
        "users_customer",
        pd.DataFrame(
            {
                "store_id": store.pk,
                "external_id": [f"p{i}" for i in range(customers)],
                "name": "",
                "region": "",
                "gender": "unknown",
                "points": 0,
                "created_at": now,
            }
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT external_id, id FROM users_customer WHERE store_id = %s", [store.pk])
        ids = dict(cursor.fetchall())
    customer_ids = np.array([ids[f"p{i}"] for i in range(customers)], dtype=np.int64)
    frame = frame.drop_duplicates(["customer_id", "day"])  # one order per purchase day
    rng = np.random.default_rng(seed + 1)
    epoch = datetime.date(1970, 1, 1).toordinal()
    local_midnight = pd.to_datetime(frame["day"].to_numpy() - epoch, unit="D")
    paid = (
        (local_midnight + pd.to_timedelta(rng.integers(0, 86_400, len(frame)), "s"))
        .tz_localize(ZONE)
        .tz_convert("UTC")
    )
    amount = frame["cents"].to_numpy() / 100
    _copy(
        "analytics_order",
        pd.DataFrame(
            {
                "store_id": store.pk,
                "number": [f"P{i}" for i in range(len(frame))],
                "customer_id": customer_ids[frame["customer_id"].to_numpy()],
                "created_at": paid.strftime("%Y-%m-%d %H:%M:%S+00"),
                "paid_at": paid.strftime("%Y-%m-%d %H:%M:%S+00"),
                "status": "paid",
                "channel": "search",
                "goods_amount": amount,
                "discount_amount": 0,
                "shipping_amount": 0,
                "paid_amount": amount,
                "is_presale": False,
            }
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_order")
        cursor.execute("ANALYZE users_customer")
    print(
        f"built store {SLUG}: customers={customers:,} orders={len(frame):,} "
        f"in {time.perf_counter() - started:.1f}s (untimed)"
    )
    return store, datetime.date.fromordinal(as_of)


def yardstick(store_id: int) -> float:
    """Hand-written SQL: the same orders in, one row per customer out."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_prediction_yardstick")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_prediction_yardstick AS "
            "SELECT customer_id, count(DISTINCT (paid_at AT TIME ZONE %s)::date) AS days, "
            "min((paid_at AT TIME ZONE %s)::date) AS first_day, "
            "max((paid_at AT TIME ZONE %s)::date) AS last_day, sum(paid_amount) AS spend "
            "FROM analytics_order WHERE store_id = %s AND paid_at IS NOT NULL "
            "GROUP BY customer_id",
            [ZONE, ZONE, ZONE, store_id],
        )
        cursor.execute("DROP TABLE bench_prediction_yardstick")
    return time.perf_counter() - started


def main_database(customers: int, seed: int) -> None:
    from users.models import CustomerPrediction, PredictionFit
    from users.tasks import predictions_fit_for_store

    if connection.vendor != "postgresql":
        raise SystemExit("--database needs DATABASE_URL pointing at a PostgreSQL database")
    store, as_of = build(customers, seed)
    before = yardstick(store.pk)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        fit_id = predictions_fit_for_store(store.pk, as_of.isoformat())
        times.append(time.perf_counter() - started)
    after = yardstick(store.pk)
    reference = (before + after) / 2
    fit = PredictionFit.objects.get(pk=fit_id)
    rows = CustomerPrediction.objects.filter(store=store, fit=fit).count()
    print(f"yardstick SQL: {before:.2f}s before, {after:.2f}s after, mean {reference:.2f}s")
    for label, seconds in zip(
        ("first fit (empty table)", "second fit (replaces)"), times, strict=True
    ):
        print(
            f"{label}: {seconds:.1f}s end to end = {seconds / reference:.1f}x the yardstick "
            "(target < 60 s)"
        )
    print(
        f"fit {fit.seconds:.1f}s of it (fit + predict); rows written={rows:,} "
        f"customers={fit.customers:,} repeat buyers={fit.repeat_buyers:,}"
    )
    print(f"BG/NBD weeks: r={fit.r:.3f} alpha={fit.alpha:.3f} a={fit.a:.3f} b={fit.b:.3f}")
    print(f"Gamma-Gamma: p={fit.p:.3f} q={fit.q:.3f} gamma={fit.gamma:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database", action="store_true", help="end to end on PostgreSQL (see above)"
    )
    args = parser.parse_args()
    if args.database:
        main_database(args.customers, args.seed)
        return
    frame, as_of = simulate(args.customers, args.seed)
    print(f"customers={args.customers:,} orders={len(frame):,}")
    started = time.perf_counter()
    inputs = purchase_summary(frame, as_of_ordinal=as_of)
    summarised = time.perf_counter()
    outcome = fit_and_predict(inputs)
    done = time.perf_counter()
    bg, gg = outcome.bgnbd, outcome.gamma_gamma
    print(
        f"summary {summarised - started:.2f}s, fit + predict {done - summarised:.2f}s, "
        f"total {done - started:.2f}s"
    )
    print(
        f"BG/NBD weeks: r={bg.r:.3f} alpha={bg.alpha:.3f} (={bg.alpha * 7:.1f} days) "
        f"a={bg.a:.3f} b={bg.b:.3f} converged={bg.converged}"
    )
    print(f"Gamma-Gamma: p={gg.p:.3f} q={gg.q:.3f} gamma={gg.gamma:.1f} converged={gg.converged}")
    print(
        f"mean P(alive)={outcome.predicted.p_alive.mean():.3f} "
        f"mean 90-day purchases={outcome.predicted.expected_purchases.mean():.3f}"
    )


if __name__ == "__main__":
    main()
