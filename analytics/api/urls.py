from opsdesk.api.routers import STORE_PREFIX, store_router

from .views import AdSpendViewSet, EventViewSet, OrderViewSet, ReportViewSet

router = store_router()
router.register(f"{STORE_PREFIX}/orders", OrderViewSet, basename="order")
router.register(f"{STORE_PREFIX}/events", EventViewSet, basename="event")
router.register(f"{STORE_PREFIX}/ad-spend", AdSpendViewSet, basename="ad-spend")
router.register(f"{STORE_PREFIX}/reports", ReportViewSet, basename="report")

urlpatterns = router.urls
