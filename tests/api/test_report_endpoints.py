"""The report endpoints (funnel, RFM, tiers, flags, product matrix, SKU health, compliance,
price-protection exposure): numbers equal the runner's and a brute-force count from the raw
facts of a small fixture; CSV (BOM, escaped) and XLSX hold the same numbers as the JSON; bad
parameters are 400s naming the parameter; another store is a 404; every role with VIEW may
read, nobody else."""

import codecs
import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from analytics.models import BehaviourEvent, EventType, Order, OrderLine, TierDailyCount
from analytics.reports.flags import FlagsQuery, FlagsRunner
from analytics.reports.funnel import FunnelQuery, FunnelRunner
from analytics.reports.rfm import RfmQuery, RfmRunner
from analytics.rollups.services import rollup_day
from catalog.compliance import compliance_scan_sku
from catalog.health import HealthQuery, SkuHealthRunner
from catalog.matrix import MatrixQuery, ProductMatrixRunner
from catalog.models import BannedTerm, Sku
from opsdesk.channels import Channel
from opsdesk.exports import XLSX_TYPE
from tests.factories import (
    BehaviourEventFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    SkuFactory,
    StockSnapshotFactory,
    TierChangeFactory,
)
from users.models import Tier

BASE = "/api/v1/stores/tea-house/reports/"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
D3 = datetime.date(2026, 11, 3)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """2026-11-``day`` ``hour``:``minute`` Shanghai time (store A's zone)."""
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(codecs.BOM_UTF8)
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX_TYPE
    assert ".xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content), read_only=True)


def sheet_rows(book, name: str) -> list[tuple]:
    return list(book[name].iter_rows(values_only=True))


# --- funnel -----------------------------------------------------------------------------------


@pytest.fixture
def funnel_world(world):
    """On 2026-11-03 (Shanghai): v1 views (search) -> cart -> order -> pay, all on the
    world's SKU; v2 views (paid_feed) -> cart (an abandoned cart); v3 only views (search)."""
    sku = world.a[Sku]
    rows = [
        ("v1", EventType.VIEW, Channel.SEARCH, at(3, 10), sku),
        ("v1", EventType.ADD_TO_CART, Channel.SEARCH, at(3, 10, 5), sku),
        ("v1", EventType.ORDER, Channel.SEARCH, at(3, 10, 10), sku),
        ("v1", EventType.PAY, Channel.SEARCH, at(3, 10, 12), sku),
        ("v2", EventType.VIEW, Channel.PAID_FEED, at(3, 11), None),
        ("v2", EventType.ADD_TO_CART, Channel.PAID_FEED, at(3, 11, 30), None),
        ("v3", EventType.VIEW, Channel.SEARCH, at(3, 12), None),
    ]
    for visitor, kind, channel, when, event_sku in rows:
        BehaviourEventFactory(
            store=world.store,
            visitor_id=visitor,
            event_type=kind,
            channel=channel,
            occurred_at=when,
            sku=event_sku,
        )
    # Store B has the same visitors on the same day: never counted for A.
    BehaviourEventFactory(store=world.b.store, visitor_id="v9", occurred_at=at(3, 10))
    return world


def brute_force_funnel(store, sku_ids=None) -> list[int]:
    """Visitors reaching each step from a view on 2026-11-03, straight from the events (every
    step of this fixture is well inside the window)."""
    events = BehaviourEvent.objects.filter(store=store)
    if sku_ids:
        events = events.filter(sku_id__in=sku_ids)
    by_visitor: dict[str, set[str]] = {}
    for visitor, kind, when in events.values_list("visitor_id", "event_type", "occurred_at"):
        if kind != EventType.VIEW or at(3, 0) <= when < at(4, 0):
            by_visitor.setdefault(visitor, set()).add(kind)
    viewers = {v: kinds for v, kinds in by_visitor.items() if EventType.VIEW in kinds}
    steps = [EventType.VIEW, EventType.ADD_TO_CART, EventType.ORDER, EventType.PAY]
    return [
        sum(1 for kinds in viewers.values() if all(s in kinds for s in steps[: n + 1]))
        for n in range(4)
    ]


