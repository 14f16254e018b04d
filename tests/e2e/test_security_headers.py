"""The Content-Security-Policy in a real browser: the API docs (Swagger UI, served locally)
render their operations without a single CSP violation, and the sign-in page locks a user
name out after repeated failures with a clear message."""

import pytest

from tests.conftest import PASSWORD
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.e2e]


def test_api_docs_render_under_the_policy(page, transactional_db):
    response = page.goto("/api/docs/")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 20
    assert page.locator(".swagger-ui .opblock-summary-path", has_text="/reports/funnel/").count()
    assert page.console_errors == []


def test_sign_in_lockout_in_the_browser(page, transactional_db, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    MembershipFactory(user__username="mei")
    for _ in range(2):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "mei")
        page.fill("input[name=password]", "wrong")
        page.click("form.stacked-form button[type=submit]")
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "mei")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("form.stacked-form button[type=submit]")

    assert answer.value.status == 429
    assert "分钟后再试" in page.locator(".form-errors").inner_text() or "Try again" in (
        page.locator(".form-errors").inner_text()
    )
    assert page.url.endswith("/accounts/login/")
    # 429 shows as a failed resource load in the console; nothing else may.
    assert all("429" in error for error in page.console_errors), page.console_errors


def test_the_admin_works_under_the_policy(page, transactional_db):
    from tests.factories import SkuFactory, UserFactory

    UserFactory(username="root", is_staff=True, is_superuser=True)
    sku = SkuFactory()
    page.goto("/admin/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"/admin/catalog/sku/{sku.pk}/change/")
    page.wait_for_selector("input[name=title]")
    page.goto("/admin/catalog/sku/")
    page.wait_for_selector("#result_list")

    # (The browser's own /favicon.ico request is a 404 here: not the policy's business.)
    blocked = [e for e in page.console_errors if "Content Security Policy" in e]
    assert blocked == []
    assert not [e for e in page.console_errors if e.startswith("page error")]
