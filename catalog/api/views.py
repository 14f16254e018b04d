"""Catalog resources: ``/api/v1/stores/{store_slug}/categories|skus|price-changes/``."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.categories import category_create, category_delete, category_update
from catalog.compliance import NoReplacementError, finding_apply_replacement
from catalog.models import Category, ComplianceFinding, PriceChange, Sku
from catalog.pricing import sku_create, sku_update
from catalog.services import role_suggestion_decide, sku_delist_bulk
from opsdesk.api.schema import ErrorSerializer
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store
from opsdesk.roles import Capability

from .filters import PriceChangeFilter, SkuFilter
from .serializers import (
    ApplyReplacementSerializer,
    CategorySerializer,
    PriceChangeSerializer,
    RoleDecisionRequestSerializer,
    RoleDecisionSerializer,
    SkuDelistResultSerializer,
    SkuDelistSerializer,
    SkuSerializer,
)

_ERRORS = dict.fromkeys((400, 401, 403, 404, 429), ErrorSerializer)


class CategoryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    StoreScopedViewSet,
):
    """Product categories of the store. Deleting a category that still has sub-categories
    is a 409."""

    model = Category
    serializer_class = CategorySerializer
    write_capability = Capability.EDIT_CATALOG
    ordering = ["name"]
    ordering_fields = ["name", "id"]

    def scoped_queryset(self, store: Store) -> QuerySet[Category]:
        return Category.objects.filter(store=store)

    def perform_create(self, serializer: CategorySerializer) -> None:
        serializer.instance = category_create(
            store=self.store, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer: CategorySerializer) -> None:
        serializer.instance = category_update(
            category=serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Category) -> None:
        category_delete(category=instance, actor=self.actor)


class SkuViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    StoreScopedViewSet,
):
    """The store's SKUs. A price change is recorded in ``price-changes``; one that exposes
    paid orders to price-protection claims needs ``price_confirmation`` (from the
    ``price-exposure`` report). SKUs are not deleted: set ``status`` to ``delisted`` (kept in
    the status history)."""

    model = Sku
    serializer_class = SkuSerializer
    filterset_class = SkuFilter
    write_capability = Capability.EDIT_CATALOG
    ordering = ["code"]
    ordering_fields = ["code", "title", "price", "cost", "stock", "listed_on", "updated_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[Sku]:
        return Sku.objects.filter(store=store).select_related("category")

    def perform_create(self, serializer: SkuSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("price_note", None)
        data.pop("price_confirmation", None)  # a first price is not a change
        serializer.instance = sku_create(store=self.store, actor=self.actor, **data)

    def perform_update(self, serializer: SkuSerializer) -> None:
        """Through ``sku_update``, the one price writer: a price with price-protection
        exposure needs ``price_confirmation`` of that exposure (else a 400, nothing written)."""
        data = dict(serializer.validated_data)
        note = data.pop("price_note", "")
        confirmation = data.pop("price_confirmation", "") or None
        serializer.instance = sku_update(
            sku=serializer.instance,
            actor=self.actor,
            price_note=note,
            price_confirmation=confirmation,
            **data,
        )

    @extend_schema(
        request=SkuDelistSerializer, responses={200: SkuDelistResultSerializer, **_ERRORS}
    )
    @action(detail=False, methods=["post"], url_path="delist")
    def delist(self, request: Request, store_slug: str) -> Response:
        """Delist SKUs in bulk (the monthly review of delisting candidates): one audit entry,
        and each SKU's status change kept in the status history."""
        body = SkuDelistSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = set(body.validated_data["skus"])
        found = set(Sku.objects.filter(store=self.store, pk__in=ids).values_list("pk", flat=True))
        unknown = sorted(ids - found)
        if unknown:
            raise exceptions.ValidationError(
                {
                    "skus": [
                        _("No such SKU in this store: %(ids)s.")
                        % {"ids": ", ".join(map(str, unknown))}
                    ]
                }
            )
        delisted = sku_delist_bulk(store=self.store, sku_ids=ids, actor=self.actor)
        return Response(SkuDelistResultSerializer({"delisted": delisted}).data)

    @extend_schema(
        request=RoleDecisionRequestSerializer,
        responses={201: RoleDecisionSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="role-decision")
    def role_decision(self, request: Request, store_slug: str, pk: str) -> Response:
        """Answer a role suggestion of the product matrix: accepted sets the SKU's role,
        rejected keeps it from being suggested again; both are recorded."""
        sku = self.get_object()
        body = RoleDecisionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = role_suggestion_decide(sku=sku, actor=self.actor, **body.validated_data)
        return Response(
            RoleDecisionSerializer(decision, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ApplyReplacementSerializer, responses={200: SkuSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], url_path="apply-replacement")
    def apply_replacement(self, request: Request, store_slug: str, pk: str) -> Response:
        """Apply the neutral replacement to an open compliance finding of this SKU (one click
        on the compliance page): the text is rewritten, re-scanned and the edit audited."""
        sku = self.get_object()
        body = ApplyReplacementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        finding_id = body.validated_data["finding"]
        finding = ComplianceFinding.objects.filter(
            store=self.store, sku=sku, pk=finding_id, resolved_at__isnull=True
        ).first()
        if finding is None:
            raise exceptions.ValidationError(
                {"finding": [_("No open finding %(id)s of this SKU.") % {"id": finding_id}]}
            )
        try:
            sku = finding_apply_replacement(finding=finding, actor=self.actor)
        except NoReplacementError as error:
            raise exceptions.ValidationError(
                {
                    "finding": [
                        _("“%(term)s” has no replacement; edit the text or add one.")
                        % {"term": finding.term}
                    ]
                }
            ) from error
        return Response(SkuSerializer(sku, context=self.get_serializer_context()).data)


class PriceChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """Every price change of the store's SKUs, newest first (written by SKU edits)."""

    model = PriceChange
    serializer_class = PriceChangeSerializer
    filterset_class = PriceChangeFilter
    ordering = ["-changed_at"]
    ordering_fields = ["changed_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[PriceChange]:
        return PriceChange.objects.filter(store=store).select_related("changed_by")
