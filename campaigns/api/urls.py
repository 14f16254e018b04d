from opsdesk.api.routers import STORE_PREFIX, store_router

from .views import CampaignViewSet, LineupItemViewSet, MechanicViewSet

CAMPAIGN_PREFIX = STORE_PREFIX + r"/campaigns/(?P<campaign_pk>[0-9]{1,18})"

router = store_router()
router.register(f"{STORE_PREFIX}/campaigns", CampaignViewSet, basename="campaign")
router.register(f"{CAMPAIGN_PREFIX}/lineup", LineupItemViewSet, basename="lineup-item")
router.register(f"{CAMPAIGN_PREFIX}/mechanics", MechanicViewSet, basename="mechanic")

urlpatterns = router.urls
