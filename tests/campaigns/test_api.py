"""The campaign report endpoints: the hand-made shop's numbers through the API, roles, and
another store's campaign id as a 404."""

import codecs
import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from campaigns.models import CampaignHour, LineupItem
from opsdesk.exports import XLSX_TYPE
from opsdesk.roles import Role
from tests.campaigns.shop import SHANGHAI, D, build_campaign_shop
from tests.factories import CampaignFactory, MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests compare English messages; the default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def shop():
    return build_campaign_shop()


def freeze(monkeypatch, day, hour=12, minute=0):
    instant = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: instant)


def api(store, role=Role.MANAGER):
    client = APIClient()
    client.force_authenticate(MembershipFactory(store=store, role=role).user)
    return client


def url(shop, name, campaign=None):
    return reverse(
        f"v1:campaign-{name}",
        kwargs={"store_slug": shop.store.slug, "pk": (campaign or shop.camp).pk},
    )


def test_review_report(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 12, 12))
    body = api(shop.store, Role.ANALYST).get(url(shop, "review")).json()
    review = body["review"]
    assert body["available"] is True
    assert (review["stage"], review["gmv"], review["gap"]) == ("final", "800.00", "-200.00")
    assert review["vs_plan"]["traffic"] == "-621.26"
    assert review["vs_plan"]["conversion"] == "-200.00"
    assert review["vs_plan"]["spend_per_buyer"] == "621.26"
    assert [p["code"] for p in review["pareto"]] == ["S1", "S2", "S3"]
    assert review["stockouts"][0]["lost_sales"] == "1000.00"
    assert review["new_buyers_returned"] == 1
    assert Decimal(review["refund_rate"]) == Decimal("0.125")


def test_review_is_null_before_the_burst_ends(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10))
    body = api(shop.store).get(url(shop, "review")).json()
    assert body == {"available": False, "available_from": "2026-11-11", "review": None}


def test_plan_report(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 22))
    body = api(shop.store).get(url(shop, "plan")).json()
    assert (body["source"], body["source_name"]) == ("baseline", "Base")
    assert (body["implied_uv"], body["implied_buyers"], body["spend_per_buyer"]) == (
        100,
        10,
        "100.00",
    )


