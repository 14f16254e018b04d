"""The report contract, generated from the OpenAPI schema so a new report is held to it without
anyone listing it: every GET operation with a ``format`` of csv is a report (or an export).

* A bad value of each of its query parameters is a 400 in the error shape naming that
  parameter: a malformed or impossible date, a value outside an enum (an unknown channel,
  segment, tier...), a number past its bounds (an oversized limit), and a reversed range.
* Its CSV is UTF-8 with a BOM and no text cell a spreadsheet would run (= + - @ tab NUL),
  while the seeded world puts such text in SKU codes and titles, names and campaign names.
* Its XLSX holds the numbers of its JSON: every number of every sheet is one of the JSON's.
* Every paginated list refuses an oversized, zero or malformed page or page size (400).
"""

import csv
import datetime
import io
from decimal import Decimal, InvalidOperation

import pytest
import yaml
from django.conf import settings
from openpyxl import load_workbook

from analytics.models import Order
from analytics.rollups.services import rollup_day
from campaigns.models import Campaign
from catalog.compliance import compliance_scan_sku
from catalog.models import BannedTerm, Category, Sku, StockSnapshot
from opsdesk.audit import Actor, audit_as
from opsdesk.exports import FORMULA_STARTS, XLSX_TYPE
from users.models import Customer

SCHEMA = yaml.safe_load((settings.BASE_DIR / "openapi" / "schema.yaml").read_text())
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def report_operations() -> list[tuple[str, list[dict]]]:
    """(path, query parameters) of every GET whose ``format`` offers csv."""
    found = []
    for path, item in SCHEMA["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        formats = next((p["schema"].get("enum", []) for p in query if p["name"] == "format"), [])
        if "csv" in formats:
            found.append((path, query))
    return sorted(found)


REPORTS = report_operations()
#: A valid query per report path suffix (what the report needs to answer 200).
VALID = {
    "reports/daily-metrics/": {"start": "2026-11-01", "end": "2026-11-02", "channels": "true"},
    "reports/funnel/": {"start": "2026-11-01", "end": "2026-11-02", "channels": "true"},
    "reports/tiers/": {"start": "2026-11-01", "end": "2026-11-02"},
    "reports/product-matrix/": {"start": "2026-11-01", "end": "2026-11-02"},
    "reports/price-exposure/": {"cut_percent": "10"},
    "reports/flags/": {"day": "2026-11-01"},
    "reports/rfm/": {"as_of": "2026-11-02"},
    "reports/sku-health/": {"as_of": "2026-11-02"},
    "campaigns/{id}/monitoring/": {"day": "2026-11-01"},
}


def valid_query(path: str) -> dict:
    return next((q for suffix, q in VALID.items() if path.endswith(suffix)), {})


def url_of(path: str, world) -> str:
    return (
        path.replace("{store_slug}", world.store.slug)
        .replace("{id}", str(world.a[Campaign].pk))
        .replace("{campaign_pk}", str(world.a[Campaign].pk))
    )


def bad_values(parameter: dict) -> list[str]:
    """Values of ``parameter`` its schema rules out."""
    schema = parameter["schema"]
    if schema.get("format") == "date":
        return ["2026-02-30", "yesterday"]
    if "enum" in schema:
        return ["no-such-value"]
    if schema.get("type") == "integer":
        values = ["x1"]
        if "maximum" in schema and schema["maximum"] < 2**62:
            values.append(str(schema["maximum"] + 1))
        if "minimum" in schema:
            values.append(str(schema["minimum"] - 1))
        return values
    if schema.get("type") == "boolean":
        return ["perhaps"]
    return []


PARAMETER_CASES = [
    pytest.param(path, parameter["name"], value, id=f"{path}?{parameter['name']}={value}")
    for path, query in REPORTS
    for parameter in query
    for value in bad_values(parameter)
]
RANGE_CASES = [
    pytest.param(path, id=path)
    for path, query in REPORTS
    if {"start", "end"} <= {p["name"] for p in query}
]


def test_the_reports_were_found():
    paths = {path for path, _ in REPORTS}
    suffixes = ["daily-metrics/", "funnel/", "rfm/", "tiers/", "monitoring/", "review/"]
    assert all(any(path.endswith(s) for path in paths) for s in suffixes), paths


@pytest.mark.parametrize(("path", "name", "value"), PARAMETER_CASES)
def test_a_bad_parameter_of_a_report_is_a_400_naming_it(world, client_for, path, name, value):
    query = {**valid_query(path), name: value}

    response = client_for("admin").get(url_of(path, world), query)

    assert response.status_code == 400, (response.status_code, response.content[:200])
    body = response.json()
    assert set(body) == {"detail", "code", "errors"} and body["code"] == "invalid"
    assert name in body["errors"], body
    assert name in body["detail"], body


@pytest.mark.parametrize("path", RANGE_CASES)
def test_a_reversed_range_is_a_400_naming_end(world, client_for, path):
    query = {**valid_query(path), "start": "2026-11-05", "end": "2026-11-01"}

    response = client_for("admin").get(url_of(path, world), query)

    assert response.status_code == 400
    assert "end" in response.json()["errors"]


@pytest.fixture
def tricky(world):
    """Store A with text a spreadsheet would run in every kind of name, a finding, and two
    rolled-up days."""
    store = world.store
    Sku.objects.filter(pk=world.a[Sku].pk).update(code="=cmd|' /C calc'!A0", title="+SUM(A1)")
    Category.objects.filter(pk=world.a[Category].pk).update(name="@import")
    Customer.objects.filter(pk=world.a[Customer].pk).update(name="-2+3", external_id="\tid")
    Campaign.objects.filter(pk=world.a[Campaign].pk).update(name="=HYPERLINK(x)")
    BannedTerm.objects.create(store=store, term="最好", replacement="很好")
    compliance_scan_sku(
        sku=Sku.objects.create(store=store, code="-FLAG", title="=最好的茶", price=9, cost=3)
    )
    order = world.a[Order]
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.datetime(2026, 11, 1, 10, 0, tzinfo=SHANGHAI),
        paid_at=datetime.datetime(2026, 11, 1, 10, 2, tzinfo=SHANGHAI),
    )
    for day in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)):
        rollup_day(store=store, day=day)
    # sku-health as of 11-02 (a past day) reads that day's stock snapshots.
    for sku in Sku.objects.filter(store=store):
        StockSnapshot.objects.create(
            store=store, sku=sku, day=datetime.date(2026, 11, 2), stock=sku.stock
        )
    audit_as(
        Actor(user=world.users["admin"]),
        store=store,
        action="sku.update",
        obj=Sku.objects.get(pk=world.a[Sku].pk),
        changes={"title": ["Tea", "+SUM(A1)"]},
    )
    return world


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _tables(path: str) -> list[str]:
    query = dict(REPORTS)[path]
    table = next((p for p in query if p["name"] == "table"), None)
    return table["schema"]["enum"] if table else [""]


