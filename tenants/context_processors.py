from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.hosts import public_site_url
from tenants.roles import ROLE_PERMISSIONS


def tenancy(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        # What the member's role allows, for showing only the links they can use.
        "current_permissions": ROLE_PERMISSIONS.get(membership.role, frozenset())
        if membership is not None
        else frozenset(),
        "public_site_url": public_site_url(request),
    }
