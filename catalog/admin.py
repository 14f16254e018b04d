"""Admin of the catalogue, scoped like every admin (``opsdesk.admin_scoping``).

A SKU edit goes through the catalogue's services like a page edit: a new SKU through
``catalog.pricing.sku_create``, the fields of an existing one through
``catalog.pricing.sku_update`` and a price through ``catalog.pricing.sku_price_change``, so
every price change is recorded (who, when, old, new), every status or listing-day change is
kept in the status history, and a price cut that exposes recent orders to price-protection
claims (保价) is refused with the exposure shown until the editor ticks "Confirm price cut".
The confirmation is bound to the exposure shown (a hidden token): when orders were paid (or
refunded) between the showing and the save, the cut is refused again with the new exposure.

Banned terms are saved and removed through ``catalog.compliance`` (audited, every SKU
re-scanned). Price changes, status changes, findings and role decisions are view-only here:
their services write them.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.admin_scoping import ReadOnlyStoreAdmin, StoreListFilter, StoreScopedAdmin
from opsdesk.audit import Actor
from opsdesk.models import AuditSource
from opsdesk.roles import Capability
from opsdesk.templatetags.opsdesk_ui import money

from .compliance import banned_term_delete, banned_term_save
from .models import (
    BannedTerm,
    Category,
    ComplianceFinding,
    PriceChange,
    RoleSuggestionDecision,
    Sku,
    SkuStatusChange,
    StockSnapshot,
)
from .pricing import (
    SKU_EDITABLE_FIELDS,
    PriceCutNotConfirmedError,
    PriceExposureChangedError,
    exposure_message,
    price_change_preview,
    price_exposure_check,
    sku_create,
    sku_price_change,
    sku_update,
)

#: The fields of the admin's add form that ``sku_create`` takes (besides the store).
SKU_CREATE_FIELDS = (
    "code",
    "title",
    "description",
    "category",
    "role",
    "price",
    "cost",
    "stock",
    "status",
    "listed_on",
)


class CatalogAdmin(StoreScopedAdmin):
    write_capability = Capability.EDIT_CATALOG


@admin.register(Category)
class CategoryAdmin(CatalogAdmin):
    list_display = ("name", "parent", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("parent", "store")
    search_fields = ("name",)


class SkuAdminForm(forms.ModelForm):
    confirm_price_cut = forms.BooleanField(
        label=gettext_lazy("Confirm price cut"),
        required=False,
        help_text=gettext_lazy(
            "Tick to save a price cut that exposes recent orders to price-protection claims."
        ),
    )
    #: The confirmation token of the exposure last shown on this form (set by the admin when
    #: it shows one); ticking the box confirms that exposure and no other.
    price_confirmation = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    class Meta:
        model = Sku
        fields = (
            "store",
            "code",
            "title",
            "description",
            "category",
            "role",
            "price",
            "cost",
            "stock",
            "status",
            "listed_on",
        )


@admin.register(Sku)
class SkuAdmin(CatalogAdmin):
    form = SkuAdminForm
    list_display = (
        "code",
        "title",
        "category",
        "role",
        "price",
        "cost",
        "stock",
        "status",
        "listed_on",
        "store",
    )
    list_filter = (StoreListFilter, "role", "status")
    list_select_related = ("category", "store")
    search_fields = ("code", "title")

    def get_fields(self, request: HttpRequest, obj: Sku | None = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        if obj is None:  # a new SKU's first price is not a change
            fields = [f for f in fields if f not in ("confirm_price_cut", "price_confirmation")]
        return fields

    def validate_scope(self, request: HttpRequest, form: forms.ModelForm, cleaned: dict) -> None:
        """Besides the scope: a price change with price-protection exposure needs the box
        ticked for the exposure this form last showed; otherwise the error shows the current
        exposure and the form carries its confirmation for the next submit."""
        super().validate_scope(request, form, cleaned)
        new_price = cleaned.get("price")
        if form.instance.pk is None or new_price is None:
            return
        stored = Sku.objects.select_related("store").get(pk=form.instance.pk)
        if new_price == stored.price:
            return
        exposure = price_change_preview(sku=stored, new_price=new_price)
        confirmation = (
            cleaned.get("price_confirmation") if cleaned.get("confirm_price_cut") else None
        )
        try:
            price_exposure_check(exposure=exposure, confirmation=confirmation)
        except PriceExposureChangedError as refused:
            _show_exposure(form, refused.exposure.confirmation)
            raise ValidationError(
                {
                    "price": exposure_message(refused.exposure, seen=refused.seen)
                    + " "
                    + _("Tick “Confirm price cut” again to save it.")
                }
            ) from refused
        except PriceCutNotConfirmedError as refused:
            _show_exposure(form, refused.exposure.confirmation)
            currency = stored.store.currency
            raise ValidationError(
                {
                    "price": _(
                        "Cutting the price from %(old)s to %(new)s exposes %(orders)d paid "
                        "order(s) (%(units)d unit(s)) of the last %(days)d days to "
                        "price-protection claims of up to %(amount)s. Tick “Confirm price "
                        "cut” to save it."
                    )
                    % {
                        "old": money(stored.price, currency),
                        "new": money(new_price, currency),
                        "orders": exposure.orders,
                        "units": exposure.units,
                        "days": exposure.protection_days,
                        "amount": money(exposure.amount, currency),
                    }
                }
            ) from refused

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PriceCutNotConfirmedError as refused:
            # The exposure changed in the instant between the form's check and the save (an
            # order paid meanwhile): the admin's transaction rolled back, nothing is written.
            self.message_user(request, refused.messages[0], level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Sku, form, change: bool) -> None:
        actor = Actor(user=request.user, source=AuditSource.ADMIN)
        if not change:
            # Like a page or API create: audited, and the texts scanned for banned terms.
            data = form.cleaned_data
            created = sku_create(
                store=data["store"],
                actor=actor,
                **{name: data[name] for name in SKU_CREATE_FIELDS if name in data},
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in SKU_EDITABLE_FIELDS
        }
        new_price = fields.pop("price", None)
        confirmation = (
            form.cleaned_data.get("price_confirmation")
            if form.cleaned_data.get("confirm_price_cut")
            else None
        )
        with transaction.atomic():
            if fields:
                sku_update(sku=obj, actor=actor, **fields)
            if new_price is not None:
                # The service checks the exposure again under the row lock, with the
                # confirmation the form accepted.
                sku_price_change(
                    sku=obj,
                    new_price=new_price,
                    actor=actor,
                    confirmation=confirmation,
                    note=_("admin edit"),
                )
        obj.refresh_from_db()


def _show_exposure(form: forms.ModelForm, confirmation: str) -> None:
    """Re-render ``form`` with the confirmation of the exposure being shown and the box
    unticked, so the editor confirms the figures in the error, not earlier ones."""
    data = form.data.copy()
    data[form.add_prefix("price_confirmation")] = confirmation
    data.pop(form.add_prefix("confirm_price_cut"), None)
    form.data = data


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyStoreAdmin):
    """View-only: price changes are recorded by ``catalog.pricing`` when a price changes."""

    list_display = ("sku", "old_price", "new_price", "changed_at", "changed_by", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("sku", "changed_by", "store")
    search_fields = ("sku__code", "sku__title")


@admin.register(StockSnapshot)
class StockSnapshotAdmin(CatalogAdmin):
    list_display = ("sku", "day", "stock", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("sku", "store")
    search_fields = ("sku__code",)
    autocomplete_fields = ("sku",)


@admin.register(BannedTerm)
class BannedTermAdmin(CatalogAdmin):
    """Saved and removed through ``catalog.compliance`` like the compliance page: audited,
    and every SKU of the store re-scanned after the change."""

    list_display = ("term", "replacement", "allowed_phrases", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    search_fields = ("term",)

    def get_readonly_fields(self, request: HttpRequest, obj: BannedTerm | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("term")  # a different term is a new row; remove this one instead
        return readonly

    def save_model(self, request: HttpRequest, obj: BannedTerm, form, change: bool) -> None:
        saved = banned_term_save(
            store=obj.store,
            actor=Actor(user=request.user, source=AuditSource.ADMIN),
            term=obj.term,
            replacement=obj.replacement,
            allowed_phrases=obj.allowed_phrases,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: BannedTerm) -> None:
        banned_term_delete(term=obj, actor=Actor(user=request.user, source=AuditSource.ADMIN))

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        actor = Actor(user=request.user, source=AuditSource.ADMIN)
        for term in queryset.select_related("store"):
            banned_term_delete(term=term, actor=actor)


@admin.register(ComplianceFinding)
class ComplianceFindingAdmin(ReadOnlyStoreAdmin):
    """View-only: findings are opened and closed by the scan (``catalog.compliance``); a
    finding is cleared by fixing the text (or the compliance page's replacement)."""

    list_display = ("sku", "field", "term", "position", "first_seen_at", "resolved_at", "store")
    list_filter = (StoreListFilter, "field", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("sku", "store")
    search_fields = ("sku__code", "term")


@admin.register(RoleSuggestionDecision)
class RoleSuggestionDecisionAdmin(ReadOnlyStoreAdmin):
    """View-only history of accepted and rejected role suggestions (the matrix page and the
    API record them)."""

    list_display = ("sku", "suggested_role", "previous_role", "accepted", "decided_at", "store")
    list_filter = (StoreListFilter, "accepted", "suggested_role")
    list_select_related = ("sku", "decided_by", "store")
    search_fields = ("sku__code",)


@admin.register(SkuStatusChange)
class SkuStatusChangeAdmin(ReadOnlyStoreAdmin):
    """View-only: the status history is written with every status or listing-day change."""

    list_display = (
        "sku",
        "old_status",
        "new_status",
        "old_listed_on",
        "new_listed_on",
        "changed_at",
        "changed_by",
        "note",
        "store",
    )
    list_filter = (StoreListFilter, "new_status")
    list_select_related = ("sku", "changed_by", "store")
    search_fields = ("sku__code",)
