"""Each workspace's API budget: requests a minute from its plan, shared by its sessions and
keys (DRF throttle).

A workspace past its budget is remembered in the process until its window ends, so that its
later requests are refused before their credentials are looked up (TenantAPIView asks
`refuse_if_spent` first): a client far past its limit costs the server little more than the
429 itself, which is what keeps it from slowing its neighbours.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, cast

from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from billing.entitlements import api_requests_per_minute
from billing.standing import standing_for
from tenants.models import Tenant
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


class SpentBudgets:
    """The workspaces this process has refused in the current window, with the count the cache
    gave it then. A fixed window's count only grows until the window ends, so while the plan's
    limit is below a remembered count the cache would refuse the workspace too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (window, {tenant id: count}), replaced whole when a new window starts: readers take
        # one reference without the lock and never see a half-made change.
        self._state: tuple[int, dict[int, int]] = (-1, {})

    def remember(self, tenant_id: int, window: int, count: int) -> None:
        with self._lock:
            current, counts = self._state
            if window < current:
                return  # a request that read the clock before another started a new window
            if window > current:
                counts = {}
                self._state = (window, counts)
            counts[tenant_id] = max(count, counts.get(tenant_id, 0))

    def count(self, tenant_id: int, window: int) -> int | None:
        current, counts = self._state
        return counts.get(tenant_id) if current == window else None

    def forget(self) -> None:
        with self._lock:
            self._state = (-1, {})


spent_budgets = SpentBudgets()


def _refusal(tenant: Tenant, limit: int, now: float, window: int) -> Throttled:
    wait = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return Throttled(
        wait=wait,
        detail=(
            f"This workspace has used its {limit:,} API requests for this minute "
            f"({standing_for(tenant).plan.name} plan). Try again in {wait} s, or upgrade "
            "the plan for a higher limit."
        ),
    )


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
        spent_budgets.remember(tenant.pk, window, count)
        raise _refusal(tenant, limit, now, window)

    def refuse_if_spent(self, request: Request) -> None:
        """Throttled, before authentication, for a workspace this process has seen past its
        budget in the current window; nothing to a workspace it has not. Such a request is
        not counted (it neither spends nor needs budget) and reads no database: one cache read
        for the plan's limit, so that a plan raised since counts at once."""
        tenant = cast(RoutedRequest, request._request).tenant
        if tenant is None:
            return
        now = _clock()
        window = int(now // WINDOW_SECONDS)
        seen = spent_budgets.count(tenant.pk, window)
        if seen is None:
            return
        limit = api_requests_per_minute(tenant)
        if seen > limit:
            raise _refusal(tenant, limit, now, window)

    def wait(self) -> float | None:
        return None
