"""The campaign reports (monitoring / pacing and review) in JSON, CSV and XLSX, chosen by
``format`` or the Accept header, with the same numbers in every format. Data: the hand-made
campaign shop of tests/campaigns/shop.py (Double 11 2026, burst 11-10, target 1,000.00)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from opsdesk.exports import XLSX_TYPE
from opsdesk.roles import Role
from tests.campaigns.shop import SHANGHAI, D, build_campaign_shop
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_empty_cache(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop():
    return build_campaign_shop()


def freeze(monkeypatch, day, hour=12, minute=0):
    instant = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: instant)


def client_of(shop, role=Role.ANALYST) -> APIClient:
    client = APIClient()
    client.force_authenticate(MembershipFactory(store=shop.store, role=role).user)
    return client


def url(shop, name: str) -> str:
    return reverse(
        f"v1:campaign-{name}", kwargs={"store_slug": shop.store.slug, "pk": shop.camp.pk}
    )


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def sheet(response, name: str) -> list[tuple]:
    assert response["Content-Type"] == XLSX_TYPE
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return list(book[name].iter_rows(values_only=True))


def test_monitoring_in_csv_and_xlsx_has_the_json_numbers(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10), hour=6, minute=30)
    client_of(shop, Role.OPERATOR).post(url(shop, "monitoring"), {"day": "2026-11-10"})
    client = client_of(shop)
    params = {"day": "2026-11-10"}
    body = client.get(url(shop, "monitoring"), params).json()

    hours = csv_rows(client.get(url(shop, "monitoring"), {**params, "format": "csv"}))
    book = client.get(url(shop, "monitoring"), {**params, "format": "xlsx"})
    summary = csv_rows(
        client.get(url(shop, "monitoring"), {**params, "format": "csv", "table": "summary"})
    )

    # 00:00-06:59 refreshed at 06:30: 7 hours; GMV 400 at 00:00, 200 at 03:00 (the shop).
    header = hours[0]
    assert header[:4] == ["hour", "local_hour", "complete", "gmv"]
    assert [row[header.index("gmv")] for row in hours[1:5]] == [
        "400.00",
        "0.00",
        "0.00",
        "200.00",
    ]
    assert [h["gmv"] for h in body["hours"][:4]] == ["400.00", "0.00", "0.00", "200.00"]
    # Hours are ISO 8601 in the store's time zone, as in the JSON.
    assert hours[1][0] == body["hours"][0]["hour"] == "2026-11-10T00:00:00+08:00"
    assert len(hours) - 1 == len(body["hours"]) == 7
    xlsx_hours = sheet(book, "hours")
    assert [Decimal(str(row[header.index("gmv")])) for row in xlsx_hours[1:5]] == [
        Decimal("400"),
        Decimal("0"),
        Decimal("0"),
        Decimal("200"),
    ]
    # Summary: GMV so far 800.00 of the day target 1,000.00, behind pace.
    assert dict(zip(summary[0], summary[1], strict=True))["gmv"] == body["gmv"] == "800.00"
    assert dict(zip(summary[0], summary[1], strict=True))["day_target"] == "1000.00"
    assert dict(zip(summary[0], summary[1], strict=True))["behind_pace"] == "true"
    assert sheet(book, "summary")[1][0].date() == D(2026, 11, 10)


def test_the_accept_header_selects_the_format(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 10), hour=6, minute=30)
    client = client_of(shop)

    as_csv = client.get(url(shop, "monitoring"), {"day": "2026-11-10"}, HTTP_ACCEPT="text/csv")
    as_xlsx = client.get(url(shop, "review"), HTTP_ACCEPT=XLSX_TYPE)

    assert as_csv["Content-Type"].startswith("text/csv")
    # The review of a burst not over yet: its tables, with their headers and no rows.
    assert as_xlsx.status_code == 200 and as_xlsx["Content-Type"].startswith(XLSX_TYPE)
    summary = sheet(as_xlsx, "summary")
    assert len(summary) == 1 and "gmv" in summary[0]


def test_review_in_csv_and_xlsx_has_the_json_numbers(shop, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 20))
    client = client_of(shop)
    review = client.get(url(shop, "review")).json()["review"]

    rows = csv_rows(client.get(url(shop, "review"), {"format": "csv", "table": "summary"}))
    book = sheet(client.get(url(shop, "review"), {"format": "xlsx"}), "summary")

    values = dict(zip(rows[0], rows[1], strict=True))
    # The shop's burst: GMV 800.00 against the 1,000.00 target: gap -200.00 (test_api.py).
    assert values["gmv"] == review["gmv"] == "800.00"
    assert values["gap"] == review["gap"] == "-200.00"
    cells = dict(zip(book[0], book[1], strict=True))
    assert Decimal(str(cells["gap"])) == Decimal("-200")


@pytest.mark.parametrize(
    ("name", "params", "parameter"),
    [
        ("monitoring", {"day": "2026-11-31"}, "day"),
        ("monitoring", {"day": "2026-12-01"}, "day"),
        ("monitoring", {"day": "2026-11-10", "format": "pdf"}, "format"),
        ("monitoring", {"day": "2026-11-10", "table": "nope"}, "table"),
        ("review", {"format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_are_400s_naming_them(shop, monkeypatch, name, params, parameter):
    freeze(monkeypatch, D(2026, 11, 20))

    response = client_of(shop).get(url(shop, name), params)

    assert response.status_code == 400
    assert parameter in response.json()["errors"]


def test_the_refresh_answers_json_only_and_writes_nothing_else(shop, monkeypatch):
    from campaigns.models import CampaignHour

    freeze(monkeypatch, D(2026, 11, 10), hour=6, minute=30)
    client = client_of(shop, Role.OPERATOR)

    response = client.post(url(shop, "monitoring") + "?format=csv", {"day": "2026-11-10"})

    assert response.status_code == 406 and response["Content-Type"] == "application/json"
    assert not CampaignHour.objects.filter(campaign=shop.camp).exists()
