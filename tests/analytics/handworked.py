"""The small hand-made shop every hand-worked analytics test reads.

Store A "Tea House" (Asia/Shanghai, UTC+8), days D1 = 2026-11-01 (Sun), D2 = 11-02, D3 = 11-03.
Store B "LA Shop" (America/Los_Angeles): 2026-11-01 is the 25-hour day DST ends on.

Store A orders (local times), SKUs tea (unit cost 40) and cup (unit cost 30):

order customer created             paid                channel      paid   lines        GP
O0    dave     10-01 10:00         10-01 10:00         direct        80    cup x1 @80   50
O1    alice    D1 10:00            D1 10:05            paid_search  200    tea x2 @100  120
O2    bob      D1 23:50            D2 00:10            search        60    cup x1 @50   20
                                                           (50 goods + 10 shipping)
O3    alice    D2 09:00            D2 09:01            paid_search  100    tea x1 @100  60
O4    carol    D2 12:00            never               search       (99)   cup x1 @99   -
O5    dave     10-20 (deposit)     D3 20:00 (balance)  paid_feed    270    tea x3 @90   150
                                                           (300 - 30 discount)
O6    alice    D3 15:00            D3 15:00            search       100    tea x1 @100  60
O7    bob      D3 08:00            D3 08:00            content       50    cup x1 @50   20

Refund R1: 50 on O1 (paid D1), refunded D3 10:00.
Ad spend: paid_search D1 100 (1000 impressions, 50 clicks), D2 50 (500, 20);
paid_feed D3 300 (3000, 100); content: none.

Events (visitor, local time, type, channel):
D1: v1 09:00 view, 09:30 cart, 10:00 order, 10:05 pay (paid_search); v2 11:00 view,
    11:05 view (search); v3 12:00 view, 12:10 cart (recommendation); v5 23:40 view, 23:45 cart,
    23:50 order (search).
D2: v5 00:10 pay (search); v1 08:55 view, 09:00 order, 09:01 pay (paid_search);
    v2 14:00 view (search); v4 15:00 view (direct).
D3: v6 19:00 view, 19:30 cart, 19:59 order, 20:00 pay (paid_feed); v1 14:50 view, 14:55 cart,
    15:00 order, 15:00 pay (search); v5 07:50 view, 08:00 order, 08:00 pay (content);
    v2 10:00 view (search).
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from analytics.models import EventType, OrderStatus
from opsdesk.channels import Channel
from tests.factories import (
    AdSpendFactory,
    BehaviourEventFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    RefundFactory,
    SkuFactory,
    StoreFactory,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
D1 = datetime.date(2026, 11, 1)
D2 = datetime.date(2026, 11, 2)
D3 = datetime.date(2026, 11, 3)


def at(zone, day: datetime.date, hh: int, mm: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hh, mm), tzinfo=zone)


@dataclass
class Shop:
    a: object
    b: object
    customers: dict
    skus: dict
    orders: dict


def build_shop() -> Shop:
    a = StoreFactory(name="Tea House", slug="tea-house", time_zone="Asia/Shanghai")
    b = StoreFactory(name="LA Shop", slug="la-shop", time_zone="America/Los_Angeles")
    customers = {
        name: CustomerFactory(store=a, external_id=name, name=name)
        for name in ("alice", "bob", "carol", "dave", "erin")
    }
    skus = {
        "tea": SkuFactory(store=a, code="TEA", price=Decimal("100.00"), cost=Decimal("40.00")),
        "cup": SkuFactory(store=a, code="CUP", price=Decimal("50.00"), cost=Decimal("30.00")),
    }
    orders = {}

    def order(
        name,
        customer,
        created,
        paid,
        channel,
        goods,
        lines,
        *,
        discount="0",
        shipping="0",
        status=OrderStatus.PAID,
        **extra,
    ):
        goods, discount, shipping = Decimal(goods), Decimal(discount), Decimal(shipping)
        o = OrderFactory(
            store=a,
            number=name,
            customer=customers[customer],
            created_at=created,
            paid_at=paid,
            channel=channel,
            status=status,
            goods_amount=goods,
            discount_amount=discount,
            shipping_amount=shipping,
            paid_amount=goods - discount + shipping,
            **extra,
        )
        for sku, quantity, price in lines:
            OrderLineFactory(
                order=o,
                sku=skus[sku],
                quantity=quantity,
                unit_price=Decimal(price),
                unit_cost=skus[sku].cost,
            )
        orders[name] = o
        return o

    s = SHANGHAI
    oct1 = datetime.date(2026, 10, 1)
    oct20 = datetime.date(2026, 10, 20)
    order("O0", "dave", at(s, oct1, 10), at(s, oct1, 10), Channel.DIRECT, "80", [("cup", 1, "80")])
    order(
        "O1",
        "alice",
        at(s, D1, 10),
        at(s, D1, 10, 5),
        Channel.PAID_SEARCH,
        "200",
        [("tea", 2, "100")],
    )
    order(
        "O2",
        "bob",
        at(s, D1, 23, 50),
        at(s, D2, 0, 10),
        Channel.SEARCH,
        "50",
        [("cup", 1, "50")],
        shipping="10",
    )
    order(
        "O3",
        "alice",
        at(s, D2, 9),
        at(s, D2, 9, 1),
        Channel.PAID_SEARCH,
        "100",
        [("tea", 1, "100")],
    )
    order(
        "O4",
        "carol",
        at(s, D2, 12),
        None,
        Channel.SEARCH,
        "99",
        [("cup", 1, "99")],
        status=OrderStatus.CREATED,
    )
    order(
        "O5",
        "dave",
        at(s, oct20, 9),
        at(s, D3, 20),
        Channel.PAID_FEED,
        "300",
        [("tea", 3, "90")],
        discount="30",
        is_presale=True,
        deposit_amount=Decimal("50.00"),
        deposit_paid_at=at(s, oct20, 9),
    )
    order("O6", "alice", at(s, D3, 15), at(s, D3, 15), Channel.SEARCH, "100", [("tea", 1, "100")])
    order("O7", "bob", at(s, D3, 8), at(s, D3, 8), Channel.CONTENT, "50", [("cup", 1, "50")])
    RefundFactory(order=orders["O1"], store=a, amount=Decimal("50.00"), refunded_at=at(s, D3, 10))

    AdSpendFactory(
        store=a,
        channel=Channel.PAID_SEARCH,
        day=D1,
        spend=Decimal("100.00"),
        impressions=1000,
        clicks=50,
    )
    AdSpendFactory(
        store=a,
        channel=Channel.PAID_SEARCH,
        day=D2,
        spend=Decimal("50.00"),
        impressions=500,
        clicks=20,
    )
    AdSpendFactory(
        store=a,
        channel=Channel.PAID_FEED,
        day=D3,
        spend=Decimal("300.00"),
        impressions=3000,
        clicks=100,
    )

    view, cart, order_, pay = (
        EventType.VIEW,
        EventType.ADD_TO_CART,
        EventType.ORDER,
        EventType.PAY,
    )
    events = [
        ("v1", D1, 9, 0, view, Channel.PAID_SEARCH, "tea"),
        ("v1", D1, 9, 30, cart, Channel.PAID_SEARCH, "tea"),
        ("v1", D1, 10, 0, order_, Channel.PAID_SEARCH, "tea"),
        ("v1", D1, 10, 5, pay, Channel.PAID_SEARCH, "tea"),
        ("v2", D1, 11, 0, view, Channel.SEARCH, "tea"),
        ("v2", D1, 11, 5, view, Channel.SEARCH, "cup"),
        ("v3", D1, 12, 0, view, Channel.RECOMMENDATION, "cup"),
        ("v3", D1, 12, 10, cart, Channel.RECOMMENDATION, "cup"),
        ("v5", D1, 23, 40, view, Channel.SEARCH, "cup"),
        ("v5", D1, 23, 45, cart, Channel.SEARCH, "cup"),
        ("v5", D1, 23, 50, order_, Channel.SEARCH, "cup"),
        ("v5", D2, 0, 10, pay, Channel.SEARCH, "cup"),
        ("v1", D2, 8, 55, view, Channel.PAID_SEARCH, "tea"),
        ("v1", D2, 9, 0, order_, Channel.PAID_SEARCH, "tea"),
        ("v1", D2, 9, 1, pay, Channel.PAID_SEARCH, "tea"),
        ("v2", D2, 14, 0, view, Channel.SEARCH, "tea"),
        ("v4", D2, 15, 0, view, Channel.DIRECT, None),
        ("v6", D3, 19, 0, view, Channel.PAID_FEED, "tea"),
        ("v6", D3, 19, 30, cart, Channel.PAID_FEED, "tea"),
        ("v6", D3, 19, 59, order_, Channel.PAID_FEED, "tea"),
        ("v6", D3, 20, 0, pay, Channel.PAID_FEED, "tea"),
        ("v1", D3, 14, 50, view, Channel.SEARCH, "tea"),
        ("v1", D3, 14, 55, cart, Channel.SEARCH, "tea"),
        ("v1", D3, 15, 0, order_, Channel.SEARCH, "tea"),
        ("v1", D3, 15, 0, pay, Channel.SEARCH, "tea"),
        ("v5", D3, 7, 50, view, Channel.CONTENT, "cup"),
        ("v5", D3, 8, 0, order_, Channel.CONTENT, "cup"),
        ("v5", D3, 8, 0, pay, Channel.CONTENT, "cup"),
        ("v2", D3, 10, 0, view, Channel.SEARCH, "tea"),
    ]
    for visitor, day, hh, mm, kind, channel, sku in events:
        BehaviourEventFactory(
            store=a,
            visitor_id=visitor,
            event_type=kind,
            channel=channel,
            sku=skus[sku] if sku else None,
            occurred_at=at(s, day, hh, mm),
        )

    # Store B (Los Angeles). 2026-11-01 lasts 25 hours (PDT -> PST at 02:00).
    la = LOS_ANGELES
    frank = CustomerFactory(store=b, external_id="frank")
    gina = CustomerFactory(store=b, external_id="gina")
    # P1: created before local midnight (PDT), paid after it: counts on 11-01.
    OrderFactory(
        store=b,
        number="P1",
        customer=frank,
        created_at=at(la, datetime.date(2026, 10, 31), 23, 55),
        paid_at=at(la, D1, 0, 5),
        channel=Channel.SEARCH,
        goods_amount=Decimal("120.00"),
        paid_amount=Decimal("120.00"),
    )
    # P2: 11-01 23:30 PST is 2026-11-02 07:30 UTC, still local 11-01.
    OrderFactory(
        store=b,
        number="P2",
        customer=gina,
        created_at=at(la, D1, 23, 30),
        paid_at=at(la, D1, 23, 30),
        channel=Channel.PAID_SEARCH,
        goods_amount=Decimal("80.00"),
        paid_amount=Decimal("80.00"),
    )
    OrderFactory(
        store=b,
        number="P3",
        customer=frank,
        created_at=at(la, D2, 9),
        paid_at=at(la, D2, 9),
        channel=Channel.SEARCH,
        goods_amount=Decimal("40.00"),
        paid_amount=Decimal("40.00"),
    )
    AdSpendFactory(
        store=b,
        channel=Channel.PAID_SEARCH,
        day=D1,
        spend=Decimal("100.00"),
        impressions=2000,
        clicks=40,
    )
    for visitor, day, hh, mm, channel in [
        ("w1", D1, 0, 1, Channel.SEARCH),
        ("w2", D1, 23, 59, Channel.PAID_SEARCH),
        ("w1", D2, 10, 0, Channel.SEARCH),
    ]:
        BehaviourEventFactory(
            store=b,
            visitor_id=visitor,
            event_type=EventType.VIEW,
            channel=channel,
            occurred_at=at(la, day, hh, mm),
        )
    return Shop(a=a, b=b, customers=customers, skus=skus, orders=orders)
