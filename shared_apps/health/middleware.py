from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from shared_apps.health.checks import run_checks


class HealthCheckMiddleware:
    """Answer /healthz and /readyz on any host, before host validation and tenant routing.

    Probes come with whatever Host the orchestrator uses (often a pod IP), so these must not
    depend on ALLOWED_HOSTS or on a tenant existing. /healthz does no I/O at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            healthy, checks = run_checks()
            return JsonResponse(
                {"status": "ok" if healthy else "unavailable", "checks": checks},
                status=200 if healthy else 503,
            )
        return self.get_response(request)
