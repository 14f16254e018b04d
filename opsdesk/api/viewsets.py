"""The scoped viewset bases every API resource inherits.

``StoreScopedViewSet`` OWNS ``get_queryset``: it resolves ``{store_slug}`` among the caller's
stores (narrowed to the token's stores for token requests) and hands the store to the
subclass's ``scoped_queryset(store)`` hook. A store the caller cannot reach is a 404, never a
403. Overriding ``get_queryset`` (or the store lookup) in a subclass is an error raised when
the class is created, so no resource can forget the scope. ``UserScopedViewSet`` does the same
for resources that belong to the caller rather than to a store (their stores, their tokens).
"""

from functools import cached_property
from typing import ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.viewsets import GenericViewSet

from opsdesk.audit import Actor
from opsdesk.models import ApiToken, AuditSource, Membership, Store
from opsdesk.roles import Capability

from .filters import StoreFilterBackend, StrictOrderingFilter
from .permissions import HasStoreCapability

ID_REGEX = "[0-9]{1,18}"


class _SealedQuerysetViewSet(GenericViewSet):
    """Base that forbids subclasses to redefine the methods named in ``sealed``."""

    sealed: ClassVar[tuple[str, ...]] = ("get_queryset",)
    #: The model served; gives the router its basename and the schema its path types.
    model: ClassVar[type[models.Model]]
    filter_backends = [StoreFilterBackend, StrictOrderingFilter]
    #: Ids that fit a bigint; anything else does not match the route (a JSON 404).
    lookup_value_regex = ID_REGEX
    #: No OPTIONS metadata: the OpenAPI schema is the description of the API (OPTIONS is 405).
    metadata_class = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:
            return  # the scoped bases of this module define the sealed methods
        overridden = [name for name in cls.sealed if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__qualname__} overrides {', '.join(overridden)}: scoped viewsets supply "
                f"the scoped_queryset() / user_queryset() hook instead."
            )
        model = cls.__dict__.get("model")
        if model is not None and "queryset" not in cls.__dict__:
            # Never evaluated: only read by the router (basename) and the schema generator.
            cls.queryset = model._default_manager.none()

    @property
    def actor(self) -> Actor:
        """Who is writing, for the services' audit entries."""
        token = self.request.auth if isinstance(self.request.auth, ApiToken) else None
        return Actor(user=self.request.user, source=AuditSource.API, token=token)

    def _schema_only(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


def reachable_memberships(user, token: ApiToken | None) -> models.QuerySet[Membership]:
    """The user's memberships (stores loaded), limited to the token's stores when the token
    lists any."""
    memberships = Membership.objects.filter(user=user).select_related("store")
    if token is not None:
        through = ApiToken.stores.through
        listed = through.objects.filter(apitoken_id=token.pk)
        memberships = memberships.filter(
            Q(Exists(listed.filter(store_id=OuterRef("store_id")))) | ~Q(Exists(listed))
        )
    return memberships


class StoreScopedViewSet(_SealedQuerysetViewSet):
    """Base of every resource under ``/api/v1/stores/{store_slug}/``.

    Subclasses set ``model``, implement ``scoped_queryset(store)`` and say what the actions
    need: ``read_capability`` (safe methods, default VIEW), ``write_capability`` (other
    methods) and ``action_capabilities`` for exceptions by action name.
    """

    sealed = ("get_queryset", "store", "membership", "required_capability")
    store_url_kwarg = "store_slug"
    permission_classes = [IsAuthenticated, HasStoreCapability]
    read_capability: ClassVar[Capability] = Capability.VIEW
    write_capability: ClassVar[Capability | None] = None
    action_capabilities: ClassVar[dict[str, Capability]] = {}

    def get_queryset(self) -> models.QuerySet:
        if self._schema_only():
            return self.model._default_manager.none()
        return self.scoped_queryset(self.store)

    def scoped_queryset(self, store: Store) -> models.QuerySet:
        """The rows of ``store`` this resource serves (with its select/prefetch)."""
        raise NotImplementedError

    @cached_property
    def membership(self) -> Membership:
        """The caller's membership of the URL's store; 404 when the store does not exist,
        the caller does not belong to it, or the caller's token does not reach it."""
        token = self.request.auth if isinstance(self.request.auth, ApiToken) else None
        slug = self.kwargs.get(self.store_url_kwarg, "")
        membership = (
            reachable_memberships(self.request.user, token).filter(store__slug=slug).first()
        )
        if membership is None:
            raise exceptions.NotFound(_("No store %(slug)s.") % {"slug": slug})
        return membership

    @property
    def store(self) -> Store:
        return self.membership.store

    def required_capability(self) -> Capability:
        """The capability the current request's action needs."""
        if self.action in self.action_capabilities:
            return self.action_capabilities[self.action]
        if self.request.method in SAFE_METHODS or self.action is None:
            # No action: a method this route does not serve; members get the 405.
            return self.read_capability
        if self.write_capability is None:
            raise ImproperlyConfigured(f"{type(self).__name__} has no write_capability.")
        return self.write_capability

    def allows(self, capability: Capability) -> bool:
        """True when the caller's role in this store grants ``capability``."""
        return self.membership.allows(capability)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not self._schema_only():
            context["store"] = self.store
        return context


class UserScopedViewSet(_SealedQuerysetViewSet):
    """Base of resources that belong to the caller (``/api/v1/stores/``, ``/api/v1/tokens/``):
    subclasses implement ``user_queryset(user)``; other users' rows are 404."""

    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> models.QuerySet:
        if self._schema_only():
            return self.model._default_manager.none()
        return self.user_queryset(self.request.user)

    def user_queryset(self, user) -> models.QuerySet:
        """The caller's rows this resource serves."""
        raise NotImplementedError

    @property
    def token(self) -> ApiToken | None:
        return self.request.auth if isinstance(self.request.auth, ApiToken) else None
