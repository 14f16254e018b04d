"""The SKU health page in a real browser: the date picker shows a past day's stock from the
snapshots, and the first-stock form suggests the comparable SKU's monthly units x 1.2."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.models import DailySkuMetrics
from opsdesk.roles import Role
from tests.conftest import PASSWORD
from tests.factories import (
    MembershipFactory,
    SkuFactory,
    StockSnapshotFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e]
DAY = datetime.timedelta(days=1)


@pytest.fixture
def shop(transactional_db):
    cache.clear()
    store = StoreFactory(name="Tea House", slug="tea-house", time_zone="Asia/Shanghai")
    yesterday = timezone.localdate(timezone=store.zone) - DAY
    tea = SkuFactory(store=store, code="TEA", title="Green tea", stock=500)
    StockSnapshotFactory(sku=tea, day=yesterday - 3 * DAY, stock=42)
    DailySkuMetrics.objects.create(
        store=store,
        sku=tea,
        day=yesterday - 5 * DAY,
        units=15,
        gmv=Decimal("300.00"),
        gross_profit=Decimal("120.00"),
        computed_at=timezone.now(),
    )
    user = UserFactory(username="xiaoli", first_name="")
    MembershipFactory(user=user, store=store, role=Role.OPERATOR)
    yield store, yesterday
    cache.clear()


def test_health_page_date_picker_and_first_stock(page, screenshot, shop, live_server):
    _store, yesterday = shop
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto("/catalog/health/")
    row = page.locator("#health-table tbody tr", has_text="TEA")
    assert row.locator("td").nth(3).inner_text() == "500"  # current stock

    past = yesterday - 3 * DAY
    page.locator("#health-form input[name=as_of]").fill(past.isoformat())
    page.locator("#health-form button[type=submit]").click()
    page.wait_for_load_state()
    assert f"as_of={past.isoformat()}" in page.url
    row = page.locator("#health-table tbody tr", has_text="TEA")
    assert row.locator("td").nth(3).inner_text() == "42"  # that day's snapshot

    page.locator("#first-stock-form select[name=comparable]").select_option(label="TEA Green tea")
    page.locator("#first-stock-form button[type=submit]").click()
    page.wait_for_load_state()
    # 15 units in the 30 days ending on the chosen day x 1.2 = 18.
    assert page.get_by_test_id("first-stock-units").inner_text().startswith("18")
    assert page.get_by_test_id("first-stock-monthly").inner_text() == "15"
    assert f"as_of={past.isoformat()}" in page.url  # the chosen day is kept
    screenshot("catalog-health-past-day-zh")
    assert page.console_errors == []
