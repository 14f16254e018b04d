"""Imports end to end on small hand-written files; expected rows and metrics worked out by
hand (store time zone Asia/Shanghai, UTC+8)."""

import datetime
import io
from decimal import Decimal

import pytest

from analytics.imports.services import create_run, import_run
from analytics.models import (
    AdSpend,
    ImportRun,
    ImportStatus,
    Order,
    OrderLine,
    Refund,
    StaleDay,
)
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from catalog.models import PriceChange, Sku
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from tests.factories import CustomerFactory, SkuFactory, StoreFactory
from users.models import Customer

from .conftest import xlsx_bytes

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
D = Decimal

# 淘宝 订单报表: 1001 paid 2026-10-01 10:05 (+08); 1002 paid 10-01 23:31 (15:31 UTC, still the
# 1st locally), closed with its 99.50 refunded; 1003 never paid; 1004 paid 10-02 00:30 local
# (= 10-01 16:30 UTC: the 2nd locally). Thousands separator, ¥, ="..." and Chinese dates.
TAOBAO_ORDERS = """订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间,订单付款时间,退款金额
="1001",tb_alice,"￥1,288.00",交易成功,2026/10/1 10:00:00,2026/10/1 10:05:00,0.00
="1002",tb_bob,99.50,交易关闭,2026-10-01 23:30:00,2026-10-01 23:31:00,99.50
="1003",tb_alice,50.00,等待买家付款,2026-10-01 08:00:00,,0
="1004",tb_carol,200,卖家已发货，等待买家确认,2026年10月2日 00:20:00,2026年10月2日 00:30:00,0
"""
TAOBAO_ITEMS = """订单编号,标题,价格,购买数量,商家编码
="1001",乌龙茶 250g,644.00,2,TEA-01
="1002",红茶 100g,99.50,1,TEA-02
="1004",乌龙茶 250g,200.00,1,TEA-01
"""

# Shopify: one row per line item, order fields on the first row only.
SHOPIFY_ORDERS = """Name,Email,Financial Status,Paid at,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Shipping,Discount Amount,Refunded Amount,Total,Source
#1001,ann@example.com,paid,2026-10-03 09:00:00 +0800,2026-10-03 08:55:00 +0800,2,Green tea,30.00,GT-1,10.00,5.00,0.00,95.00,web
#1001,,,,,1,Tea cup,15.00,CUP-1,,,,,
#1002,bo@example.com,partially_refunded,2026-10-03 20:00:00 +0800,2026-10-03 19:50:00 +0800,1,Green tea,30.00,GT-1,0.00,0.00,10.00,30.00,pos
#1003,ann@example.com,pending,,2026-10-03 21:00:00 +0800,1,Tea cup,15.00,CUP-1,0.00,0.00,0.00,15.00,web
"""  # noqa: E501 (an export's rows as they are)


def gmv(store, day):
    result = DailyMetricsRunner(store=store, query=DailyMetricsQuery(start=day, end=day)).run()
    return result.totals


def rows_of(store):
    return sorted(
        Order.objects.filter(store=store).values_list(
            "number", "customer__external_id", "status", "paid_amount", "goods_amount", "paid_at"
        )
    )


