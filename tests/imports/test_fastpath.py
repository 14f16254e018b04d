"""The PostgreSQL fast path of orders imports (``analytics/imports/fastpath.py``) against the
Python path: the same files into two stores with the same SKUs and customers, one through
each path, must give the same rows, counts, touched days, audit and error reports.

On SQLite the fast path is never eligible: these tests then check that (every file goes
through the Python path) and the hand-worked expectations still hold.
"""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from analytics.imports import fastpath
from analytics.imports.presets import get_preset
from analytics.models import ImportStatus, Order, OrderLine, Refund
from catalog.models import Sku
from opsdesk.models import AuditEntry
from tests.conftest import second_connection
from tests.factories import CustomerFactory, SkuFactory, StoreFactory
from users.models import Customer

pytestmark = pytest.mark.django_db
D = Decimal
UTC = datetime.UTC

# 8 orders, Asia/Shanghai (UTC+8). A1: two lines, goods from the lines (2x30 + 1x15 = 75),
# shipping 10, discount 5 -> paid 80. A2: no goods, no lines: goods = paid - shipping +
# discount = 50 - 0 + 0. A3: cancelled after payment with 20 refunded -> "refunded", one
# refund A3-R of 20 (time: its refunded_at). A4: unpaid. A5: existing customer "old-1",
# line cost given (12.00) instead of the SKU's 8.00. A6: refund without refunded_at -> the
# payment time. A7 paid at 00:30 local on 10-03 (= 10-02 16:30 UTC). A8: presale with deposit.
HEADER = (
    "order_number,customer_id,customer_name,created_at,paid_at,status,channel,goods_amount,"
    "discount_amount,shipping_amount,paid_amount,refund_amount,refunded_at,is_presale,"
    "deposit_amount,deposit_paid_at,sku_code,quantity,unit_price,unit_cost\n"
)
ORDERS = HEADER + (
    "A1,new-1,Ann,2026-10-01 10:00:00,2026-10-01 10:05:00,paid,search,,5.00,10.00,80.00,,,,,,"
    "GT-1,2,30.00,\n"
    "A1,,,,,,,,,,,,,,,,CUP-1,1,15.00,\n"
    "A2,new-2,Bo,2026-10-01 11:00:00,2026-10-01 11:01:00,completed,direct,,,,50.00,,,0,,,,,,\n"
    "A3,new-1,Ann again,2026-10-02 09:00:00,2026-10-02 09:01:00,cancelled,,,,,20.00,20.00,"
    "2026-10-04 12:00:00,,,,GT-1,1,20.00,\n"
    "A4,new-3,,2026-10-02 10:00:00,,created,search,,,,15.00,,,,,,CUP-1,1,15.00,\n"
    "A5,old-1,Whoever,2026-10-02 12:00:00,2026-10-02 12:10:00,shipped,content,,,,30.00,,,,,,"
    "GT-1,1,30.00,12.00\n"
    "A6,new-2,,2026-10-02 13:00:00,2026-10-02 13:05:00,paid,search,,,,45.00,5.00,,,,,"
    "CUP-1,3,15.00,\n"
    "A7,new-4,Cy,2026-10-03 00:20:00,2026-10-03 00:30:00,paid,paid_search,,,,15.00,,,,,,"
    "CUP-1,1,15.00,\n"
    "A8,old-1,,2026-10-03 08:00:00,2026-10-05 08:00:00,paid,campaign,,,,100.00,,,1,20.00,"
    "2026-10-03 08:01:00,GT-1,1,100.00,\n"
)
# The corrected file: A1 paid 90 (updated), A5 gets another line (updated: lines), A6's
# refund set to 0 (updated: refund removed), A3's refund moved to 10-05 (updated), A7 moved
# from 10-03 to 10-06 (updated: both days stale), A2, A4, A8 unchanged.
CORRECTED = (
    ORDERS.replace("5.00,10.00,80.00", "5.00,10.00,90.00")
    .replace(
        "GT-1,1,30.00,12.00\n",
        "GT-1,1,30.00,12.00\nA5,,,,,,,,,,,,,,,,CUP-1,1,15.00,\n",
    )
    .replace("45.00,5.00,", "45.00,0,")
    .replace("2026-10-04 12:00:00", "2026-10-05 12:00:00")
    .replace("2026-10-03 00:20:00,2026-10-03 00:30:00", "2026-10-06 00:20:00,2026-10-06 00:30:00")
)


def shop(slug: str):
    """A store with the SKUs GT-1 and CUP-1 and the existing customer old-1 of the files."""
    store = StoreFactory(slug=slug, time_zone="Asia/Shanghai")
    SkuFactory(store=store, code="GT-1", title="Green tea", cost=D("8.00"))
    SkuFactory(store=store, code="CUP-1", title="Cup", cost=D("4.00"))
    CustomerFactory(store=store, external_id="old-1", name="Old")
    return store


@pytest.fixture
def stores():
    """Two stores with the same SKUs and the same existing customer."""
    return [shop("fp-fast"), shop("fp-slow")]


@pytest.fixture
def both(run_import, monkeypatch, stores):
    """Import a file through the fast path (store 0) and the Python path (store 1); returns
    the two runs and whether the fast path took the file."""
    taken = []
    real = fastpath.run

    def spy(**kwargs):
        rows = real(**kwargs)
        taken.append(rows)
        return rows

    monkeypatch.setattr(fastpath, "run", spy)

    def go(content: str | bytes, **kw):
        data = content.encode() if isinstance(content, str) else content
        taken.clear()
        fast = run_import(stores[0], "orders", data, **kw)
        took = bool(taken)
        monkeypatch.setattr(fastpath, "ENABLED", False)
        try:
            slow = run_import(stores[1], "orders", data, **kw)
        finally:
            monkeypatch.setattr(fastpath, "ENABLED", True)
        return fast, slow, took

    return go


def snapshot(store) -> dict:
    """Everything an orders import writes, by natural key (ids differ between stores)."""
    orders = {
        o.number: (
            o.customer.external_id,
            o.created_at,
            o.paid_at,
            o.status,
            o.channel,
            o.goods_amount,
            o.discount_amount,
            o.shipping_amount,
            o.paid_amount,
            o.is_presale,
            o.deposit_amount,
            o.deposit_paid_at,
        )
        for o in Order.objects.filter(store=store).select_related("customer")
    }
    lines = sorted(
        (line.order.number, line.sku.code, line.quantity, line.unit_price, line.unit_cost)
        for line in OrderLine.objects.filter(store=store).select_related("order", "sku")
    )
    refunds = sorted(
        (r.number, r.order.number, r.amount, r.refunded_at)
        for r in Refund.objects.filter(store=store).select_related("order")
    )
    customers = sorted(
        (c.external_id, c.name, c.region, c.gender, c.points)
        for c in Customer.objects.filter(store=store)
    )
    return {"orders": orders, "lines": lines, "refunds": refunds, "customers": customers}


def outcome(run) -> tuple:
    return (run.status, run.rows, run.created, run.updated, run.unchanged, run.rejected,
            run.message, run.errors)  # fmt: skip


def audit(store) -> list[dict]:
    entries = AuditEntry.objects.filter(store=store, action="import.orders").order_by("pk")
    return [{k: v for k, v in e.changes.items() if k != "run"} for e in entries]


def expect_fast_path(took: bool) -> None:
    assert took is (connection.vendor == "postgresql")


