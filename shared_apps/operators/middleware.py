from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from shared_apps.operators.models import Impersonation
from shared_apps.operators.services import impersonation_end
from tenants.hosts import public_site_url
from tenants.requests import IMPERSONATION_SESSION_KEY


class ImpersonationMiddleware:
    """On a tenant host, a session that is an operator's impersonation lives only as long as
    the impersonation does: ended or expired, the session is signed out at its next request
    and the operator is sent back to the console. Active, it is on the request for the banner.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        session = getattr(request, "session", None)
        public_id = session.get(IMPERSONATION_SESSION_KEY) if session is not None else None
        if tenant is not None and public_id:
            impersonation = (
                Impersonation.objects.select_related("operator", "user", "tenant")
                .filter(public_id=public_id, tenant_id=tenant.pk)
                .first()
            )
            user_id = getattr(request.user, "pk", None)
            if (
                impersonation is None
                or not impersonation.active
                or user_id != impersonation.user_id
            ):
                if impersonation is not None:
                    impersonation_end(impersonation, request=request, why="expired")
                logout(request)
                return HttpResponseRedirect(public_site_url(request, "/operator/?ended=1"))
            request.impersonation = impersonation  # type: ignore[attr-defined]
        return self.get_response(request)


def impersonation(request: HttpRequest) -> dict[str, object]:
    """Template context: the active impersonation, for the banner."""
    return {"impersonation": getattr(request, "impersonation", None)}
