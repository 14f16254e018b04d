from opsdesk.api.routers import STORE_PREFIX, store_router

from .views import CustomerViewSet

router = store_router()
router.register(f"{STORE_PREFIX}/customers", CustomerViewSet, basename="customer")

urlpatterns = router.urls
