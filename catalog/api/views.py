"""Catalog resources: ``/api/v1/stores/{store_slug}/categories|skus|price-changes/``."""

from django.db.models import QuerySet
from rest_framework import mixins

from catalog.categories import category_create, category_delete, category_update
from catalog.models import Category, PriceChange, Sku
from catalog.pricing import sku_create, sku_update
from opsdesk.api.viewsets import StoreScopedViewSet
from opsdesk.models import Store
from opsdesk.roles import Capability

from .filters import PriceChangeFilter, SkuFilter
from .serializers import CategorySerializer, PriceChangeSerializer, SkuSerializer


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


class PriceChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """Every price change of the store's SKUs, newest first (written by SKU edits)."""

    model = PriceChange
    serializer_class = PriceChangeSerializer
    filterset_class = PriceChangeFilter
    ordering = ["-changed_at"]
    ordering_fields = ["changed_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[PriceChange]:
        return PriceChange.objects.filter(store=store).select_related("changed_by")
