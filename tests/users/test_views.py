"""The tiers/RFM page shows TierRunner's and RfmRunner's numbers for the current store only,
and its CSV/XLSX exports carry exactly the runner's customer list."""

import csv
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from analytics.reports.rfm import RfmQuery, RfmRunner
from analytics.reports.tiers import TierQuery, TierRunner
from analytics.rollups.services import rollup_range
from opsdesk.exports import rows_to_csv_response, rows_to_xlsx_response, safe_cell
from opsdesk.templatetags.opsdesk_ui import number, share
from tests.analytics.handworked import D1, D3, SHANGHAI, at, build_shop
from tests.factories import CustomerFactory, MembershipFactory, OrderFactory, StoreFactory

WHOLE = {"range": "custom", "start": D1.isoformat(), "end": D3.isoformat()}


@pytest.fixture
def shop(db):
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    other = StoreFactory(name="Other Shop", slug="other-shop")
    OrderFactory(
        store=other,
        customer=CustomerFactory(store=other, external_id="foreign-buyer", name="Foreigner"),
        created_at=at(SHANGHAI, D1, 9),
        paid_at=at(SHANGHAI, D1, 9),
    )
    rollup_range(store=other, start=D1, end=D3)
    return shop


@pytest.fixture
def shop_client(client, shop):
    client.force_login(MembershipFactory(store=shop.a, user__username="op").user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def rfm_of(shop, segment=None):
    return RfmRunner(store=shop.a, query=RfmQuery(as_of=D3, segment=segment)).run()


def test_insights_show_the_runners_tier_sizes_grid_and_segments(shop, shop_client):
    page = shop_client.get(reverse("customer_insights"), WHOLE).content.decode()
    tiers = TierRunner(
        store=shop.a, query=TierQuery(start=D1, end=D3, flow_from=D1, flow_to=D3)
    ).run()
    for tier, customers in tiers.sizes[-1].sizes:
        row = re.search(rf'data-tier="{tier}">(.*?)</tr>', page, re.S).group(1)
        assert f'<td class="num">{number(customers)}</td>' in row
    rfm = rfm_of(shop)
    for summary in rfm.segments:
        row = re.search(rf'data-segment="{summary.code}">(.*?)</tr>', page, re.S).group(1)
        assert f'<td class="num">{number(summary.customers)}</td>' in row
        assert share(summary.revenue_share) in row
    grid = re.search(r'id="rfm-grid">(.*?)</table>', page, re.S).group(1)
    cells = [int(v) for v in re.findall(r'<td class="num">(\d+)</td>', grid)]
    assert cells == [count for r in range(5, 0, -1) for count in rfm.grid[r - 1]]
    assert "Exclusive coupons, spend-more gifts on repurchase" in page
    for chart in ("tier-chart-data", "sankey-chart-data", "rfm-chart-data"):
        assert f'id="{chart}"' in page
    assert "foreign-buyer" not in page


def test_segment_list_shows_only_this_stores_customers(shop, shop_client):
    rfm = rfm_of(shop)
    segment = next(s.code for s in rfm.segments if s.customers)
    page = shop_client.get(reverse("customer_insights"), {**WHOLE, "segment": segment})
    listed = re.findall(r'data-customer="([^"]+)"', page.content.decode())
    assert listed == [c.external_id for c in rfm_of(shop, segment).customers]
    assert "foreign-buyer" not in listed


def test_csv_export_has_a_bom_and_the_runners_rows(shop, shop_client):
    rfm = rfm_of(shop)
    segment = next(s.code for s in rfm.segments if s.customers)
    response = shop_client.get(
        reverse("customer_export"), {**WHOLE, "segment": segment, "format": "csv"}
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = rfm_of(shop, segment).customers
    assert [row[0] for row in rows[1:]] == [c.external_id for c in expected]
    assert [row[5] for row in rows[1:]] == [str(c.monetary) for c in expected]
    assert "foreign-buyer" not in response.content.decode("utf-8-sig")


def test_xlsx_export_has_the_same_values_as_the_list(shop, shop_client):
    rfm = rfm_of(shop)
    segment = next(s.code for s in rfm.segments if s.customers)
    response = shop_client.get(
        reverse("customer_export"), {**WHOLE, "segment": segment, "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    expected = rfm_of(shop, segment).customers
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        (c.external_id, c.frequency, float(c.monetary)) for c in expected
    ]


def test_tier_export_lists_who_entered_the_tier_on_the_last_day(shop, shop_client):
    tiers = TierRunner(
        store=shop.a,
        query=TierQuery(
            start=D1, end=D3, flow_from=D1, flow_to=D3, entered_day=D3, entered_tier="active"
        ),
    ).run()
    response = shop_client.get(
        reverse("customer_export"), {**WHOLE, "tier": "active", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [e.external_id for e in tiers.entered]


@pytest.mark.parametrize(
    "query",
    [
        {"segment": "champions", "format": "pdf"},
        {"format": "csv"},
        {"segment": "champions", "tier": "new", "format": "csv"},
        {"segment": "champions", "format": "csv", "range": "custom", "start": "x", "end": "y"},
    ],
)
def test_bad_export_requests_are_400(shop_client, query):
    assert shop_client.get(reverse("customer_export"), query).status_code == 400


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\x00x", "'\x00x"),
        ("alice", "alice"),
        (None, ""),
        (5, 5),
    ],
)
def test_formula_cells_are_escaped(value, safe):
    assert safe_cell(value) == safe


def test_exports_escape_formulas_in_both_formats():
    rows = [['=HYPERLINK("x")', "茶"]]
    text = rows_to_csv_response(filename="a.csv", header=["a", "b"], rows=rows).content
    assert list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))[1] == ['\'=HYPERLINK("x")', "茶"]
    xlsx = rows_to_xlsx_response(filename="a.xlsx", header=["a", "b"], rows=rows).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A2"].value == '\'=HYPERLINK("x")'
    assert sheet["A2"].data_type == "s"


def test_the_customer_list_page_still_works(shop_client):
    assert shop_client.get(reverse("customer_list")).status_code == 200