def test_taobao_gbk_orders_then_items_give_hand_computed_metrics(store, run_import):
    SkuFactory(store=store, code="TEA-01", cost="200.00", price="644.00")
    run = run_import(store, "orders", TAOBAO_ORDERS.encode("gbk"), preset="taobao")
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert run.encoding == "gbk"
    assert (run.rows, run.created, run.updated, run.unchanged) == (4, 4, 0, 0)
    assert rows_of(store) == [
        (
            "1001",
            "tb_alice",
            "completed",
            D("1288.00"),
            D("1288.00"),
            datetime.datetime(2026, 10, 1, 2, 5, tzinfo=UTC),
        ),
        (
            "1002",
            "tb_bob",
            "refunded",
            D("99.50"),
            D("99.50"),
            datetime.datetime(2026, 10, 1, 15, 31, tzinfo=UTC),
        ),
        ("1003", "tb_alice", "created", D("50.00"), D("50.00"), None),
        (
            "1004",
            "tb_carol",
            "shipped",
            D("200.00"),
            D("200.00"),
            datetime.datetime(2026, 10, 1, 16, 30, tzinfo=UTC),
        ),
    ]
    refund = Refund.objects.get(store=store)
    assert (refund.number, refund.amount, refund.order.number) == ("1002-R", D("99.50"), "1002")
    assert set(Customer.objects.filter(store=store).values_list("external_id", flat=True)) == {
        "tb_alice",
        "tb_bob",
        "tb_carol",
    }
    items = run_import(store, "order_lines", TAOBAO_ITEMS.encode("gbk"), preset="taobao")
    assert items.status == ImportStatus.SUCCEEDED, items.errors
    assert (items.created, items.updated, items.unchanged) == (3, 0, 0)
    assert "skus_created: 1" in items.message  # TEA-02 created as the preset says
    lines = sorted(
        OrderLine.objects.filter(store=store).values_list(
            "order__number", "sku__code", "quantity", "unit_price", "unit_cost"
        )
    )
    assert lines == [
        ("1001", "TEA-01", 2, D("644.00"), D("200.00")),
        ("1002", "TEA-02", 1, D("99.50"), D("0.00")),
        ("1004", "TEA-01", 1, D("200.00"), D("200.00")),
    ]
    # Re-rolled: 10-01 GMV 1288.00 + 99.50 (paid that local day), refund 99.50; 10-02: 200.
    first, second = gmv(store, datetime.date(2026, 10, 1)), gmv(store, datetime.date(2026, 10, 2))
    assert (first.gmv, first.paid_orders, first.paying_buyers) == (D("1387.50"), 2, 2)
    assert first.refund_amount == D("99.50")
    assert first.net_sales == D("1288.00")
    assert (second.gmv, second.paid_orders) == (D("200.00"), 1)
    assert not StaleDay.objects.filter(store=store).exists()  # rolled up again
    # gross profit 10-01: 1001: 2*(644-200)=888; 1002: 99.50-0 = 99.50 -> 987.50
    assert first.gross_profit == D("987.50")


def test_shopify_orders_one_row_per_line(store, run_import):
    run = run_import(store, "orders", SHOPIFY_ORDERS.encode(), preset="shopify")
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert (run.rows, run.created) == (4, 3)
    assert "customers_created: 2" in run.message and "skus_created: 2" in run.message
    o1 = Order.objects.get(store=store, number="#1001")
    # goods = 2*30 + 15 = 75; paid 95 = 75 - 5 + 10 + tax-free
    assert (o1.goods_amount, o1.discount_amount, o1.shipping_amount, o1.paid_amount) == (
        D("75.00"),
        D("5.00"),
        D("10.00"),
        D("95.00"),
    )
    assert (o1.channel, o1.status, o1.customer.external_id) == ("direct", "paid", "ann@example.com")
    assert o1.lines.count() == 2
    o2 = Order.objects.get(store=store, number="#1002")
    assert (o2.channel, o2.status) == ("other", "paid")
    assert Refund.objects.get(store=store).number == "#1002-refund"
    assert Order.objects.get(store=store, number="#1003").paid_at is None
    day = gmv(store, datetime.date(2026, 10, 3))
    assert (day.gmv, day.paid_orders, day.refund_amount) == (D("125.00"), 2, D("10.00"))


SKUS = """sku_code,title,price,cost,stock,role,status
TEA-01,乌龙茶 250g,"1,288.00",200.00,10,profit,on_shelf
TEA-02,红茶 100g,99.5,40,5,引流款,在售
"""


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "gbk", "gb18030", "xlsx", "semicolon", "tab"],
)
def test_same_content_in_every_encoding_gives_identical_rows(store, run_import, encoding):
    text = SKUS
    if encoding == "xlsx":
        content = xlsx_bytes(text)
    elif encoding in ("semicolon", "tab"):
        sep = ";" if encoding == "semicolon" else "\t"
        text = text.replace('"1,288.00"', "1288.00").replace(",", sep)
        content = text.encode("utf-8")
    else:
        content = text.encode(encoding)
    run = run_import(store, "skus", content, name=f"skus.{'xlsx' if encoding == 'xlsx' else 'csv'}")
    assert run.status == ImportStatus.SUCCEEDED, (run.message, run.errors)
    assert run.created == 2
    assert sorted(
        Sku.objects.filter(store=store).values_list(
            "code", "title", "price", "cost", "stock", "role", "status"
        )
    ) == [
        ("TEA-01", "乌龙茶 250g", D("1288.00"), D("200.00"), 10, "profit", "on_shelf"),
        ("TEA-02", "红茶 100g", D("99.50"), D("40.00"), 5, "traffic", "on_shelf"),
    ]


def test_encoding_override(store, run_import):
    content = SKUS.encode("gbk")
    run = run_import(store, "skus", content, encoding="utf-8")
    assert run.status == ImportStatus.FAILED
    assert "not valid utf-8" in run.message
    assert run_import(store, "skus", content, encoding="GB18030").status == ImportStatus.SUCCEEDED


