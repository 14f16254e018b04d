"""The dashboards in a real browser: every chart renders (Plotly SVG with data points) within
a second of the page arriving, the numbers on the page are the runners' numbers, a new date
range redraws the figures, the customer export downloads a file that parses, both languages,
no console errors.

Data: the hand-worked shop of tests/analytics/handworked.py (2026-11-01..03), rolled up.
"""

import csv
import datetime
import io
import json

import pytest
from django.core.cache import cache

from analytics.reports.daily import DailyMetricsQuery, DailyMetricsRunner
from analytics.reports.funnel import FunnelQuery, FunnelRunner
from analytics.reports.rfm import RfmQuery, RfmRunner
from analytics.rollups.services import rollup_range
from campaigns.models import Campaign
from catalog.matrix import MatrixQuery, ProductMatrixRunner
from opsdesk.roles import Role
from opsdesk.templatetags.opsdesk_ui import money, number, share
from tests.analytics.handworked import D1, D2, D3, build_shop
from tests.conftest import PASSWORD
from tests.factories import CampaignFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.e2e]

WHOLE = f"range=custom&start={D1.isoformat()}&end={D3.isoformat()}"
TABLET = {"width": 820, "height": 1180}
DAY = datetime.timedelta(days=1)


@pytest.fixture
def shop(transactional_db):
    cache.clear()
    shop = build_shop()
    rollup_range(store=shop.a, start=D1, end=D3)
    CampaignFactory(
        store=shop.a,
        name="双11 茶",
        preparation_start=D1 - 40 * DAY,
        preheat_start=D1 - 10 * DAY,
        burst_start=D2,
        burst_end=D2,
        wrapup_end=D3,
    )
    user = UserFactory(username="xiaoli", first_name="")
    MembershipFactory(user=user, store=shop.a, role=Role.OPERATOR)
    yield shop
    cache.clear()


def sign_in(page, live_server):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def rendered_points(page, chart_id: str, points: str = ".point") -> int:
    """Waits for the Plotly SVG of ``chart_id`` and returns how many data marks it drew."""
    page.wait_for_selector(f"#{chart_id}.js-plotly-plot .plot-container svg", timeout=10_000)
    return page.locator(f"#{chart_id} {points}").count()


def chart_data(page, chart_id: str) -> dict:
    return json.loads(page.locator(f"#{chart_id}-data").text_content())


