"""Routing helpers shared by the apps' ``api/urls.py``."""

from rest_framework.routers import SimpleRouter

#: URL prefix of every store-scoped resource; the viewsets read ``store_slug``.
STORE_PREFIX = r"stores/(?P<store_slug>[-a-zA-Z0-9_]+)"


def store_router() -> SimpleRouter:
    """A router for store-scoped resources (no format suffixes, slash-terminated)."""
    return SimpleRouter(trailing_slash=True)