def test_monitoring_refresh_and_read(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10), hour=6, minute=30)
    client = api(shop.store, Role.OPERATOR)
    refreshed = client.post(url(shop, "monitoring"), {"day": "2026-11-10"}, format="json")
    assert refreshed.json() == {"day": "2026-11-10", "hours": 7}
    body = client.get(url(shop, "monitoring"), {"day": "2026-11-10"}).json()
    assert (body["gmv"], body["day_target"], body["behind_pace"]) == ("800.00", "1000.00", True)
    assert (body["burst_gmv"], body["burst_progress"]) == ("800.00", "0.800000")
    assert [h["gmv"] for h in body["hours"][:4]] == ["400.00", "0.00", "0.00", "200.00"]
    bad = client.post(url(shop, "monitoring"), {"day": "2026-12-01"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"]["day"] == [
        "Choose a pre-heat or burst day, 2026-11-09 to 2026-11-10."
    ]


def test_an_analyst_cannot_refresh_or_accept(shop):
    client = api(shop.store, Role.ANALYST)
    assert (
        client.post(url(shop, "monitoring"), {"day": "2026-11-10"}, format="json").status_code
        == 403
    )
    accept = client.post(
        url(shop, "lineup-suggestions"),
        {"items": [{"sku": shop.skus["S3"].pk, "planned_units": 1}]},
        format="json",
    )
    assert accept.status_code == 403
    assert not CampaignHour.objects.exists()
    assert LineupItem.objects.filter(sku=shop.skus["S3"]).count() == 0


def test_accept_lineup_items_through_the_api(shop):
    manager = MembershipFactory(store=shop.store, role=Role.MANAGER, user__username="boss").user
    client = APIClient()
    client.force_authenticate(manager)
    response = client.post(
        url(shop, "lineup-suggestions"),
        {"items": [{"sku": shop.skus["S3"].pk, "planned_units": 4}]},
        format="json",
    )
    assert response.status_code == 201
    assert [(i["sku_code"], i["planned_units"]) for i in response.json()] == [("S3", 4)]
    # Saved with who chose it: the token's user.
    item = LineupItem.objects.get(campaign=shop.camp, sku=shop.skus["S3"])
    assert (item.chosen_by, response.json()[0]["chosen_by"]) == (manager, "boss")
    again = client.post(
        url(shop, "lineup-suggestions"),
        {"items": [{"sku": shop.skus["S3"].pk, "planned_units": 1}]},
        format="json",
    )
    assert again.status_code == 400
    assert "S3 is already in the lineup." in again.json()["errors"]["items"]


def test_another_stores_campaign_id_is_a_404(shop):
    foreign = CampaignFactory(store=StoreFactory(slug="other-shop"))
    client = api(shop.store, Role.ADMIN)
    for name in ("review", "plan", "monitoring", "lineup-suggestions"):
        response = client.get(url(shop, name, foreign))
        assert response.status_code == 404, name
        assert response.json()["code"] == "not_found"
    post = client.post(url(shop, "monitoring", foreign), {"day": "2026-11-10"}, format="json")
    assert post.status_code == 404
    assert not CampaignHour.objects.exists()


def test_review_export_file_and_query_count(shop, monkeypatch, django_assert_max_num_queries):
    freeze(monkeypatch, D(2026, 12, 12))
    client = api(shop.store, Role.ANALYST)
    with django_assert_max_num_queries(30):
        response = client.get(url(shop, "review-export"))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "Gap vs plan,,Spend-per-buyer effect,621.26" in text
    xlsx = client.get(url(shop, "review-export"), {"file": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = client.get(url(shop, "review-export"), {"file": "pdf"})
    assert bad.status_code == 400 and bad.json()["errors"]["file"] == ["Choose file csv or xlsx."]


def test_review_export_before_the_burst_ends_is_a_400(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10))
    response = api(shop.store).get(url(shop, "review-export"))
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        "The review is available once the burst is over (2026-11-11)."
    ]


def test_review_queries_do_not_grow_with_lineup_and_stockouts(shop, monkeypatch):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import LineupItemFactory, StockSnapshotFactory

    freeze(monkeypatch, D(2026, 12, 12))
    client = api(shop.store, Role.ANALYST)
    with CaptureQueriesContext(connection) as before:
        client.get(url(shop, "review"))
    for code in ("S3", "S4"):
        LineupItemFactory(campaign=shop.camp, sku=shop.skus[code], planned_units=9)
        StockSnapshotFactory(store=shop.store, sku=shop.skus[code], day=D(2026, 11, 10), stock=0)
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        body = client.get(url(shop, "review")).json()["review"]
    assert len(body["stockouts"]) == 3 and len(body["lineup"]) == 4
    assert len(after.captured_queries) == len(before.captured_queries)


# --- the reports as CSV and XLSX: the same numbers as the JSON ----------------------------------


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(codecs.BOM_UTF8)
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def sheets(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX_TYPE
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_review_report_as_csv_and_xlsx_holds_the_json_numbers(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 12, 12))
    shop.skus["S1"].title = '=HYPERLINK("http://x")'  # a title a spreadsheet would run
    shop.skus["S1"].save()
    client = api(shop.store, Role.ANALYST)
    review = client.get(url(shop, "review")).json()["review"]

    summary = csv_table(client.get(url(shop, "review"), {"format": "csv"}))  # default table
    assert summary[0][:6] == ["stage", "start", "end", "target", "gmv", "gap"]
    row = dict(zip(summary[0], summary[1], strict=True))
    assert (row["gmv"], row["gap"], row["target"]) == (review["gmv"], review["gap"], "1000.00")
    assert (row["refund_rate"], row["new_buyers_returned"]) == ("0.125000", "1")
    assert row["channel_budget_total"] == ""  # no channel budgets: empty, never 0

    effects = csv_table(client.get(url(shop, "review"), {"format": "csv", "table": "effects"}))
    assert effects == [
        ["against", "reference_gmv", "actual_gmv", "gap", "traffic", "conversion",
         "spend_per_buyer"],
        ["plan", "1000.00", "800.00", "-200.00", "-621.26", "-200.00", "621.26"],
        ["baseline", "200.00", "800.00", "600.00", "396.58", "-96.58", "300.00"],
    ]  # fmt: skip
    pareto = csv_table(client.get(url(shop, "review"), {"table": "pareto"}, HTTP_ACCEPT="text/csv"))
    assert pareto[1][:4] == [str(shop.skus["S1"].pk), "S1", '\'=HYPERLINK("http://x")', "400.00"]
    assert [r[1] for r in pareto[1:]] == [p["code"] for p in review["pareto"]]

    book = sheets(client.get(url(shop, "review"), {"format": "xlsx"}))
    assert list(book) == ["summary", "effects", "pareto", "lineup", "channels", "stockouts"]
    # XLSX cells hold numbers: 600.00 is the number 600.
    channels = {r[0]: r for r in book["channels"][1:]}
    assert channels["paid_search"][1:5] == (600, 150, 4, 0.75)
    (stockout,) = book["stockouts"][1:]
    assert (stockout[1], stockout[3], stockout[-1]) == ("S2", "2026-11-10T04:00:00+08:00", 1000)


def test_review_report_before_the_burst_ends_has_tables_without_rows(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10))
    client = api(shop.store)
    assert csv_table(client.get(url(shop, "review"), {"format": "csv", "table": "lineup"})) == [
        ["sku_id", "code", "title", "planned_units", "actual_units", "achievement",
         "underperforming"]
    ]  # fmt: skip