def test_dashboards_render_the_runners_numbers(page, screenshot, shop, live_server):
    sign_in(page, live_server)

    # --- overview: KPI cards equal the runner's, the trend chart is drawn ------------------
    page.goto(f"/?{WHOLE}")
    result = DailyMetricsRunner(
        store=shop.a, query=DailyMetricsQuery(start=D1, end=D3, by_channel=True)
    ).run()
    assert page.get_by_test_id("kpi-gmv").inner_text() == money(result.totals.gmv)
    assert page.get_by_test_id("kpi-uv").inner_text() == number(result.totals.uv)
    assert page.get_by_test_id("kpi-conversion_rate").inner_text() == share(
        result.totals.conversion_rate
    )
    assert page.get_by_test_id("kpi-roi").inner_text() == number(result.totals.roi, 2)
    assert rendered_points(page, "trend-chart", ".trace.bars .point") == 30
    assert page.locator("#trend-chart .scatterlayer .trace").count() == 1
    before = chart_data(page, "trend-chart")
    screenshot("dash-01-overview-zh")

    # --- a new date range through the picker redraws the figures -------------------------
    page.get_by_label("开始").fill(D2.isoformat())
    page.get_by_label("结束").fill(D2.isoformat())
    page.locator("form.filter-bar").get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("kpi-gmv").inner_text() == "¥160.00"  # hand-worked D2
    assert page.get_by_test_id("kpi-gmv-prev").inner_text() == "-20.0%"  # vs D1 ¥200
    rendered_points(page, "trend-chart")
    after = chart_data(page, "trend-chart")
    assert after["data"][0]["x"] != before["data"][0]["x"]

    # --- traffic and funnel --------------------------------------------------------------
    page.goto(f"/traffic/?{WHOLE}")
    funnel = FunnelRunner(store=shop.a, query=FunnelQuery(start=D1, end=D3, by_channel=True)).run()
    page.wait_for_selector("#funnel-chart.js-plotly-plot .plot-container svg")
    assert page.locator("#funnel-chart .trace").count() >= 1
    assert rendered_points(page, "channel-funnel-chart", ".trace.bars .point") > 0
    assert rendered_points(page, "channel-chart", ".trace.bars .point") > 0
    cells = page.locator("#funnel-table tbody tr td:nth-child(2)").all_inner_texts()
    assert cells == [number(step.visitors) for step in funnel.steps]
    assert page.get_by_test_id("abandoned-count").inner_text() == str(
        funnel.abandoned_cart_visitors
    )
    # Channel trends: one line per channel in each of the three panels (GMV, UV, conversion),
    # drawn with markers; the table under it has the runner's per-day numbers.
    trends = DailyMetricsRunner(
        store=shop.a,
        query=DailyMetricsQuery(start=D1, end=D3, by_channel=True, channel_series=True),
    ).run()
    lines = len(trends.channel_series) * 3
    assert rendered_points(page, "channel-trend-chart", ".scatterlayer .trace") == lines
    assert page.locator("#channel-trend-chart .scatterlayer .trace .point").count() > lines
    assert page.locator("#channel-trend-chart .legend .traces").count() == len(
        trends.channel_series
    )
    search = next(s for s in trends.channel_series if s.channel == "search")
    page.locator('section[aria-labelledby="trend-title"] details summary').click()
    row = page.locator('#channel-trend-table tr[data-day="2026-11-02"][data-channel="search"] td')
    assert row.all_inner_texts() == [
        money(search.points[1].metrics.gmv),
        number(search.points[1].metrics.uv),
        share(search.points[1].metrics.conversion_rate),
    ]
    screenshot("dash-02-traffic-zh")

    # --- customers: tiers, Sankey, RFM, and a CSV export that parses ----------------------
    page.goto(f"/customers/insights/?{WHOLE}")
    page.wait_for_selector("#tier-chart.js-plotly-plot .plot-container svg")
    assert page.locator("#tier-chart .scatterlayer .trace").count() >= 1
    page.wait_for_selector("#sankey-chart .sankey-node", timeout=10_000)
    assert page.locator("#sankey-chart .sankey-link").count() >= 1
    page.wait_for_selector("#rfm-chart.js-plotly-plot .plot-container svg")
    assert page.locator("#rfm-chart .hm").count() == 1
    screenshot("dash-03-customers-zh")
    rfm = RfmRunner(store=shop.a, query=RfmQuery(as_of=D3)).run()
    segment = next(s.code for s in rfm.segments if s.customers)
    with page.expect_download() as download_info:
        page.get_by_test_id(f"export-{segment}-csv").click()
    raw = download_info.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = RfmRunner(store=shop.a, query=RfmQuery(as_of=D3, segment=segment)).run()
    assert [row[0] for row in rows[1:]] == [c.external_id for c in expected.customers]

    # --- product matrix: both charts drawn, the role table is the runner's, a new range ----
    page.goto(f"/catalog/matrix/?{WHOLE}")
    matrix = ProductMatrixRunner(store=shop.a, query=MatrixQuery(D1, D3)).run()
    # one bar per role and measure (SKUs, GMV, gross profit, views, first orders)
    assert rendered_points(page, "role-share-chart", ".trace.bars .point") == 5 * len(matrix.roles)
    assert rendered_points(page, "price-margin-chart", ".scatterlayer .point") == len(matrix.skus)
    gmv_cells = page.locator("#role-table tbody tr td:nth-child(4)").all_inner_texts()
    assert gmv_cells == [money(row.gmv) for row in matrix.roles]
    screenshot("dash-04-matrix-zh")
    page.get_by_label("开始").fill(D2.isoformat())
    page.get_by_label("结束").fill(D2.isoformat())
    page.locator("form.filter-bar").get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    narrower = ProductMatrixRunner(store=shop.a, query=MatrixQuery(D2, D2)).run()
    assert narrower.total_gmv != matrix.total_gmv
    narrower_cells = page.locator("#role-table tbody tr td:nth-child(4)").all_inner_texts()
    assert narrower_cells == [money(row.gmv) for row in narrower.roles]
    assert narrower_cells != gmv_cells

    # --- SKU health: every SKU's table, sorted and searched --------------------------------
    page.goto("/catalog/health/?sort=-code")
    codes = page.locator("#health-table tbody tr td:nth-child(1)").all_inner_texts()
    assert codes == sorted(codes, reverse=True) and len(codes) == 2
    page.locator("#id_health_q").fill("tea")
    page.locator("#health-search").get_by_role("button", name="搜索").click()
    page.wait_for_load_state()
    assert page.locator("#health-table tbody tr td:nth-child(1)").all_inner_texts() == ["TEA"]

    # --- campaigns: the timeline ---------------------------------------------------------
    page.goto("/campaigns/")
    assert rendered_points(page, "timeline-chart", ".trace.bars .point") >= 3
    screenshot("dash-05-campaigns-zh")
    # the calendar's picker: a custom range a year back has no campaign; the campaign's window
    # has it again
    page.get_by_label("开始").fill("2025-09-01")
    page.get_by_label("结束").fill("2025-09-30")
    page.locator("#calendar-range").get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert page.locator("#timeline-table tbody th").count() == 0
    page.locator("#range-select").select_option("campaign")
    page.locator("#range-campaign").select_option(label="双11 茶 (10-22–11-03)")
    page.locator("#calendar-range").get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert page.locator("#timeline-table tbody th").all_inner_texts() == ["双11 茶"]
    rendered_points(page, "timeline-chart")

    # --- metric dictionary: the KPI label links to its anchor ------------------------------
    page.goto(f"/?{WHOLE}")
    page.locator('[data-kpi="gmv"] a.kpi-label').click()
    page.wait_for_load_state()
    assert page.url.endswith("/metrics/#metric-gmv")
    assert page.locator("#metric-gmv").is_visible()
    screenshot("dash-06-metrics-zh")

    # --- English -------------------------------------------------------------------------
    page.goto(f"/?{WHOLE}")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Overview")
    assert page.get_by_test_id("kpi-gmv").inner_text() == money(result.totals.gmv)
    assert rendered_points(page, "trend-chart", ".trace.bars .point") == 30
    screenshot("dash-07-overview-en")
    for path, chart in [
        (f"/traffic/?{WHOLE}", "funnel-chart"),
        (f"/traffic/?{WHOLE}", "channel-trend-chart"),
        (f"/customers/insights/?{WHOLE}", "rfm-chart"),
        (f"/catalog/matrix/?{WHOLE}", "role-share-chart"),
        (f"/catalog/matrix/?{WHOLE}", "price-margin-chart"),
        ("/campaigns/", "timeline-chart"),
    ]:
        page.goto(path)
        page.wait_for_selector(f"#{chart}.js-plotly-plot .plot-container svg")
    page.goto("/metrics/")
    assert "Metric dictionary" in page.locator("main").inner_text()
    # The campaign's pages (burst on D2, ended on D3): detail, the burst day's pace, review.
    campaign = Campaign.objects.get(store=shop.a)
    page.goto(f"/campaigns/{campaign.pk}/")
    assert "Burst" in page.locator("main").inner_text()
    page.goto(f"/campaigns/{campaign.pk}/monitor/?day={D2.isoformat()}")
    page.get_by_test_id("refresh-hours").click()  # the hours are computed on demand
    assert rendered_points(page, "pace-chart", ".trace.bars .point") == 24  # one bar an hour
    page.goto(f"/campaigns/{campaign.pk}/review/")
    assert page.get_by_test_id("review-gmv").inner_text() == money(
        DailyMetricsRunner(store=shop.a, query=DailyMetricsQuery(start=D2, end=D2)).run().totals.gmv
    )
    screenshot("dash-07b-campaign-review-en")

    # --- tablet: nothing overflows any chart page (wide tables scroll in their region) -----
    page.set_viewport_size(TABLET)
    page.goto(f"/?{WHOLE}")
    rendered_points(page, "trend-chart")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    screenshot("dash-08-overview-tablet")
    for path, charts in CHART_PAGES[1:]:
        page.goto(path)
        for chart in charts:
            page.wait_for_selector(f"#{chart}.js-plotly-plot .plot-container svg")
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], path

    assert page.console_errors == []


