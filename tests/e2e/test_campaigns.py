"""The campaign review, hour-by-hour, campaign and form pages in a real browser: the Plotly
charts render with the hand-made shop's numbers (tests/campaigns/shop.py), the refresh button
fills the hours (a pre-heat day with its derived target too), channel budgets are edited on the
form and set against the spend in the review, the past lineup is checked against the stock it
started with; no console errors."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.cache import cache

from campaigns.models import Campaign
from opsdesk.roles import Role
from tests.campaigns.shop import SHANGHAI, D, build_campaign_shop
from tests.conftest import PASSWORD
from tests.factories import (
    ChannelBudgetFactory,
    MembershipFactory,
    StockSnapshotFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def shop(transactional_db, monkeypatch):
    cache.clear()
    # The live server runs in this process: "now" is 12 Dec 2026 noon in Shanghai, after the
    # wrap-up and the 30 days of repurchase.
    now = datetime.datetime(2026, 12, 12, 12, tzinfo=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    shop = build_campaign_shop()
    ChannelBudgetFactory(campaign=shop.camp, channel="paid_search", budget=Decimal("120.00"))
    ChannelBudgetFactory(campaign=shop.camp, channel="paid_feed", budget=Decimal("50.00"))
    # S1 (3 planned) started the Nov 10 burst with 2: short; S2 has no snapshot of the start.
    StockSnapshotFactory(store=shop.store, sku=shop.skus["S1"], day=D(2026, 11, 9), stock=2)
    user = UserFactory(username="xiaoli", first_name="")
    MembershipFactory(user=user, store=shop.store, role=Role.MANAGER)
    yield shop
    cache.clear()


def sign_in(page, live_server):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def test_review_and_monitoring_pages_draw_their_charts(page, screenshot, shop, live_server):
    sign_in(page, live_server)

    page.goto(f"/campaigns/{shop.camp.pk}/review/")
    page.wait_for_selector("#gap-plan-chart.js-plotly-plot .plot-container svg", timeout=10_000)
    assert page.get_by_test_id("review-gmv").inner_text() == "¥800.00"
    assert page.get_by_test_id("review-gap").inner_text() == "-¥200.00"
    figure = json.loads(page.locator("#gap-plan-chart-data").text_content())
    # Target 1000, traffic -621.26, conversion -200, spend per buyer +621.26 -> 800;
    # each effect floats on the running total before it.
    assert figure["data"][0]["y"] == [1000.0, -621.26, -200.0, 621.26, 800.0]
    assert figure["data"][0]["base"] == [0.0, 1000.0, 378.74, 178.74, 0.0]
    assert page.locator("#gap-plan-chart g.point").count() == 5
    # paid_search spent 150 of its 120 budget: 125%, flagged; paid_feed budgeted, no spend.
    paid_search = page.locator('#roi-table tr[data-channel="paid_search"]')
    assert "row-flagged" in paid_search.get_attribute("class")
    assert paid_search.locator("td").nth(4).inner_text() == "¥120.00"
    assert "125.0%" in paid_search.locator("td").nth(5).inner_text()
    assert "超预算" in paid_search.inner_text()
    assert page.locator('#roi-table tr[data-channel="paid_feed"] td').nth(4).inner_text() == (
        "¥50.00"
    )
    screenshot("campaign-review")
    assert page.console_errors == [], page.console_errors

    page.goto(f"/campaigns/{shop.camp.pk}/monitor/?day=2026-11-10")
    assert page.locator("#pace-chart").count() == 0  # nothing computed yet: no invented hours
    page.get_by_test_id("refresh-hours").click()
    page.wait_for_selector("#pace-chart.js-plotly-plot .plot-container svg", timeout=10_000)
    assert page.get_by_test_id("gmv-so-far").inner_text() == "¥800.00"
    assert page.locator("#pace-chart .bars g.point").count() == 24
    assert page.locator("#hour-table tbody tr").count() == 24
    screenshot("campaign-monitor")
    assert page.console_errors == [], page.console_errors

    # The pre-heat day (Nov 9) has a target of its own: no baseline pre-heat sales, so the
    # store's usual day: Nov 1's 200 over the 9 rolled-up days Oct 31 - Nov 8 = 22.22.
    page.goto(f"/campaigns/{shop.camp.pk}/monitor/?day=2026-11-09")
    page.get_by_test_id("refresh-hours").click()
    page.wait_for_selector("#pace-chart.js-plotly-plot .plot-container svg", timeout=10_000)
    assert page.get_by_test_id("day-target").inner_text() == "¥22.22"
    assert page.get_by_test_id("target-source").inner_text() == "预热目标按本店日常水平推算"
    figure = json.loads(page.locator("#pace-chart-data").text_content())
    assert [trace["type"] for trace in figure["data"]] == ["bar", "scatter", "scatter"]
    assert figure["data"][2]["y"][-1] == 22.22  # the target pace reaches the day target
    screenshot("campaign-monitor-preheat")
    assert page.console_errors == [], page.console_errors


def test_the_campaign_form_and_page_budgets_pre_heat_target_stock_and_mechanics(
    page, screenshot, shop, live_server
):
    sign_in(page, live_server)
    page.goto(f"/campaigns/{shop.camp.pk}/edit/")
    page.locator("#id_preheat_gmv_target").fill("300")
    page.locator("#id_budget_paid_search").fill("150")
    page.locator("#id_budget_paid_feed").fill("60")  # the form holds the whole set
    page.get_by_test_id("save-campaign").click()
    # 150 + 60 = 210 > the 200 ad budget: refused, with the numbers, nothing saved.
    assert "渠道预算合计 210.00，超过推广预算 200.00。" in page.locator(".form-errors").inner_text()
    screenshot("campaign-form-budget-error")
    # The refused form answers 400, which Chromium logs; that one is expected.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.console_errors.clear()
    page.locator("#id_budget_paid_feed").fill("50")
    page.get_by_test_id("save-campaign").click()
    page.wait_for_selector('[data-testid="plan-breakdown"]')
    assert page.get_by_test_id("preheat-target").inner_text() == "¥300.00"
    rows = page.locator("#channel-budget-table tbody tr")
    assert [rows.nth(i).inner_text().split("\t") for i in range(rows.count())] == [
        ["信息流/DOU+", "¥50.00", "25.0%"],
        ["直通车/付费搜索", "¥150.00", "75.0%"],
    ]
    # The burst is over: the lineup is checked against the stock it started with.
    assert "爆发前一天的库存快照" in page.get_by_test_id("stock-basis").inner_text()
    assert "row-flagged" in page.locator('#lineup-table tr[data-sku="S1"]').get_attribute("class")
    assert (
        "缺少爆发开始时的库存快照" in page.locator('#lineup-table tr[data-sku="S2"]').inner_text()
    )
    screenshot("campaign-detail")

    # A mechanic is added on the same page: 满300减50.
    page.locator("#mechanic-form #id_kind").select_option("full_reduction")
    page.locator("#mechanic-form #id_threshold").fill("300")
    page.locator("#mechanic-form #id_amount").fill("50")
    page.locator("#mechanic-form #id_description").fill("满300减50")
    page.get_by_test_id("add-mechanic").click()
    row = page.locator('#mechanic-table tr[data-mechanic="full_reduction"]')
    row.wait_for()
    assert row.locator("td").nth(1).inner_text() == "¥300.00"
    assert "满300减50" in row.inner_text()
    page.evaluate("window.scrollTo(0, 0)")  # the redirect lands on #mechanics-title
    screenshot("campaign-detail-mechanics")
    assert page.console_errors == [], page.console_errors


def test_plan_double_11_2027_from_the_calendar_in_two_clicks(page, screenshot, shop, live_server):
    sign_in(page, live_server)
    page.goto("/campaigns/")
    # The past campaign's lineup is flagged by the stock its burst started with: S1 short, S2
    # without a snapshot of the start.
    assert page.get_by_test_id(f"stock-short-{shop.camp.pk}").inner_text() == "1"
    assert page.get_by_test_id(f"stock-unknown-{shop.camp.pk}").inner_text() == "?1"
    screenshot("campaign-calendar")
    page.get_by_test_id("plan-double11-2027").click()  # click 1: the festival's Plan button
    assert page.locator("#id_burst_start").input_value() == "2027-11-01"
    assert page.locator("#id_preheat_start").input_value() == "2027-10-20"
    page.get_by_test_id("save-campaign").click()  # click 2: Save
    page.wait_for_selector('[data-testid="plan-breakdown"]')
    planned = Campaign.objects.get(store=shop.store, kind="double_11", burst_start__year=2027)
    assert (
        planned.name,
        planned.preparation_start.isoformat(),
        planned.wrapup_end.isoformat(),
    ) == (
        "双11 2027",  # the festival's name in the page's language (zh-CN browser)
        "2027-09-17",
        "2027-11-14",
    )
    assert page.console_errors == [], page.console_errors
