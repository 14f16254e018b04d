"""``/api/``: version 1 of the REST API, its OpenAPI schema and the Swagger UI.

Every app adds its resources under ``/api/v1/`` through its own ``api/urls.py``; anything else
under ``/api/`` is a JSON 404 in the API's error shape.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .exceptions import api_not_found
from .routers import STORE_PREFIX, store_router
from .views import (
    AuditEntryViewSet,
    MembershipViewSet,
    StoreTokenViewSet,
    StoreViewSet,
    TokenViewSet,
)

router = store_router()
router.register("stores", StoreViewSet, basename="store")
router.register("tokens", TokenViewSet, basename="token")
router.register(f"{STORE_PREFIX}/memberships", MembershipViewSet, basename="membership")
router.register(f"{STORE_PREFIX}/tokens", StoreTokenViewSet, basename="store-token")
router.register(f"{STORE_PREFIX}/audit", AuditEntryViewSet, basename="audit")

v1_patterns = [
    *router.urls,
    path("", include("catalog.api.urls")),
    path("", include("users.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("analytics.imports.urls")),
    path("", include("campaigns.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1_patterns, "v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        # Split view: Swagger UI's start-up script is a file, not an inline <script> (CSP).
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    re_path(r"^", api_not_found),
]