#: Records, per chart, when its Plotly SVG appeared (ms since the navigation started).
RECORD_DRAWN = """
window.chartsDrawn = {};
new MutationObserver(() => {
  document.querySelectorAll(".chart-plot").forEach((chart) => {
    if (!(chart.id in window.chartsDrawn) && chart.querySelector(".plot-container svg")) {
      window.chartsDrawn[chart.id] = performance.now();
    }
  });
}).observe(document, { childList: true, subtree: true });
"""
CHART_PAGES = [
    (f"/?{WHOLE}", {"trend-chart"}),
    (f"/traffic/?{WHOLE}", {"funnel-chart", "channel-funnel-chart", "channel-trend-chart"}),
    (f"/customers/insights/?{WHOLE}", {"tier-chart", "sankey-chart", "rfm-chart"}),
    (f"/catalog/matrix/?{WHOLE}", {"role-share-chart", "price-margin-chart"}),
    ("/campaigns/", {"timeline-chart"}),
]


def test_every_chart_is_drawn_within_a_second_of_the_page_arriving(page, shop, live_server):
    page.add_init_script(RECORD_DRAWN)
    sign_in(page, live_server)
    page.goto("/metrics/")  # the browser's cache holds plotly.js as after any earlier page
    page.goto(f"/?{WHOLE}")

    slowest = {}
    for path, charts in CHART_PAGES:
        page.goto(path)
        page.wait_for_function(
            f"Object.keys(window.chartsDrawn).length >= {len(charts)}", timeout=10_000
        )
        drawn = page.evaluate("window.chartsDrawn")
        arrived = page.evaluate('performance.getEntriesByType("navigation")[0].responseEnd')
        assert charts <= set(drawn), path
        slowest[path] = max(drawn[chart] for chart in charts) - arrived

    assert all(ms < 1000 for ms in slowest.values()), slowest
    assert page.console_errors == []
