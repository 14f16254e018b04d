"""Admin of the catalogue, scoped like every admin (``opsdesk.admin_scoping``).

A SKU edit goes through the catalogue's services like a page edit: a new SKU through
``catalog.pricing.sku_create``, the fields of an existing one through
``catalog.pricing.sku_update`` and a price through ``catalog.pricing.sku_price_change``, so
every price change is recorded (who, when, old, new) and a price cut that exposes recent
orders to price-protection claims (保价) is refused until the editor ticks "Confirm price cut"
next to the exposure shown in the error. Price changes themselves are view-only here: they
are written only by that service.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.admin_scoping import ReadOnlyStoreAdmin, StoreListFilter, StoreScopedAdmin
from opsdesk.audit import Actor
from opsdesk.models import AuditSource
from opsdesk.roles import Capability
from opsdesk.templatetags.opsdesk_ui import money

from .models import (
    BannedTerm,
    Category,
    ComplianceFinding,
    PriceChange,
    RoleSuggestionDecision,
    Sku,
    StockSnapshot,
)
from .pricing import (
    SKU_EDITABLE_FIELDS,
    price_change_preview,
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
        if obj is None and "confirm_price_cut" in fields:
            fields.remove("confirm_price_cut")  # a new SKU's first price is not a change
        return fields

    def validate_scope(self, request: HttpRequest, form: forms.ModelForm, cleaned: dict) -> None:
        """Besides the scope: a price cut with price-protection exposure needs the
        confirmation; the error shows the exposure."""
        super().validate_scope(request, form, cleaned)
        new_price = cleaned.get("price")
        if form.instance.pk is None or new_price is None:
            return
        stored = Sku.objects.select_related("store").get(pk=form.instance.pk)
        if new_price == stored.price:
            return
        exposure = price_change_preview(sku=stored, new_price=new_price)
        if exposure.has_exposure and not cleaned.get("confirm_price_cut"):
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
            )

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
        with transaction.atomic():
            if fields:
                sku_update(sku=obj, actor=actor, **fields)
            if new_price is not None:
                # The form refused an unconfirmed cut with exposure, so what reaches here
                # was either confirmed or had no exposure when the editor saved it.
                sku_price_change(
                    sku=obj,
                    new_price=new_price,
                    actor=actor,
                    confirmed=True,
                    note=_("admin edit"),
                )
        obj.refresh_from_db()


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
    list_display = ("term", "replacement", "allowed_phrases", "store")
    list_filter = (StoreListFilter,)
    list_select_related = ("store",)
    search_fields = ("term",)


@admin.register(ComplianceFinding)
class ComplianceFindingAdmin(CatalogAdmin):
    list_display = ("sku", "field", "term", "position", "first_seen_at", "resolved_at", "store")
    list_filter = (StoreListFilter, "field", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("sku", "store")
    search_fields = ("sku__code", "term")
    autocomplete_fields = ("sku",)


@admin.register(RoleSuggestionDecision)
class RoleSuggestionDecisionAdmin(CatalogAdmin):
    list_display = ("sku", "suggested_role", "previous_role", "accepted", "decided_at", "store")
    list_filter = (StoreListFilter, "accepted", "suggested_role")
    list_select_related = ("sku", "decided_by", "store")
    search_fields = ("sku__code",)
    autocomplete_fields = ("sku",)
