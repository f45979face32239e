"""How many seats a tenant may fill: a hook that billing fills in.

Members and pending invitations both take a seat. settings.STRATA_SEAT_LIMIT_HOOK names a
function that raises SeatLimitError when a tenant would go over its plan's seats; until
billing provides one, there is no limit.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from tenants.models import Tenant


class SeatLimitError(Exception):
    """Raised with a message that names the limit and how to raise it."""


def no_seat_limit(*, tenant: Tenant, seats_after: int) -> None:
    return None


def check_seats(*, tenant: Tenant, seats_after: int) -> None:
    """Raise SeatLimitError if `tenant` may not have `seats_after` seats taken."""
    hook = import_string(settings.STRATA_SEAT_LIMIT_HOOK)
    hook(tenant=tenant, seats_after=seats_after)
