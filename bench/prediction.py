"""Benchmark of the churn/CLV fit (users.prediction): 300,000 customers, no database.

    .venv/bin/python bench/prediction.py [--customers 300000] [--seed 7]

Simulates a year of daily purchase history from a known BG/NBD + Gamma-Gamma process
(r=0.5, alpha=20 days, a=0.8, b=2.5; p=6, q=4, gamma=150 yuan), aggregates it per customer
with ``purchase_summary`` exactly as a store fit does, fits both models and predicts every
customer (``fit_and_predict``), and prints the times and the recovered parameters.
"""

import argparse
import datetime
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

import django

django.setup()

from users.prediction import fit_and_predict, purchase_summary  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
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
