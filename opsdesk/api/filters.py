"""Query-parameter filtering and ordering with strict validation.

A bad value (an unknown channel, a malformed date, a reversed range, an ordering key that is
not whitelisted) is a 400 naming the parameter, never ignored silently and never a 500.
"""

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from opsdesk.models import Store


class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number that fits a bigint (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class RangeCheckedForm(forms.Form):
    """Rejects ``<x>_from`` later than ``<x>_to`` (the error goes on ``<x>_to``)."""

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, start in list(cleaned.items()):
            if not name.endswith("_from") or start is None:
                continue
            end_name = name.removesuffix("_from") + "_to"
            end = cleaned.get(end_name)
            if end is not None and end < start:
                self.add_error(
                    end_name, _("%(end)s is before %(start)s.") % {"end": end_name, "start": name}
                )
        return cleaned


class StoreFilterSet(django_filters.FilterSet):
    """A FilterSet that knows the store (for store-local date ranges)."""

    def __init__(self, *args, store: Store | None = None, **kwargs) -> None:
        self.store = store
        super().__init__(*args, **kwargs)

    class Meta:
        form = RangeCheckedForm

    def local_day_start(self, day: datetime.date) -> datetime.datetime:
        """The aware instant the store-local ``day`` starts."""
        zone = self.store.zone if self.store is not None else datetime.UTC
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)

    def filter_local_from(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        """``name`` (a datetime field) on or after the start of store-local day ``value``."""
        return queryset.filter(**{f"{name}__gte": self.local_day_start(value)})

    def filter_local_to(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        """``name`` (a datetime field) before the end of store-local day ``value``."""
        end = self.local_day_start(value + datetime.timedelta(days=1))
        return queryset.filter(**{f"{name}__lt": end})


class StoreFilterBackend(DjangoFilterBackend):
    """django-filter backend that hands the view's store to the FilterSet; invalid
    parameters raise a ValidationError keyed by parameter name (400)."""

    def get_filterset_kwargs(self, request: Request, queryset: QuerySet, view) -> dict:
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and issubclass(filterset_class, StoreFilterSet):
            kwargs["store"] = getattr(view, "store", None)
        return kwargs


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=a,-b`` over the view's ``ordering_fields`` whitelist; any other key is a 400
    naming ``ordering``. The view's ``ordering`` is the default; ``pk`` always breaks ties so
    pages are stable."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        invalid = [term for term in fields if term.lstrip("-") not in valid]
        if invalid:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        _("Unknown ordering %(terms)s; choose from %(valid)s.")
                        % {"terms": ", ".join(invalid), "valid": ", ".join(sorted(valid))}
                    ]
                }
            )
        return list(fields)

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            return queryset.order_by(*ordering, "pk")
        return queryset
