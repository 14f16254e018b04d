"""A small hand-made campaign shop shared by the campaign tests (all times store-local).

Store "Tea House" (Asia/Shanghai, UTC+8). SKUs S1 (stock 5), S2, S3, S4 (stock 1000).

Baseline campaign "Double 11 2025"-like BASE: burst 2026-11-01 (one day).
  Nov 1: customer A pays 100 at 00:30 (S3 x1), customer E pays 100 at 02:30 (S4 x1);
  20 visitors (b0..b19) view at 10:00. -> GMV 200, buyers 2, UV 20, CR 0.1, SPB 100.

Campaign CAMP: pre-heat 2026-11-09, burst 2026-11-10 (one day), wrap-up to 11-13,
  target 1000, ad budget 200, baseline BASE.
  Nov 10 (burst) orders:
    o1 A 00:10 paid_search 400 (S1 x2 @200)
    o2 B 03:20 paid_search 200 (S2 x1 @200)
    o3 C 05:00 search      100 (S3 x1 @100)
    o4 D 05:30 search      100 (S4 x1 @100)
  50 visitors (c0..c49): c0..c3 at 00:05, the rest at 06:00.
  -> GMV 800, paid orders 4, buyers 4, UV 50, CR 0.08, SPB 200.
  Ad spend: paid_search Nov 10 150.
  Stock snapshot S2 Nov 10 = 0 (sold out after o2).
  Refunds: 100 on o1 at Nov 12 10:00 (in wrap-up); 50 on o3 at Nov 20 (after it).
  B pays 60 again on Nov 20 (within 30 days after the burst).
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from analytics.rollups.services import rollup_range
from opsdesk.channels import Channel
from tests.factories import (
    AdSpendFactory,
    BehaviourEventFactory,
    CampaignFactory,
    CustomerFactory,
    LineupItemFactory,
    OrderFactory,
    OrderLineFactory,
    RefundFactory,
    SkuFactory,
    StockSnapshotFactory,
    StoreFactory,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(day: datetime.date, hh: int, mm: int = 0, zone=SHANGHAI) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hh, mm), tzinfo=zone)


def pay(store, customer, when, channel, lines, number=None):
    """An order paid at ``when`` with ``lines`` = [(sku, quantity, unit price)]."""
    total = sum((Decimal(q) * Decimal(p) for _, q, p in lines), Decimal(0))
    order = OrderFactory(
        store=store,
        customer=customer,
        created_at=when,
        paid_at=when,
        channel=channel,
        goods_amount=total,
        **({"number": number} if number else {}),
    )
    for sku, quantity, price in lines:
        OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=Decimal(price))
    return order


def visit(store, visitors, when, sku=None):
    for visitor in visitors:
        BehaviourEventFactory(store=store, visitor_id=visitor, occurred_at=when, sku=sku)


@dataclass
class Shop:
    store: object
    base: object
    camp: object
    skus: dict
    customers: dict
    orders: dict


def build_campaign_shop(*, rollup: bool = True) -> Shop:
    store = StoreFactory(name="Tea House", slug="tea-house", time_zone="Asia/Shanghai")
    skus = {
        "S1": SkuFactory(store=store, code="S1", stock=5),
        "S2": SkuFactory(store=store, code="S2", stock=1000),
        "S3": SkuFactory(store=store, code="S3", stock=1000),
        "S4": SkuFactory(store=store, code="S4", stock=1000),
    }
    customers = {name: CustomerFactory(store=store, external_id=name) for name in "ABCDE"}
    base = CampaignFactory(
        store=store,
        name="Base",
        preparation_start=D(2026, 10, 1),
        preheat_start=D(2026, 10, 31),
        burst_start=D(2026, 11, 1),
        burst_end=D(2026, 11, 1),
        wrapup_end=D(2026, 11, 4),
        gmv_target=Decimal("300.00"),
    )
    camp = CampaignFactory(
        store=store,
        name="Camp",
        preparation_start=D(2026, 10, 1),
        preheat_start=D(2026, 11, 9),
        burst_start=D(2026, 11, 10),
        burst_end=D(2026, 11, 10),
        wrapup_end=D(2026, 11, 13),
        gmv_target=Decimal("1000.00"),
        ad_budget=Decimal("200.00"),
        baseline=base,
    )
    nov1, nov10 = D(2026, 11, 1), D(2026, 11, 10)
    c = customers
    orders = {
        "b1": pay(store, c["A"], at(nov1, 0, 30), Channel.SEARCH, [(skus["S3"], 1, 100)]),
        "b2": pay(store, c["E"], at(nov1, 2, 30), Channel.SEARCH, [(skus["S4"], 1, 100)]),
        "o1": pay(store, c["A"], at(nov10, 0, 10), Channel.PAID_SEARCH, [(skus["S1"], 2, 200)]),
        "o2": pay(store, c["B"], at(nov10, 3, 20), Channel.PAID_SEARCH, [(skus["S2"], 1, 200)]),
        "o3": pay(store, c["C"], at(nov10, 5, 0), Channel.SEARCH, [(skus["S3"], 1, 100)]),
        "o4": pay(store, c["D"], at(nov10, 5, 30), Channel.SEARCH, [(skus["S4"], 1, 100)]),
        "again": pay(store, c["B"], at(D(2026, 11, 20), 9), Channel.SEARCH, [(skus["S4"], 1, 60)]),
    }
    visit(store, [f"b{i}" for i in range(20)], at(nov1, 10))
    visit(store, [f"c{i}" for i in range(4)], at(nov10, 0, 5))
    visit(store, [f"c{i}" for i in range(4, 50)], at(nov10, 6))
    AdSpendFactory(store=store, channel=Channel.PAID_SEARCH, day=nov10, spend=Decimal("150.00"))
    StockSnapshotFactory(store=store, sku=skus["S2"], day=nov10, stock=0)
    RefundFactory(order=orders["o1"], amount=Decimal("100.00"), refunded_at=at(D(2026, 11, 12), 10))
    RefundFactory(order=orders["o3"], amount=Decimal("50.00"), refunded_at=at(D(2026, 11, 20), 10))
    LineupItemFactory(campaign=camp, sku=skus["S1"], planned_units=3)
    LineupItemFactory(campaign=camp, sku=skus["S2"], planned_units=1)
    if rollup:
        rollup_range(store=store, start=D(2026, 10, 31), end=D(2026, 11, 21))
    return Shop(store, base, camp, skus, customers, orders)
