"""Security headers and sign-in lockout: a strict Content-Security-Policy on pages and API
answers, and N failed sign-ins for a user name from one address lock that pair out."""

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests compare English messages; the default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"


PASSWORD = "correct horse battery"
#: base64(sha256("")): allows only a <style> element with no text in it.
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15


def plotly_style_hash() -> str:
    """The CSP hash of the <style> text the installed plotly.min.js injects at load."""
    from django.contrib.staticfiles import finders

    bundle = Path(finders.find("vendor/plotly/plotly.min.js")).read_text(encoding="utf-8")
    found = re.findall(
        r"""createElement\("style"\);\w+\.id="[0-9a-f]+",\w+\.textContent='([^'\\]*)'""",
        bundle,
    )
    assert len(found) == 1, "plotly.min.js changed how it injects CSS: update CSP settings"
    digest = base64.b64encode(hashlib.sha256(found[0].encode()).digest()).decode()
    return f"'sha256-{digest}'"


def plotly_image_style_hash() -> str:
    """The CSP hash of the style ATTRIBUTE plotly.min.js sets on heatmap images: its
    ``CSS_DECLARATIONS`` joined as ``name: value; `` (``.STYLE`` in the bundle)."""
    from django.contrib.staticfiles import finders

    bundle = Path(finders.find("vendor/plotly/plotly.min.js")).read_text(encoding="utf-8")
    declarations = re.findall(r"CSS_DECLARATIONS=(\[\[[^;]*?\]\]);", bundle)
    joins = re.findall(
        r"\.STYLE=\w+\.CSS_DECLARATIONS\.map\(function\((\w)\)\{return \1\.join\(\": \"\)"
        r"\+\"; \"\}\)\.join\(\"\"\)",
        bundle,
    )
    assert len(declarations) == 1 and len(joins) == 1, (
        "plotly.min.js changed how it styles heatmap images: update CSP settings"
    )
    text = "".join(f"{name}: {value}; " for name, value in json.loads(declarations[0]))
    # e.g. "image-rendering: optimizeSpeed; image-rendering: -moz-crisp-edges; ..."
    assert text.startswith("image-rendering: ")
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def test_the_plotly_style_hashes_are_the_installed_bundles(settings):
    assert plotly_style_hash() == settings.CSP_PLOTLY_STYLE_HASH
    assert plotly_image_style_hash() == settings.CSP_PLOTLY_IMAGE_STYLE_HASH


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_pages_and_api_carry_a_strict_content_security_policy(client):
    for url in (reverse("login"), "/api/v1/stores/", "/api/schema/"):
        directives = _directives(client.get(url))
        for name in ("script-src", "default-src", "connect-src", "font-src"):
            assert directives[name] == ["'self'"], (url, name)
        assert directives["img-src"] == ["'self'", "data:"]
        # Styles: this origin, plus empty <style> elements (plotly.js fills them via CSSOM)
        # and the one stylesheet plotly.min.js injects; style attributes only with the two
        # constant values plotly.js sets (empty, and heatmap images' image-rendering).
        assert directives["style-src"] == ["'self'", EMPTY_STYLE_HASH, plotly_style_hash()]
        assert directives["style-src-attr"] == [
            "'unsafe-hashes'",
            EMPTY_STYLE_HASH,
            plotly_image_style_hash(),
        ]
        assert not any("'unsafe-inline'" in values for values in directives.values()), url
        assert not any("'unsafe-eval'" in values for values in directives.values()), url
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]


def test_every_response_denies_frames_and_sniffing(client):
    for url in (reverse("login"), "/api/v1/stores/", "/api/schema/", "/api/docs/", "/nowhere/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert "Content-Security-Policy" in response, url


def test_the_api_docs_run_no_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page  # the start-up script is loaded from ?script
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"]
    script = client.get("/api/docs/?script")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_pages_have_no_inline_script_or_style(client):
    store = MembershipFactory(user__username="op").store
    client.force_login(store.memberships.get().user)
    for name in ("overview", "sku_list", "product_matrix", "traffic", "customer_insights"):
        page = client.get(reverse(name)).content.decode()
        assert "<script>" not in page, name  # only src= scripts and application/json data
        assert ' style="' not in page, name
        assert "<style" not in page, name


def _sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_failed_sign_ins_lock_the_user_name_for_that_address():
    UserFactory(username="mei")
    client = Client()
    for _ in range(3):
        response = _sign_in(client, "mei", "wrong")
        assert response.status_code == 200
        assert not response.wsgi_request.user.is_authenticated

    locked = _sign_in(client, "mei", PASSWORD)  # even the right password is refused now

    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "15 minute" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Same user name from another address, and another user name, are not affected.
    assert _sign_in(Client(), "mei", PASSWORD, address="10.0.0.2").status_code == 302
    UserFactory(username="li")
    assert _sign_in(Client(), "li", PASSWORD).status_code == 302


def test_user_name_case_does_not_reset_the_count():
    UserFactory(username="mei")
    for name in ("mei", "MEI", "Mei "):
        _sign_in(Client(), name, "wrong")
    assert _sign_in(Client(), "mei", PASSWORD).status_code == 429


def test_a_success_clears_the_count():
    UserFactory(username="mei")
    _sign_in(Client(), "mei", "wrong")
    _sign_in(Client(), "mei", "wrong")
    assert _sign_in(Client(), "mei", PASSWORD).status_code == 302
    _sign_in(Client(), "mei", "wrong")
    _sign_in(Client(), "mei", "wrong")
    assert _sign_in(Client(), "mei", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_window(monkeypatch):
    import time

    UserFactory(username="mei")
    start = time.time()
    for _ in range(3):
        _sign_in(Client(), "mei", "wrong")
    assert _sign_in(Client(), "mei", PASSWORD).status_code == 429
    monkeypatch.setattr(time, "time", lambda: start + 15 * 60 + 1)
    assert _sign_in(Client(), "mei", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_limited_too():
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(3):
        Client().post(url, {"username": "boss", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    response = Client().post(
        url, {"username": "boss", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
