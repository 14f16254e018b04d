"""An operator imports a Taobao order report (GBK) in a real browser: upload, preview,
confirm, then a file with a bad row shows its error report; a price list whose cut exposes
paid orders is imported only with the price-protection box ticked."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from analytics.models import ImportRun, Order
from catalog.models import PriceChange
from opsdesk.roles import Role
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, SkuFactory, StoreFactory, UserFactory, sold
from tests.imports.test_imports import ORDERS_WITH_BAD_ROW, TAOBAO_ORDERS

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def shop(transactional_db, settings, tmp_path):
    settings.OPSDESK_IMPORT_DIR = tmp_path / "imports"
    cache.clear()
    store = StoreFactory(name="西湖茶庄", slug="xihu")
    user = UserFactory(username="xiaoli", first_name="")
    MembershipFactory(user=user, store=store, role=Role.OPERATOR)
    yield store
    cache.clear()


def sign_in(page, live_server):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def upload(page, preset: str, name: str, content: bytes, status: str) -> None:
    """Choose ``preset``, upload ``content`` as ``name`` from the imports page the browser is
    on, and wait for the run to reach ``status``."""
    page.select_option("#id_preset", preset)
    page.set_input_files(
        "#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    page.locator("#import-upload button[type=submit]").click()
    page.wait_for_selector(f"#run-summary[data-status={status}]", timeout=15_000)


def test_upload_preview_confirm_and_error_report(page, screenshot, shop, live_server):
    sign_in(page, live_server)
    page.locator("nav.sidenav a[href='/imports/']").click()
    page.wait_for_url(f"{live_server.url}/imports/")
    upload(page, "taobao_orders", "订单报表.csv", TAOBAO_ORDERS.encode("gbk"), "previewed")
    assert page.locator("#count-created").inner_text() == "4"
    assert Order.objects.count() == 0
    screenshot("imports-preview")
    page.locator("#confirm-import").click()
    page.wait_for_selector("#run-summary[data-status=succeeded]", timeout=15_000)
    assert page.locator("#count-created").inner_text() == "4"
    assert Order.objects.filter(store=shop).count() == 4
    assert Order.objects.get(number="1004").paid_at == datetime.datetime(
        2026, 10, 1, 16, 30, tzinfo=datetime.UTC
    )

    page.goto("/imports/")
    upload(page, "generic_orders", "bad.csv", ORDERS_WITH_BAD_ROW.encode(), "rejected")
    rows = page.locator("#import-errors tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(0).inner_text() == "3"
    assert rows.nth(0).locator("td").nth(2).inner_text() == "12.5x"
    assert page.locator("#confirm-import").count() == 0
    with page.expect_download() as download:
        page.locator("a[href$='/errors.csv']").click()
    assert download.value.suggested_filename.endswith("-errors.csv")
    screenshot("imports-errors")
    assert ImportRun.objects.count() == 3
    assert page.console_errors == []


def test_price_cuts_with_exposure_need_the_box_ticked(page, screenshot, shop, live_server):
    """A price list cutting TEA-01 from 199.00 to 159.00 after 2 units sold at 199.00 two days
    ago: (199 - 159) x 2 = 80.00 exposed. Importing without ticking the box is refused; the
    refused run previews the file again, and with the box ticked the cut is written."""
    tea = SkuFactory(store=shop, code="TEA-01", title="乌龙茶", price="199.00", cost="60.00")
    sold(tea, days_ago=2, unit_price="199.00", quantity=2)
    prices = "sku_code,title,price,cost\nTEA-01,乌龙茶,159.00,60.00\n"
    sign_in(page, live_server)
    page.goto("/imports/")
    upload(page, "generic_skus", "prices.csv", prices.encode(), "previewed")
    cells = page.locator("#price-cuts-table tbody tr[data-sku=TEA-01] td")
    assert [cells.nth(i).inner_text() for i in range(7)] == [
        "2", "TEA-01", "¥199.00", "¥159.00", "1", "2", "¥80.00",
    ]  # fmt: skip
    assert not page.locator("#confirm-price-cuts").is_checked()
    screenshot("imports-price-cuts")

    page.locator("#confirm-import").click()
    page.wait_for_selector("#run-summary[data-status=rejected]", timeout=15_000)
    assert "TEA-01" in page.locator("#run-message").inner_text()
    assert "¥80.00" in page.locator("#run-message").inner_text()
    tea.refresh_from_db()
    assert tea.price == Decimal("199.00") and not PriceChange.objects.exists()

    page.locator("#preview-again").click()
    page.wait_for_selector("#run-summary[data-status=previewed]", timeout=15_000)
    page.locator("#confirm-price-cuts").check()
    page.locator("#confirm-import").click()
    page.wait_for_selector("#run-summary[data-status=succeeded]", timeout=15_000)
    tea.refresh_from_db()
    assert tea.price == Decimal("159.00")
    assert PriceChange.objects.get().note == (
        "import; price protection: 1 orders, 2 units, exposure 80.00"
    )
    assert page.console_errors == []
