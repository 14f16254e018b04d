"""Promotion-calendar resources under ``/api/v1/stores/{store_slug}/campaigns/``: campaigns,
and per campaign its ``lineup/`` and ``mechanics/``."""

from functools import cached_property

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins

from campaigns.models import Campaign, LineupItem, Mechanic
from campaigns.services import (
    campaign_create,
    campaign_delete,
    campaign_update,
    lineup_item_add,
    lineup_item_remove,
    lineup_item_update,
    mechanic_create,
    mechanic_delete,
    mechanic_update,
    target_fields_changed,
)
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store
from opsdesk.roles import Capability

from .serializers import CampaignSerializer, LineupItemSerializer, MechanicSerializer

_CRUD = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
)


class CampaignViewSet(*_CRUD, StoreScopedViewSet):
    """The store's campaigns, latest burst first, with lineup and mechanics. Writes need
    edit_campaigns; setting or changing ``gmv_target`` or ``ad_budget`` also needs
    set_targets (403 otherwise, nothing written)."""

    model = Campaign
    serializer_class = CampaignSerializer
    write_capability = Capability.EDIT_CAMPAIGNS
    ordering = ["-burst_start"]
    ordering_fields = ["burst_start", "preparation_start", "name", "created_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[Campaign]:
        return (
            Campaign.objects.filter(store=store)
            .select_related("created_by")
            .prefetch_related(
                Prefetch(
                    "lineup",
                    queryset=LineupItem.objects.select_related("sku", "chosen_by").order_by(
                        "sku__code", "pk"
                    ),
                ),
                Prefetch("mechanics", queryset=Mechanic.objects.order_by("pk")),
            )
        )

    def _check_targets(self, campaign: Campaign | None, data: dict) -> None:
        changed = target_fields_changed(campaign, data)
        if changed and not self.allows(Capability.SET_TARGETS):
            raise exceptions.PermissionDenied(
                _(
                    "Setting %(fields)s needs the 'set_targets' capability (manager or admin); "
                    "leave these fields out or unchanged."
                )
                % {"fields": " and ".join(changed)}
            )

    def perform_create(self, serializer: CampaignSerializer) -> None:
        self._check_targets(None, serializer.validated_data)
        serializer.instance = campaign_create(
            store=self.store, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer: CampaignSerializer) -> None:
        self._check_targets(serializer.instance, serializer.validated_data)
        serializer.instance = campaign_update(
            campaign=serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Campaign) -> None:
        campaign_delete(campaign=instance, actor=self.actor)


CAMPAIGN_PARAMETER = OpenApiParameter(
    "campaign_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Campaign id."
)


class _CampaignChild(StoreScopedViewSet):
    """Rows of one campaign of the store (``{campaign_pk}`` in the URL): a campaign of
    another store, or none, is a 404."""

    write_capability = Capability.EDIT_CAMPAIGNS

    @cached_property
    def campaign(self) -> Campaign:
        campaign = Campaign.objects.filter(
            store=self.store, pk=self.kwargs.get("campaign_pk")
        ).first()
        if campaign is None:
            raise exceptions.NotFound(_("No such campaign in this store."))
        return campaign

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not self._schema_only():
            context["campaign"] = self.campaign
        return context


@extend_schema(parameters=[CAMPAIGN_PARAMETER])
class LineupItemViewSet(*_CRUD, _CampaignChild):
    """The campaign's lineup: SKUs of this store with their planned units."""

    model = LineupItem
    serializer_class = LineupItemSerializer
    ordering = ["sku__code"]
    ordering_fields = ["planned_units", "chosen_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[LineupItem]:
        return LineupItem.objects.filter(store=store, campaign=self.campaign).select_related(
            "sku", "chosen_by"
        )

    def perform_create(self, serializer: LineupItemSerializer) -> None:
        serializer.instance = lineup_item_add(
            campaign=self.campaign, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer: LineupItemSerializer) -> None:
        planned = serializer.validated_data.get("planned_units", serializer.instance.planned_units)
        serializer.instance = lineup_item_update(
            item=serializer.instance, actor=self.actor, planned_units=planned
        )

    def perform_destroy(self, instance: LineupItem) -> None:
        lineup_item_remove(item=instance, actor=self.actor)


@extend_schema(parameters=[CAMPAIGN_PARAMETER])
class MechanicViewSet(*_CRUD, _CampaignChild):
    """The campaign's mechanics (玩法): coupons, full reductions, discounts, deposits."""

    model = Mechanic
    serializer_class = MechanicSerializer
    ordering = ["id"]
    ordering_fields = ["id", "kind"]

    def scoped_queryset(self, store: Store) -> QuerySet[Mechanic]:
        return Mechanic.objects.filter(store=store, campaign=self.campaign)

    def perform_create(self, serializer: MechanicSerializer) -> None:
        serializer.instance = mechanic_create(
            campaign=self.campaign, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer: MechanicSerializer) -> None:
        serializer.instance = mechanic_update(
            mechanic=serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Mechanic) -> None:
        mechanic_delete(mechanic=instance, actor=self.actor)