def test_same_rows_counts_days_and_audit_through_both_paths(both, stores):
    fast, slow, took = both(ORDERS)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow)
    assert (fast.status, fast.rows, fast.created) == (ImportStatus.SUCCEEDED, 9, 8)
    assert fast.message == "customers_created: 4"
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert audit(stores[0]) == audit(stores[1])
    # Worked out by hand (see ORDERS).
    state = snapshot(stores[0])
    a1 = state["orders"]["A1"]
    assert a1[0] == "new-1" and a1[5:9] == (D("75.00"), D("5.00"), D("10.00"), D("80.00"))
    assert state["orders"]["A2"][5] == D("50.00")
    assert state["orders"]["A3"][3] == "refunded"
    assert state["orders"]["A7"][2] == datetime.datetime(2026, 10, 2, 16, 30, tzinfo=UTC)
    assert state["orders"]["A8"][9:] == (
        True,
        D("20.00"),
        datetime.datetime(2026, 10, 3, 0, 1, tzinfo=UTC),
    )
    assert ("A5", "GT-1", 1, D("30.00"), D("12.00")) in state["lines"]
    assert ("A1", "CUP-1", 1, D("15.00"), D("4.00")) in state["lines"]
    assert state["refunds"] == [
        ("A3-R", "A3", D("20.00"), datetime.datetime(2026, 10, 4, 4, 0, tzinfo=UTC)),
        ("A6-R", "A6", D("5.00"), datetime.datetime(2026, 10, 2, 5, 5, tzinfo=UTC)),
    ]
    # Customers created with the name of the first order naming them; points from the
    # facts (1 per paid yuan, refunds taken back): new-1 paid 80 + 20 - 20 refunded = 80.
    assert ("new-1", "Ann", "", "unknown", 80) in state["customers"]
    assert ("new-3", "", "", "unknown", 0) in state["customers"]  # never paid
    assert audit(stores[0])[0]["stale_days"] == [
        "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05",
    ]  # fmt: skip


def test_corrected_file_and_rerun_through_both_paths(both, stores):
    both(ORDERS)
    fast, slow, took = both(CORRECTED)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow)
    assert (fast.created, fast.updated, fast.unchanged) == (0, 5, 3)
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert audit(stores[0]) == audit(stores[1])
    state = snapshot(stores[0])
    assert [r[0] for r in state["refunds"]] == ["A3-R"]  # A6's refund removed
    assert ("A5", "CUP-1", 1, D("15.00"), D("4.00")) in state["lines"]
    # A1 (10-01) now 90 paid; A5, A6 (10-02); the refund days: old 10-04 and new 10-05 (A3),
    # 10-02 (A6); A7's old day 10-03 and new day 10-06.
    assert audit(stores[0])[-1]["stale_days"] == [
        "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06",
    ]  # fmt: skip
    again_fast, again_slow, took = both(CORRECTED)
    assert outcome(again_fast) == outcome(again_slow)
    assert (again_fast.created, again_fast.updated, again_fast.unchanged) == (0, 0, 8)
    assert snapshot(stores[0]) == snapshot(stores[1])


@pytest.mark.parametrize(
    "change, row, column",
    [
        ("A4,new-3,,2026-10-02 10:00:00", 6, "created_at"),  # (control: no change)
        ("2026-10-02 12:10:00", 7, "paid_at"),
        ("30.00,12.00", 7, "unit_cost"),
        ("A7,new-4", 9, "order_number"),
    ],
)
def test_bad_files_give_the_same_report_and_write_nothing(both, stores, change, row, column):
    bad = {
        "A4,new-3,,2026-10-02 10:00:00": "A4,new-3,,2026-10-02 10:00:00",
        "2026-10-02 12:10:00": "2026-10-02 11:10:00",  # paid before created
        "30.00,12.00": "30.00,12.001",  # 3 decimals
        "A7,new-4": "A1,new-4",  # A1 again, not consecutive
    }[change]
    content = ORDERS.replace(change, bad)
    fast, slow, took = both(content)
    if bad == change:
        assert fast.status == ImportStatus.SUCCEEDED
        return
    assert not took  # the fast path never writes a file with a problem
    assert outcome(fast) == outcome(slow)
    assert fast.status == ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in fast.errors] == [(row, column)]
    assert not Order.objects.filter(store__in=stores).exists()
    assert Customer.objects.filter(store=stores[0]).count() == 1


TAOBAO = (
    "订单编号,买家会员名,收货人姓名,买家实际支付金额,订单状态,订单创建时间,订单付款时间,退款金额\n"
    "1001,tb_alice,爱丽丝,1288.00,交易成功,2026-10-01 10:00:00,2026-10-01 10:05:00,0.00\n"
    "1002,tb_bob,,99.50,交易关闭,2026-10-01 23:30:00,2026-10-01 23:31:00,99.50\n"
    "1003,tb_alice,,50.00,等待买家付款,2026-10-01 08:00:00,,0\n"
    "1004,tb_carol,,200.00,卖家已发货，等待买家确认,2026-10-02 00:20:00,2026-10-02 00:30:00,0\n"
)


def test_a_taobao_order_report_in_gbk_takes_the_fast_path(both, stores):
    """The Taobao/Tmall order report preset (GBK, Chinese headers and statuses, a refund per
    order) with its cells in the canonical forms: the fast path writes what the Python path
    writes. With Excel's ="..." guards (as the platform often writes the numbers) the file
    goes to the Python path, with the same result."""
    data = TAOBAO.encode("gbk")
    fast, slow, took = both(data, preset="taobao_orders")
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.SUCCEEDED
    assert fast.created == 4
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert Order.objects.get(store=stores[0], number="1002").status == "refunded"
    guarded = TAOBAO.replace("\n1001,", '\n="1001",').encode("gbk")
    fast, slow, took = both(guarded, preset="taobao_orders")
    assert not took
    assert outcome(fast) == outcome(slow) and (fast.created, fast.unchanged) == (0, 4)


def test_other_accepted_forms_fall_back_with_the_same_result(both, stores):
    """Chinese dates, ¥ and thousands separators, Excel's ="..." guard: the Python path."""
    content = (
        ORDERS.replace("2026-10-01 10:00:00", "2026年10月1日 10:00:00")
        .replace("50.00,,,0", '"¥50.00",,,0')
        .replace("A8,old-1", '="A8",old-1')
    )
    fast, slow, took = both(content)
    assert not took
    assert outcome(fast) == outcome(slow)
    assert fast.status == ImportStatus.SUCCEEDED and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])


