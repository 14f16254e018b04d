"""An operator's walk through the web shell in a real browser.

Two stores: 西湖茶庄 (the operator's first store by name) and 青瓷杯铺. Each has one SKU, one
customer, one order paid yesterday (store-local) and one campaign; the other store's rows must
never show while the first is current, and the other way round.
"""

import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.rollups.services import rollup_range
from opsdesk.roles import Role
from tests.conftest import PASSWORD
from tests.factories import (
    CampaignFactory,
    CustomerFactory,
    LineupItemFactory,
    MembershipFactory,
    OrderFactory,
    SkuFactory,
    StockSnapshotFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e]

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TABLET = {"width": 820, "height": 1180}


def build_store(name: str, slug: str, marker: str, amount: str):
    store = StoreFactory(name=name, slug=slug)
    today = timezone.localdate(timezone=SHANGHAI)
    yesterday_noon = datetime.datetime.combine(
        today - datetime.timedelta(days=1), datetime.time(12), tzinfo=SHANGHAI
    )
    sku = SkuFactory(store=store, code=f"SKU-{marker}", title=f"{name}商品", stock=5)
    customer = CustomerFactory(store=store, external_id=f"buyer-{marker}", name=f"{marker}买家")
    OrderFactory(
        store=store,
        number=f"O-{marker}",
        customer=customer,
        created_at=yesterday_noon - datetime.timedelta(minutes=3),
        paid_at=yesterday_noon,
        goods_amount=Decimal(amount),
    )
    campaign = CampaignFactory(
        store=store,
        name=f"双11 {marker}",
        preparation_start=today - datetime.timedelta(days=20),
        preheat_start=today - datetime.timedelta(days=5),
        burst_start=today,
        burst_end=today + datetime.timedelta(days=1),
        wrapup_end=today + datetime.timedelta(days=4),
    )
    LineupItemFactory(campaign=campaign, sku=sku, planned_units=50)
    # the burst starts today: its lineup is checked against the stock it started with, the
    # nightly snapshot of yesterday
    StockSnapshotFactory(sku=sku, day=today - datetime.timedelta(days=1), stock=5)
    # the overview reads the rolled-up tables: roll yesterday up, as the nightly job does
    rollup_range(store=store, start=yesterday_noon.date(), end=yesterday_noon.date())
    return store


@pytest.fixture
def shops(transactional_db):
    tea = build_store("西湖茶庄", "west-lake-tea", "TEA", "1288.00")
    cups = build_store("青瓷杯铺", "celadon-cups", "CUP", "66.00")
    user = UserFactory(username="xiaoli", first_name="", is_staff=False)
    MembershipFactory(user=user, store=tea, role=Role.OPERATOR)
    MembershipFactory(user=user, store=cups, role=Role.ANALYST)
    return {"tea": tea, "cups": cups, "user": user}


def main_text(page) -> str:
    return page.locator("main").inner_text()


def test_operator_walks_through_the_shell(page, screenshot, shops, live_server):
    # --- sign in through the form ---------------------------------------------------------
    page.goto("/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    screenshot("01-login")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    # --- the overview of the first store, in Chinese --------------------------------------
    header = page.locator("header.topbar")
    assert page.locator("#store-select option:checked").inner_text() == "西湖茶庄"
    assert "运营" in header.inner_text()  # the role in this store
    text = main_text(page)
    assert "经营概况" in text
    assert "¥1,288.00" in text
    assert "¥66.00" not in text
    assert page.get_by_test_id("kpi-gmv").inner_text() == "¥1,288.00"
    screenshot("02-overview-zh")

    # the focus is visible to keyboard users: the first Tab reaches the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    # --- language: English and back -------------------------------------------------------
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    nav = page.get_by_role("navigation", name="Main navigation")
    assert nav.get_by_role("link", name="Overview").is_visible()
    assert "经营概况" not in nav.inner_text()
    screenshot("03-overview-en")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert (
        page.get_by_role("navigation", name="主导航")
        .get_by_role("link", name="经营概况")
        .is_visible()
    )

    # --- the other pages of the first store -----------------------------------------------
    expectations = {
        "商品": ("SKU-TEA", "SKU-CUP", "04-catalog"),
        "用户": ("buyer-TEA", "buyer-CUP", "05-customers"),
        "活动": ("双11 TEA", "双11 CUP", "06-campaigns"),
        "报表": ("O-TEA", "O-CUP", "07-reports"),
    }
    for label, (mine, theirs, shot) in expectations.items():
        page.get_by_role("navigation", name="主导航").get_by_role(
            "link", name=label, exact=True
        ).click()
        page.wait_for_load_state()
        link = page.get_by_role("navigation", name="主导航").get_by_role(
            "link", name=label, exact=True
        )
        assert link.get_attribute("aria-current") == "page"
        text = main_text(page)
        assert mine in text, label
        assert theirs not in text, label
        screenshot(shot)

    # the campaign detail: the lineup SKU has 5 in stock for 50 planned units
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="活动", exact=True
    ).click()
    page.locator("#campaign-table").get_by_role("link", name="双11 TEA").click()
    page.wait_for_load_state()
    assert "库存低于计划件数" in main_text(page)
    assert "爆发" in main_text(page)
    screenshot("08-campaign-detail")

    # --- switch store: only the other store's data ----------------------------------------
    page.locator("#store-select").select_option(label="青瓷杯铺")
    page.get_by_role("button", name="切换").click()
    page.wait_for_load_state()
    # from a campaign of the old store, the switcher lands on the campaign list
    assert page.url == f"{live_server.url}/campaigns/"
    assert "已切换到店铺：青瓷杯铺" in main_text(page)
    assert "双11 CUP" in main_text(page)
    assert "双11 TEA" not in main_text(page)
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="经营概况", exact=True).click()
    page.wait_for_load_state()
    text = main_text(page)
    assert "¥66.00" in text
    assert "¥1,288.00" not in text
    assert "分析师" in page.locator("header.topbar").inner_text()
    screenshot("09-overview-other-store")
    nav.get_by_role("link", name="报表").click()
    page.wait_for_load_state()
    assert "O-CUP" in main_text(page)
    assert "O-TEA" not in main_text(page)

    # --- tablet width: the navigation becomes a row, nothing overflows the page ------------
    page.set_viewport_size(TABLET)
    page.goto("/catalog/")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= TABLET["width"]
    screenshot("10-catalog-tablet")

    # --- Plotly is served locally ----------------------------------------------------------
    plotly = page.request.get(f"{live_server.url}/static/vendor/plotly/plotly.min.js")
    assert plotly.status == 200

    # --- sign out --------------------------------------------------------------------------
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r".*/accounts/login/$"))

    assert page.console_errors == []
