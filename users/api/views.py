"""Customer resources: ``/api/v1/stores/{store_slug}/customers/`` (read-only)."""

from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce
from rest_framework import mixins

from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store
from users.models import Customer, Tier
from users.selectors import customer_list

from .filters import CustomerFilter
from .serializers import CustomerSerializer


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """The store's customers with their member level and current lifecycle tier."""

    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering = ["external_id"]
    ordering_fields = ["external_id", "name", "registered_on", "points", "created_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[Customer]:
        return customer_list(store=store).annotate(
            tier=Coalesce("latest_tier", Value(Tier.PROSPECT.value))
        )
