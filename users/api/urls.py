from opsdesk.api.routers import STORE_PREFIX, store_router

from .views import CustomerViewSet, PlaybookViewSet

router = store_router()
router.register(f"{STORE_PREFIX}/customers", CustomerViewSet, basename="customer")
router.register(f"{STORE_PREFIX}/playbooks", PlaybookViewSet, basename="playbook")

urlpatterns = router.urls
