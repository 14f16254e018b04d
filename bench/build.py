"""Build the benchmark shop in PostgreSQL with COPY (see bench/README.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench \
        .venv/bin/python bench/build.py --scale 1.0

Scale 1.0: 5 stores, 10,000 SKUs, 300,000 customers, 2,000,000 orders (~5,000,000 lines),
20,000,000 behaviour events over 365 days with 618 and Double 11 spikes, refunds, ad spend.
"""

import argparse
import datetime
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

FIRST = datetime.date(2025, 11, 20)
DAYS = 365
LAST = FIRST + datetime.timedelta(days=DAYS - 1)  # 2026-11-19
ZONES = ["Asia/Shanghai"] * 4 + ["America/Los_Angeles"]
CHANNELS = np.array(
    [
        "search",
        "recommendation",
        "campaign",
        "paid_search",
        "paid_feed",
        "content",
        "private_domain",
        "direct",
        "other",
    ]
)
CHANNEL_WEIGHTS = np.array([0.25, 0.15, 0.08, 0.15, 0.12, 0.1, 0.07, 0.05, 0.03])
PAID = ["paid_search", "paid_feed", "content"]


def day_weights() -> np.ndarray:
    days = [FIRST + datetime.timedelta(days=i) for i in range(DAYS)]
    weights = np.ones(DAYS)
    for i, day in enumerate(days):
        if day.month == 6 and 1 <= day.day <= 18:
            weights[i] = 2.0 + (6.0 if day.day == 18 else 0.0)  # 618 season and day
        if (day.month == 10 and day.day >= 20) or (day.month == 11 and day.day <= 11):
            weights[i] = 2.5 + (12.0 if (day.month, day.day) == (11, 11) else 0.0)
    return weights / weights.sum()


