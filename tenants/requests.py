"""Typed views of a request after routing and after the tenant access checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from tenants.models import Membership, Tenant


class RoutedRequest(HttpRequest):
    """Any request once TenantRoutingMiddleware ran; `tenant` is None on the public site."""

    tenant: Tenant | None
    urlconf: str


class TenantRequest(HttpRequest):
    """A request that passed TenantView's checks: a signed-in member of this tenant."""

    tenant: Tenant
    membership: Membership