def test_funnel_numbers_are_the_runners_and_the_raw_events(funnel_world, client_for):
    response = client_for("analyst").get(
        BASE + "funnel/", {"start": "2026-11-03", "end": "2026-11-03", "channels": "true"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    visitors = [step["visitors"] for step in body["steps"]]
    assert visitors == [3, 2, 1, 1] == brute_force_funnel(funnel_world.store)
    runner = FunnelRunner(
        store=funnel_world.store, query=FunnelQuery(start=D3, end=D3, by_channel=True)
    ).run()
    assert visitors == [step.visitors for step in runner.steps]
    assert body["steps"][1]["conversion_from_previous"] == str(
        runner.steps[1].conversion_from_previous
    )
    assert Decimal(body["steps"][1]["conversion_from_previous"]) == Decimal(2) / 3 or (
        abs(Decimal(body["steps"][1]["conversion_from_previous"]) - Decimal(2) / 3)
        < Decimal("0.001")
    )
    assert body["steps"][2]["drop_off"] == 1
    channels = {c["channel"]: [s["visitors"] for s in c["steps"]] for c in body["channels"]}
    assert channels == {"paid_feed": [1, 1, 0, 0], "search": [2, 1, 1, 1]}
    assert body["abandoned_cart_visitors"] == 1
    assert body["abandoned_cart_sample"] == ["v2"]
    assert body["window_hours"] == funnel_world.store.funnel_window_hours


def test_funnel_channel_and_sku_filters(funnel_world, client_for):
    client = client_for("operator")
    params = {"start": "2026-11-03", "end": "2026-11-03"}
    body = client.get(BASE + "funnel/", {**params, "channel": "search"}).json()
    assert body["channel"] == "search"
    assert [s["visitors"] for s in body["steps"]] == [2, 1, 1, 1]
    assert [c["channel"] for c in body["channels"]] == ["search"]

    sku = funnel_world.a[Sku]
    body = client.get(BASE + "funnel/", {**params, "sku": str(sku.pk)}).json()
    expected = brute_force_funnel(funnel_world.store, [sku.pk])
    assert [s["visitors"] for s in body["steps"]] == expected == [1, 1, 1, 1]

    body = client.get(BASE + "funnel/", {**params, "category": str(sku.category_id)}).json()
    assert [s["visitors"] for s in body["steps"]] == [1, 1, 1, 1]

    body = client.get(BASE + "funnel/", {**params, "window_hours": "1"}).json()
    assert body["window_hours"] == 1


def test_funnel_csv_and_xlsx_hold_the_json_numbers(funnel_world, client_for):
    client = client_for("analyst")
    params = {"start": "2026-11-03", "end": "2026-11-03", "channels": "true"}
    body = client.get(BASE + "funnel/", params).json()

    rows = csv_rows(client.get(BASE + "funnel/", {**params, "format": "csv"}))
    assert rows[0] == [
        "channel",
        "step",
        "visitors",
        "conversion_from_previous",
        "conversion_from_first",
        "drop_off",
        "drop_off_rate",
    ]
    total = [r for r in rows[1:] if r[0] == "all"]
    assert [int(r[2]) for r in total] == [s["visitors"] for s in body["steps"]]
    assert {r[0] for r in rows[1:]} == {"all", "paid_feed", "search"}

    rows = csv_rows(
        client.get(BASE + "funnel/", {**params, "format": "csv", "table": "abandoned_carts"})
    )
    assert rows == [["visitor_id"], ["v2"]]

    book = workbook(client.get(BASE + "funnel/", {**params, "format": "xlsx"}))
    assert book.sheetnames == ["steps", "abandoned_carts"]
    steps = sheet_rows(book, "steps")
    assert [r[2] for r in steps[1:5]] == [s["visitors"] for s in body["steps"]]
    assert Decimal(str(steps[2][3])).quantize(Decimal("0.0001")) == Decimal(
        body["steps"][1]["conversion_from_previous"]
    ).quantize(Decimal("0.0001"))


def test_accept_header_selects_the_format(funnel_world, client_for):
    client = client_for("analyst")
    params = {"start": "2026-11-03", "end": "2026-11-03"}
    response = client.get(BASE + "funnel/", params, HTTP_ACCEPT="text/csv")
    assert csv_rows(response)[0][0] == "channel"
    response = client.get(BASE + "funnel/", params, HTTP_ACCEPT=XLSX_TYPE)
    assert workbook(response).sheetnames[0] == "steps"


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"start": "2026-13-01", "end": "2026-11-03"}, "start"),
        ({"start": "2026-11-05", "end": "2026-11-03"}, "end"),
        ({"start": "2020-01-01", "end": "2026-11-03"}, "end"),
        ({"end": "2026-11-03"}, "start"),
        ({"start": "0001-01-01", "end": "2026-11-03"}, "start"),
        ({"start": "2026-11-01", "end": "9999-12-31"}, "end"),
        ({"start": "2026-11-01", "end": "2026-11-03", "channel": "tv"}, "channel"),
        ({"start": "2026-11-01", "end": "2026-11-03", "sku": "abc"}, "sku.0"),
        ({"start": "2026-11-01", "end": "2026-11-03", "category": "-4"}, "category"),
        ({"start": "2026-11-01", "end": "2026-11-03", "window_hours": "0"}, "window_hours"),
        ({"start": "2026-11-01", "end": "2026-11-03", "format": "pdf"}, "format"),
        ({"start": "2026-11-01", "end": "2026-11-03", "table": "nope"}, "table"),
        ({"start": "2026-11-01", "end": "2026-11-03", "format": "csv", "table": "x"}, "table"),
    ],
)
def test_funnel_bad_parameters_are_400s_naming_them(world, client_for, params, name):
    response = client_for("analyst").get(BASE + "funnel/", params)

    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "invalid"
    assert name in body["errors"], body
    assert response["Content-Type"].startswith("application/json")