def test_a_bad_format_or_table_is_a_json_400_naming_it(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 12, 12))
    client = api(shop.store)
    bad = client.get(url(shop, "review"), {"format": "pdf"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"
    assert bad.json()["errors"]["format"] == ["Choose format json, csv, xlsx."]
    table = client.get(url(shop, "monitoring"), {"format": "csv", "table": "nope"})
    assert table.status_code == 400
    assert table.json()["errors"]["table"] == ["Choose one of: hours, summary, stock_alerts."]
    day = client.get(url(shop, "monitoring"), {"format": "csv", "day": "2026-12-01"})
    assert day.status_code == 400 and day["Content-Type"] == "application/json"
    assert "day" in day.json()["errors"]


def test_monitoring_report_as_csv_and_xlsx(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10), hour=6, minute=30)
    client = api(shop.store, Role.OPERATOR)
    client.post(url(shop, "monitoring"), {"day": "2026-11-10"}, format="json")
    body = client.get(url(shop, "monitoring"), {"day": "2026-11-10"}).json()

    hours = csv_table(client.get(url(shop, "monitoring"), {"day": "2026-11-10", "format": "csv"}))
    assert hours[0][:4] == ["hour", "local_hour", "complete", "gmv"]
    assert len(hours) == 1 + 7  # header + hours 0..6
    assert [r[3] for r in hours[1:5]] == [h["gmv"] for h in body["hours"][:4]]
    assert hours[1][0] == "2026-11-10T00:00:00+08:00" and hours[7][2] == "false"  # 06:00 runs

    book = sheets(client.get(url(shop, "monitoring"), {"day": "2026-11-10", "format": "xlsx"}))
    assert list(book) == ["hours", "summary", "stock_alerts"]
    summary = dict(zip(book["summary"][0], book["summary"][1], strict=True))
    assert (summary["gmv"], summary["day_target"], summary["target_source"]) == (
        800,
        1000,
        "burst",
    )
    assert summary["behind_pace"] is True
    assert Decimal(str(summary["projected_gmv"])) == Decimal(body["projected_gmv"])


def test_plan_and_lineup_suggestion_reports_as_csv(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 22))
    client = api(shop.store)
    plan = csv_table(client.get(url(shop, "plan"), {"format": "csv"}))
    row = dict(zip(plan[0], plan[1], strict=True))
    assert (row["implied_uv"], row["implied_buyers"], row["spend_per_buyer"]) == (
        "100",
        "10",
        "100.00",
    )
    # The baseline (burst Nov 1, pre-heat Oct 31 without sales) gives no pre-heat ratio: the
    # store's usual day. Rolled up before the Nov 9 pre-heat: Oct 31 - Nov 8, 9 days, with
    # Nov 1's 200 -> 200 / 9 = 22.22 a day, one pre-heat day -> 22.22.
    assert (row["preheat_source"], row["preheat_total"], row["preheat_days"]) == (
        "recent",
        "22.22",
        "1",
    )
    assert client.get(url(shop, "plan")).json()["preheat_target"]["total"] == "22.22"
    book = sheets(client.get(url(shop, "lineup-suggestions"), {"format": "xlsx"}))
    assert list(book) == ["suggestions", "summary"]
    assert book["summary"][0] == (
        "start",
        "end",
        "min_conversion",
        "uplift",
        "baseline_name",
        "missing_days",
    )


def test_writes_on_a_report_route_answer_json_only(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10), hour=6)
    client = api(shop.store)
    response = client.post(
        url(shop, "monitoring"), {"day": "2026-11-10"}, format="json", HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 406 and response["Content-Type"] == "application/json"
    assert not CampaignHour.objects.exists()
