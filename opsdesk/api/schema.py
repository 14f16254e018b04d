"""OpenAPI generation details: tags per resource and the shared error responses.

Every operation documents the error shape (``Error``) for the statuses it can answer, so
clients and schemathesis can rely on it.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(
        help_text="Stable machine-readable code: invalid, not_authenticated, "
        "authentication_failed, permission_denied, not_found, method_not_allowed, "
        "payload_too_large, throttled, protected..."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (dotted path for nested and batch bodies); empty when "
        "the error is not about fields.",
    )


ERROR = {
    "400": "Invalid body or query parameter; `errors` names each one.",
    "401": "No credentials, or an invalid, expired or revoked token.",
    "403": "Your role in this store does not allow this.",
    "404": "No such object in this store, or no such store for you.",
    "409": "The object is still in use.",
    "413": "Batch larger than the maximum.",
    "429": "Too many requests; retry after `Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    """Tags by resource (``/stores/{slug}/skus/`` -> ``skus``) and error responses."""

    #: Extra error statuses by HTTP method, on top of 401, 403, 404 and 429.
    extra_errors = {"POST": ["400"], "PUT": ["400"], "PATCH": ["400"], "DELETE": ["409"]}

    #: Descriptions of the path parameters every route shares.
    path_parameter_descriptions = {
        "store_slug": "Slug of one of your stores (GET /api/v1/stores/ lists them).",
        "campaign_pk": "Id of a campaign of the store.",
    }

    def _resolve_path_parameters(self, variables) -> list[dict]:
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if not parameter.get("description"):
                parameter["description"] = self.path_parameter_descriptions.get(
                    parameter["name"], "Id of the object."
                )
        return parameters

    def get_tags(self) -> list[str]:
        tokens = self._tokenize_path()
        if len(tokens) > 1 and tokens[0] == "stores":
            return [tokens[1]]
        return tokens[:1]

    def _get_response_bodies(self, direction="response") -> dict:
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "404", "429", *self.extra_errors.get(self.method, [])]
        if self.method == "GET" and self._is_list_view():
            codes.append("400")  # bad filter, ordering or page parameters
        codes.extend(getattr(self.view, "schema_extra_errors", {}).get(self.method, []))
        for code in sorted(set(codes)):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR[code]), code
                )
        return responses