def test_funnel_refuses_another_stores_sku_and_category(world, client_for):
    other_sku = world.b[Sku]
    params = {"start": "2026-11-01", "end": "2026-11-03"}
    response = client_for("admin").get(BASE + "funnel/", {**params, "sku": str(other_sku.pk)})
    assert response.status_code == 400
    assert "sku" in response.json()["errors"]
    response = client_for("admin").get(
        BASE + "funnel/", {**params, "category": str(other_sku.category_id)}
    )
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


# --- RFM --------------------------------------------------------------------------------------


@pytest.fixture
def rfm_world(world):
    """As of 2026-11-20: c1 paid 2 orders of 300.00 on 11-19; c2 one of 100.00 on 11-10; c3
    one of 50.00 on 06-01. (The world's own order is paid "now", after the as-of day.)"""
    store = world.store
    c1, c2, c3 = (CustomerFactory(store=store, external_id=f"c{n}") for n in (1, 2, 3))
    for customer, when, amount in [
        (c1, at(19, 9), "300.00"),
        (c1, at(19, 15), "300.00"),
        (c2, at(10, 12), "100.00"),
        (c3, datetime.datetime(2026, 6, 1, 12, tzinfo=SHANGHAI), "50.00"),
    ]:
        OrderFactory(
            store=store,
            customer=customer,
            created_at=when,
            paid_at=when,
            goods_amount=Decimal(amount),
        )
    return world


