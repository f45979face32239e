"""Typed views of a request after routing and after the tenant access checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from tenants.models import Membership, Tenant


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
