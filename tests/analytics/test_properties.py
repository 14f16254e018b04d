"""Property tests on random small shops: rollups against brute force over the raw facts."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.funnel import funnel_depths, load_events, step_counts
from analytics.models import (
    AdSpend,
    BehaviourEvent,
    BuyerDay,
    DailyChannelMetrics,
    DailySkuMetrics,
    DailyStoreMetrics,
    FunnelDay,
    Order,
    OrderLine,
    Refund,
    VisitorSet,
)
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.reports.funnel import FunnelQuery, FunnelRunner
from analytics.rollups.services import rollup_range
from catalog.models import Sku
from opsdesk.channels import Channel
from opsdesk.models import Store
from users.models import Customer

pytestmark = pytest.mark.django_db

ZONES = ["Asia/Shanghai", "America/Los_Angeles", "UTC"]
FIRST = datetime.date(2026, 10, 31)  # includes the LA DST change on 11-01
DAYS = 4
CHANNELS = [Channel.SEARCH, Channel.PAID_SEARCH, Channel.CONTENT]
TYPES = ["view", "add_to_cart", "order", "pay"]
MINUTES = (DAYS + 2) * 24 * 60  # facts from a day before to a day after the range

orders_st = st.lists(
    st.tuples(
        st.integers(0, 3),  # customer
        st.integers(0, MINUTES),  # created, minutes from the start
        st.one_of(st.none(), st.integers(0, 600)),  # paid after created (None: never)
        st.sampled_from(CHANNELS),
        st.lists(
            st.tuples(st.integers(0, 1), st.integers(1, 3), st.integers(1, 20000)),
            min_size=1,
            max_size=2,
        ),  # lines: sku, qty, unit price in cents
        st.integers(0, 1000),  # shipping cents
    ),
    max_size=10,
)
events_st = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(0, MINUTES),
        st.sampled_from(TYPES),
        st.sampled_from(CHANNELS),
        st.one_of(st.none(), st.integers(0, 1)),
    ),
    max_size=25,
)
refunds_st = st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, MINUTES), st.integers(1, 500)), max_size=3
)
spend_st = st.lists(
    st.tuples(
        st.integers(0, DAYS - 1),
        st.sampled_from(CHANNELS),
        st.integers(0, 10000),
        st.integers(0, 50),
    ),
    max_size=4,
)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def build(zone_name, orders, events, refunds, spend):
    store = Store.objects.create(name="P", slug="prop", time_zone=zone_name)
    zone = zoneinfo.ZoneInfo(zone_name)
    origin = datetime.datetime.combine(
        FIRST - datetime.timedelta(days=1), datetime.time(), tzinfo=zone
    )
    customers = [Customer.objects.create(store=store, external_id=f"c{i}") for i in range(4)]
    skus = [
        Sku.objects.create(store=store, code=f"S{i}", title="x", price=1, cost=Decimal("0.50"))
        for i in range(2)
    ]
    made = []
    for n, (c, created, paid, channel, lines, shipping) in enumerate(orders):
        created_at = origin + datetime.timedelta(minutes=created)
        goods = sum(Decimal(q * p) / 100 for _s, q, p in lines)
        order = Order.objects.create(
            store=store,
            number=f"O{n}",
            customer=customers[c],
            created_at=created_at,
            paid_at=None if paid is None else created_at + datetime.timedelta(minutes=paid),
            status="paid" if paid is not None else "created",
            channel=channel,
            goods_amount=goods,
            shipping_amount=Decimal(shipping) / 100,
            paid_amount=goods + Decimal(shipping) / 100,
        )
        for s, q, p in lines:
            OrderLine.objects.create(
                store=store,
                order=order,
                sku=skus[s],
                quantity=q,
                unit_price=Decimal(p) / 100,
                unit_cost=Decimal("0.50"),
            )
        made.append(order)
    for n, (o, minute, cents) in enumerate(refunds):
        if o < len(made) and made[o].paid_at is not None:
            Refund.objects.create(
                store=store,
                number=f"R{n}",
                order=made[o],
                amount=Decimal(cents) / 100,
                refunded_at=origin + datetime.timedelta(minutes=minute),
            )
    for v, minute, kind, channel, s in events:
        BehaviourEvent.objects.create(
            store=store,
            visitor_id=f"v{v}",
            event_type=kind,
            channel=channel,
            sku=None if s is None else skus[s],
            occurred_at=origin + datetime.timedelta(minutes=minute),
        )
    seen = set()
    for d, channel, cents, clicks in spend:
        if (d, channel) not in seen:
            seen.add((d, channel))
            AdSpend.objects.create(
                store=store,
                channel=channel,
                day=FIRST + datetime.timedelta(days=d),
                spend=Decimal(cents) / 100,
                impressions=clicks * 10,
                clicks=clicks,
            )
    return store


def rows(store):
    out = []
    tables = (DailyStoreMetrics, DailyChannelMetrics, DailySkuMetrics, VisitorSet, BuyerDay)
    for model in (*tables, FunnelDay):
        out.append(
            sorted(
                tuple(
                    sorted(
                        (k, bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v))
                        for k, v in row.items()
                        if k not in ("id", "computed_at")
                    )
                )
                for row in model.objects.filter(store=store).values()
            )
        )
    return out


def brute_force(store, first, last):
    zone = store.zone

    def day(instant):
        return instant.astimezone(zone).date()

    def inside(instant):
        return first <= day(instant) <= last

    paid = list(Order.objects.filter(store=store, paid_at__isnull=False))
    in_range = [o for o in paid if inside(o.paid_at)]
    first_paid = {}
    for o in sorted(paid, key=lambda o: (o.paid_at, o.pk)):
        first_paid.setdefault(o.customer_id, o)
    counts = {}
    for o in in_range:
        counts[o.customer_id] = counts.get(o.customer_id, 0) + 1
    events = [e for e in BehaviourEvent.objects.filter(store=store) if inside(e.occurred_at)]
    lines = [
        line
        for line in OrderLine.objects.filter(store=store).select_related("order")
        if line.order.paid_at and inside(line.order.paid_at)
    ]
    return {
        "gmv": sum((o.paid_amount for o in in_range), Decimal(0)),
        "paid_orders": len(in_range),
        "paying_buyers": len(counts),
        "repeat_buyers": sum(1 for n in counts.values() if n >= 2),
        "new_buyers": sum(1 for o in first_paid.values() if inside(o.paid_at)),
        "refund_amount": sum(
            (r.amount for r in Refund.objects.filter(store=store) if inside(r.refunded_at)),
            Decimal(0),
        ),
        "gross_profit": sum(
            ((line.unit_price - line.unit_cost) * line.quantity for line in lines), Decimal(0)
        ),
        "pv": sum(1 for e in events if e.event_type == "view"),
        "uv": len({e.visitor_id for e in events}),
        "cart_visitors": len({e.visitor_id for e in events if e.event_type == "add_to_cart"}),
        "order_visitors": len({e.visitor_id for e in events if e.event_type == "order"}),
        "pay_visitors": len({e.visitor_id for e in events if e.event_type == "pay"}),
    }


@SETTINGS
@given(
    zone=st.sampled_from(ZONES),
    orders=orders_st,
    events=events_st,
    refunds=refunds_st,
    spend=spend_st,
    chunk=st.sampled_from([1, 2, DAYS]),
)
def test_rollups_match_brute_force(db, zone, orders, events, refunds, spend, chunk):
    cache.clear()
    with transaction.atomic():
        store = build(zone, orders, events, refunds, spend)
        last = FIRST + datetime.timedelta(days=DAYS - 1)
        rollup_range(store=store, start=FIRST, end=last, chunk_days=chunk, tiers=False)
        once = rows(store)
        rollup_range(store=store, start=FIRST, end=last, chunk_days=1, tiers=False)
        # Re-running (with any chunking) changes nothing.
        assert rows(store) == once

        # Per-channel GMV (and every additive measure) sums to the store's, per day.
        for daily in DailyStoreMetrics.objects.filter(store=store):
            channel_rows = DailyChannelMetrics.objects.filter(store=store, day=daily.day)
            for field in (
                "gmv",
                "paid_orders",
                "refund_amount",
                "gross_profit",
                "pv",
                "new_buyers",
            ):
                assert sum((getattr(r, field) for r in channel_rows), 0) == getattr(daily, field)

        # Every day and the whole range equal the brute force over the raw facts.
        result = DailyMetricsRunner(
            store=store, query=DailyMetricsQuery(start=FIRST, end=last)
        ).run()
        for point in result.series:
            expected = brute_force(store, point.start, point.end)
            got = {k: getattr(point.measures, k) for k in expected}
            assert got == expected, point.start
        expected = brute_force(store, FIRST, last)
        assert {k: getattr(result.measures, k) for k in expected} == expected

        daily_uv = [point.measures.uv for point in result.series]
        assert max(daily_uv) <= result.measures.uv <= sum(daily_uv)

        # A two-day sub-range too (distinct counts are never sums of days).
        sub = DailyMetricsRunner(
            store=store,
            query=DailyMetricsQuery(
                start=FIRST + datetime.timedelta(days=1),
                end=FIRST + datetime.timedelta(days=2),
                interval="week",
            ),
        ).run()
        expected = brute_force(
            store, FIRST + datetime.timedelta(days=1), FIRST + datetime.timedelta(days=2)
        )
        assert {k: getattr(sub.measures, k) for k in expected} == expected

        # The funnel of every sub-range, from the FunnelDay rollup, equals matching the raw
        # events of the range (steps, channels, abandoned carts).
        for a in range(DAYS):
            for b in range(a, DAYS):
                start = FIRST + datetime.timedelta(days=a)
                end = FIRST + datetime.timedelta(days=b)
                runner = FunnelRunner(
                    store=store, query=FunnelQuery(start=start, end=end, by_channel=True)
                )
                _depths, from_rollup = runner._depths(store.funnel_window_hours)
                assert from_rollup
                assert funnel_summary(runner.run()) == raw_funnel(store, start, end)
        transaction.set_rollback(True)


def funnel_summary(result):
    return (
        [step.visitors for step in result.steps],
        {c.channel: [step.visitors for step in c.steps] for c in result.channels},
        result.abandoned_cart_visitors,
        result.abandoned_cart_sample,
    )


def raw_funnel(store, start, end):
    """The funnel matched on the raw events (no rollup), as ``funnel_summary``."""
    window = datetime.timedelta(hours=store.funnel_window_hours)
    events, range_start, range_end = load_events(store=store, start=start, end=end, window=window)
    depths = funnel_depths(events, start=range_start, end=range_end, window=window)
    channels = {}
    if len(depths):
        channels = {channel: step_counts(group) for channel, group in depths.groupby("channel")}
    abandoned = sorted(depths.loc[depths["depth"] == 2, "visitor"]) if len(depths) else []
    return (step_counts(depths), channels, len(abandoned), tuple(abandoned[:100]))