@pytest.mark.parametrize("path", [path for path, _ in REPORTS])
def test_every_csv_has_a_bom_and_no_cell_a_spreadsheet_would_run(tricky, client_for, path):
    client = client_for("admin")
    escaped = 0
    for table in _tables(path):
        query = {**valid_query(path), "format": "csv", **({"table": table} if table else {})}
        response = client.get(url_of(path, tricky), query)
        assert response.status_code == 200, (path, table, response.content[:200])
        assert response.content.startswith(b"\xef\xbb\xbf"), (path, table)
        assert b"\x00" not in response.content
        text = response.content.decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    assert _is_number(cell), (path, table, cell)  # -200.00 is a number
                escaped += cell.startswith("'")
    if path.endswith(("sku-health/", "compliance/", "product-matrix/", "audit/export/")):
        assert escaped, f"{path}: the tricky rows should show up escaped"


def _json_numbers(value, found: set[Decimal]) -> set[Decimal]:
    if isinstance(value, dict):
        for item in value.values():
            _json_numbers(item, found)
    elif isinstance(value, list):
        for item in value:
            _json_numbers(item, found)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int | float):
        found.add(Decimal(str(value)))
    elif isinstance(value, str) and _is_number(value):
        found.add(Decimal(value))
    return found


def _close(number: Decimal, numbers: set[Decimal]) -> bool:
    return any(abs(number - other) <= abs(other) * Decimal("1e-12") for other in numbers)


JSON_REPORTS = [
    path
    for path, query in REPORTS
    if "json" in next(p["schema"]["enum"] for p in query if p["name"] == "format")
]


@pytest.mark.parametrize("path", JSON_REPORTS)
def test_every_xlsx_number_is_a_number_of_the_json(tricky, client_for, path):
    client = client_for("admin")
    query = valid_query(path)
    numbers = _json_numbers(client.get(url_of(path, tricky), query).json(), set())

    response = client.get(url_of(path, tricky), {**query, "format": "xlsx"})

    book = load_workbook(io.BytesIO(response.content), read_only=True)
    seen = 0
    for sheet in book.worksheets:
        header, *rows = list(sheet.iter_rows(values_only=True))
        for row in rows:
            for name, cell in zip(header, row, strict=True):
                if isinstance(cell, bool) or not isinstance(cell, int | float):
                    continue
                if str(name).endswith("_score"):
                    continue  # the RFM grid's row label: the JSON grid's row position
                seen += 1
                assert _close(Decimal(str(cell)), numbers), (path, sheet.title, cell)
    assert seen, f"{path}: no number in the workbook"


