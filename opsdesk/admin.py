from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_scoping import ReadOnlyStoreAdmin, StoreListFilter, StoreScopedAdmin, store_ids_with
from .audit import Actor
from .login_limits import RateLimitedAdminAuthenticationForm
from .models import ApiToken, AuditEntry, AuditSource, Membership, Store
from .roles import Capability
from .stores import store_create
from .tokens import token_revoke

admin.site.site_header = _("opsdesk administration")
admin.site.site_title = _("opsdesk admin")
admin.site.index_title = _("Store data")
admin.site.login_form = RateLimitedAdminAuthenticationForm  # sign-in lockout


@admin.register(Store)
class StoreAdmin(StoreScopedAdmin):
    """A store admin edits their store's settings; only a superuser creates or deletes a
    store (a new store has no members, so nobody else could see it)."""

    write_capability = Capability.MANAGE_STAFF
    store_path = "pk"
    list_display = ("name", "slug", "platform", "time_zone", "currency", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "platform", "time_zone", "currency")}),
        (
            _("Lifecycle tiers"),
            {
                "fields": (
                    "new_customer_days",
                    "dormant_after_days",
                    "churned_after_days",
                    "high_value_min_orders",
                    "high_value_min_average",
                )
            },
        ),
        (_("RFM and funnel"), {"fields": ("rfm_window_days", "funnel_window_hours")}),
        (
            _("Catalog"),
            {
                "fields": (
                    "traffic_share_target",
                    "delisting_sell_through",
                    "replenishment_lead_days",
                    "overstock_cover_days",
                    "listing_weekdays",
                    "price_protection_days",
                )
            },
        ),
        (_("Campaigns and members"), {"fields": ("lineup_min_conversion", "points_per_yuan")}),
    )

    def _row_store_id(self, obj: Store) -> int | None:
        return obj.pk

    def audit_store(self, obj: Store) -> Store:
        return obj

    def form_store_id(self, form, cleaned: dict) -> int | None:
        return form.instance.pk

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Store | None = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: Store, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new store goes through the service, which audits it and seeds its banned terms.
        settings = {
            field.name: getattr(obj, field.attname)
            for field in Store._meta.concrete_fields
            if field.editable and not field.primary_key and field.name not in ("name", "slug")
        }
        saved = store_create(
            actor=Actor(user=request.user, source=AuditSource.ADMIN),
            name=obj.name,
            slug=obj.slug,
            **settings,
        )
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding, obj._state.db = False, saved._state.db

    def get_prepopulated_fields(self, request: HttpRequest, obj: Store | None = None) -> dict:
        return {} if obj is not None else dict(self.prepopulated_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Store | None = None):
        # The slug names the store in URLs and exports; only a superuser renames it.
        if obj is not None and not request.user.is_superuser:
            return ("slug",)
        return ()


@admin.register(Membership)
class MembershipAdmin(StoreScopedAdmin):
    """Staff roles per store, written by the store's admins (MANAGE_STAFF)."""

    write_capability = Capability.MANAGE_STAFF
    list_display = ("user", "store", "role", "created_at")
    list_filter = (StoreListFilter, "role")
    list_select_related = ("user", "store")
    search_fields = ("user__username", "user__email", "store__name")

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        # Removing oneself would lock the last admin out of their own store's staff page.
        if obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyStoreAdmin):
    """The append-only audit log of the stores the user is an admin of (like the API's
    ``stores/{slug}/audit/``: other roles do not read it)."""

    read_capability = Capability.MANAGE_STAFF

    list_display = ("created_at", "user", "source", "action", "object_type", "object_repr", "store")
    list_filter = (StoreListFilter, "source")
    list_select_related = ("user", "store")
    search_fields = ("action", "object_type", "object_id", "object_repr")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """REST API tokens, view and revoke only.

    A token is created through the API (its key is shown once and never stored), so the admin
    cannot add or edit one. Staff see their own tokens; a store admin (MANAGE_STAFF) also sees
    the tokens of their store's members that reach the store, and may revoke them.
    """

    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    # ``stores`` is left out: it may name stores the viewer does not belong to.
    fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ("revoke_tokens",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request)
        managed = store_ids_with(request, Capability.MANAGE_STAFF)
        if managed is None:
            return tokens
        reach_managed = Q(user__memberships__store_id__in=managed) & (
            Q(stores__in=managed) | Q(stores__isnull=True)
        )
        ids = tokens.filter(Q(user=request.user) | reach_managed).values("pk")
        return tokens.filter(pk__in=ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        # The queryset comes from get_queryset, so only tokens the user may see are revoked.
        count = 0
        for token in queryset.select_related("user"):
            if token.revoked_at is None:
                token_revoke(token=token, actor=Actor(user=request.user, source=AuditSource.ADMIN))
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
