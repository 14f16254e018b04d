"""The opsdesk core resources: your stores, your tokens, a store's staff, tokens and audit log."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.models import ApiToken, AuditEntry, AuditSource, Membership, Store
from opsdesk.roles import Capability
from opsdesk.tokens import token_create, token_revoke, tokens_reaching_store

from .filters import StoreFilterSet
from .store_serializers import (
    AuditEntrySerializer,
    MembershipSerializer,
    StoreSerializer,
    StoreTokenSerializer,
    TokenCreatedSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)
from .viewsets import StoreScopedViewSet, UserScopedViewSet, reachable_memberships


class StoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, UserScopedViewSet):
    """The stores you can reach (with a token: the token's stores) and your role in each."""

    model = Store
    serializer_class = StoreSerializer
    lookup_field = "slug"
    lookup_url_kwarg = "store_slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering = ["name"]
    ordering_fields = ["name", "slug"]

    def user_queryset(self, user) -> QuerySet[Store]:
        memberships = reachable_memberships(user, self.token)
        return Store.objects.filter(pk__in=memberships.values("store_id"))

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not self._schema_only():
            context["roles"] = dict(
                reachable_memberships(self.request.user, self.token).values_list("store_id", "role")
            )
        return context


class TokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    UserScopedViewSet,
):
    """Your personal API tokens. The key is shown once, in the create response; DELETE
    revokes a token (it stays listed, with ``revoked_at``). Tokens are created from a signed-in
    session, not with another token."""

    model = ApiToken
    serializer_class = TokenSerializer
    ordering = ["-created_at"]
    ordering_fields = ["created_at", "expires_at", "name"]

    def user_queryset(self, user) -> QuerySet[ApiToken]:
        return ApiToken.objects.filter(user=user).prefetch_related("stores")

    def get_serializer_class(self):
        if self.action == "create":
            return TokenCreateSerializer
        return TokenSerializer

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        if self.token is not None:
            raise exceptions.PermissionDenied(
                _("Create tokens from a signed-in session, not with another token.")
            )
        serializer = TokenCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            created = token_create(
                user=request.user,
                name=serializer.validated_data["name"],
                stores=serializer.validated_data.get("stores", []),
                expires_at=serializer.validated_data.get("expires_at"),
                source=AuditSource.API,
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from error
        token = created.token
        token.key = created.key
        body = TokenCreatedSerializer(token, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        token_revoke(token=instance, by_user=self.request.user, source=AuditSource.API)


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """The store's staff and their roles (store admins only)."""

    model = Membership
    serializer_class = MembershipSerializer
    read_capability = Capability.MANAGE_STAFF
    ordering = ["user__username"]
    ordering_fields = ["created_at", "role"]

    def scoped_queryset(self, store: Store) -> QuerySet[Membership]:
        return Membership.objects.filter(store=store).select_related("user")


class StoreTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    StoreScopedViewSet,
):
    """API tokens of the store's staff that can reach this store (store admins only);
    DELETE revokes one."""

    model = ApiToken
    serializer_class = StoreTokenSerializer
    read_capability = Capability.MANAGE_STAFF
    write_capability = Capability.MANAGE_STAFF
    ordering = ["-created_at"]
    ordering_fields = ["created_at", "expires_at"]

    def scoped_queryset(self, store: Store) -> QuerySet[ApiToken]:
        return tokens_reaching_store(store=store)

    def perform_destroy(self, instance: ApiToken) -> None:
        token_revoke(token=instance, by_user=self.request.user, source=AuditSource.API)


class AuditEntryFilter(StoreFilterSet):
    action = django_filters.CharFilter(help_text="Only this action (sku.update...).")
    object_type = django_filters.CharFilter(help_text="Only this app_label.model.")
    username = django_filters.CharFilter(
        field_name="user__username", help_text="Only writes by this user."
    )
    created_from = django_filters.DateFilter(
        field_name="created_at",
        method="filter_local_from",
        help_text="Written on or after this store-local date (YYYY-MM-DD).",
    )
    created_to = django_filters.DateFilter(
        field_name="created_at",
        method="filter_local_to",
        help_text="Written on or before this store-local date (YYYY-MM-DD).",
    )

    class Meta(StoreFilterSet.Meta):
        model = AuditEntry
        fields = ["action", "object_type", "username", "created_from", "created_to"]


class AuditEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet):
    """The store's audit log, newest first (store admins only)."""

    model = AuditEntry
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    read_capability = Capability.MANAGE_STAFF
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at", "id"]

    def scoped_queryset(self, store: Store) -> QuerySet[AuditEntry]:
        return AuditEntry.objects.filter(store=store).select_related("user", "token")
