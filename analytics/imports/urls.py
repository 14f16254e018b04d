"""API routes of the imports (included from ``opsdesk/api/urls.py``)."""

from opsdesk.api.routers import STORE_PREFIX, store_router

from .api import ImportRunViewSet, OrderBatchViewSet

router = store_router()
router.register(f"{STORE_PREFIX}/imports", ImportRunViewSet, basename="import")
router.register(f"{STORE_PREFIX}/order-batches", OrderBatchViewSet, basename="order-batch")

urlpatterns = router.urls
