"""One scoped base for every ModelAdmin: staff see and write only their own stores' rows.

Rules (superusers are exempt from all of them):

- Reading: a changelist, change page, autocomplete or raw-id lookup shows only rows of stores
  where the user's role grants ``Capability.VIEW``. A row of another store is not found (the
  admin redirects with "doesn't exist"), never a 403 that confirms it exists.
- Writing: each admin names the capability that writes its model (``write_capability``).
  Add needs it in at least one store; change and delete need it in the row's store. Without
  it the admin shows the row read-only.
- Foreign keys: the store field offers only the stores the user may write, and every
  store-owned related field (SKU, customer, category, order...) offers only rows of those
  stores. On save, the row's store must be one of them and every related store-owned row must
  belong to the row's own store, so no row ever points across stores.
- A row's store is fixed once created (read-only on the change page).
- Every write through the admin appends an audit entry (source "admin"), like the services.

Roles come from ``opsdesk.roles`` (the same table the pages and the API read); Django's model
permissions are not consulted, so a store role is all a staff member needs besides
``is_staff``.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import audit_record, field_changes
from .models import AuditSource, Membership, Store
from .roles import Capability, role_allows

_CACHE_ATTRIBUTE = "_opsdesk_admin_roles"


def _roles_by_store(request: HttpRequest) -> dict[int, str]:
    """The user's role per store id, read once per request."""
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        memberships = getattr(request, "memberships", None)
        if memberships is None:  # the tenancy middleware did not run (e.g. a bare request)
            memberships = Membership.objects.filter(user=request.user)
        cached = {membership.store_id: membership.role for membership in memberships}
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached


def store_ids_with(request: HttpRequest, capability: Capability) -> set[int] | None:
    """Ids of the stores where the user's role grants ``capability``; None means every store
    (a superuser)."""
    user = request.user
    if not (user.is_active and user.is_authenticated):
        return set()
    if user.is_superuser:
        return None
    return {
        store_id
        for store_id, role in _roles_by_store(request).items()
        if role_allows(role, capability)
    }


def user_may(request: HttpRequest, capability: Capability, store_id: int | None = None) -> bool:
    """True when the user has ``capability`` in ``store_id``, or in any store when None."""
    allowed = store_ids_with(request, capability)
    if allowed is None:
        return True
    if store_id is None:
        return bool(allowed)
    return store_id in allowed


def _filter_by_store(queryset: models.QuerySet, store_ids: set[int] | None, path: str):
    if store_ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": store_ids})


