from opsdesk.api.routers import STORE_PREFIX, store_router

from .reports import CatalogReportViewSet
from .views import CategoryViewSet, PriceChangeViewSet, SkuViewSet

router = store_router()
router.register(f"{STORE_PREFIX}/categories", CategoryViewSet, basename="category")
router.register(f"{STORE_PREFIX}/skus", SkuViewSet, basename="sku")
router.register(f"{STORE_PREFIX}/price-changes", PriceChangeViewSet, basename="price-change")
router.register(f"{STORE_PREFIX}/reports", CatalogReportViewSet, basename="catalog-report")

urlpatterns = router.urls