@pytest.mark.parametrize(
    "kind, cell, expected",
    [
        ("money", "1234.50", D("1234.50")),
        ("money", "1.5", D("1.50")),
        ("money", "-3", D("-3.00")),
        ("money", "999999999999.99", D("999999999999.99")),
        ("money", "1000000000000", DatabaseError),  # 13 digits: values.money: "too large"
        ("money", "-1000000000000", DatabaseError),
        ("money", "1.234", None),  # 3 decimals: values.money refuses, numeric(14, 2) rounds
        ("money", "007", None),
        ("money", "+5", None),
        ("money", "1e3", None),
        ("money", "5.", None),
        ("money", ".5", None),
        ("money", "NaN", None),
        ("money", "Infinity", None),
        ("int", "3", 3),
        ("int", "-5", -5),
        ("int", "999999999", 999999999),
        ("int", "1000000000", None),
        ("int", "007", None),
        ("int", "+3", None),
        ("datetime", "2026-11-01 10:00:00", datetime.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)),
        ("datetime", "2026-11-01T10:00", datetime.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)),
        ("datetime", "2026-11-01 10:00", datetime.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)),
        ("datetime", "2026/11/01 10:00:00", None),
        ("datetime", "2026-11-1 10:00:00", None),
        ("datetime", "2026-11-01 10:00:00+08", None),  # an offset: the Python path reads it
        ("datetime", "2026-11-01 10:00:00.5", None),
        ("datetime", "2026-11-01 24:00:00", None),  # PostgreSQL reads the next midnight
        ("datetime", "epoch", None),
        ("datetime", "infinity", None),
        ("date", "2026-11-01", datetime.date(2026, 11, 1)),
        ("date", "2026-11-1", None),
        ("date", "20261101", None),
    ],
)
def test_only_canonical_cells_convert(kind, cell, expected):
    """The fast path converts a typed cell only in its one canonical form, to exactly what the
    Python path reads; every other form is NULL or an error (the file then goes to the
    Python path)."""
    _postgresql_only()
    read, value = fastpath._typed(kind, "k", "k", "p")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL datestyle = 'ISO, YMD'")
        cursor.execute("SET LOCAL timezone = 'Asia/Shanghai'")  # as _run sets it
        statement = (
            f"CREATE TEMP TABLE test_fp_cell AS SELECT {value} AS v "
            f"FROM (SELECT k, {read} AS p FROM (SELECT %(cell)s::text AS k) c) r"
        )
        if expected is DatabaseError:
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute(statement, {"cell": cell})
            return
        cursor.execute(statement, {"cell": cell})
        cursor.execute("SET LOCAL timezone = 'UTC'")  # (Django reads timestamps as UTC)
        cursor.execute("SELECT v FROM test_fp_cell")
        assert cursor.fetchone()[0] == expected


def test_an_amount_too_large_sends_the_file_to_the_python_path(both, stores):
    """13 digits: numeric(14, 2) raises in the one pass, the savepoint is rolled back and the
    Python path reports the cell ("amount too large")."""
    fast, slow, took = both(ORDERS.replace("50.00,,,0", "1000000000000,,,0"))
    assert not took
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in fast.errors] == [(4, "paid_amount")]
    assert not Order.objects.filter(store__in=stores).exists()


def test_a_typed_cell_postgresql_cannot_read_sends_the_file_to_the_python_path(both, stores):
    """``fifty`` is an error to PostgreSQL's numeric input (not a NULL): the fast path's
    savepoint is rolled back and the Python path reads the file and reports the cell."""
    fast, slow, took = both(ORDERS.replace("50.00,,,0", "fifty,,,0"))
    assert not took
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.REJECTED
    assert [(e["row"], e["column"], e["value"]) for e in fast.errors] == [
        (4, "paid_amount", "fifty")
    ]
    assert not Order.objects.filter(store__in=stores).exists()


def test_a_quote_inside_an_unquoted_cell_is_read_as_python_reads_it(both, stores):
    """PostgreSQL's COPY would start a quoted section at the quote: the Python path reads it."""
    fast, slow, took = both(ORDERS.replace("Ann,", 'Ann "A" Lee,'))
    assert not took
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.SUCCEEDED
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert Customer.objects.get(store=stores[0], external_id="new-1").name == 'Ann "A" Lee'


CHUNK = 4 * 1024 * 1024  # what the byte scans read at a time


def lines_past_a_chunk() -> bytearray:
    """Plain lines running a little past the first 4 MiB the byte scans read."""
    return bytearray(b"abcdefghi\n" * (CHUNK // 10 + 2))


@pytest.mark.parametrize("at", [-2, -1, 0, 1])
def test_a_stray_quote_is_found_across_the_read_chunks(tmp_path, at):
    """``_stray_quote`` reads 4 MiB at a time and searches only chunks with a quote: a quote
    inside a cell is found at and around a chunk boundary, quoted cells are not stray."""
    body = lines_past_a_chunk()
    quoted = b'"a,b",c\n'
    clean = tmp_path / "clean.csv"
    clean.write_bytes(quoted + bytes(body) + quoted)
    assert not fastpath._stray_quote(str(clean), ",")
    position = CHUNK + at
    body[position - 1 : position + 2] = b'x"y'
    stray = tmp_path / "stray.csv"
    stray.write_bytes(bytes(body))
    assert fastpath._stray_quote(str(stray), ",")


@pytest.mark.parametrize(
    "row, edge",
    [
        ('A1,c1,2026-10-01 10:00:00,Ann Lee,"a b"\n', False),  # spaces inside cells only
        ('A1,"a, b"\n', True),  # conservative: inside a quoted cell it counts too
        ("A1, c1,2026-10-01 10:00:00\n", True),
        ("A1,c1 ,2026-10-01 10:00:00\n", True),
        (" A1,c1,2026-10-01 10:00:00\n", True),
        ("A1,c1,2026-10-01 10:00:00 \n", True),
        ("A1,c1,2026-10-01 10:00:00\t\r\n", True),
        ("A1,\tc1,x\n", True),
        ('A1," c1",x\n', True),
        ('A1,"c1 ",x\n', True),
        ('A1,"c1\n",x\n', True),
        ('A1,"\nc1",x\n', True),
        ("A1,c1,x ", True),  # the file's last cell, no newline after it
        ('A1,"c1",x\r\nA2,"c2"\r\n', False),  # quoted cells ending lines
        ('A1,c1,"x\n"', True),  # the file's last quoted cell ends with a newline
        ("A1,c1,x\r c2,y\r", True),  # a line ended by a CR alone
    ],
)
def test_cells_with_edge_spaces_are_found(tmp_path, row, edge):
    """``_edge_space`` tells whether a cell may start or end with a space, tab, CR or LF: if
    not, the fast path skips trimming every cell (a trim would change nothing)."""
    path = tmp_path / "file.csv"
    path.write_bytes(("n,c,t\n" + "B1,c2,2026-10-01 10:00:00\n" + row).encode())
    assert fastpath._edge_space(str(path), ",") is edge


def test_an_edge_space_is_found_across_the_read_chunks(tmp_path):
    body = lines_past_a_chunk()
    body[CHUNK - 1 : CHUNK + 1] = b" ,"  # the space ends one chunk, the delimiter starts the next
    path = tmp_path / "file.csv"
    path.write_bytes(bytes(body))
    assert fastpath._edge_space(str(path), ",")
    assert not fastpath._edge_space(str(path), ";")


@pytest.mark.parametrize(
    "body, marker, blank",
    [
        ("A1,c1,x\nA2,c2,y\n", False, False),
        ("A1,c1,x\r\nA2,c2,y\r\n", False, False),  # CRLF line ends
        ("A1,c1,x\rA2,c2,y\r", False, False),  # CR line ends
        ("A1,c1,x\n\nA2,c2,y\n", False, True),
        ("A1,c1,x\r\n\r\nA2,c2,y\r\n", False, True),
        ("A1,c1,x\r\rA2,c2,y\r", False, True),
        ("A1,c1,x\n,,\n", False, True),
        ("A1,c1,x\n  ,\t,\n", False, True),
        ('A1,c1,x\n"",,\n', False, True),
        ("A1,c1,x\n\u3000,,\n", False, True),  # beyond ASCII: may be an odd space
        ("A1,c1,x\n,,", False, True),  # the file's last line, no newline after it
        ("A1,c1,x\n\\.\nA2,c2,y\n", True, False),
        ("A1,c1,x\r\n\\.\r\nA2,c2,y\r\n", True, False),
        ("A1,c1,x\n\\.", True, False),  # the last line
        ("A1,c1,x\\.\nA2,c2,\\.\n", False, False),  # inside cells: data
    ],
)
def test_line_starts(tmp_path, body, marker, blank):
    """``_line_starts``: a line that is just ``\\.`` (COPY's end of data) and lines that may
    be blank (the fast path deletes blank rows only if there may be some)."""
    path = tmp_path / "file.csv"
    path.write_bytes(("n,c,t\n" + body).encode())
    assert fastpath._line_starts(str(path), ",") == (marker, blank)


@pytest.mark.parametrize("start", [b"\n", b"\r", b"\r\n"])
def test_a_line_that_may_be_blank_is_found_across_the_read_chunks(tmp_path, start):
    """The line end closes one 4 MiB chunk, the line's first byte opens the next."""
    body = lines_past_a_chunk()
    body[CHUNK - len(start) : CHUNK + 1] = start + b","
    path = tmp_path / "file.csv"
    path.write_bytes(bytes(body))
    assert fastpath._line_starts(str(path), ",") == (False, True)
    assert fastpath._line_starts(str(path), ";") == (False, False)


@pytest.mark.parametrize("cell", ['""', '" "'])
def test_a_quoted_empty_order_number_is_missing_as_in_the_python_path(both, stores, cell):
    """COPY reads an unquoted empty cell as NULL but a quoted one as an empty string: the fast
    path must not write an order numbered ``""`` where the Python path reports the row."""
    content = ORDERS.replace("\nA4,new-3,", f"\n{cell},new-3,")
    fast, slow, _took = both(content)
    assert outcome(fast) == outcome(slow)
    assert fast.status == "rejected"
    assert [(e["row"], e["column"], e["reason"]) for e in fast.errors] == [
        (6, "order_number", "Required.")
    ]
    assert snapshot(stores[0]) == snapshot(stores[1])


@pytest.mark.parametrize(
    "values",
    [
        None,  # the generic preset's (Chinese statuses)
        {"status": {"已付款": "paid", "paid": "completed", "*": "created"}},
        {"status": {"已付款": "paid", "*": ""}},
    ],
)
def test_value_translations_in_sql_are_the_python_paths(values):
    """The SQL of a translated field gives, cell by cell, what ``Preset.translate`` and the
    Python path's empty-is-missing give: a choice that is also a key is translated, the
    ``*`` default applies to the choices too, case is ignored."""
    _postgresql_only()
    preset = get_preset("orders")
    if values:
        preset = dataclasses.replace(preset, values=values)
    exprs, _cells, _bad = fastpath._field_exprs(preset, {"status": 0}, plain=True)
    cells = ["paid", "PAID", "Paid", "已付款", "created", "shipped", "unknown", "已退款", "x"]
    with connection.cursor() as cursor:
        for cell in cells:
            cursor.execute(f"SELECT {exprs['status']} FROM (SELECT %s::text AS t0) x", [cell])
            assert cursor.fetchone()[0] == (preset.translate("status", cell) or None), cell


def test_a_cell_too_long_gets_the_python_paths_report(both, stores):
    """A name one character over its limit (120): the fast path steps back and the row is
    reported as the Python path reports it."""
    content = ORDERS.replace("A2,new-2,Bo,", f"A2,new-2,{'B' * 121},")
    fast, slow, took = both(content)
    assert not took
    assert outcome(fast) == outcome(slow) and fast.status == "rejected"
    assert [(e["row"], e["column"]) for e in fast.errors] == [(4, "customer_name")]


def test_a_cell_at_its_limit_in_chinese_takes_the_fast_path(both, stores):
    """64 Chinese characters are 192 bytes in UTF-8 and within the order number's 64: the
    limit counts characters, as the Python path does."""
    number = "订" * 64
    content = ORDERS.replace("\nA2,new-2,", f"\n{number},new-2,")
    fast, slow, took = both(content)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow) and fast.status == "succeeded"
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert Order.objects.filter(store=stores[0], number=number).exists()


def test_a_space_opening_a_line_after_a_cr_line_end_is_trimmed(both, stores):
    """Lines ended by a CR alone (old Mac files): a space opening a line is a cell's edge
    too, trimmed as the Python path trims it."""
    content = ORDERS.replace("\nA5,", "\n A5,").replace("\n", "\r")
    fast, slow, took = both(content)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow)
    assert fast.status == "succeeded"
    assert snapshot(stores[0]) == snapshot(stores[1])