def test_rfm_segments_and_grid(rfm_world, client_for):
    response = client_for("analyst").get(
        BASE + "rfm/", {"as_of": "2026-11-20", "segment": "hibernating"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    # R: 1, 10, 172 days -> scores 4, 2, 1 (1 + floor(5 x worse / 3)); F: 2, 1, 1 -> 4, 1, 1.
    # (R4, F4) is loyal; (R2, F1) and (R1, F1) are hibernating.
    assert body["scored_customers"] == 3
    assert body["revenue"] == "750.00"
    segments = {s["code"]: s for s in body["segments"]}
    assert segments["loyal"]["customers"] == 1
    assert segments["loyal"]["revenue"] == "600.00"
    assert Decimal(segments["loyal"]["revenue_share"]) == Decimal("0.8")
    assert segments["hibernating"]["customers"] == 2
    assert segments["champions"]["customers"] == 0
    assert body["grid"][4 - 1][4 - 1] == 1
    assert body["grid"][2 - 1][1 - 1] == 1
    assert body["grid"][1 - 1][1 - 1] == 1
    assert sum(map(sum, body["grid"])) == 3
    assert [c["external_id"] for c in body["customers"]] == ["c2", "c3"]
    runner = RfmRunner(
        store=rfm_world.store,
        query=RfmQuery(
            as_of=datetime.date(2026, 11, 20), segment="hibernating", customer_limit=100
        ),
    ).run()
    assert body["grid"] == [list(row) for row in runner.grid]

    client = client_for("analyst")
    params = {"as_of": "2026-11-20", "segment": "hibernating"}
    rows = csv_rows(client.get(BASE + "rfm/", {**params, "format": "csv", "table": "grid"}))
    assert rows[0] == ["r_score", "f1", "f2", "f3", "f4", "f5"]
    assert rows[1] == ["5", "0", "0", "0", "0", "0"]
    assert rows[2] == ["4", "0", "0", "0", "1", "0"]
    book = workbook(client.get(BASE + "rfm/", {**params, "format": "xlsx"}))
    assert book.sheetnames == ["segments", "grid", "customers"]
    by_code = {r[0]: r for r in sheet_rows(book, "segments")[1:]}
    assert by_code["loyal"][3] == 1 and by_code["loyal"][4] == 600.0
    assert [r[1] for r in sheet_rows(book, "customers")[1:]] == ["c2", "c3"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "9999-12-31"}, "as_of"),
        ({"segment": "vip"}, "segment"),
        ({"limit": "501"}, "limit"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_rfm_bad_parameters(world, client_for, params, name):
    response = client_for("analyst").get(BASE + "rfm/", params)
    assert response.status_code == 400
    assert name in response.json()["errors"]


# --- tiers ------------------------------------------------------------------------------------


@pytest.fixture
def tier_world(world):
    """Tier counts of 11-01 and 11-02; the world's customer entered new on 11-01 (from
    prospect); c5 was new from 10-01 and became active on 11-02."""
    store = world.store
    now = timezone.now()
    for day, tier, customers in [
        (datetime.date(2026, 11, 1), Tier.NEW, 2),
        (datetime.date(2026, 11, 2), Tier.NEW, 1),
        (datetime.date(2026, 11, 2), Tier.ACTIVE, 1),
    ]:
        TierDailyCount.objects.create(
            store=store, day=day, tier=tier, customers=customers, computed_at=now
        )
    c5 = CustomerFactory(store=store, external_id="c5")
    TierChangeFactory(customer=c5, day=datetime.date(2026, 10, 1), tier=Tier.NEW)
    TierChangeFactory(
        customer=c5, day=datetime.date(2026, 11, 2), tier=Tier.ACTIVE, previous_tier=Tier.NEW
    )
    return world


def test_tier_sizes_flows_and_entries(tier_world, client_for):
    client = client_for("analyst")
    params = {
        "start": "2026-11-01",
        "end": "2026-11-02",
        "flow_from": "2026-10-31",
        "flow_to": "2026-11-02",
        "entered_day": "2026-11-02",
        "entered_tier": "active",
    }
    body = client.get(BASE + "tiers/", params).json()

    sizes = {s["day"]: {t["tier"]: t["customers"] for t in s["tiers"]} for s in body["sizes"]}
    assert sizes["2026-11-01"]["new"] == 2
    assert sizes["2026-11-01"]["active"] == 0
    assert sizes["2026-11-02"] == {
        "new": 1,
        "churned": 0,
        "dormant": 0,
        "high_value": 0,
        "active": 1,
        "prospect": 0,
    }
    flows = {(f["from_tier"], f["to_tier"]): f["customers"] for f in body["flows"]}
    # The world's customer: no tier on 10-31 -> new; c5: new -> active.
    assert flows == {("", "new"): 1, ("new", "active"): 1}
    assert [(e["external_id"], e["previous_tier"]) for e in body["entered"]] == [("c5", "new")]

    rows = csv_rows(client.get(BASE + "tiers/", {**params, "format": "csv"}))
    assert rows[0] == ["day", "new", "churned", "dormant", "high_value", "active", "prospect"]
    assert rows[2] == ["2026-11-02", "1", "0", "0", "0", "1", "0"]
    book = workbook(client.get(BASE + "tiers/", {**params, "format": "xlsx"}))
    flows = sorted((a or "", b, n) for a, b, n in sheet_rows(book, "flows")[1:])
    assert flows == [("", "new", 1), ("new", "active", 1)]  # an empty cell reads as None


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"flow_from": "2026-11-01"}, "flow_to"),
        ({"flow_from": "2026-11-03", "flow_to": "2026-11-01"}, "flow_to"),
        ({"entered_tier": "active"}, "entered_day"),
        ({"entered_day": "2026-11-01", "entered_tier": "gold"}, "entered_tier"),
    ],
)
def test_tier_bad_parameters(world, client_for, params, name):
    response = client_for("analyst").get(
        BASE + "tiers/", {"start": "2026-11-01", "end": "2026-11-02", **params}
    )
    assert response.status_code == 400
    assert name in response.json()["errors"]


# --- flags ------------------------------------------------------------------------------------


