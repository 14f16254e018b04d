"""Report endpoints: a runner's result rendered as JSON, CSV or XLSX.

A report action builds its runner's query from validated query parameters, runs it, and hands
``report_response`` the JSON body and the same numbers as tables. ``?format=csv`` (or
``Accept: text/csv``) answers one table (``?table=`` picks it, the first by default) as UTF-8
CSV with a BOM and formula-like cells escaped; ``?format=xlsx`` (or the XLSX media type in
``Accept``) answers a workbook with one sheet per table. Errors are always JSON in the API's
error shape, whatever format was asked.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.exports import XLSX_TYPE

from .renderers import CsvRenderer, XlsxRenderer
from .schema import ErrorSerializer

FORMATS = ["json", "csv", "xlsx"]
#: Longest range one report request may ask for.
MAX_RANGE_DAYS = 731


@dataclass(frozen=True)
class Table:
    """One table of a report: the CSV body, or one sheet of the XLSX workbook."""

    name: str
    header: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)


def iso(value: datetime.datetime | None, zone) -> str | None:
    """An aware datetime as ISO 8601 in the store's time zone (for table cells)."""
    return None if value is None else value.astimezone(zone).isoformat()


#: Report days outside these are refused (a 400), not computed.
EARLIEST_DAY = datetime.date(2000, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)


class ReportDateField(serializers.DateField):
    """A store-local day, YYYY-MM-DD, from 2000-01-01 to 2099-12-31."""

    default_error_messages = {
        "out_of_range": gettext_lazy("Give a day from {earliest} to {latest}.")
    }

    def to_internal_value(self, value) -> datetime.date:
        day = super().to_internal_value(value)
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            self.fail("out_of_range", earliest=EARLIEST_DAY, latest=LATEST_DAY)
        return day


class DateRangeQuerySerializer(serializers.Serializer):
    """``start`` and ``end`` (inclusive store-local days), in order, at most two years."""

    start = ReportDateField(help_text="First store-local day, YYYY-MM-DD.")
    end = ReportDateField(help_text="Last store-local day (inclusive), YYYY-MM-DD.")

    MAX_DAYS = MAX_RANGE_DAYS

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("end is before start.")]})
        if (attrs["end"] - attrs["start"]).days >= self.MAX_DAYS:
            raise serializers.ValidationError(
                {"end": [_("The range may cover at most %(days)d days.") % {"days": self.MAX_DAYS}]}
            )
        return attrs


def validated(serializer_class: type[serializers.Serializer], request: Request, **context) -> dict:
    """The request's query parameters validated by ``serializer_class`` (a 400 naming each
    bad parameter otherwise)."""
    params = serializer_class(data=request.query_params, context=context)
    params.is_valid(raise_exception=True)
    return params.validated_data


class ErrorsAsJsonMixin:
    """For views with non-JSON renderers: a ``format`` no renderer serves is a 400 naming
    ``format``, and error responses are always JSON in the API's error shape."""

    def perform_content_negotiation(self, request: Request, force: bool = False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404 as error:
            formats = ", ".join(renderer.format for renderer in self.get_renderers())
            raise exceptions.ValidationError(
                {"format": [_("Choose format %(formats)s.") % {"formats": formats}]}
            ) from error

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            # Errors are always JSON in the API's error shape, whatever format was asked.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


#: The renderers of a report: JSON, CSV and XLSX (``@action(renderer_classes=...)`` of a report
#: action on a viewset that also serves resources).
REPORT_RENDERERS = [JSONRenderer, CsvRenderer, XlsxRenderer]


class ReportResponseMixin(ErrorsAsJsonMixin):
    """``report_response`` for report actions on any viewset; the action sets
    ``renderer_classes=REPORT_RENDERERS``."""

    def report_response(
        self,
        request: Request,
        *,
        filename: str,
        body: Callable[[], Any],
        tables: Callable[[], list[Table]],
    ) -> Response:
        """``report_response`` for this view's request."""
        return report_response(request, filename=filename, body=body, tables=tables)


def _check_table(name: str, names: list[str]) -> None:
    if name not in names:
        raise exceptions.ValidationError(
            {"table": [_("Choose one of: %(names)s.") % {"names": ", ".join(names)}]}
        )


def report_response(
    request: Request,
    *,
    filename: str,
    body: Callable[[], Any],
    tables: Callable[[], list[Table]],
) -> Response:
    """JSON ``body()``; or the ``tables()`` as CSV (the one ``?table=`` names) or XLSX, as
    the request's negotiated renderer says. ``filename`` has no extension. The view needs the
    JSON, CSV and XLSX renderers and ``ErrorsAsJsonMixin``."""
    table_name = request.query_params.get("table")
    fmt = request.accepted_renderer.format
    if fmt == "json":
        if table_name:
            _check_table(table_name, [t.name for t in tables()])
        return Response(body())
    all_tables = tables()
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "csv":
        chosen = all_tables[0]
        if table_name:
            _check_table(table_name, [t.name for t in all_tables])
            chosen = next(t for t in all_tables if t.name == table_name)
        return Response({"header": chosen.header, "rows": chosen.rows}, headers=disposition)
    data = {"tables": [{"name": t.name, "header": t.header, "rows": t.rows} for t in all_tables]}
    return Response(data, headers=disposition)


#: The renderers of a report action (JSON first: the default).
REPORT_RENDERERS = [JSONRenderer, CsvRenderer, XlsxRenderer]


class ReportRenderingMixin(ReportResponseMixin):
    """For report viewsets: JSON, CSV and XLSX renderers, a bad ``format`` is a 400 naming it,
    errors stay JSON, no filters or pagination."""

    renderer_classes = REPORT_RENDERERS
    filter_backends: list = []
    pagination_class = None


def report_schema(
    serializer: Any,
    *,
    tables: Sequence[str],
    parameters: Sequence[Any] = (),
    summary: str | None = None,
):
    """``extend_schema`` of a report action: its query parameters, ``format`` and ``table``,
    and its JSON, CSV and XLSX answers."""
    return extend_schema(
        summary=summary,
        parameters=[
            *parameters,
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=FORMATS,
                description="json (default), csv (one table, UTF-8 with BOM) or xlsx (one "
                "sheet per table). The Accept header works too.",
            ),
            OpenApiParameter(
                "table",
                OpenApiTypes.STR,
                enum=list(tables),
                description=f"The table a CSV answer holds (default {tables[0]}); an XLSX "
                "answer has a sheet for each.",
            ),
        ],
        responses={
            (200, "application/json"): serializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One table."),
            (200, XLSX_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="A workbook, one sheet per table."
            ),
            **{(code, "application/json"): ErrorSerializer for code in (400, 401, 403, 404, 429)},
        },
    )