def test_a_line_that_ends_copys_data_goes_through_the_python_path(both, stores):
    """``\\.`` alone on a line would end PostgreSQL's COPY there and drop the rows after it."""
    content = ORDERS.replace("A5,old-1", "\\.\nA5,old-1")
    fast, slow, took = both(content)
    assert not took
    assert outcome(fast) == outcome(slow)
    assert snapshot(stores[0]) == snapshot(stores[1])


def test_short_rows_go_through_the_python_path(both, stores):
    """A row with fewer cells than the header (an empty line too) is an error to COPY: the
    fast path's savepoint is rolled back and the Python path reads the file."""
    for content in (ORDERS.replace("A5,old-1", "\nA5,old-1"), ORDERS + "A9,new-9\n"):
        fast, slow, took = both(content)
        assert not took
        assert outcome(fast) == outcome(slow)
        assert snapshot(stores[0]) == snapshot(stores[1])


def test_blank_lines_through_both_paths(both, stores):
    """Blank lines (skipped by the Python path): the fast path deletes them, and numbers the
    rows as the spreadsheet does (errors name the same rows)."""
    blank = "," * 19 + "\n" + " ," * 19 + "\t\n"  # (as wide as the header: COPY reads them)
    content = ORDERS.replace("A5,old-1", blank + "A5,old-1")
    fast, slow, took = both(content)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])
    bad = content.replace("2026-10-02 12:10:00", "2026-10-02 11:10:00")  # A5 paid before created
    fast, slow, took = both(bad)
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.REJECTED


