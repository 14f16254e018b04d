"""The scoped viewset bases own the scope: a subclass cannot replace ``get_queryset`` or the
store lookup, and every API viewset inherits one of them."""

import pytest
from rest_framework.viewsets import GenericViewSet

from catalog.models import Sku
from opsdesk.api.viewsets import StoreScopedViewSet, UserScopedViewSet

from .routes import api_routes


@pytest.mark.parametrize("sealed", ["get_queryset", "membership", "store", "required_capability"])
def test_overriding_the_scope_of_a_store_viewset_fails_at_class_creation(sealed):
    with pytest.raises(TypeError, match=sealed):
        type(
            "LeakySkuViewSet",
            (StoreScopedViewSet,),
            {"model": Sku, "__module__": "catalog.api.views", sealed: lambda self: None},
        )


def test_overriding_get_queryset_of_a_user_viewset_fails_at_class_creation():
    with pytest.raises(TypeError, match="get_queryset"):

        class Leaky(UserScopedViewSet):
            model = Sku

            def get_queryset(self):
                return Sku.objects.all()


def test_a_deeper_subclass_is_checked_too():
    class Base(StoreScopedViewSet):
        model = Sku

        def scoped_queryset(self, store):
            return Sku.objects.filter(store=store)

    with pytest.raises(TypeError):

        class Leaky(Base):
            def get_queryset(self):
                return Sku.objects.all()


def test_every_api_viewset_is_scoped():
    for route in api_routes():
        assert issubclass(route.viewset, StoreScopedViewSet | UserScopedViewSet), route.name
        assert issubclass(route.viewset, GenericViewSet)
        store_scoped = issubclass(route.viewset, StoreScopedViewSet)
        assert store_scoped == ("store_slug" in route.kwargs and route.basename != "store")