def copy(table: str, frame: pd.DataFrame) -> None:
    chunk = 1_000_000
    with connection.cursor() as cursor:
        for begin in range(0, len(frame), chunk):
            buffer = io.StringIO()
            frame.iloc[begin : begin + chunk].to_csv(
                buffer, index=False, header=False, na_rep="\\N"
            )
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN "
                "WITH (FORMAT csv, NULL '\\N')",
                buffer,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=618)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "the benchmark runs on PostgreSQL"
    rng = np.random.default_rng(args.seed)
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE opsdesk_store, users_customer, catalog_sku, catalog_category, "
            "analytics_order, analytics_orderline, analytics_refund, analytics_behaviourevent, "
            "analytics_adspend, analytics_visitor CASCADE"
        )
    n_stores = 5
    n_skus = int(10_000 * args.scale)
    n_customers = int(300_000 * args.scale)
    n_orders = int(2_000_000 * args.scale)
    n_events = int(20_000_000 * args.scale)
    now = "2026-11-20 00:00:00+00"

    stores = pd.DataFrame(
        {
            "id": np.arange(1, n_stores + 1),
            "name": [f"Bench {i}" for i in range(1, 6)],
            "slug": [f"bench-{i}" for i in range(1, 6)],
            "platform": "tmall",
            "time_zone": ZONES,
            "currency": "CNY",
            "created_at": now,
            "new_customer_days": 30,
            "dormant_after_days": 90,
            "churned_after_days": 180,
            "high_value_min_orders": 3,
            "high_value_min_average": 200,
            "rfm_window_days": 365,
            "funnel_window_hours": 24,
            "traffic_share_target": 0.3,
            "delisting_sell_through": 0.05,
            "replenishment_lead_days": 7,
            "overstock_cover_days": 90,
            "listing_weekdays": "2,5",
            "price_protection_days": 30,
            "lineup_min_conversion": 0.08,
            "points_per_yuan": 1,
        }
    )
    copy("opsdesk_store", stores)
    sku_store = np.arange(n_skus) % n_stores + 1
    price = np.round(rng.choice([9.9, 49, 99, 199, 599], n_skus, p=[0.3, 0.2, 0.2, 0.2, 0.1]), 2)
    skus = pd.DataFrame(
        {
            "id": np.arange(1, n_skus + 1),
            "store_id": sku_store,
            "code": [f"SKU{i:06d}" for i in range(n_skus)],
            "title": "bench item",
            "description": "",
            "role": "profit",
            "price": price,
            "cost": np.round(price * 0.45, 2),
            "stock": 100,
            "status": "on_shelf",
            "created_at": now,
            "updated_at": now,
        }
    )
    copy("catalog_sku", skus)
    customer_store = np.arange(n_customers) % n_stores + 1
    customers = pd.DataFrame(
        {
            "id": np.arange(1, n_customers + 1),
            "store_id": customer_store,
            "external_id": [f"b{i}" for i in range(n_customers)],
            "name": "",
            "region": "",
            "gender": "unknown",
            "registered_on": "2025-01-01",
            "points": 0,
            "created_at": now,
        }
    )
    copy("users_customer", customers)

    # Orders: a customer of the store, a day by the spiky weights, a time of day.
    weights = day_weights()
    day_index = rng.choice(DAYS, n_orders, p=weights)
    customer = rng.integers(0, n_customers, n_orders)
    store = customer_store[customer]
    seconds = rng.integers(0, 86_400, n_orders)
    base = pd.Timestamp(FIRST).tz_localize("UTC") - pd.Timedelta(hours=8)
    created = base + pd.to_timedelta(day_index, "D") + pd.to_timedelta(seconds, "s")
    paid_delay = pd.to_timedelta(rng.integers(10, 900, n_orders), "s")
    never_paid = rng.random(n_orders) < 0.05
    paid_at = pd.Series(created + paid_delay)
    paid_at[never_paid] = pd.NaT
    channel = rng.choice(CHANNELS, n_orders, p=CHANNEL_WEIGHTS)
    n_lines = rng.choice([1, 2, 3, 4], n_orders, p=[0.2, 0.3, 0.3, 0.2])  # mean 2.5
    order_of_line = np.repeat(np.arange(n_orders), n_lines)
    line_store = store[order_of_line]
    # A SKU of the same store: SKU ids are store-interleaved.
    per_store = n_skus // n_stores
    line_sku = (rng.integers(0, per_store, len(order_of_line)) * n_stores + (line_store - 1)) + 1
    quantity = rng.choice([1, 1, 1, 2, 3], len(order_of_line))
    unit_price = price[line_sku - 1]
    line_value = unit_price * quantity
    goods = np.bincount(order_of_line, weights=line_value, minlength=n_orders).round(2)
    orders = pd.DataFrame(
        {
            "id": np.arange(1, n_orders + 1),
            "store_id": store,
            "number": [f"O{i}" for i in range(n_orders)],
            "customer_id": customer + 1,
            "created_at": created.strftime("%Y-%m-%d %H:%M:%S+00"),
            "paid_at": paid_at.dt.strftime("%Y-%m-%d %H:%M:%S+00"),
            "status": np.where(never_paid, "created", "paid"),
            "channel": channel,
            "goods_amount": goods,
            "discount_amount": 0,
            "shipping_amount": 0,
            "paid_amount": goods,
            "is_presale": False,
        }
    )
    copy("analytics_order", orders)
    lines = pd.DataFrame(
        {
            "store_id": line_store,
            "order_id": order_of_line + 1,
            "sku_id": line_sku,
            "quantity": quantity,
            "unit_price": unit_price,
            "unit_cost": np.round(unit_price * 0.45, 2),
        }
    )
    copy("analytics_orderline", lines)
    paid_orders = np.flatnonzero(~never_paid)
    refunded = rng.choice(paid_orders, int(len(paid_orders) * 0.05), replace=False)
    refund_at = pd.Series(paid_at.iloc[refunded].to_numpy()) + pd.to_timedelta(
        rng.integers(86_400, 10 * 86_400, len(refunded)), "s"
    )
    refunds = pd.DataFrame(
        {
            "store_id": store[refunded],
            "number": [f"R{i}" for i in range(len(refunded))],
            "order_id": refunded + 1,
            "amount": np.maximum(0.01, (goods[refunded] * 0.5).round(2)),
            "refunded_at": refund_at.dt.strftime("%Y-%m-%d %H:%M:%S+00"),
        }
    )
    copy("analytics_refund", refunds)

    # Events: each paid order's funnel (view, cart, order, pay) by its customer's visitor id,
    # then anonymous browsing (views, some carts) by a pool of visitors, same spiky days.
    funnel = np.repeat(paid_orders, 4)
    funnel_type = np.tile(["view", "add_to_cart", "order", "pay"], len(paid_orders))
    funnel_at = pd.Series(created[funnel]) + pd.to_timedelta(
        np.tile([-600, -300, 0, 60], len(paid_orders)), "s"
    )
    rest = max(0, n_events - len(funnel))
    visitors = int(1_500_000 * args.scale)
    anon_visitor = rng.integers(0, visitors, rest)
    anon_store = anon_visitor % n_stores + 1
    anon_day = rng.choice(DAYS, rest, p=weights)
    anon_at = (
        base + pd.to_timedelta(anon_day, "D") + pd.to_timedelta(rng.integers(0, 86_400, rest), "s")
    )
    anon_type = rng.choice(["view", "add_to_cart"], rest, p=[0.9, 0.1])
    anon_sku = (rng.integers(0, per_store, rest) * n_stores + (anon_store - 1)) + 1
    first_line = np.searchsorted(order_of_line, funnel)  # the order's first line's SKU
    events = pd.DataFrame(
        {
            "store_id": np.concatenate([store[funnel], anon_store]),
            "visitor_id": np.concatenate(
                [
                    np.char.add("c", (customer[funnel] + 1).astype(str)),
                    np.char.add("a", anon_visitor.astype(str)),
                ]
            ),
            "customer_id": np.concatenate([customer[funnel] + 1, np.zeros(rest, dtype=int)]),
            "event_type": np.concatenate([funnel_type, anon_type]),
            "sku_id": np.concatenate([line_sku[first_line], anon_sku]),
            "channel": np.concatenate(
                [channel[funnel], rng.choice(CHANNELS, rest, p=CHANNEL_WEIGHTS)]
            ),
            "occurred_at": np.concatenate(
                [
                    funnel_at.dt.strftime("%Y-%m-%d %H:%M:%S+00").to_numpy(),
                    pd.Series(anon_at).dt.strftime("%Y-%m-%d %H:%M:%S+00").to_numpy(),
                ]
            ),
        }
    )
    events["customer_id"] = events["customer_id"].replace(0, pd.NA).astype("Int64")
    # Real event tables are appended in time order: keep that physical order.
    events = events.sort_values("occurred_at", kind="stable")
    copy("analytics_behaviourevent", events)

    spend_rows = []
    for store_id in range(1, n_stores + 1):
        for i in range(DAYS):
            for paid_channel in PAID:
                spend = round(float(rng.uniform(200, 2000)) * weights[i] * DAYS * args.scale, 2)
                clicks = int(spend / rng.uniform(0.8, 2.5))
                spend_rows.append(
                    (
                        store_id,
                        paid_channel,
                        FIRST + datetime.timedelta(days=i),
                        spend,
                        clicks * 40,
                        clicks,
                    )
                )
    copy(
        "analytics_adspend",
        pd.DataFrame(
            spend_rows, columns=["store_id", "channel", "day", "spend", "impressions", "clicks"]
        ),
    )
    with connection.cursor() as cursor:
        for table in ("opsdesk_store", "catalog_sku", "users_customer", "analytics_order"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE")
    print(
        f"built scale {args.scale}: {n_orders} orders, {len(lines)} lines, {len(events)} events, "
        f"{len(refunds)} refunds in {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
