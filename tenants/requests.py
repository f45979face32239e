"""Typed views of a request after routing and after the tenant access checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from tenants.models import Membership, Tenant


# The session key that marks a tenant-host session as an operator's impersonation (its public
# id); set by the hop that starts it, enforced by shared_apps.operators' middleware.
IMPERSONATION_SESSION_KEY = "strata_impersonation"


def wants_json(request: HttpRequest) -> bool:
    """Whether an answer made before or outside the views (a 503, a refused host) is for a
    program: the APIs, or a client asking for JSON."""
    return request.path.startswith("/api/") or request.headers.get("Accept", "").startswith(
        "application/json"
    )


class RoutedRequest(HttpRequest):
    """Any request once TenantRoutingMiddleware ran; `tenant` is None on the public site.

    `tenant` is the routing cache's snapshot (up to STRATA_ROUTING_LOCAL_TTL seconds old): read
    it, never save() it. A service that changes the tenant loads the row itself.
    """

    tenant: Tenant | None
    urlconf: str


class TenantRequest(HttpRequest):
    """A request that passed TenantView's checks: a signed-in member of this tenant."""

    tenant: Tenant
    membership: Membership


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as allauth's per-IP limits see it: REMOTE_ADDR, or with
    ALLAUTH_TRUSTED_PROXY_COUNT proxies in front, the address they recorded in X-Forwarded-For.
    """
    from allauth.account.adapter import get_adapter

    if request is None:
        return None
    try:
        return str(get_adapter(request).get_client_ip(request))
    except (PermissionDenied, ImproperlyConfigured):  # no address, or fewer hops than proxies
        return None
