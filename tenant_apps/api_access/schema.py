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