@pytest.mark.parametrize(
    "row, odd",
    [
        ("A1,c1,Ann O'Neil,2026-10-01 10:00:00,a=b\n", False),  # inside cells only
        ('A1,c1,"Ann, Lee",x\n', False),
        ("A1,c1,=x,y\n", True),
        ("A1,c1,x=,y\n", True),
        ("=A1,c1\n", True),
        ("A1,c1,'x\n", True),
        ("A1,c1,x'\r\n", True),
        ('A1,c1,"=x"\n', True),
        ("A1, =x,y\n", True),  # the trim uncovers it
        ("A1,c1,x =\n", True),
        ('A1,"Ann ""A"" Lee",x\n', True),  # a quote inside a quoted cell
        ("A1,c1,Ann\u3000,x\n", True),  # odd spaces: anywhere
        ("A1,c1,An\u00a0n,x\n", True),
        ("A1,c1,Ann\x1f,x\n", True),
        ("A1,c1,x=", True),  # the file's last cell, no newline after it
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_cells_python_reads_differently_are_found(tmp_path, row, odd, encoding):
    """``_odd_cells`` tells whether a cell may hold a quote or start or end with ``=``, ``'``
    or an odd space: if not, the fast path skips those checks of every text cell."""
    text = "n,c,t\n" + "B1,c2,2026-10-01 10:00:00\n" + row
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # (no such character in GBK: it cannot be in a GBK file)
        pytest.skip(f"{row!r} in {encoding}")
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    assert fastpath._odd_cells(str(path), ",", encoding) is odd


def test_an_odd_cell_is_found_across_the_read_chunks(tmp_path):
    for at, odd in ((CHUNK - 1, b",="), (CHUNK - 2, "\u3000".encode()), (CHUNK - 1, b'""')):
        body = lines_past_a_chunk()
        body[at : at + len(odd)] = odd
        path = tmp_path / "file.csv"
        path.write_bytes(bytes(body))
        assert fastpath._odd_cells(str(path), ",", "utf-8"), odd


def test_cells_python_reads_differently_through_both_paths(both, stores):
    """A leading apostrophe, ``="..."``, an ideographic space, a quote in a name: the fast
    path's checks see them, and both paths read the same."""
    for content in (
        ORDERS.replace("Ann,", "'Ann,"),
        ORDERS.replace("A1,new-1,Ann,", 'A1,new-1, ="Ann",'),
        ORDERS.replace("Ann,", "Ann\u3000,"),
        ORDERS.replace("Ann,", '"Ann ""A"" Lee",'),
        ORDERS.replace(",search,", ",search\u00a0,"),
    ):
        fast, slow, _took = both(content)
        assert outcome(fast) == outcome(slow), content
        assert snapshot(stores[0]) == snapshot(stores[1])


def test_padded_cells_through_both_paths(both, stores):
    """Spaces and tabs around cells (typed and text, quoted or not): the fast path trims them
    as Python does and takes the file."""
    content = (
        ORDERS.replace("A1,new-1,Ann,", 'A1 , new-1,"\tAnn ",')
        .replace(",80.00,", ",  80.00 ,")
        .replace("2026-10-02 09:01:00", " 2026-10-02 09:01:00")
    )
    fast, slow, took = both(content)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert Customer.objects.get(store=stores[0], external_id="new-1").name == "Ann"


def test_non_ascii_and_preview_through_both_paths(both, stores):
    content = ORDERS.replace("Ann,", "安妮,")
    _fast, _slow, took = both(content, name="orders-zh.csv")
    expect_fast_path(took)
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert ("new-1", "安妮", "", "unknown", 80) in snapshot(stores[0])["customers"]
    preview_fast, preview_slow, took = both(CORRECTED, dry_run=True)
    expect_fast_path(took)
    assert outcome(preview_fast) == outcome(preview_slow)
    assert preview_fast.status == ImportStatus.PREVIEWED
    assert (preview_fast.created, preview_fast.updated) == (0, 5)
    assert snapshot(stores[0])["orders"]["A1"][8] == D("80.00")  # nothing written


def test_gbk_bytes_are_copied_as_gbk(run_import, stores):
    content = ORDERS.replace("Ann,", "安妮,").encode("gbk")
    run = run_import(stores[0], "orders", content)
    assert run.status == ImportStatus.SUCCEEDED and run.encoding == "gbk"
    assert Customer.objects.get(store=stores[0], external_id="new-1").name == "安妮"


def test_an_import_killed_inside_the_fast_path_leaves_nothing(stores):
    """Killed after the fast path wrote orders, lines and customers (inside the transaction):
    nothing is visible and the run is failed."""
    import io

    from analytics.imports.services import create_run, import_run
    from opsdesk.audit import Actor
    from opsdesk.models import AuditSource

    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL only (the Python path: test_imports.py)")
    store = stores[0]
    seen = {}

    def kill(rows, percent):
        if percent >= 85:  # after the orders and lines INSERTs
            seen["orders"] = Order.objects.filter(store=store).count()
            raise KeyboardInterrupt("killed")

    run = create_run(store=store, kind="orders", source=io.BytesIO(ORDERS.encode()),
                     file_name="o.csv")  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        import_run(run, actor=Actor(user=None, source=AuditSource.TASK), on_progress=kill)
    assert seen == {"orders": 8}  # written inside the transaction...
    assert not Order.objects.filter(store=store).exists()  # ...and rolled back
    assert list(Customer.objects.filter(store=store).values_list("external_id", flat=True)) == [
        "old-1"
    ]
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "Interrupted" in run.message


@pytest.mark.parametrize(
    "encoding, delimiter",
    [("utf-8-sig", ","), ("gbk", ","), ("gb18030", ";"), ("utf-8", "\t"), ("utf-8", "|")],
)
def test_encodings_and_delimiters_through_both_paths(both, stores, encoding, delimiter):
    text = ORDERS.replace("Ann,", "安妮,").replace(",", delimiter)
    fast, slow, took = both(text.encode(encoding))
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert ("new-1", "安妮", "", "unknown", 80) in snapshot(stores[0])["customers"]


def test_a_gbk_file_with_a_pipe_delimiter_goes_through_the_python_path(both, stores):
    """``億`` is 0x83 0x7C in GBK: its second byte is a ``|``, which the fast path's byte
    scans would take for a delimiter (here: before a quote, so a stray quote goes unseen)."""
    text = ORDERS.replace("Ann,", '億"Ann",').replace(",", "|")
    assert "億".encode("gbk")[1:] == b"|"
    fast, slow, took = both(text.encode("gbk"))
    assert not took
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])


@pytest.mark.parametrize(
    "when, fast_path",
    [
        ("2026-11-01 01:30:00", False),  # happens twice in Los Angeles that night: Python path
        ("2026-11-01 03:30:00", True),
        ("2026-03-08 02:30:00", True),  # skipped by the clocks: both take the offset before
    ],
)
def test_a_dst_store_through_both_paths(both, stores, when, fast_path):
    for store in stores:
        store.time_zone = "America/Los_Angeles"
        store.save(update_fields=["time_zone"])
    content = ORDERS.replace("2026-10-02 13:00:00,2026-10-02 13:05:00", f"{when},{when}")
    fast, slow, took = both(content)
    assert took is (fast_path and connection.vendor == "postgresql")
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])


# --- The foreign-key checks as set-based statements ------------------------------------------


def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL only")


def _role_while_checking(monkeypatch) -> list[str]:
    """The ``session_replication_role`` in force when the fast path checks the references (its
    writes are done by then), one entry per import."""
    seen: list[str] = []
    real = fastpath._check_references

    def spy(sql, params, **kwargs):
        seen.append(sql.one("SELECT current_setting('session_replication_role')"))
        return real(sql, params, **kwargs)

    monkeypatch.setattr(fastpath, "_check_references", spy)
    return seen


