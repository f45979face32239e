from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from billing.standing import Standing, standing_for


def billing(request: HttpRequest) -> dict[str, Any]:
    """`billing_standing` on tenant pages (for the banner), read only if a template asks."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return {}

    def standing() -> Standing:
        return standing_for(tenant)

    return {"billing_standing": SimpleLazyObject(standing)}
