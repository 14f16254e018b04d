"""Rate limits per user and per API token; rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``user`` and ``token``), read on every request so
a settings override applies at once. A throttled request gets a 429 with ``Retry-After``."""

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from opsdesk.models import ApiToken


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserRateThrottle(_SettingsRateThrottle):
    """Every authenticated user, whatever they authenticate with."""

    scope = "user"

    def get_cache_key(self, request: Request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenRateThrottle(_SettingsRateThrottle):
    """Each API token on its own, so one runaway script does not use up its user's budget
    for every other token."""

    scope = "token"

    def get_cache_key(self, request: Request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