def test_the_row_triggers_are_off_for_the_writes_and_back_on_after(run_import, stores, monkeypatch):
    """The test database's user may change the setting (a superuser): the fast path writes
    with the per-row foreign-key triggers off and turns them back on before it returns, so
    the rest of the import's transaction (audit, stale days) and the session are checked as
    usual; nothing is left for the commit to check."""
    _postgresql_only()
    seen = _role_while_checking(monkeypatch)
    run = run_import(stores[0], "orders", ORDERS.encode())
    assert run.status == ImportStatus.SUCCEEDED and run.created == 8
    assert seen == ["replica"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role')")
        assert cursor.fetchone()[0] == "origin"


def test_a_table_with_a_trigger_of_its_own_keeps_the_row_triggers_on(
    run_import, stores, monkeypatch
):
    """A trigger opsdesk did not create (an audit trigger a DBA added) would be skipped in
    replica mode: then the triggers stay on and the import is the same (and its indexes are
    maintained row by row: the triggers' pending events forbid a rebuild)."""
    _postgresql_only()
    seen = _role_while_checking(monkeypatch)
    _check_the_fixtures_rows()
    rebuilt = _rebuilt(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_fp_noop() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_fp_noop BEFORE INSERT ON analytics_orderline "
            "FOR EACH ROW EXECUTE FUNCTION test_fp_noop()"
        )
    run = run_import(stores[0], "orders", ORDERS.encode())
    assert run.status == ImportStatus.SUCCEEDED and run.created == 8
    assert seen == ["origin"]
    assert rebuilt == []


def test_a_key_pointing_at_the_refunds_keeps_the_row_triggers_on(run_import, stores, monkeypatch):
    """The import deletes refunds (a refund set to 0): a table referring to refunds would not
    be checked with the triggers off, so they stay on."""
    _postgresql_only()
    seen = _role_while_checking(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE test_fp_refund_note (refund_id bigint REFERENCES "
            f"{Refund._meta.db_table} (id))"
        )
    run = run_import(stores[0], "orders", ORDERS.encode())
    assert run.status == ImportStatus.SUCCEEDED and run.created == 8
    assert seen == ["origin"]


def test_without_the_right_to_change_the_setting_the_row_triggers_stay_on(
    run_import, stores, monkeypatch
):
    """A database role that may not set ``session_replication_role`` (no superuser, no
    ``GRANT SET ON PARAMETER``) imports the same file with the triggers on."""
    _postgresql_only()
    seen = _role_while_checking(monkeypatch)
    _check_the_fixtures_rows()
    rebuilt = _rebuilt(monkeypatch)
    with connection.cursor() as cursor:  # all rolled back with the test's transaction
        cursor.execute("DROP ROLE IF EXISTS opsdesk_test_importer")
        cursor.execute("CREATE ROLE opsdesk_test_importer")
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO opsdesk_test_importer")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO opsdesk_test_importer")
        database = connection.ops.quote_name(connection.settings_dict["NAME"])
        cursor.execute(f"GRANT TEMPORARY ON DATABASE {database} TO opsdesk_test_importer")
        cursor.execute("SET ROLE opsdesk_test_importer")
    try:
        run = run_import(stores[0], "orders", ORDERS.encode())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert run.status == ImportStatus.SUCCEEDED and run.created == 8
    assert seen == ["origin"]
    # Nor are indexes built after the rows: the triggers' pending events forbid it.
    assert rebuilt == []
    assert snapshot(stores[0])["lines"][0] == ("A1", "CUP-1", 1, D("15.00"), D("4.00"))


def _deleted_before_the_checks(monkeypatch, model, pk) -> list[bool]:
    """Another session deletes the row ``pk`` of ``model`` (committed) just before the fast
    path's reference checks; returns, per check, whether it stepped back (``Fallback``)."""
    real = fastpath._check_references
    stepped_back: list[bool] = []

    def delete_then_check(sql, params, **kwargs):
        other = second_connection(autocommit=True)
        with other.cursor() as cursor:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])
            assert cursor.rowcount == 1
        other.close()
        try:
            result = real(sql, params, **kwargs)
        except fastpath.Fallback:
            stepped_back.append(True)
            raise
        stepped_back.append(False)
        return result

    monkeypatch.setattr(fastpath, "_check_references", delete_then_check)
    return stepped_back


@pytest.mark.django_db(transaction=True)
def test_a_customer_another_session_deletes_during_the_import_is_caught(run_import, monkeypatch):
    """Another session deletes the existing customer old-1, whom the file's order A5 names,
    while the import runs: the set-based check finds the customer gone and the fast path
    steps back; the Python path creates old-1 again (the preset creates missing customers)
    and no order points at the deleted row."""
    _postgresql_only()
    store = shop("fp-race-customer")
    old = Customer.objects.get(store=store, external_id="old-1")
    stepped_back = _deleted_before_the_checks(monkeypatch, Customer, old.pk)
    run = run_import(store, "orders", ORDERS.encode())
    assert stepped_back == [True]
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 8)
    a5 = Order.objects.get(store=store, number="A5")
    assert a5.customer.external_id == "old-1" and a5.customer_id != old.pk


@pytest.mark.django_db(transaction=True)
def test_a_sku_another_session_deletes_during_the_import_is_caught(run_import, monkeypatch):
    """Another session deletes a SKU the file's lines use while the import runs (after the
    fast path looked it up, before its commit). The lines would point at nothing: the
    set-based check finds the SKU gone, the fast path steps back, and the Python path reports
    the rows of the missing SKU; nothing is written. (With the per-row triggers on, the
    commit would have failed instead.)"""
    _postgresql_only()
    store = shop("fp-race")
    cup = Sku.objects.get(store=store, code="CUP-1")
    stepped_back = _deleted_before_the_checks(monkeypatch, Sku, cup.pk)
    run = run_import(store, "orders", ORDERS.encode())
    assert stepped_back == [True]
    assert run.status == ImportStatus.REJECTED
    assert {(e["column"], e["value"]) for e in run.errors} == {("sku_code", "CUP-1")}
    assert not Order.objects.filter(store=store).exists()
    assert not OrderLine.objects.filter(store=store).exists()


@pytest.mark.django_db(transaction=True)
def test_an_order_another_session_inserts_during_the_import_is_updated(run_import, monkeypatch):
    """Another session commits order A2 after the fast path found it new and before it
    inserts it: the insert breaks the unique key, the fast path steps back and the Python
    path updates A2 with the file's values (7 created, 1 updated)."""
    _postgresql_only()
    store = shop("fp-race-order")
    old = Customer.objects.get(store=store, external_id="old-1")
    real = fastpath._Sql.__call__

    def insert_first(self, sql, params=None):
        if sql.lstrip().startswith(f"INSERT INTO {Order._meta.db_table} "):
            other = second_connection(autocommit=True)
            with other.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {Order._meta.db_table} (store_id, number, customer_id, "
                    "created_at, status, channel, goods_amount, discount_amount, "
                    "shipping_amount, paid_amount, is_presale) VALUES "
                    "(%s, 'A2', %s, now(), 'created', 'other', 1, 0, 0, 1, false)",
                    [store.pk, old.pk],
                )
            other.close()
        return real(self, sql, params)

    monkeypatch.setattr(fastpath._Sql, "__call__", insert_first)
    run = run_import(store, "orders", ORDERS.encode())
    assert (run.status, run.created, run.updated) == (ImportStatus.SUCCEEDED, 7, 1)
    a2 = Order.objects.get(store=store, number="A2")
    assert (a2.customer.external_id, a2.paid_amount, a2.status) == (
        "new-2",
        D("50.00"),
        "completed",
    )
    assert Order.objects.filter(store=store).count() == 8


# One row per order (an order report): the fast path takes the rows as the orders' first rows.
ONE_ROW_PER_ORDER = ORDERS.replace("A1,,,,,,,,,,,,,,,,CUP-1,1,15.00,\n", "")


def test_one_row_per_order_through_both_paths(both, stores):
    fast, slow, took = both(ONE_ROW_PER_ORDER)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])
    # A1's goods now come from its one line: 2 x 30.00.
    assert Order.objects.get(store=stores[0], number="A1").goods_amount == D("60.00")


@pytest.mark.parametrize(
    "change, bad, row",
    [
        ("45.00,5.00,", "45.00,50.00,", 7),  # A6: more refunded than paid
        (
            "00:00,,created,search,,,,15.00,,,",
            "00:00,,created,search,,,,15.00,5.00,,",
            5,
        ),  # A4: refunded, never paid
        ("direct,,,,50.00,", "direct,,,,,", 3),  # A2: no paid amount
        ("2026-10-02 12:10:00", "2026-10-02 11:10:00", 6),  # A5: paid before created
    ],
)
def test_one_row_per_order_with_a_bad_order_gives_the_same_report(both, stores, change, bad, row):
    """Every row is an order's first row: the order rules are checked with the row checks."""
    assert ONE_ROW_PER_ORDER.count(change) == 1
    fast, slow, took = both(ONE_ROW_PER_ORDER.replace(change, bad))
    assert not took
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.REJECTED
    assert [e["row"] for e in fast.errors] == [row]
    assert not Order.objects.filter(store__in=stores).exists()