ORDERS_WITH_BAD_ROW = """order_number,customer_id,created_at,paid_at,status,paid_amount
B1,c1,2026-10-05 10:00,2026-10-05 10:01,paid,10.00
B2,c1,2026-10-05 11:00,2026-10-05 11:01,paid,12.5x
B3,c2,2026-10-05 12:00,2026-10-05 12:01,paid,30.00
B4,c3,2026-10-05 13:00,2026-10-05 12:00,paid,1.00
"""


def test_one_bad_row_writes_nothing_and_reports_exactly_it(store, run_import):
    run = run_import(store, "orders", ORDERS_WITH_BAD_ROW.encode())
    assert run.status == ImportStatus.REJECTED
    assert run.rejected == 2
    assert run.errors == [
        {
            "row": 3,
            "column": "paid_amount",
            "value": "12.5x",
            "reason": "not an amount (use digits, e.g. 1234.50)",
        },
        {
            "row": 5,
            "column": "paid_at",
            "value": "2026-10-05 12:00",
            "reason": "Paid before the order was created.",
        },
    ]
    assert not Order.objects.exists() and not Customer.objects.exists()
    assert not AuditEntry.objects.filter(action="import.orders").exists()
    fixed = ORDERS_WITH_BAD_ROW.replace("12.5x", "12.50").replace(
        "12:00,paid,1.00", "13:05,paid,1.00"
    )
    assert run_import(store, "orders", fixed.encode()).created == 4


def test_reimport_changes_nothing_and_corrected_file_updates(store, run_import):
    first = run_import(store, "orders", TAOBAO_ORDERS.encode("gbk"), preset="taobao_orders")
    stamp = list(Order.objects.order_by("number").values_list("pk", "number"))
    audits = AuditEntry.objects.count()
    again = run_import(store, "orders", TAOBAO_ORDERS.encode("gbk"), preset="taobao_orders")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert list(Order.objects.order_by("number").values_list("pk", "number")) == stamp
    assert Refund.objects.count() == 1
    assert AuditEntry.objects.count() == audits + 1  # only the run's own entry
    corrected = (
        TAOBAO_ORDERS.replace('"￥1,288.00"', "1300.00")
        .replace("99.50,交易关闭", "99.50,交易成功")
        .replace("2026-10-01 23:31:00,99.50", "2026-10-01 23:31:00,0")
    )
    fixed = run_import(store, "orders", corrected.encode("gbk"), preset="taobao_orders")
    assert (fixed.created, fixed.updated, fixed.unchanged) == (0, 2, 2)
    assert Order.objects.get(store=store, number="1001").paid_amount == D("1300.00")
    assert not Refund.objects.exists()  # refund gone in the corrected report
    assert first.sha256 == again.sha256 != fixed.sha256
    day = gmv(store, datetime.date(2026, 10, 1))
    assert (day.gmv, day.refund_amount) == (D("1399.50"), D("0"))


def test_store_a_cannot_touch_store_b_even_with_colliding_ids(store, run_import):
    other = StoreFactory(slug="b-shop")
    CustomerFactory(store=other, external_id="tb_alice", name="B's Alice")
    run_import(other, "orders", TAOBAO_ORDERS.encode("gbk"), preset="taobao")
    before = rows_of(other)
    b_alice = Customer.objects.get(store=other, external_id="tb_alice")
    changed = TAOBAO_ORDERS.replace('"￥1,288.00"', "1.00")
    run = run_import(store, "orders", changed.encode("gbk"), preset="taobao")
    assert run.created == 4  # new in store A, not "updated" from B
    assert rows_of(other) == before
    a_alice = Customer.objects.get(store=store, external_id="tb_alice")
    assert a_alice.pk != b_alice.pk
    assert Order.objects.get(store=store, number="1001").customer_id == a_alice.pk
    # Refunds / lines of A's file name A's orders only.
    assert Refund.objects.get(store=store, number="1002-R").order.store_id == store.pk