def test_flags_of_a_day(world, client_for):
    # The world's 100.00 of paid_search spend on 11-01 bought no GMV: 7-day ROI 0 < 1.
    rollup_day(store=world.store, day=datetime.date(2026, 11, 1), tiers=False)
    client = client_for("analyst")

    body = client.get(BASE + "flags/", {"day": "2026-11-01"}).json()

    assert [(f["kind"], f["channel"], Decimal(f["value"])) for f in body["flags"]] == [
        ("consider_pausing", "paid_search", Decimal(0))
    ]
    runner = FlagsRunner(store=world.store, query=FlagsQuery(datetime.date(2026, 11, 1))).run()
    assert body["flags"][0]["value"] == str(runner.flags[0].value)
    assert body["flags"][0]["high"] == "1"
    rows = csv_rows(client.get(BASE + "flags/", {"day": "2026-11-01", "format": "csv"}))
    assert rows[1][:3] == ["consider_pausing", "2026-11-01", "paid_search"]
    assert Decimal(rows[1][3]) == 0
    response = client.get(BASE + "flags/", {"day": "2026-11-31"})
    assert response.status_code == 400
    assert "day" in response.json()["errors"]


# --- catalog: product matrix and SKU health --------------------------------------------------


@pytest.fixture
def sales_world(world):
    """On 11-02 an order of 2 x the world's SKU (profit, 199.00, cost 80.00) and 1 x a new
    traffic SKU (29.00, cost 20.00); 11-01 and 11-02 rolled up; every SKU's stock snapshot of
    11-02 is its current stock (SKU health of a past day reads the snapshots)."""
    store = world.store
    traffic = SkuFactory(
        store=store, code="T1", role="traffic", price=Decimal("29.00"), cost=Decimal("20.00")
    )
    order = OrderFactory(
        store=store, created_at=at(2, 10), paid_at=at(2, 10, 1), goods_amount=Decimal("427.00")
    )
    OrderLineFactory(order=order, sku=world.a[Sku], quantity=2)
    OrderLineFactory(
        order=order, sku=traffic, quantity=1, unit_price=Decimal("29.00"), unit_cost=Decimal("20")
    )
    for day in (1, 2):
        rollup_day(store=store, day=datetime.date(2026, 11, day), tiers=False)
    snapshot_today(store)
    return world


def snapshot_today(store) -> None:
    """Stock snapshots of 11-02 equal to the current stock of every SKU of ``store``."""
    for sku in Sku.objects.filter(store=store):
        StockSnapshotFactory(sku=sku, day=datetime.date(2026, 11, 2), stock=sku.stock)


def brute_force_sales(store, role: str) -> tuple[Decimal, Decimal]:
    """GMV and gross profit of a role's SKUs from order lines paid 11-01..11-02."""
    gmv = profit = Decimal("0")
    for line in OrderLine.objects.filter(
        store=store, sku__role=role, order__paid_at__gte=at(1, 0), order__paid_at__lt=at(3, 0)
    ):
        gmv += line.unit_price * line.quantity
        profit += (line.unit_price - line.unit_cost) * line.quantity
    return gmv, profit


def test_product_matrix(sales_world, client_for):
    client = client_for("analyst")
    params = {"start": "2026-11-01", "end": "2026-11-02"}
    response = client.get(BASE + "product-matrix/", params)

    assert response.status_code == 200, response.content
    body = response.json()
    roles = {r["role"]: r for r in body["roles"]}
    gmv, profit = brute_force_sales(sales_world.store, "profit")
    assert (Decimal(roles["profit"]["gmv"]), Decimal(roles["profit"]["gross_profit"])) == (
        gmv,
        profit,
    )
    assert (gmv, profit) == (Decimal("398.00"), Decimal("238.00"))
    assert Decimal(roles["traffic"]["gmv"]) == Decimal("29.00")
    assert roles["traffic"]["skus"] == 1 and roles["profit"]["skus"] == 1
    assert Decimal(body["total_gmv"]) == Decimal("427.00")
    assert Decimal(roles["traffic"]["sku_share"]) == Decimal("0.5")
    runner = ProductMatrixRunner(
        store=sales_world.store,
        query=MatrixQuery(datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)),
    ).run()
    assert [f["code"] for f in body["flags"]] == [f.code for f in runner.flags]
    assert "traffic_share_off_target" in [f["code"] for f in body["flags"]]  # 50% vs 30%

    rows = csv_rows(client.get(BASE + "product-matrix/", {**params, "format": "csv"}))
    by_role = {r[0]: r for r in rows[1:]}
    assert Decimal(by_role["profit"][2]) == Decimal("398.00")
    book = workbook(client.get(BASE + "product-matrix/", {**params, "format": "xlsx"}))
    assert book.sheetnames == ["roles", "skus", "flags", "suggestions"]
    skus = {r[1]: r for r in sheet_rows(book, "skus")[1:]}
    assert skus["T1"][7] == 1 and skus["T1"][8] == 29.0


