from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from opsdesk.admin_scoping import (
    ReadOnlyStoreAdmin,
    StoreListFilter,
    StoreScopedAdmin,
    StoreScopedInline,
    user_may,
)
from opsdesk.roles import Capability

from .models import Campaign, CampaignHour, ChannelBudget, LineupItem, Mechanic

#: The guarded money fields of the campaign row (``campaigns.services.TARGET_FIELDS``).
TARGET_FIELDS = ("gmv_target", "preheat_gmv_target", "ad_budget")


class LineupItemInline(StoreScopedInline):
    model = LineupItem
    write_capability = Capability.EDIT_CAMPAIGNS
    autocomplete_fields = ("sku",)
    fields = ("sku", "planned_units", "chosen_by")


class MechanicInline(StoreScopedInline):
    model = Mechanic
    write_capability = Capability.EDIT_CAMPAIGNS
    fields = ("kind", "threshold", "amount", "rate", "inflated_amount", "description")


@admin.register(Campaign)
class CampaignAdmin(StoreScopedAdmin):
    """Campaigns need EDIT_CAMPAIGNS; the GMV target and ad budget also need SET_TARGETS in
    the campaign's store (an operator plans the lineup, a manager sets the money)."""

    write_capability = Capability.EDIT_CAMPAIGNS
    list_display = ("name", "kind", "burst_start", "burst_end", "gmv_target", "ad_budget", "store")
    list_filter = (StoreListFilter, "kind")
    list_select_related = ("store",)
    search_fields = ("name",)
    inlines = (LineupItemInline, MechanicInline)

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        store_id = None if obj is None else obj.store_id
        if not user_may(request, Capability.SET_TARGETS, store_id):
            readonly.extend(TARGET_FIELDS)
        return readonly

    def validate_scope(self, request: HttpRequest, form, cleaned: dict) -> None:
        super().validate_scope(request, form, cleaned)
        store_id = self.form_store_id(form, cleaned)
        changed_targets = [name for name in TARGET_FIELDS if name in form.changed_data]
        if changed_targets and not user_may(request, Capability.SET_TARGETS, store_id):
            raise ValidationError(
                {
                    name: _("Your role in this store may not set GMV targets or budgets.")
                    for name in changed_targets
                }
            )


@admin.register(LineupItem)
class LineupItemAdmin(StoreScopedAdmin):
    write_capability = Capability.EDIT_CAMPAIGNS
    list_display = ("campaign", "sku", "planned_units", "chosen_by", "chosen_at", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("campaign", "sku", "chosen_by", "store")
    search_fields = ("campaign__name", "sku__code")
    autocomplete_fields = ("sku",)


@admin.register(Mechanic)
class MechanicAdmin(StoreScopedAdmin):
    write_capability = Capability.EDIT_CAMPAIGNS
    list_display = ("campaign", "kind", "threshold", "amount", "rate", "description", "store")
    list_filter = (StoreListFilter, "kind")
    list_select_related = ("campaign", "store")
    search_fields = ("campaign__name", "description")


@admin.register(ChannelBudget)
class ChannelBudgetAdmin(ReadOnlyStoreAdmin):
    """Channel budgets, view-only here: the campaign page and the API write them, checking
    that they add up to at most the campaign's ad budget and that the writer may set
    targets."""

    list_display = ("campaign", "channel", "budget", "store")
    list_filter = (StoreListFilter, "channel")
    list_select_related = ("campaign", "store")
    search_fields = ("campaign__name",)


@admin.register(CampaignHour)
class CampaignHourAdmin(ReadOnlyStoreAdmin):
    """Hourly monitoring rows: derived from the facts and rewritten every 15 minutes, so
    view-only."""

    list_display = ("campaign", "local_day", "local_hour", "gmv", "paid_orders", "uv", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("campaign", "store")
    search_fields = ("campaign__name",)
    date_hierarchy = "local_day"
