"""Customer resources: ``/api/v1/stores/{store_slug}/customers/`` (read-only)."""

from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store
from users.models import Customer, Playbook, Tier
from users.playbooks import playbook_effects
from users.selectors import customer_list

from .filters import CustomerFilter
from .serializers import CustomerSerializer, PlaybookSerializer


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


class PlaybookViewSet(mixins.ListModelMixin, StoreScopedViewSet):
    """The store's playbooks with their effect report (contacted vs held out, 7 and 30 days
    after contact, uplift with 95% intervals, coupon cost). Read-only: playbooks are enabled,
    edited and run on the Playbooks page (EDIT_CUSTOMERS)."""

    model = Playbook
    serializer_class = PlaybookSerializer
    ordering = ["name"]
    ordering_fields = ["name", "id"]

    def scoped_queryset(self, store: Store) -> QuerySet[Playbook]:
        return Playbook.objects.filter(store=store).select_related("store")

    def list(self, request: Request, *args, **kwargs) -> Response:
        # The page's effects are computed together: a fixed number of queries, not three per
        # playbook. (A comment, not a docstring: the class docstring describes the operation.)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), "effects": playbook_effects(playbooks=rows)}
        data = self.get_serializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)