def test_sku_health(sales_world, client_for):
    client = client_for("analyst")
    body = client.get(BASE + "sku-health/", {"as_of": "2026-11-02"}).json()

    rows = {r["code"]: r for r in body["skus"]}
    sku = sales_world.a[Sku]
    # 2 units sold in 30 days, 100 in stock: sell-through 2 / 102.
    assert rows[sku.code]["units_30d"] == 2
    assert Decimal(rows[sku.code]["sell_through"]).quantize(Decimal("0.000001")) == (
        Decimal(2) / Decimal(102)
    ).quantize(Decimal("0.000001"))
    runner = SkuHealthRunner(
        store=sales_world.store, query=HealthQuery(as_of=datetime.date(2026, 11, 2))
    ).run()
    assert body["on_shelf"] == runner.on_shelf
    assert body["on_shelf_selling"] == runner.on_shelf_selling == 2

    only = client.get(BASE + "sku-health/", {"as_of": "2026-11-02", "only": "overstock"}).json()
    assert {r["code"] for r in only["skus"]} == {r.code for r in runner.overstocked}

    rows = csv_rows(client.get(BASE + "sku-health/", {"as_of": "2026-11-02", "format": "csv"}))
    header = rows[0]
    line = next(r for r in rows[1:] if r[header.index("code")] == sku.code)
    assert line[header.index("units_30d")] == "2"
    response = client.get(BASE + "sku-health/", {"target_cover_days": "0"})
    assert response.status_code == 400
    assert "target_cover_days" in response.json()["errors"]


# --- compliance and price exposure ------------------------------------------------------------


def test_compliance_findings_with_an_escaped_title(world, client_for):
    store = world.store
    BannedTerm.objects.create(store=store, term="最佳", replacement="优选")
    sku = SkuFactory(store=store, code="C1", title="=HYPERLINK 最佳 茶")
    compliance_scan_sku(sku=sku)
    client = client_for("analyst")

    body = client.get(BASE + "compliance/").json()

    assert body["open"] == 1
    finding = body["findings"][0]
    assert (finding["sku_code"], finding["field"], finding["term"]) == ("C1", "title", "最佳")
    assert finding["position"] == 11
    assert finding["replacement"] == "优选"
    assert body["clear_within_hours"] == 24
    rows = csv_rows(client.get(BASE + "compliance/", {"format": "csv"}))
    assert rows[1][2:5] == ["C1", "title", "最佳"]
    book = workbook(client.get(BASE + "compliance/", {"format": "xlsx"}))
    assert sheet_rows(book, "findings")[1][4] == "最佳"
    response = client.get(BASE + "compliance/", {"field": "body"})
    assert response.status_code == 400
    assert "field" in response.json()["errors"]


def test_csv_escapes_formula_cells(world, client_for):
    sku = world.a[Sku]
    Sku.objects.filter(pk=sku.pk).update(code="=cmd|calc", title="+SUM(A1)")
    snapshot_today(world.store)
    client = client_for("analyst")

    rows = csv_rows(client.get(BASE + "sku-health/", {"as_of": "2026-11-02", "format": "csv"}))

    header = rows[0]
    line = next(r for r in rows[1:] if r[header.index("code")].endswith("cmd|calc"))
    assert line[header.index("code")] == "'=cmd|calc"
    assert line[header.index("title")] == "'+SUM(A1)"
    book = workbook(client.get(BASE + "sku-health/", {"as_of": "2026-11-02", "format": "xlsx"}))
    codes = [r[1] for r in sheet_rows(book, "skus")[1:]]
    assert "'=cmd|calc" in codes


def brute_force_exposure(sku, new_price: Decimal) -> tuple[int, Decimal]:
    since = timezone.now() - datetime.timedelta(days=sku.store.price_protection_days)
    orders, amount = set(), Decimal("0")
    for line in OrderLine.objects.filter(sku=sku, order__paid_at__gt=since).select_related("order"):
        if line.unit_price > new_price and line.order.status not in ("cancelled", "refunded"):
            orders.add(line.order_id)
            amount += (line.unit_price - new_price) * line.quantity
    return len(orders), amount


