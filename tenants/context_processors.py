from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.hosts import public_site_url


def tenancy(request: HttpRequest) -> dict[str, Any]:
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "public_site_url": public_site_url(request),
    }