def test_interrupted_import_leaves_nothing(store, monkeypatch, settings):
    from analytics.imports import kinds

    many = "sku_code,title,price,cost\n" + "".join(f"S{i},T{i},1.00,0.50\n" for i in range(30))
    monkeypatch.setattr(kinds, "BATCH", 10)
    calls = {"n": 0}
    real = Sku.objects.bulk_create

    def crash(objs, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")
        return real(objs, **kwargs)

    monkeypatch.setattr(Sku.objects, "bulk_create", crash)
    run = create_run(store=store, kind="skus", source=io.BytesIO(many.encode()), file_name="s.csv")
    with pytest.raises(KeyboardInterrupt):
        import_run(run, actor=Actor(user=None, source=AuditSource.TASK))
    assert calls["n"] == 2  # the first batch had been written inside the transaction
    assert not Sku.objects.filter(store=store).exists()
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "Interrupted" in run.message


def test_png_renamed_csv_gets_a_clear_error(store, run_import):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    run = run_import(store, "orders", png, name="orders.csv")
    assert run.status == ImportStatus.FAILED
    assert run.message == "This file is a PNG image, not a CSV or XLSX table."
    garbage = bytes(range(256)) * 4
    assert "not" in run_import(store, "orders", garbage).message


def test_missing_skus_reported_when_preset_rejects(store, run_import):
    text = (
        "order_number,customer_id,created_at,paid_at,status,paid_amount,sku_code,quantity,unit_price\n"
        "C1,c1,2026-10-06 10:00,2026-10-06 10:00,paid,10.00,NOPE,1,10.00\n"
    )
    run = run_import(store, "orders", text.encode())
    assert run.status == ImportStatus.REJECTED
    assert run.errors == [
        {
            "row": 2,
            "column": "sku_code",
            "value": "NOPE",
            "reason": "No SKU with this code in the store.",
        }
    ]
    assert not Customer.objects.exists()


def test_dry_run_counts_and_writes_nothing(store, run_import):
    run = run_import(store, "orders", TAOBAO_ORDERS.encode("gbk"), preset="taobao", dry_run=True)
    assert run.status == ImportStatus.PREVIEWED
    assert (run.created, run.updated, run.unchanged) == (4, 0, 0)
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_missing_required_column_asks_for_mapping(store, run_import):
    text = (
        "Order No,Buyer,Placed,Paid,State,Amount\n"
        "M1,c1,2026-10-07 10:00,2026-10-07 10:01,paid,5.00\n"
    )
    run = run_import(store, "orders", text.encode())
    assert run.status == ImportStatus.NEEDS_MAPPING
    assert {e["column"] for e in run.errors} == {
        "order_number",
        "customer_id",
        "created_at",
        "status",
        "paid_amount",
    }
    mapping = {
        "order_number": "Order No",
        "customer_id": "Buyer",
        "created_at": "Placed",
        "paid_at": "Paid",
        "status": "State",
        "paid_amount": "Amount",
    }
    run = run_import(store, "orders", text.encode(), mapping=mapping)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert Order.objects.get(store=store).paid_amount == D("5.00")


def test_refunds_events_ad_spend_and_customers(store, run_import):
    run_import(store, "orders", TAOBAO_ORDERS.encode("gbk"), preset="taobao")
    refunds = (
        "refund_number,order_number,amount,refunded_at\nR9,1001,88.00,2026年10月3日 09:00:00\n"
    )
    assert run_import(store, "refunds", refunds.encode()).created == 1
    bad = (
        "refund_number,order_number,amount,refunded_at\n"
        "R10,1003,1.00,2026-10-03\nR11,9999,1,2026-10-03\n"
    )
    report = run_import(store, "refunds", bad.encode())
    assert [(e["row"], e["reason"]) for e in report.errors] == [
        (2, "This order was never paid."),
        (3, "No order with this number in the store."),
    ]
    SkuFactory(store=store, code="TEA-01")
    events = (
        "visitor_id,event_type,occurred_at,channel,customer_id,sku_code\n"
        "v1,浏览,2026-10-01 09:00,search,,TEA-01\n"
        "v1,view,2026-10-01 09:00,search,,TEA-01\n"
        "v2,add_to_cart,2026-10-01 09:10,search,tb_alice,\n"
    )
    first = run_import(store, "events", events.encode())
    assert (first.created, first.unchanged) == (3, 0)  # two identical views are two events
    assert run_import(store, "events", events.encode()).unchanged == 3
    assert gmv(store, datetime.date(2026, 10, 1)).pv == 2
    spend = "day,channel,spend,impressions,clicks\n2026-10-01,直通车,¥300.00,1000,50\n"
    assert run_import(store, "ad_spend", spend.encode()).created == 1
    assert AdSpend.objects.get(store=store).channel == "paid_search"
    clicks = "day,channel,spend,impressions,clicks\n2026-10-01,paid_search,1,10,50\n"
    assert (
        run_import(store, "ad_spend", clicks.encode()).errors[0]["reason"]
        == "Clicks cannot exceed impressions."
    )
    customers = (
        "customer_id,name,gender,registered_on\ntb_alice,Alice,女,2025年6月18日\nnew1,New,,\n"
    )
    run = run_import(store, "customers", customers.encode())
    assert (run.created, run.updated) == (1, 1)
    alice = Customer.objects.get(store=store, external_id="tb_alice")
    assert (alice.name, alice.gender, alice.registered_on) == (
        "Alice",
        "female",
        datetime.date(2025, 6, 18),
    )


def test_sku_price_change_is_kept_in_history(store, run_import):
    run_import(store, "skus", SKUS.encode())
    changed = run_import(store, "skus", SKUS.replace('"1,288.00"', "1200").encode())
    assert (changed.updated, changed.unchanged) == (1, 1)
    change = PriceChange.objects.get(store=store)
    assert (change.old_price, change.new_price) == (D("1288.00"), D("1200.00"))


def test_shopify_products_and_customers(store, run_import):
    products = (
        "Handle,Title,Status,Variant SKU,Variant Price,Cost per item,Variant Inventory Qty\n"
        "green-tea,Green tea,active,GT-100,30.00,12.00,50\n"
        "green-tea,,,GT-250,60.00,,20\n"
        "green-tea,,,,,,\n"
    )
    run = run_import(store, "skus", products.encode(), preset="shopify_products")
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert sorted(
        Sku.objects.filter(store=store).values_list("code", "title", "price", "cost", "status")
    ) == [
        ("GT-100", "Green tea", D("30.00"), D("12.00"), "on_shelf"),
        ("GT-250", "Green tea", D("60.00"), D("0.00"), "on_shelf"),
    ]
    customers = "First Name,Last Name,Email,Province\nAnn,Lee,ann@example.com,ON\n"
    run = run_import(store, "customers", customers.encode(), preset="shopify")
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    ann = Customer.objects.get(store=store)
    assert (ann.external_id, ann.name, ann.region) == ("ann@example.com", "Ann Lee", "ON")


def test_import_run_records_the_file(store, run_import):
    run = run_import(store, "skus", SKUS.encode("gbk"), name="商品.csv")
    stored = ImportRun.objects.get(pk=run.pk)
    assert (stored.file_name, stored.encoding, stored.kind, stored.preset) == (
        "商品.csv",
        "gbk",
        "skus",
        "generic_skus",
    )
    assert len(stored.sha256) == 64 and stored.progress == 100


def test_xlsx_with_typed_cells(store, run_import):
    """Excel stores numbers as floats and times as naive datetimes: read as exact decimals and
    store-local times."""
    import io as _io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["订单编号", "客户ID", "下单时间", "付款时间", "订单状态", "实付金额"])
    sheet.append(
        [
            1001,
            "c1",
            datetime.datetime(2026, 10, 9, 10, 0),
            datetime.datetime(2026, 10, 9, 10, 1),
            "已付款",
            19.9,
        ]
    )
    sheet.append(["1002", "c2", "2026年10月9日 11:00:00", None, "待付款", 1288])
    buffer = _io.BytesIO()
    workbook.save(buffer)
    run = run_import(store, "orders", buffer.getvalue(), name="orders.xlsx")
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert run.encoding == "xlsx"
    assert rows_of(store) == [
        (
            "1001",
            "c1",
            "paid",
            D("19.90"),
            D("19.90"),
            datetime.datetime(2026, 10, 9, 2, 1, tzinfo=UTC),
        ),
        ("1002", "c2", "created", D("1288.00"), D("1288.00"), None),
    ]


