"""The SKU health page in a real browser: the date picker shows a past day's stock from the
snapshots and its status from the status history, the first-stock form suggests the
comparable SKU's monthly units x 1.2; the price page shows the price-protection exposure and,
when an order is paid before the confirmation, the new exposure to confirm again."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.models import DailySkuMetrics
from catalog.models import Sku, SkuStatus
from catalog.pricing import sku_update
from opsdesk.audit import Actor
from opsdesk.roles import Role
from tests.conftest import PASSWORD
from tests.factories import (
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    SkuFactory,
    StockSnapshotFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e]
DAY = datetime.timedelta(days=1)


@pytest.fixture
def shop(transactional_db, monkeypatch):
    cache.clear()
    store = StoreFactory(name="Tea House", slug="tea-house", time_zone="Asia/Shanghai")
    yesterday = timezone.localdate(timezone=store.zone) - DAY
    past = yesterday - 3 * DAY
    tea = SkuFactory(store=store, code="TEA", title="Green tea", stock=500)
    StockSnapshotFactory(sku=tea, day=past, stock=42)
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
    # Oolong was taken off shelf the day before the past day and is back on shelf since
    # yesterday: off shelf on the past day, on shelf today.
    oolong = SkuFactory(store=store, code="OOLONG", title="Oolong", stock=9)
    StockSnapshotFactory(sku=oolong, day=past, stock=9)
    real_now = timezone.now()
    for when, status in ((real_now - 5 * DAY, SkuStatus.OFF_SHELF), (real_now, SkuStatus.ON_SHELF)):
        monkeypatch.setattr("django.utils.timezone.now", lambda when=when: when)
        sku_update(sku=oolong, actor=Actor(user=user), status=status)
    monkeypatch.undo()
    yield store, yesterday
    cache.clear()


def sign_in(page, live_server) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def cells(page, code: str) -> list[str]:
    row = page.locator("#health-table tbody tr", has_text=code)
    return [row.locator("td").nth(n).inner_text() for n in range(5)]


def test_health_page_date_picker_and_first_stock(page, screenshot, shop, live_server):
    _store, yesterday = shop
    sign_in(page, live_server)

    page.goto("/catalog/health/")
    # code, title, status, units, stock: today's status and current stock.
    assert cells(page, "TEA")[2:5:2] == ["在售", "500"]
    assert cells(page, "OOLONG")[2] == "在售"

    past = yesterday - 3 * DAY
    page.locator("#health-form input[name=as_of]").fill(past.isoformat())
    page.locator("#health-form button[type=submit]").click()
    page.wait_for_load_state()
    assert f"as_of={past.isoformat()}" in page.url
    assert cells(page, "TEA")[4] == "42"  # that day's snapshot
    assert cells(page, "OOLONG")[2] == "已下架"  # that day's status, from the history
    assert "来自上下架记录" in page.locator("#health-basis").inner_text()

    page.locator("#first-stock-form select[name=comparable]").select_option(label="TEA Green tea")
    page.locator("#first-stock-form button[type=submit]").click()
    page.wait_for_load_state()
    # 15 units in the 30 days ending on the chosen day x 1.2 = 18.
    assert page.get_by_test_id("first-stock-units").inner_text().startswith("18")
    assert page.get_by_test_id("first-stock-monthly").inner_text() == "15"
    assert f"as_of={past.isoformat()}" in page.url  # the chosen day is kept
    screenshot("catalog-health-past-day-zh")
    assert page.console_errors == []


def test_a_price_cut_is_confirmed_for_the_exposure_shown(page, screenshot, shop, live_server):
    store, _yesterday = shop
    tea = Sku.objects.get(store=store, code="TEA")
    Sku.objects.filter(pk=tea.pk).update(price=Decimal("199.00"))
    OrderLineFactory(
        order=OrderFactory(store=store), sku=tea, unit_price=Decimal("199.00"), quantity=2
    )
    sign_in(page, live_server)

    page.goto(f"/catalog/skus/{tea.pk}/price/")
    page.locator("input[name=new_price]").fill("159.00")
    page.get_by_role("button", name="改价").click()
    page.wait_for_load_state()
    # (199 - 159) x 2 = 80.00 shown before anything changes.
    assert "¥80.00" in page.get_by_test_id("exposure-figures").inner_text()
    screenshot("catalog-price-exposure-zh")

    # A buyer pays 1 unit at 199.00 while the operator reads: + (199 - 159) x 1 = 120.00.
    OrderLineFactory(
        order=OrderFactory(store=store), sku=tea, unit_price=Decimal("199.00"), quantity=1
    )
    page.get_by_role("button", name="确认降价").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("exposure-changed").is_visible()
    assert "¥120.00" in page.get_by_test_id("exposure-figures").inner_text()
    assert Sku.objects.get(pk=tea.pk).price == Decimal("199.00")
    screenshot("catalog-price-exposure-changed-zh")

    page.get_by_role("button", name="确认降价").click()
    page.wait_for_load_state()
    assert Sku.objects.get(pk=tea.pk).price == Decimal("159.00")
    assert "¥120.00" not in page.content()
    assert page.locator("#price-change-table tbody tr").first.inner_text().count("159") >= 1
    assert page.console_errors == []