def test_one_row_per_order_with_a_number_twice_gives_the_same_report(both, stores):
    """A7's row numbered A1 again: every order is one row, but A1 is not consecutive."""
    fast, slow, took = both(ONE_ROW_PER_ORDER.replace("A7,new-4", "A1,new-4"))
    assert not took
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in fast.errors] == [(8, "order_number")]
    assert not Order.objects.filter(store__in=stores).exists()


def test_one_row_per_order_over_existing_orders_replaces_the_changed_lines(both, stores):
    """An order report over orders imported with their lines: A1 had two lines, (GT-1, 2,
    30.00, 8.00) and (CUP-1, 1, 15.00, 4.00), and now has one, (GT-1, 1, 15.00, 4.00): the
    least of each column of the two, so only their count tells them apart; A5's one line has
    another cost; the others' lines are the same. Each order's lines are compared with its
    one row's (the Python path's result, line for line)."""
    both(ORDERS)
    assert ONE_ROW_PER_ORDER.count("GT-1,2,30.00,\n") == 1
    again = ONE_ROW_PER_ORDER.replace("GT-1,1,30.00,12.00", "GT-1,1,30.00,13.00").replace(
        "GT-1,2,30.00,\n", "GT-1,1,15.00,4.00\n"
    )
    fast, slow, took = both(again)
    expect_fast_path(took)
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.SUCCEEDED
    assert snapshot(stores[0]) == snapshot(stores[1])
    lines = OrderLine.objects.filter(store=stores[0])
    assert list(lines.filter(order__number="A1").values_list("sku__code", "quantity")) == [
        ("GT-1", 1)
    ]
    assert lines.get(order__number="A5").unit_cost == D("13.00")
    unchanged = fast.unchanged
    fast, slow, took = both(again)  # the same file again: nothing changes
    expect_fast_path(took)
    assert (fast.updated, fast.unchanged) == (0, 8) and unchanged < 8


def test_one_row_per_order_with_an_existing_number_twice_gives_the_same_report(both, stores):
    """The same file into stores that hold its orders already: the two rows numbered A1 are
    one existing order (not the unique key's to catch): the fast path finds it and passes."""
    fast, slow, took = both(ONE_ROW_PER_ORDER)
    expect_fast_path(took)
    before = snapshot(stores[0])
    fast, slow, took = both(ONE_ROW_PER_ORDER.replace("A7,new-4", "A1,new-4"))
    assert not took
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in fast.errors] == [(8, "order_number")]
    assert snapshot(stores[0]) == before == snapshot(stores[1])


def test_one_row_per_order_with_a_number_twice_in_a_first_load(both, stores, monkeypatch):
    """Two new orders numbered A1 with the orders' unique key dropped for a first load: its
    rebuild fails, the savepoint takes everything back and the Python path reports the row."""
    _postgresql_only()
    _check_the_fixtures_rows()
    before = _indexes()
    seen = _rebuilt(monkeypatch)
    fast, slow, took = both(ONE_ROW_PER_ORDER.replace("A7,new-4", "A1,new-4"))
    assert not took and (BULK_TABLES[1], 7) in seen
    assert outcome(fast) == outcome(slow) and fast.status == ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in fast.errors] == [(8, "order_number")]
    assert not Order.objects.filter(store__in=stores).exists()
    assert _indexes() == before


# --- A first load: the indexes built after the rows -----------------------------------------

BULK_TABLES = [Customer._meta.db_table, Order._meta.db_table, OrderLine._meta.db_table]


def _indexes() -> list[tuple]:
    """Every index of the tables a first load rebuilds: name, definition, valid, constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisvalid,
                   c.conname, pg_get_constraintdef(c.oid)
            FROM pg_index i
            LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
            WHERE i.indrelid = ANY (%s::regclass[]) ORDER BY 1
            """,
            [BULK_TABLES],
        )
        return cursor.fetchall()


def _rebuilt(monkeypatch, min_rows: int = 1) -> list[tuple[str, int]]:
    """Large writes from ``min_rows`` rows; records (table, indexes dropped) per table whose
    indexes the import dropped to build after its rows."""
    monkeypatch.setattr(fastpath, "BULK_MIN_ROWS", min_rows)
    seen: list[tuple[str, int]] = []
    real = fastpath._drop_secondary_indexes

    def spy(sql, table, rows):
        rebuild = real(sql, table, rows)
        seen.append((table, len(rebuild)))
        return rebuild

    monkeypatch.setattr(fastpath, "_drop_secondary_indexes", spy)
    return seen


def _check_the_fixtures_rows() -> None:
    """Run the foreign-key checks the fixtures' rows left pending (a test is one transaction;
    in production the import's transaction starts with none): PostgreSQL alters no table
    with pending row events."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _foreign_keys() -> list[tuple]:
    """Every foreign key pointing at the tables a first load rebuilds: table, name,
    definition, validated, and the index it uses."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated,
                   conindid::regclass::text
            FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY (%s::regclass[])
            ORDER BY 1, 2
            """,
            [BULK_TABLES],
        )
        return cursor.fetchall()


def test_a_first_load_builds_the_indexes_after_the_rows(both, stores, monkeypatch):
    """Into tables holding fewer rows than it adds, the import drops the secondary indexes and
    unique constraints of customers, orders and lines (and the lines' and the orders' primary
    keys, with the lines' and refunds' foreign keys to the orders) and builds them after its
    writes: the rows are those of the Python path, and the indexes and constraints are back
    exactly as they were and enforced."""
    _postgresql_only()
    _check_the_fixtures_rows()
    before, keys = _indexes(), _foreign_keys()
    seen = _rebuilt(monkeypatch)
    fast, slow, took = both(ORDERS)
    assert took
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])
    # customers: (store, external_id) and the member level; orders: the primary key, number,
    # paid, created, customer and the two foreign keys to it (lines, refunds); lines: order,
    # SKU and the primary key (no foreign key points at the lines).
    assert seen == [(BULK_TABLES[0], 2), (BULK_TABLES[1], 7), (BULK_TABLES[2], 3)]
    assert _indexes() == before
    assert _foreign_keys() == keys
    assert {table for table, *_ in keys} >= {OrderLine._meta.db_table, Refund._meta.db_table}
    assert all(valid for _table, _name, _definition, valid, _index in keys)
    assert all(valid for _name, _definition, valid, *_ in before)
    a1 = Order.objects.get(store=stores[0], number="A1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(
            id=a1.id, store=stores[0], number="A0", customer=a1.customer,
            created_at=a1.created_at, status="created", goods_amount=1, paid_amount=1,
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        line = OrderLine.objects.filter(store=stores[0]).first()
        OrderLine.objects.filter(pk=line.pk).update(order_id=a1.id + 10**9)
        _check_the_fixtures_rows()  # (the deferred foreign-key check, now)
    a1 = Order.objects.get(store=stores[0], number="A1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(
            store=stores[0], number="A1", customer=a1.customer, created_at=a1.created_at,
            status="created", goods_amount=1, paid_amount=1,
        )  # fmt: skip
    line = OrderLine.objects.filter(store=stores[0]).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.create(
            id=line.id, store=stores[0], order=a1, sku=line.sku, quantity=1, unit_price=1,
            unit_cost=1,
        )  # fmt: skip


def test_a_first_load_one_row_per_order_builds_the_indexes_after_the_rows(
    both, stores, monkeypatch
):
    """An order report's first orders into a store without orders: their counts come from
    the row checks (no scan of the orders), and the lines' indexes are built after the rows
    like the orders'."""
    _postgresql_only()
    _check_the_fixtures_rows()
    before = _indexes()
    seen = _rebuilt(monkeypatch)
    fast, slow, took = both(ONE_ROW_PER_ORDER)
    assert took and outcome(fast) == outcome(slow)
    assert fast.created == ONE_ROW_PER_ORDER.count("\n") - 1
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert seen == [(BULK_TABLES[0], 2), (BULK_TABLES[1], 7), (BULK_TABLES[2], 3)]
    assert _indexes() == before


