"""Read-only workspaces: a workspace whose grace period ran out, or whose subscription ended,
keeps its reads and loses its writes until someone pays.

Applied to every view of the product (modules under tenant_apps) by method, so a new view is
covered without doing anything; a view that only reads or hands data out (the export) says so
with `allowed_when_read_only = True`. Account pages (sign-in, sign-out) and billing's own pages
are not product views, so they keep working: the way back is paying.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from billing.entitlements import billing_page_path
from billing.standing import read_once_per_request, standing_for
from tenants.access import view_class_of
from tenants.models import Tenant

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
GATED_MODULES = ("tenant_apps.",)
READ_ONLY_CODE = "billing_read_only"


def read_only_message(state: str) -> str:
    if state == "canceled":
        why = "Its subscription has ended"
    else:
        why = "A payment is overdue and the grace period is over"
    return (
        f"This workspace is read-only. {why}; an owner can restore it at once by paying on "
        "the billing page (Settings → Billing)."
    )


class ReadOnlyWorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with read_once_per_request():
            return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        tenant: Tenant | None = getattr(request, "tenant", None)
        if tenant is None or request.method in SAFE_METHODS:
            return None
        if not view_func.__module__.startswith(GATED_MODULES):
            return None
        if getattr(view_class_of(view_func), "allowed_when_read_only", False):
            return None
        standing = standing_for(tenant)
        if standing.writable:
            return None
        message = read_only_message(standing.state)
        upgrade_url = request.build_absolute_uri(billing_page_path())
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": message, "code": READ_ONLY_CODE, "upgrade_url": upgrade_url},
                status=402,
            )
        return render(
            request,
            "billing/read_only.html",
            {"message": message, "upgrade_url": upgrade_url, "standing": standing},
            status=402,
        )
