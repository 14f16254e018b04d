"""One error shape for every API error: ``{"detail", "code", "errors"}``.

``errors`` maps a field (dotted path for nested or batch bodies: ``3.channel``) to its
messages; it is ``{}`` when the error is not about fields. Non-field validation messages are
under ``non_field_errors``.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"a": {"b": ["x"]}, "items": [{}, {"c": ["y"]}]}`` -> ``{"a.b": ["x"], "items.1.c":
    ["y"]}``; messages at the top level of a list body go under ``non_field_errors``."""
    flat: dict[str, list[str]] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list | tuple):
        messages = [str(item) for item in data if not isinstance(item, Mapping | list | tuple)]
        if messages:
            flat.setdefault(prefix or "non_field_errors", []).extend(messages)
        for index, item in enumerate(data):
            if isinstance(item, Mapping | list | tuple) and item:
                flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    elif data is not None:
        flat.setdefault(prefix or "non_field_errors", []).append(str(data))
    return flat


def _code(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, exceptions.ErrorDetail) and detail.code:
        return str(detail.code)
    return str(exc.default_code)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, then reshaped; a ``ProtectedError`` (delete of a row still in use)
    becomes a 409 and a service's Django ``ValidationError`` a 400. Anything DRF does not
    handle propagates (a real 500)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict(_("This object is still in use and cannot be deleted."), code="protected")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(response.data)
        body = {"detail": _("Invalid input."), "code": "invalid", "errors": errors}
        first = next(iter(errors.items()), None)
        if first is not None:
            field, messages = first
            prefix = "" if field == "non_field_errors" else f"{field}: "
            body["detail"] = f"{prefix}{messages[0]}"
    else:
        detail = exc.detail
        if isinstance(detail, Mapping | list):
            errors = flatten_errors(detail)
            message = next(iter(errors.values()), [str(exc.default_detail)])[0]
        else:
            errors, message = {}, str(detail)
        body = {"detail": message, "code": _code(exc), "errors": errors}
    response.data = body
    return response


@csrf_exempt  # it writes nothing; a CSRF 403 page here would break the error shape
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Catch-all under ``/api/``: an unknown URL answers in the API's error shape."""
    return JsonResponse(
        {"detail": _("No API endpoint at this URL."), "code": "not_found", "errors": {}},
        status=status.HTTP_404_NOT_FOUND,
    )
