"""Each workspace's API budget: requests a minute from its plan, shared by its sessions and
keys (DRF throttle)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, cast

from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from billing.entitlements import api_requests_per_minute
from billing.standing import standing_for
from tenants.requests import RoutedRequest

if TYPE_CHECKING:  # DRF imports this module while loading its views
    from rest_framework.views import APIView

WINDOW_SECONDS = 60


def _clock() -> float:
    """Seconds since the epoch (tests pin it to stay inside one window)."""
    return time.time()


def _count(key: str, timeout: int) -> int:
    """Add one to the counter at `key` (made on first use, gone `timeout` seconds after the
    last) and return it. On Redis: INCR and EXPIRE in one round trip. Elsewhere (local memory
    in development): the cache API."""
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):  # django-redis
        full_key = cache.make_key(key)  # with the schema, as every tenant cache key
        with client.get_client(write=True).pipeline(transaction=False) as pipe:
            pipe.incr(full_key)
            pipe.expire(full_key, timeout)
            count, _ = pipe.execute()
        return int(count)
    cache.add(key, 0, timeout=timeout)  # a no-op when the window's counter exists
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        return 1


class TenantPlanThrottle(BaseThrottle):
    """A fixed one-minute window per workspace, counted in the cache with one atomic INCR per
    request (the key carries the schema, like every tenant cache key). Requests the permission
    check refused are not counted: DRF throttles after it."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        tenant = cast(RoutedRequest, request._request).tenant
        if tenant is None:
            return True  # the apex's APIs have budgets of their own
        limit = api_requests_per_minute(tenant)
        now = _clock()
        window = int(now // WINDOW_SECONDS)
        count = _count(f"api-rate:{window}", WINDOW_SECONDS + 5)
        if count <= limit:
            return True
        wait = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise Throttled(
            wait=wait,
            detail=(
                f"This workspace has used its {limit:,} API requests for this minute "
                f"({standing_for(tenant).plan.name} plan). Try again in {wait} s, or upgrade "
                "the plan for a higher limit."
            ),
        )

    def wait(self) -> float | None:
        return None
