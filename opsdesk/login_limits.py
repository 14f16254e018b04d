"""Sign-in rate limiting: too many failed sign-ins for one user name from one address lock
that pair out for a while.

``LOGIN_FAILURE_LIMIT`` failures within ``LOGIN_FAILURE_WINDOW_MINUTES`` (counted in Django's
cache, so every app server shares the count when the cache is Redis) lock the user name from
that address until the window, which starts at the first failure, has passed; a successful
sign-in clears the count. Other addresses are not affected, so an attacker cannot lock a real
user out from everywhere. The sign-in page and the admin's sign-in use the form below; API
tokens are created from a signed-in session, so they have no password to guess.
"""

import hashlib
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

LOCKED_OUT = "locked_out"


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.strip().casefold()}|{address}".encode()).hexdigest()
    return f"login-failures:{digest[:40]}"


def client_address(request: HttpRequest | None) -> str:
    """The peer address (behind a proxy, configure it to set REMOTE_ADDR)."""
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def _window() -> int:
    return settings.LOGIN_FAILURE_WINDOW_MINUTES * 60


def seconds_locked(username: str, address: str) -> int:
    """Seconds until ``username`` may try again from ``address``; 0 when not locked out."""
    state = cache.get(_key(username, address))
    if not state or state["failures"] < settings.LOGIN_FAILURE_LIMIT:
        return 0
    # The window is judged by its own start, not only by the cache's expiry: a cache whose
    # clock or TTL rounding differs (Redis keeps its own time) must not extend a lock.
    remaining = state["first"] + _window() - time.time()
    return max(1, int(remaining)) if remaining > 0 else 0


def record_failure(username: str, address: str) -> None:
    """Count one failed sign-in (the window starts at the first failure)."""
    key = _key(username, address)
    now = time.time()
    state = cache.get(key)
    if not state or state["first"] + _window() <= now:
        state = {"first": now, "failures": 0}
    state["failures"] += 1
    cache.set(key, state, max(1, int(state["first"] + _window() - now)))


def clear_failures(username: str, address: str) -> None:
    cache.delete(_key(username, address))


class RateLimitedMixin:
    """For Django's authentication forms: refuse a locked-out pair before checking the
    password, count failures, clear on success."""

    error_messages = {
        **AuthenticationForm.error_messages,
        LOCKED_OUT: _(
            "Too many failed sign-ins for this user name from your network address. Try again "
            "in %(minutes)d minute(s)."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        remaining = seconds_locked(username, address)
        if username and remaining:
            self.locked_out = True
            raise ValidationError(
                self.error_messages[LOCKED_OUT],
                code=LOCKED_OUT,
                params={"minutes": -(-remaining // 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                record_failure(username, address)
            raise
        clear_failures(username, address)
        return cleaned


class RateLimitedAuthenticationForm(RateLimitedMixin, AuthenticationForm):
    error_messages = RateLimitedMixin.error_messages


class RateLimitedAdminAuthenticationForm(RateLimitedMixin, AdminAuthenticationForm):
    error_messages = {**RateLimitedMixin.error_messages, **AdminAuthenticationForm.error_messages}


class RateLimitedLoginView(LoginView):
    """The sign-in page; a locked-out attempt answers 429 with the message on the form."""

    authentication_form = RateLimitedAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "locked_out", False):
            response.status_code = 429
        return response