def _is_store_owned(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("store")
    except FieldDoesNotExist:
        return False
    return field.is_relation and field.related_model is Store


class StoreListFilter(admin.SimpleListFilter):
    """Filter by store, listing only the stores the user may see (a RelatedFieldListFilter
    would list every store of the installation)."""

    title = gettext_lazy("store")
    parameter_name = "store"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        stores = _filter_by_store(
            Store.objects.order_by("name"), store_ids_with(request, Capability.VIEW), "pk"
        )
        return [(str(store.pk), store.name) for store in stores.only("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        value = self.value()
        if value and value.isdigit():
            # The queryset is already scoped: another store's id simply matches nothing.
            return queryset.filter(store_id=int(value))
        return queryset


class _ScopingMixin:
    """What the ModelAdmin and the inlines share: choice limiting of related fields."""

    write_capability: Capability = Capability.MANAGE_STAFF

    def _writable_store_ids(self, request: HttpRequest) -> set[int] | None:
        return store_ids_with(request, self.write_capability)

    def _limit_choices(
        self, db_field: models.ForeignKey, request: HttpRequest, kwargs: dict[str, Any]
    ) -> None:
        """Restrict a foreign key's choices to what the user may use in a row they write."""
        related = db_field.related_model
        store_ids = self._writable_store_ids(request)
        if store_ids is None:
            return
        if related is Store:
            kwargs["queryset"] = Store.objects.filter(pk__in=store_ids)
        elif _is_store_owned(related):
            kwargs["queryset"] = related._default_manager.filter(store_id__in=store_ids)
        elif related is get_user_model():
            # Staff of the user's own stores only: the admin must not list every account.
            visible = store_ids_with(request, Capability.VIEW) or set()
            kwargs["queryset"] = (
                related._default_manager.filter(memberships__store_id__in=visible)
                .distinct()
                .order_by(related.USERNAME_FIELD)
            )


class StoreScopedAdmin(_ScopingMixin, admin.ModelAdmin):
    """Base ModelAdmin of every store-owned model (see the module docstring).

    Subclasses set ``write_capability`` and the usual list options. ``store_path`` is the
    lookup from the model to its store id field's relation (``store`` for StoreOwned rows).
    """

    store_path: str = "store"
    #: What reading the rows needs (the audit log: MANAGE_STAFF, store admins only).
    read_capability: Capability = Capability.VIEW
    show_full_result_count = False  # one COUNT(*) per changelist, not two

    # --- reading -------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = super().get_queryset(request)
        return _filter_by_store(
            queryset, store_ids_with(request, self.read_capability), self.store_path
        )

    def _row_store_id(self, obj: models.Model) -> int | None:
        return obj.store_id

    def has_module_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user_may(request, self.read_capability)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        store_id = None if obj is None else self._row_store_id(obj)
        return user_may(request, self.read_capability, store_id) or self.has_change_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user_may(request, self.write_capability)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        store_id = None if obj is None else self._row_store_id(obj)
        return user_may(request, self.write_capability, store_id)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    # --- writing -------------------------------------------------------------------------

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.store_path == "store" and "store" not in readonly:
            readonly.append("store")  # a row never moves to another store
        return readonly

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        self._limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: models.Model | None = None, **kwargs: Any):
        form_class = super().get_form(request, obj, **kwargs)
        model_admin = self

        class ScopedForm(form_class):
            def clean(self) -> dict:
                cleaned = super().clean()
                model_admin.validate_scope(request, self, cleaned)
                return cleaned

        ScopedForm.__name__ = form_class.__name__
        return ScopedForm

    def form_store_id(self, form: forms.ModelForm, cleaned: dict) -> int | None:
        """The store id the row will belong to: the chosen store on add, the row's own
        store on change."""
        if "store" in cleaned and cleaned["store"] is not None:
            return cleaned["store"].pk
        return form.instance.store_id

    def validate_scope(self, request: HttpRequest, form: forms.ModelForm, cleaned: dict) -> None:
        """Raise ValidationError when the row's store is not one the user may write, or when a
        related store-owned row belongs to another store."""
        store_id = self.form_store_id(form, cleaned)
        if store_id is None:
            return  # the store field's own "required" error is already on the form
        if not user_may(request, self.write_capability, store_id):
            raise ValidationError(_("You may not write rows of this store."), code="store")
        errors = cross_store_errors(form.instance._meta.model, cleaned, store_id)
        if errors:
            raise ValidationError(errors)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """Inline rows take the parent row's store; each write is audited."""
        instances = formset.save(commit=False)
        for instance in instances:
            if _is_store_owned(type(instance)):
                instance.store_id = form.instance.store_id
            instance.save()
        formset.save_m2m()
        for instance in formset.new_objects:
            self.audit(request, instance, "create")
        for instance, fields in formset.changed_objects:
            self.audit(request, instance, "update", {"fields": fields})
        for deleted in formset.deleted_objects:
            self.audit(request, deleted, "delete")
            deleted.delete()

    # --- audit ---------------------------------------------------------------------------

    def audit_store(self, obj: models.Model) -> Store:
        return obj.store

    def audit(
        self, request: HttpRequest, obj: models.Model, verb: str, changes: dict | None = None
    ) -> None:
        """One audit entry (source "admin") for a write to ``obj``, like the services write."""
        audit_record(
            store=self.audit_store(obj),
            user=request.user,
            action=f"{obj._meta.model_name}.{verb}",
            obj=obj,
            changes=changes,
            source=AuditSource.ADMIN,
        )

    def save_model(self, request: HttpRequest, obj: models.Model, form, change: bool) -> None:
        names = list(form.changed_data)
        after = {name: form.cleaned_data.get(name) for name in names}
        if change:
            changes = field_changes({name: form.initial.get(name) for name in names}, after)
        else:
            changes = after
        super().save_model(request, obj, form, change)
        self.audit(request, obj, "update" if change else "create", changes)

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        self.audit(request, obj, "delete")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for obj in queryset:
            self.audit(request, obj, "delete")
        super().delete_queryset(request, queryset)


def cross_store_errors(
    model: type[models.Model], cleaned: dict, store_id: int, names: Iterable[str] | None = None
) -> dict[str, str]:
    """Field errors for each related store-owned row in ``cleaned`` of a store other than
    ``store_id``."""
    errors = {}
    for field in model._meta.get_fields():
        if names is not None and field.name not in names:
            continue
        if not (field.many_to_one and field.concrete) or field.name == "store":
            continue
        value = cleaned.get(field.name)
        if value is None or not _is_store_owned(field.related_model):
            continue
        if value.store_id != store_id:
            errors[field.name] = _("%(object)s belongs to another store.") % {"object": value}
    return errors


class _ScopedInlineFormSet(forms.BaseInlineFormSet):
    """Checks every inline row's related rows against the parent row's store."""

    def clean(self) -> None:
        super().clean()
        store_id = getattr(self.instance, "store_id", None)
        if store_id is None:
            return
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            for name, message in cross_store_errors(
                self.model, form.cleaned_data, store_id
            ).items():
                form.add_error(name, message)


class StoreScopedInline(_ScopingMixin, admin.TabularInline):
    """Inline of store-owned rows under a store-owned parent: the store field is hidden and
    taken from the parent, related choices are limited like the parent's, and writing the
    rows needs ``write_capability`` in the parent's store."""

    formset = _ScopedInlineFormSet
    exclude = ("store",)
    extra = 0

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        self._limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _parent_allows(
        self, request: HttpRequest, obj: models.Model | None, capability: Capability
    ) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return user_may(request, capability, None if obj is None else obj.store_id)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._parent_allows(request, obj, Capability.VIEW)

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._parent_allows(request, obj, self.write_capability)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._parent_allows(request, obj, self.write_capability)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._parent_allows(request, obj, self.write_capability)


class ReadOnlyStoreAdmin(StoreScopedAdmin):
    """Scoped, view-only admin for derived tables (rollups): they are rewritten by the
    nightly jobs, so a hand edit would be silently undone or, worse, disagree with the facts."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
