"""The campaign review and hour-by-hour pages in a real browser: the Plotly charts render with
the hand-made shop's numbers (tests/campaigns/shop.py), the refresh button fills the hours,
no console errors."""

import datetime
import json

import pytest
from django.core.cache import cache

from campaigns.models import Campaign
from opsdesk.roles import Role
from tests.campaigns.shop import SHANGHAI, build_campaign_shop
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def shop(transactional_db, monkeypatch):
    cache.clear()
    # The live server runs in this process: "now" is 12 Dec 2026 noon in Shanghai, after the
    # wrap-up and the 30 days of repurchase.
    now = datetime.datetime(2026, 12, 12, 12, tzinfo=SHANGHAI)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    shop = build_campaign_shop()
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


def test_plan_double_11_2027_from_the_calendar_in_two_clicks(page, shop, live_server):
    sign_in(page, live_server)
    page.goto("/campaigns/")
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
