"""API tokens in a real browser (Chinese): an operator opens 「API 令牌」 from the nav, creates a
token limited to one of their two stores, copies the key shown once, the key works against
the API for that store only, then revokes it after confirming; the store's admin sees the
tokens reaching the store and revokes one. Every step is in the audit log."""

import json
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache

from opsdesk.models import ApiToken, AuditEntry, AuditSource
from opsdesk.roles import Role
from opsdesk.tokens import token_create
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def shops(transactional_db):
    cache.clear()
    tea = StoreFactory(name="茶馆", slug="tea")
    branch = StoreFactory(name="分店", slug="branch")
    xiaoli = UserFactory(username="xiaoli", first_name="")
    MembershipFactory(user=xiaoli, store=tea, role=Role.OPERATOR)
    MembershipFactory(user=xiaoli, store=branch, role=Role.ANALYST)
    boss = UserFactory(username="laoban", first_name="")
    MembershipFactory(user=boss, store=tea, role=Role.ADMIN)
    yield {"tea": tea, "branch": branch, "xiaoli": xiaoli, "boss": boss}
    cache.clear()


def sign_in(page, live_server, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def api_get(live_server, path: str, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{live_server.url}{path}", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_operator_creates_uses_and_revokes_a_token(page, screenshot, shops, live_server):
    sign_in(page, live_server, "xiaoli")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="API 令牌").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("API 令牌")
    assert page.get_by_text("您还没有 API 令牌。").is_visible()
    screenshot("tokens-01-empty-zh")

    page.get_by_label("名称").fill("BI 导出")
    page.get_by_label("有效期").select_option("30")
    # The current store (分店, first by name) is checked by default; limit it to 茶馆.
    assert page.get_by_label("分店").is_checked()
    assert not page.get_by_label("茶馆").is_checked()
    page.get_by_label("分店").uncheck()
    page.get_by_label("茶馆").check()
    page.get_by_test_id("create-token").click()

    key = page.get_by_test_id("new-key").input_value()
    assert key.startswith("ops_")
    assert page.get_by_text("它只显示这一次").is_visible()
    screenshot("tokens-02-created-zh")
    token = ApiToken.objects.get(name="BI 导出")
    row = page.locator(f'tr[data-token="{token.pk}"]')
    assert row.get_attribute("data-state") == "active"
    assert "茶馆" in row.inner_text() and "分店" not in row.inner_text()

    # The key works for the store it is limited to, and is a 404 for the other one.
    status, body = api_get(live_server, "/api/v1/stores/", key)
    assert status == 200 and [store["slug"] for store in body["results"]] == ["tea"]
    assert api_get(live_server, "/api/v1/stores/branch/skus/", key)[0] == 404

    # Reloading does not show the key again.
    page.goto("/accounts/tokens/")
    assert page.get_by_test_id("new-key").count() == 0
    assert key not in page.content()
    assert "最近使用" in page.locator("#token-table thead").inner_text()

    page.get_by_test_id(f"revoke-{token.pk}").click()
    assert "吊销令牌 BI 导出？" in page.get_by_role("heading", level=1).inner_text()
    screenshot("tokens-03-confirm-zh")
    page.get_by_test_id("confirm-revoke").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")
    assert "已吊销" in page.locator(".messages").inner_text()
    assert row.get_attribute("data-state") == "revoked"
    screenshot("tokens-04-revoked-zh")

    assert api_get(live_server, "/api/v1/stores/", key)[0] == 401
    actions = list(
        AuditEntry.objects.filter(store=shops["tea"]).values_list("action", "source", "user")
    )
    assert sorted(actions) == [
        ("token.create", AuditSource.WEB, shops["xiaoli"].pk),
        ("token.revoke", AuditSource.WEB, shops["xiaoli"].pk),
    ]
    assert not AuditEntry.objects.filter(store=shops["branch"]).exists()
    assert page.console_errors == [], page.console_errors


def test_store_admin_revokes_a_staff_token(page, screenshot, shops, live_server):
    staff = token_create(user=shops["xiaoli"], name="同步脚本", stores=[shops["tea"]]).token
    elsewhere = token_create(user=shops["xiaoli"], name="分店报表", stores=[shops["branch"]]).token
    sign_in(page, live_server, "laoban")

    page.goto("/accounts/tokens/")
    page.get_by_test_id("store-tokens-tab").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/store/")
    row = page.locator(f'tr[data-token="{staff.pk}"]')
    assert "xiaoli" in row.inner_text() and "仅本店铺" in row.inner_text()
    assert page.locator(f'tr[data-token="{elsewhere.pk}"]').count() == 0
    screenshot("tokens-05-store-admin-zh")

    row.get_by_role("link", name="吊销").click()
    assert "xiaoli" in page.locator(".facts").inner_text()
    page.get_by_test_id("confirm-revoke").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/store/")

    staff.refresh_from_db()
    elsewhere.refresh_from_db()
    assert staff.revoked_at is not None and elsewhere.revoked_at is None
    entry = AuditEntry.objects.get(action="token.revoke")
    assert (entry.store, entry.user, entry.source) == (
        shops["tea"],
        shops["boss"],
        AuditSource.WEB,
    )
    assert page.console_errors == [], page.console_errors