def test_orders_pointed_at_by_many_lines_keep_their_primary_key(both, stores, monkeypatch):
    """Adding a foreign key back checks every row of its table: when the lines already hold
    more than a tenth of the rows the import adds, the orders keep their primary key (and
    the foreign keys to it), and their other indexes are still built after the rows."""
    _postgresql_only()
    other = shop("fp-lines")
    sku = Sku.objects.create(store=other, code="X-1", title="X", price=10, cost=4)
    order = Order.objects.create(
        store=other, number="X1", customer=Customer.objects.create(store=other, external_id="x"),
        created_at=datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC), status="created",
        channel="direct", goods_amount=10, paid_amount=10,
    )  # fmt: skip
    OrderLine.objects.create(
        store=other, order=order, sku=sku, quantity=1, unit_price=10, unit_cost=4
    )
    _check_the_fixtures_rows()
    keys = _foreign_keys()
    seen = _rebuilt(monkeypatch)
    fast, slow, took = both(ORDERS)
    assert took and outcome(fast) == outcome(slow)
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert (BULK_TABLES[1], 4) in seen
    assert _foreign_keys() == keys


def test_a_published_table_keeps_its_primary_key(both, stores, monkeypatch):
    """Logical replication identifies the rows of a published table by its primary key: a
    first load keeps the lines' primary key when a publication includes the lines (and
    still builds their other indexes after the rows)."""
    _postgresql_only()
    _check_the_fixtures_rows()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE PUBLICATION test_fp_lines FOR TABLE {BULK_TABLES[2]}")
    seen = _rebuilt(monkeypatch)
    fast, slow, took = both(ORDERS)
    assert took and outcome(fast) == outcome(slow)
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert seen == [(BULK_TABLES[0], 2), (BULK_TABLES[1], 7), (BULK_TABLES[2], 2)]


def test_a_table_with_row_checks_pending_keeps_its_indexes(both, stores, monkeypatch):
    """The fixtures' customers still have their foreign-key checks pending in this
    transaction: the customers' indexes stay (maintained row by row), the orders' and lines'
    are built after the rows, and the file still takes the fast path."""
    _postgresql_only()
    seen = _rebuilt(monkeypatch)
    fast, slow, took = both(ORDERS)
    assert took and outcome(fast) == outcome(slow)
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert seen == [(BULK_TABLES[0], 0), (BULK_TABLES[1], 7), (BULK_TABLES[2], 3)]


def test_a_table_holding_more_rows_than_the_import_adds_keeps_its_indexes(
    run_import, stores, monkeypatch
):
    """After a first load of 8 orders into one store, one order for the other store is a
    small write into a larger table: no index is dropped (maintained row by row)."""
    _postgresql_only()
    _check_the_fixtures_rows()
    seen = _rebuilt(monkeypatch)
    assert run_import(stores[0], "orders", ORDERS.encode()).created == 8
    assert [table for table, _dropped in seen] == BULK_TABLES
    seen.clear()
    one = HEADER + "Z1,new-9,,2026-10-01 10:00:00,,created,search,,,,15.00,,,,,,CUP-1,1,15.00,\n"
    run = run_import(stores[1], "orders", one.encode())
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 1)
    assert seen == []


def test_a_preview_keeps_the_indexes(run_import, stores, monkeypatch):
    """A preview writes and rolls back: it does not lock the tables for a rebuild."""
    _postgresql_only()
    seen = _rebuilt(monkeypatch)
    run = run_import(stores[0], "orders", ORDERS.encode(), dry_run=True)
    assert (run.status, run.created) == (ImportStatus.PREVIEWED, 8)
    assert seen == []


def test_a_failed_rebuild_leaves_the_indexes_as_they_were(both, stores, monkeypatch):
    """A statement of the rebuild fails (as a duplicate key would): the fast path's savepoint
    takes the dropped indexes back with its rows, and the Python path imports the file."""
    _postgresql_only()
    _check_the_fixtures_rows()
    before = _indexes()
    monkeypatch.setattr(fastpath, "BULK_MIN_ROWS", 1)
    real = fastpath._drop_secondary_indexes

    def failing(sql, table, rows):
        rebuild = real(sql, table, rows)
        return [*rebuild, "SELECT 1 / 0"] if table == Order._meta.db_table else rebuild

    monkeypatch.setattr(fastpath, "_drop_secondary_indexes", failing)
    fast, slow, took = both(ORDERS)
    assert not took
    assert outcome(fast) == outcome(slow) and fast.created == 8
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert _indexes() == before


def _import_while_another_session_reads(run_import, store, model):
    """Import ``ORDERS`` into ``store`` while another session's open transaction has read
    ``model``'s table (and so holds a lock on it until it ends, after the import)."""
    other = second_connection(autocommit=False)
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")
        return run_import(store, "orders", ORDERS.encode())
    finally:
        other.rollback()
        other.close()


@pytest.mark.django_db(transaction=True)
def test_refunds_another_session_is_reading_keep_the_orders_primary_key(run_import, monkeypatch):
    """Another session's open transaction has read the refunds: the import does not wait
    for it to drop the refunds' foreign key to the orders, so the orders keep their primary
    key (and the keys to it), and their other indexes are still built after the rows."""
    _postgresql_only()
    store = shop("fp-busy-refunds")
    seen = _rebuilt(monkeypatch)
    keys = _foreign_keys()
    run = _import_while_another_session_reads(run_import, store, Refund)
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 8)
    assert dict(seen) == {BULK_TABLES[0]: 2, BULK_TABLES[1]: 4, BULK_TABLES[2]: 3}
    assert _foreign_keys() == keys


@pytest.mark.django_db(transaction=True)
def test_a_table_another_session_is_reading_keeps_its_indexes(run_import, monkeypatch):
    """Another session's open transaction has read the orders table: the import does not
    wait for it (nor make the other session's next reads wait for the whole import); it keeps
    the orders' indexes and maintains them row by row, and still rebuilds those of the tables
    nobody holds. Holding the customers table by then, it does not wait at all for the
    orders (``NOWAIT``): the other session might be waiting for the customers."""
    _postgresql_only()
    store = shop("fp-busy")
    seen = _rebuilt(monkeypatch)
    monkeypatch.setattr(fastpath, "BULK_LOCK_WAIT", "200ms")
    locks: list[str] = []
    real = fastpath._Sql.__call__

    def recording(self, sql, params=None):
        if sql.startswith("LOCK TABLE"):
            locks.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(fastpath._Sql, "__call__", recording)
    run = _import_while_another_session_reads(run_import, store, Order)
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 8)
    assert dict(seen) == {BULK_TABLES[0]: 2, BULK_TABLES[1]: 0, BULK_TABLES[2]: 3}
    assert locks == [
        f"LOCK TABLE {BULK_TABLES[0]} IN ACCESS EXCLUSIVE MODE",
        f"LOCK TABLE {BULK_TABLES[1]} IN ACCESS EXCLUSIVE MODE NOWAIT",
        f"LOCK TABLE {BULK_TABLES[2]} IN ACCESS EXCLUSIVE MODE NOWAIT",
    ]
    assert Order.objects.filter(store=store).count() == 8
