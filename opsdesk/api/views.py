"""The opsdesk core resources: your stores, your tokens, a store's staff, tokens and audit log."""

import json

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.exports import XLSX_TYPE
from opsdesk.models import ApiToken, AuditEntry, AuditSource, Membership, Store
from opsdesk.roles import Capability
from opsdesk.staff import LastAdminError, membership_add, membership_change_role, membership_remove
from opsdesk.tokens import token_create, token_revoke, tokens_reaching_store

from .exceptions import Conflict
from .filters import StoreFilterSet
from .renderers import CsvRenderer, XlsxRenderer
from .reports import ErrorsAsJsonMixin, iso
from .schema import ErrorSerializer
from .store_serializers import (
    AuditEntrySerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
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
        token_revoke(token=instance, actor=self.actor)


class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    StoreScopedViewSet,
):
    """The store's staff and their roles (store admins only). POST adds an existing user,
    PATCH/PUT changes a role, DELETE removes a member; the store's last admin can be neither
    demoted (400) nor removed (409). Every change is in the audit log."""

    model = Membership
    serializer_class = MembershipSerializer
    read_capability = Capability.MANAGE_STAFF
    write_capability = Capability.MANAGE_STAFF
    ordering = ["user__username"]
    ordering_fields = ["created_at", "role"]

    def scoped_queryset(self, store: Store) -> QuerySet[Membership]:
        return Membership.objects.filter(store=store).select_related("user", "store")

    def get_serializer_class(self):
        if self.action == "create":
            return MembershipCreateSerializer
        if self.action in ("update", "partial_update"):
            return MembershipUpdateSerializer
        return MembershipSerializer

    def _answer(self, membership: Membership, code: int = status.HTTP_200_OK) -> Response:
        membership = self.scoped_queryset(self.store).get(pk=membership.pk)
        body = MembershipSerializer(membership, context=self.get_serializer_context()).data
        return Response(body, status=code)

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = MembershipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_add(store=self.store, actor=self.actor, **serializer.validated_data)
        return self._answer(membership, status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        membership = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = MembershipUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        if "role" in serializer.validated_data:
            membership = membership_change_role(
                membership=membership, actor=self.actor, role=serializer.validated_data["role"]
            )
        return self._answer(membership)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance: Membership) -> None:
        try:
            membership_remove(membership=instance, actor=self.actor)
        except LastAdminError as error:
            raise Conflict(error.messages[0], code="last_admin") from error


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
        token_revoke(token=instance, actor=self.actor)


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


_AUDIT_HEADER = [
    "id",
    "created_at",
    "username",
    "token",
    "source",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
]


class AuditEntryViewSet(
    ErrorsAsJsonMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreScopedViewSet
):
    """The store's audit log, newest first (store admins only); ``export/`` downloads it."""

    model = AuditEntry
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    read_capability = Capability.MANAGE_STAFF
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at", "id"]

    def scoped_queryset(self, store: Store) -> QuerySet[AuditEntry]:
        return AuditEntry.objects.filter(store=store).select_related("user", "token")

    @extend_schema(
        filters=True,
        summary="Export the audit log (CSV or XLSX)",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["csv", "xlsx"],
                description="csv (default; UTF-8 with BOM, formula-like cells escaped) or xlsx.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The entries."),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The entries."),
            **{(code, "application/json"): ErrorSerializer for code in (400, 401, 403, 404, 429)},
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[CsvRenderer, XlsxRenderer],
        pagination_class=None,
    )
    def export(self, request: Request, store_slug: str) -> Response:
        """Every entry matching the filters (same parameters as the list), newest first, with
        ``changes`` as JSON text and times in the store's time zone."""
        entries = self.filter_queryset(self.get_queryset())
        zone = self.store.zone
        rows = [
            [
                entry.pk,
                iso(entry.created_at, zone),
                entry.user.get_username() if entry.user is not None else None,
                entry.token.prefix if entry.token is not None else None,
                entry.source,
                entry.action,
                entry.object_type,
                entry.object_id,
                entry.object_repr,
                json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
            ]
            for entry in entries.iterator(chunk_size=2000)
        ]
        fmt = request.accepted_renderer.format
        filename = f"audit-{self.store.slug}.{fmt}"
        return Response(
            {"name": "audit", "header": _AUDIT_HEADER, "rows": rows},
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