def test_price_exposure(world, client_for):
    sku = world.a[Sku]
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    order = OrderFactory(store=world.store, created_at=two_days_ago)
    OrderLineFactory(order=order, sku=sku, quantity=2)  # 2 x 199.00
    old = OrderFactory(store=world.store, created_at=timezone.now() - datetime.timedelta(days=90))
    OrderLineFactory(order=old, sku=sku, quantity=5)  # outside the 30-day window
    client = client_for("analyst")

    body = client.get(BASE + "price-exposure/", {"sku": sku.pk, "new_price": "150.00"}).json()

    # The world's order (1 x 199.00, paid an hour ago) and this one (2 x 199.00): 3 x 49.00.
    assert brute_force_exposure(sku, Decimal("150.00")) == (2, Decimal("147.00"))
    assert body["rows"][0]["orders"] == 2
    assert body["rows"][0]["units"] == 3
    assert body["rows"][0]["amount"] == "147.00"
    assert body["amount"] == "147.00"
    assert body["protection_days"] == world.store.price_protection_days
    assert Sku.objects.get(pk=sku.pk).price == Decimal("199.00")  # nothing written

    cut = client.get(BASE + "price-exposure/", {"cut_percent": "10"}).json()
    row = next(r for r in cut["rows"] if r["sku_id"] == sku.pk)
    assert row["new_price"] == "179.10"
    assert row["amount"] == str(brute_force_exposure(sku, Decimal("179.10"))[1])
    rows = csv_rows(client.get(BASE + "price-exposure/", {"cut_percent": "10", "format": "csv"}))
    assert rows[0][:4] == ["sku_id", "code", "old_price", "new_price"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({}, "new_price"),
        ({"new_price": "10"}, "sku"),
        ({"sku": "1", "new_price": "-1"}, "new_price"),
        ({"cut_percent": "120"}, "cut_percent"),
        ({"sku": "99999999", "new_price": "10"}, "sku"),
    ],
)
def test_price_exposure_bad_parameters(world, client_for, params, name):
    response = client_for("analyst").get(BASE + "price-exposure/", params)
    assert response.status_code == 400
    assert name in response.json()["errors"]


def test_price_exposure_of_another_stores_sku_is_refused(world, client_for):
    response = client_for("admin").get(
        BASE + "price-exposure/", {"sku": world.b[Sku].pk, "new_price": "1.00"}
    )
    assert response.status_code == 400
    assert "sku" in response.json()["errors"]


# --- isolation and roles ----------------------------------------------------------------------