def list_operations() -> list[tuple[str, int]]:
    """(path, largest page size) of every paginated GET."""
    found = []
    for path, item in SCHEMA["paths"].items():
        query = [p for p in item.get("get", {}).get("parameters", []) if p["in"] == "query"]
        size = next((p for p in query if p["name"] == "page_size"), None)
        if size is not None:
            found.append((path, size["schema"]["maximum"]))
    return sorted(found)


LISTS = list_operations()


@pytest.mark.parametrize(("path", "maximum"), LISTS, ids=[path for path, _ in LISTS])
def test_an_oversized_or_bad_page_of_any_list_is_a_400_naming_it(world, client_for, path, maximum):
    client = client_for("admin")
    url = url_of(path, world)

    for name, value in (("page_size", maximum + 1), ("page_size", 0), ("page", 0), ("page", "x")):
        response = client.get(url, {name: value})
        assert response.status_code == 400, (path, name, value)
        assert name in response.json()["errors"], (path, name, value)
    assert client.get(url, {"page_size": maximum}).status_code == 200


XLSX_MEDIA_TYPE = XLSX_TYPE


def _sheets(content: bytes) -> dict[str, list]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


@pytest.mark.parametrize("path", [path for path, _ in REPORTS])
def test_the_accept_header_selects_the_same_export_as_format(tricky, client_for, path):
    client = client_for("admin")
    url, query = url_of(path, tricky), valid_query(path)
    table = _tables(path)[0]
    csv_query = {**query, **({"table": table} if table else {})}

    by_format = client.get(url, {**csv_query, "format": "csv"})
    by_accept = client.get(url, csv_query, HTTP_ACCEPT="text/csv")

    assert by_accept.status_code == 200, by_accept.content[:200]
    assert by_accept["Content-Type"].startswith("text/csv")
    assert by_accept.content == by_format.content
    by_format = client.get(url, {**query, "format": "xlsx"})
    by_accept = client.get(url, query, HTTP_ACCEPT=XLSX_MEDIA_TYPE)
    assert by_accept.status_code == 200
    assert by_accept["Content-Type"].startswith(XLSX_MEDIA_TYPE)
    assert _sheets(by_accept.content) == _sheets(by_format.content)


@pytest.fixture
def marked_b(tricky):
    """Store B's rows named LEAKMARK, a finding on its SKU, its days rolled up, its campaign
    with store A's dates: any of it in a store A report is a leak."""
    world = tricky
    store = world.b.store
    Sku.objects.filter(pk=world.b[Sku].pk).update(code="LEAKMARK-SKU", title="LEAKMARK tea")
    Category.objects.filter(pk=world.b[Category].pk).update(name="LEAKMARK category")
    Customer.objects.filter(pk=world.b[Customer].pk).update(
        name="LEAKMARK buyer", external_id="LEAKMARK-id"
    )
    Campaign.objects.filter(pk=world.b[Campaign].pk).update(name="LEAKMARK campaign")
    BannedTerm.objects.create(store=store, term="最好", replacement="很好")
    compliance_scan_sku(
        sku=Sku.objects.create(store=store, code="LEAKMARK-FLAG", title="最好的茶", price=9, cost=3)
    )
    order = world.b[Order]
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.datetime(2026, 11, 1, 10, 0, tzinfo=SHANGHAI),
        paid_at=datetime.datetime(2026, 11, 1, 10, 2, tzinfo=SHANGHAI),
    )
    for day in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)):
        rollup_day(store=store, day=day)
    for sku in Sku.objects.filter(store=store):
        StockSnapshot.objects.create(
            store=store, sku=sku, day=datetime.date(2026, 11, 2), stock=sku.stock
        )
    return world


@pytest.mark.parametrize("path", [path for path, _ in REPORTS])
def test_no_report_shows_another_stores_rows(marked_b, client_for, path):
    client = client_for("admin")
    url, query = url_of(path, marked_b), valid_query(path)
    for extra in ({}, {"format": "xlsx"}, *({"format": "csv", "table": t} for t in _tables(path))):
        response = client.get(url, {**query, **{k: v for k, v in extra.items() if v}})
        assert response.status_code == 200, (path, extra, response.content[:200])
        if extra.get("format") == "xlsx":
            cells = _sheets(response.content)
            assert "LEAKMARK" not in repr(cells), (path, extra)
        else:
            assert b"LEAKMARK" not in response.content, (path, extra)


def test_the_leak_marks_show_in_store_bs_own_reports(marked_b, client_for):
    """The control of the probe above: the marks are where a leak would carry them."""
    client = client_for("outsider")
    base = f"/api/v1/stores/{marked_b.b.store.slug}/reports/"
    health = client.get(base + "sku-health/", {"as_of": "2026-11-02", "format": "csv"})
    compliance = client.get(base + "compliance/")
    matrix = client.get(base + "product-matrix/", {"start": "2026-11-01", "end": "2026-11-02"})
    for response in (health, compliance, matrix):
        assert response.status_code == 200
        assert b"LEAKMARK" in response.content, response.request["PATH_INFO"]
