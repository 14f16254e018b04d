"""Serializer building blocks shared by every app's API.

* ``StoreModelSerializer``: datetimes read and written in the store's time zone (ISO 8601 with
  the store's offset; a naive input is taken as store-local time), and a guard that every
  declared field has ``help_text`` (the schema's descriptions).
* ``ScopedPrimaryKeyRelatedField``: a related row named by id, looked up only among the
  request store's rows; another store's id is "does not exist" (400), never a leak.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework import serializers

from opsdesk.models import Store


class StoreDateTimeField(serializers.DateTimeField):
    """A datetime in the time zone of ``context["store"]`` (the server's zone without one)."""

    def default_timezone(self):
        store = self.context.get("store")
        return store.zone if store is not None else super().default_timezone()


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key of a row of the request's store (``context["store"]``).

    ``queryset`` is the unscoped model queryset; it is narrowed to the store for every
    lookup, so the choices and the validation never reach another store."""

    default_error_messages = {
        "does_not_exist": "No object with id {pk_value} in this store.",
    }

    def to_internal_value(self, data):
        # A number past bigint would overflow the database driver (a 500), not "not found".
        if isinstance(data, int) and not isinstance(data, bool) and not 0 < data < 2**63:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        store = self.context.get("store")
        if store is None:
            return queryset.none()
        return queryset.filter(store=store)


def store_of(serializer: serializers.BaseSerializer) -> Store:
    """The store a serializer works for (set by the scoped viewsets)."""
    store = serializer.context.get("store")
    if store is None:
        raise ImproperlyConfigured(f"{type(serializer).__name__} needs context['store'].")
    return store


class StoreModelSerializer(serializers.ModelSerializer):
    """Base of the store-scoped model serializers.

    Subclasses list ``Meta.fields`` explicitly, never ``store``; every field must end up with
    help text, from the model field or ``Meta.extra_kwargs`` (checked at first use).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: StoreDateTimeField,
    }
    serializer_related_field = ScopedPrimaryKeyRelatedField

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "store" in fields:
            raise ImproperlyConfigured(
                f"{type(self).__name__} exposes 'store': the store comes from the URL."
            )
        missing = [name for name, field in fields.items() if not field.help_text]
        if missing:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: fields without help_text: {', '.join(missing)}"
            )
        return fields
