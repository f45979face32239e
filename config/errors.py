"""Error pages for both URLconfs: HTML for people, JSON under /api/ (where the client is a
program, and the OpenAPI schema promises JSON for every answer)."""

from __future__ import annotations

import sys
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from billing.entitlements import PlanLimitError
from tenants.availability import note_failure, unavailable_response, unreachable_service


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return _json(400, "bad_request", "The request could not be read.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return _json(403, "permission_denied", "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return _json(404, "not_found", "No such address in this API: see /api/docs/.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: an outage is a 503, not our bug.
    service = unreachable_service(sys.exc_info()[1])
    if service is not None:
        note_failure(service)
        return unavailable_response(request, service)
    if _api(request):
        return _json(500, "server_error", "Something went wrong on our side; it was logged.")
    return defaults.server_error(request)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's handler, plus 402 for what the workspace's plan does not allow: the services
    raise PlanLimitError and every API view answers it the same way."""
    from rest_framework.views import exception_handler  # DRF loads this module from its views

    if isinstance(exc, PlanLimitError):
        request = context["request"]
        return JsonResponse(
            {
                "detail": exc.message,
                "code": exc.code,
                "limit": exc.limit,
                "upgrade_url": request.build_absolute_uri(exc.upgrade_path),
            },
            status=402,
        )
    response: HttpResponse | None = exception_handler(exc, context)
    return response
