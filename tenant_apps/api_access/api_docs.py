"""The workspace API described: OpenAPI 3 at /api/schema/, Swagger UI at /api/docs/. Both are
for this workspace's members (the browser session) or its API keys, like the API itself."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from tenants.access import TenantAPIView, TenantView
from tenants.requests import RoutedRequest


class ApiSchemaView(TenantAPIView, SpectacularAPIView):
    """The schema of the routes this host serves (the tenant URLconf), JSON unless YAML is
    asked for (`?format=yaml` or `Accept: application/vnd.oai.openapi`)."""

    renderer_classes = [
        OpenApiJsonRenderer,
        OpenApiJsonRenderer2,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
    ]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.urlconf = cast(RoutedRequest, request._request).urlconf
        response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]
        return cast(Response, response)


class ApiDocsView(TenantView):
    """Swagger UI on the schema above, from the sidecar's static files (nothing from a CDN)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "api_access/docs.html")