ENDPOINTS = {
    "daily-metrics": {"start": "2026-11-01", "end": "2026-11-02"},
    "funnel": {"start": "2026-11-01", "end": "2026-11-02"},
    "rfm": {},
    "tiers": {"start": "2026-11-01", "end": "2026-11-02"},
    "flags": {},
    "product-matrix": {"start": "2026-11-01", "end": "2026-11-02"},
    "sku-health": {},
    "compliance": {},
    "price-exposure": {"cut_percent": "10"},
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_other_store_is_404_and_every_role_reads(world, client_for, name):
    params = ENDPOINTS[name]
    other = client_for("outsider").get(BASE + f"{name}/", params)
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"
    for fmt in ("csv", "xlsx"):
        assert (
            client_for("outsider").get(BASE + f"{name}/", {**params, "format": fmt}).status_code
            == 404
        )
    for role in ("admin", "manager", "operator", "analyst"):
        for fmt in ("json", "csv", "xlsx"):
            response = client_for(role).get(BASE + f"{name}/", {**params, "format": fmt})
            assert response.status_code == 200, (role, fmt, response.content[:200])
    assert client_for(None).get(BASE + f"{name}/", params).status_code == 401


def test_a_token_limited_to_store_b_cannot_read_store_a(world, api):
    from opsdesk.models import Membership
    from opsdesk.tokens import token_create

    Membership.objects.create(user=world.users["outsider"], store=world.store, role="analyst")
    key = token_create(user=world.users["outsider"], name="b only", stores=[world.b.store]).key
    response = api.get(
        BASE + "funnel/",
        {"start": "2026-11-01", "end": "2026-11-02"},
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 404


def test_daily_metrics_xlsx_has_the_json_numbers(world, client_for):
    order = world.a[Order]
    Order.objects.filter(pk=order.pk).update(created_at=at(1, 9), paid_at=at(1, 10))
    rollup_day(store=world.store, day=datetime.date(2026, 11, 1), tiers=False)
    client = client_for("analyst")
    params = {"start": "2026-11-01", "end": "2026-11-01", "channels": "true"}
    body = client.get(BASE + "daily-metrics/", params).json()

    book = workbook(client.get(BASE + "daily-metrics/", {**params, "format": "xlsx"}))

    assert book.sheetnames == ["series", "channels", "skus"]
    series = sheet_rows(book, "series")
    gmv_column = series[0].index("gmv")
    assert Decimal(str(series[1][gmv_column])) == Decimal(body["series"][0]["metrics"]["gmv"])
    assert Decimal(body["totals"]["gmv"]) == Decimal("199.00")
    channels = sheet_rows(book, "channels")
    assert channels[1][0] == body["channels"][0]["channel"]


TABLES = {
    "daily-metrics": ["series", "channels", "skus"],
    "funnel": ["steps", "abandoned_carts"],
    "rfm": ["segments", "grid", "customers"],
    "tiers": ["sizes", "flows", "entered"],
    "flags": ["flags", "contributors"],
    "product-matrix": ["roles", "skus", "flags", "suggestions"],
    "sku-health": ["skus", "summary"],
    "compliance": ["findings"],
    "price-exposure": ["exposure"],
}
FULL_QUERY = {
    "daily-metrics": {
        "start": "2026-11-01",
        "end": "2026-11-03",
        "channels": "true",
        "skus": "true",
    },
    "funnel": {"start": "2026-11-03", "end": "2026-11-03", "channels": "true"},
    "rfm": {"as_of": "2026-11-20", "segment": "hibernating"},
    "tiers": {
        "start": "2026-11-01",
        "end": "2026-11-02",
        "flow_from": "2026-10-31",
        "flow_to": "2026-11-02",
        "entered_day": "2026-11-02",
        "entered_tier": "active",
    },
    "flags": {"day": "2026-11-01"},
    "product-matrix": {"start": "2026-11-01", "end": "2026-11-02"},
    "sku-health": {"as_of": "2026-11-02"},
    "compliance": {},
    "price-exposure": {"cut_percent": "10"},
}


def _same(csv_value: str, xlsx_value) -> bool:
    if xlsx_value is None:
        return csv_value == ""
    if isinstance(xlsx_value, bool):
        return csv_value == ("true" if xlsx_value else "false")
    if isinstance(xlsx_value, int | float):  # a spreadsheet number: a double (~16 digits)
        exact = Decimal(csv_value)
        return abs(exact - Decimal(str(xlsx_value))) <= abs(exact) * Decimal("1e-14")
    if isinstance(xlsx_value, datetime.datetime):
        return csv_value == xlsx_value.date().isoformat()
    return csv_value == str(xlsx_value)


@pytest.mark.parametrize("name", TABLES)
def test_every_table_has_the_same_cells_in_csv_and_xlsx(
    funnel_world, rfm_world, tier_world, sales_world, client_for, name
):
    BannedTerm.objects.create(store=sales_world.store, term="最佳", replacement="优选")
    compliance_scan_sku(sku=SkuFactory(store=sales_world.store, code="C9", title="最佳好茶"))
    rollup_day(store=sales_world.store, day=D3, tiers=False)
    client = client_for("analyst")
    params = FULL_QUERY[name]
    book = workbook(client.get(BASE + f"{name}/", {**params, "format": "xlsx"}))

    assert book.sheetnames == TABLES[name]
    for table in TABLES[name]:
        rows = csv_rows(client.get(BASE + f"{name}/", {**params, "format": "csv", "table": table}))
        sheet = sheet_rows(book, table)
        assert len(rows) == len(sheet), (name, table)
        assert list(sheet[0]) == rows[0]
        for csv_row, xlsx_row in zip(rows[1:], sheet[1:], strict=True):
            assert len(csv_row) == len(xlsx_row)
            differ = [(c, x) for c, x in zip(csv_row, xlsx_row, strict=True) if not _same(c, x)]
            assert differ == [], (table, csv_row[:2])
        if table in ("series", "steps", "segments", "sizes", "roles", "skus", "findings"):
            assert len(rows) > 1, (name, table)  # the fixture fills the main tables
