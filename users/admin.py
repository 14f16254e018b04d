from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from opsdesk.admin_scoping import StoreListFilter, StoreScopedAdmin
from opsdesk.roles import Capability

from .models import (
    Customer,
    CustomerPrediction,
    MemberLevel,
    MemberLevelChange,
    Playbook,
    PlaybookContact,
    PlaybookJob,
    PlaybookRun,
    PredictionFit,
    TierChange,
)
from .services import playbook_validate


class CustomersAdmin(StoreScopedAdmin):
    write_capability = Capability.EDIT_CUSTOMERS


@admin.register(MemberLevel)
class MemberLevelAdmin(CustomersAdmin):
    list_display = ("code", "name", "min_spend", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    search_fields = ("code", "name")


@admin.register(Customer)
class CustomerAdmin(CustomersAdmin):
    list_display = (
        "external_id",
        "name",
        "region",
        "gender",
        "member_level",
        "points",
        "registered_on",
        "store",
    )
    list_filter = (StoreListFilter, "gender")
    list_select_related = ("member_level", "store")
    search_fields = ("external_id", "name")


@admin.register(TierChange)
class TierChangeAdmin(CustomersAdmin):
    list_display = ("customer", "day", "previous_tier", "tier", "store")
    list_filter = (StoreListFilter, "tier")
    list_select_related = ("customer", "store")
    search_fields = ("customer__external_id", "customer__name")
    autocomplete_fields = ("customer",)


@admin.register(MemberLevelChange)
class MemberLevelChangeAdmin(CustomersAdmin):
    list_display = ("customer", "day", "previous_level", "level", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("customer", "level", "previous_level", "store")
    search_fields = ("customer__external_id", "customer__name")
    autocomplete_fields = ("customer",)


class PlaybookAdminForm(forms.ModelForm):
    """The admin form checks a playbook like the Playbooks page does (``playbook_validate``:
    trigger parameters, and a webhook URL that reaches public addresses only)."""

    webhook_url = forms.URLField(
        label=Playbook._meta.get_field("webhook_url").verbose_name,
        required=False,
        assume_scheme="https",
    )

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            playbook_validate(self.instance)
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(Playbook)
class PlaybookAdmin(CustomersAdmin):
    form = PlaybookAdminForm
    list_display = ("name", "trigger", "action", "enabled", "holdout_share", "store")
    list_filter = (StoreListFilter, "trigger", "enabled")
    list_select_related = ("store",)
    search_fields = ("name", "code")


@admin.register(PredictionFit)
class PredictionFitAdmin(CustomersAdmin):
    list_display = ("as_of", "fitted_at", "customers", "r", "alpha", "a", "b", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)


@admin.register(CustomerPrediction)
class CustomerPredictionAdmin(CustomersAdmin):
    list_display = ("customer", "p_alive", "previous_p_alive", "expected_purchases_90d", "clv_90d")
    list_filter = (StoreListFilter,)
    list_select_related = ("customer", "store")
    search_fields = ("customer__external_id", "customer__name")
    autocomplete_fields = ("customer",)


@admin.register(PlaybookRun)
class PlaybookRunAdmin(CustomersAdmin):
    list_display = ("playbook", "day", "triggered", "contacted", "held_out", "status", "store")
    list_filter = (StoreListFilter, "status")
    list_select_related = ("playbook", "store")


@admin.register(PlaybookContact)
class PlaybookContactAdmin(CustomersAdmin):
    list_display = ("playbook", "customer", "day", "held_out", "store")
    list_filter = (StoreListFilter, "held_out")
    list_select_related = ("playbook", "customer", "store")
    search_fields = ("customer__external_id", "customer__name")
    autocomplete_fields = ("customer",)


@admin.register(PlaybookJob)
class PlaybookJobAdmin(CustomersAdmin):
    list_display = ("playbook", "day", "status", "requested_at", "finished_at", "store")
    list_filter = (StoreListFilter, "status")
    list_select_related = ("playbook", "store")
