"""How drf-spectacular describes API-key authentication (imported by the app's ready())."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "tenant_apps.api_access.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API key of this workspace (Settings → API keys): "
                "`Authorization: Bearer strata_<prefix>_<secret>`. Read keys may use GET; "
                "read-and-write keys may also create, change and delete."
            ),
        }


_ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in words."},
        "code": {"type": "string"},
        "upgrade_url": {"type": "string", "description": "For 402: the billing page."},
        "limit": {"type": "string", "description": "For 402: the limit or feature."},
    },
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "Field name → messages; `non_field_errors` for the input as a whole, "
    "`detail` when the body could not be read at all.",
    "additionalProperties": {},
}
_ANSWERS = {
    "401": "No credentials, or an API key that is malformed, unknown here, revoked or expired.",
    "403": "Not a member of this workspace, or the role or key scope does not allow it.",
    "402": "The workspace's plan does not allow it (a limit or a feature; `code` is "
    "`plan_limit` or `plan_feature`), or the workspace is read-only for billing "
    "(`billing_read_only`); `upgrade_url` is the billing page.",
    "404": "No such object in this workspace (or no such page of a list).",
    "429": "The workspace is sending requests faster than its plan allows; see Retry-After.",
}


def document_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error answers every operation can give, so
    that a generated client (and schemathesis) knows them, and that an empty query parameter
    counts as not given. Bodies and query strings can be
    refused with field errors (400); a body in a type the operation does not read with 415."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = _ERROR
    components["FieldErrors"] = _FIELD_ERRORS
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    fields = {"application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _ANSWERS.items():
                responses.setdefault(status, {"description": description, "content": error})
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            for parameter in query:
                # Filters, search, ordering and paging all read `?x=` as "not given".
                if not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
            takes_query = bool(query)
            if "requestBody" in operation or takes_query:
                responses.setdefault(
                    "400", {"description": "The input was refused.", "content": fields}
                )
            if "requestBody" in operation:
                responses.setdefault(
                    "415", {"description": "A body of a type it does not read.", "content": error}
                )
    return result