def test_progress_is_reported_while_running(store, monkeypatch):
    from django.core.cache import cache

    from analytics.imports import services
    from analytics.imports.services import progress_key

    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    many = "sku_code,title,price,cost\n" + "".join(f"S{i},T{i},1.00,0.50\n" for i in range(5))
    run = create_run(store=store, kind="skus", source=io.BytesIO(many.encode()), file_name="s.csv")
    seen = []

    def progress(rows, percent):
        seen.append((rows, percent, cache.get(progress_key(run.pk))))

    run = import_run(run, actor=Actor(user=None, source=AuditSource.TASK), on_progress=progress)
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5, 5]
    assert seen[-1][1] == 100 and all(s[2] is not None for s in seen[:-1])
    assert run.progress == 100 and cache.get(progress_key(run.pk)) is None


def test_a_run_whose_process_died_is_shown_as_failed(store):
    from django.utils import timezone

    from analytics.imports.services import progress_of

    run = create_run(store=store, kind="skus", source=io.BytesIO(SKUS.encode()), file_name="s.csv")
    run.status, run.started_at = ImportStatus.RUNNING, timezone.now()
    run.save()
    assert progress_of(run) == 0 and run.status == ImportStatus.RUNNING  # recent: still running
    run.started_at = timezone.now() - datetime.timedelta(minutes=20)
    run.save()
    progress_of(run)
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "nothing was written" in run.message
