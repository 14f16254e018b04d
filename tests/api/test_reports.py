"""The daily-metrics report endpoint renders the analytics runner's result (JSON or CSV) and
computes nothing itself: its numbers are the runner's."""

import codecs
import csv
import datetime
import io

import pytest

from analytics.models import Order
from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.rollups.services import rollup_day
from opsdesk.api.renderers import csv_bytes, csv_cell

URL = "/api/v1/stores/tea-house/reports/daily-metrics/"


@pytest.fixture
def rolled_up(world):
    """Store A's order paid at 2026-11-01 10:02 Shanghai time, that day rolled up."""
    order = world.a[Order]
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.datetime(2026, 11, 1, 2, 0, tzinfo=datetime.UTC),
        paid_at=datetime.datetime(2026, 11, 1, 2, 2, tzinfo=datetime.UTC),
    )
    for day in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)):
        rollup_day(store=world.store, day=day, tiers=False)
    return world


def test_json_is_the_runners_result(rolled_up, client_for):
    response = client_for("analyst").get(
        URL, {"start": "2026-11-01", "end": "2026-11-02", "channels": "true"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    result = DailyMetricsRunner(
        store=rolled_up.store,
        query=DailyMetricsQuery(
            start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 2), by_channel=True
        ),
    ).run()
    assert body["totals"]["gmv"] == str(result.totals.gmv) == "199.00"
    assert body["totals"]["paid_orders"] == 1
    # The seeded 100.00 of paid_search spend bought no GMV: ROI 0 (the runner's value).
    assert body["totals"]["roi"] == str(result.totals.roi)
    assert body["totals"]["ad_spend"] == "100.00"
    assert body["totals"]["conversion_rate"] is None  # UV is 0: no value, not 0
    assert [p["start"] for p in body["series"]] == ["2026-11-01", "2026-11-02"]
    assert [p["metrics"]["gmv"] for p in body["series"]] == ["199.00", "0.00"]
    assert body["channels"][0]["channel"] == "search"
    assert body["missing_days"] == []


def test_weeks_and_missing_days(rolled_up, client_for):
    body = (
        client_for("analyst")
        .get(URL, {"start": "2026-11-01", "end": "2026-11-03", "group_by": "week"})
        .json()
    )
    assert [(p["start"], p["end"]) for p in body["series"]] == [
        ("2026-11-01", "2026-11-01"),
        ("2026-11-02", "2026-11-03"),
    ]
    assert body["missing_days"] == ["2026-11-03"]


def test_months_are_calendar_months_cut_to_the_range(rolled_up, client_for):
    rollup_day(store=rolled_up.store, day=datetime.date(2026, 10, 31), tiers=False)
    body = (
        client_for("analyst")
        .get(URL, {"start": "2026-10-31", "end": "2026-11-02", "group_by": "month"})
        .json()
    )
    # October's one day, then November's first two; the 199.00 order was paid on 11-01.
    assert [(p["start"], p["end"]) for p in body["series"]] == [
        ("2026-10-31", "2026-10-31"),
        ("2026-11-01", "2026-11-02"),
    ]
    assert [p["metrics"]["gmv"] for p in body["series"]] == ["0.00", "199.00"]
    assert [p["metrics"]["paid_orders"] for p in body["series"]] == [0, 1]
    assert body["missing_days"] == []


def test_csv_is_utf8_with_bom_one_row_per_bucket(rolled_up, client_for):
    response = client_for("analyst").get(
        URL, {"start": "2026-11-01", "end": "2026-11-02", "format": "csv"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["start", "end", "gmv", "paid_orders"]
    assert [row[:3] for row in rows[1:]] == [
        ["2026-11-01", "2026-11-01", "199.00"],
        ["2026-11-02", "2026-11-02", "0.00"],
    ]
    header = rows[0]
    assert rows[2][header.index("conversion_rate")] == ""  # no value is an empty cell


def test_csv_errors_are_json_in_the_error_shape(world, client_for):
    response = client_for("analyst").get(URL, {"start": "2026-11-02", "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "end" in response.json()["errors"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\0x", "'x"),
        ("plain 文本", "plain 文本"),
        (None, ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(value, cell):
    assert csv_cell(value) == cell


def test_csv_bytes_start_with_a_bom():
    data = csv_bytes(["name"], [["=1+1"], ["茶"]])
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig") == "name\r\n'=1+1\r\n茶\r\n"


def test_the_sku_table_is_the_runners_with_the_same_numbers_in_csv(rolled_up, client_for):
    from catalog.models import Sku

    client = client_for("analyst")
    params = {"start": "2026-11-01", "end": "2026-11-02", "skus": "true"}

    body = client.get(URL, params).json()
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(URL, {**params, "format": "csv", "table": "skus"}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )

    sku = rolled_up.a[Sku]
    # One paid order on 11-01 with one line: 1 x 199.00 at cost 80.00 -> GMV 199.00, gross
    # profit 199.00 - 80.00 = 119.00, one paid order, one buyer.
    assert [
        (r["code"], r["units"], r["gmv"], r["gross_profit"], r["paid_orders"], r["buyers"])
        for r in body["skus"]
    ] == [(sku.code, 1, "199.00", "119.00", 1, 1)]
    header = rows[0]
    assert header[:4] == ["sku_id", "code", "title", "units"]
    assert rows[1][header.index("gmv")] == "199.00"
    assert rows[1][header.index("gross_profit")] == "119.00"
    # Without skus=true the table is empty and the JSON list too.
    assert client.get(URL, {"start": "2026-11-01", "end": "2026-11-02"}).json()["skus"] == []


@pytest.mark.parametrize("limit", ["0", "501", "many"])
def test_the_sku_limit_is_bounded(world, client_for, limit):
    response = client_for("analyst").get(
        URL, {"start": "2026-11-01", "end": "2026-11-02", "skus": "true", "sku_limit": limit}
    )
    assert response.status_code == 400
    assert "sku_limit" in response.json()["errors"]
