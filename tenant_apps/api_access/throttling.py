"""Each workspace's API budget: a rate of requests a minute from its plan, shared by its
sessions and keys, with room for a burst (DRF throttle).

The budget is a token bucket kept as one number per workspace: the time at which its bucket
will be full again (GCRA, the generic cell rate algorithm). Each request moves that time one
interval (a minute divided by the rate) later; a request that would move it more than a burst
ahead of now is refused, with Retry-After saying when the next one fits. A client gets its rate
evenly: up to `burst` requests at once after a quiet spell, then one per interval. A fixed
one-minute window would let it spend the whole minute's budget in its first seconds, every
minute, on the same servers as every other workspace.

A workspace refused is remembered in the process, so that its later requests are refused
before their credentials are looked up (TenantAPIView asks `refuse_if_spent` first) for as long
as the cache would refuse them too: a client far past its rate costs the server little more
than the 429 itself, which is what keeps it from slowing its neighbours.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from billing.entitlements import api_requests_per_minute
from billing.standing import standing_for
from tenants.availability import REDIS_ERRORS
from tenants.cache_clients import redis_client, run_script
from tenants.models import Tenant
from tenants.requests import RoutedRequest

if TYPE_CHECKING:  # DRF imports this module while loading its views
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

MINUTE_US = 60_000_000
# How much of its rate a workspace may send at once: ten seconds' worth (Pro: 100 of its 600 a
# minute). Enough for a page of a client's parallel requests, short of a minute's flood.
BURST_SECONDS = 10
# The cache key, under the workspace's schema like every tenant cache key.
BUCKET_KEY = "api-bucket"


def _clock() -> float:
    """Seconds since the epoch (tests pin it)."""
    return time.time()


@dataclass(frozen=True)
class Budget:
    """A rate in requests a minute, as GCRA's two lengths of time, in microseconds."""

    limit: int

    @property
    def burst(self) -> int:
        return max(1, math.ceil(self.limit * BURST_SECONDS / 60))

    @property
    def interval(self) -> int:
        """The time one request takes out of the bucket."""
        return max(1, round(MINUTE_US / self.limit))

    @property
    def tolerance(self) -> int:
        """How far ahead of now the bucket may run and still take a request."""
        return self.interval * (self.burst - 1)


@dataclass(frozen=True)
class Bucket:
    """What the cache holds for a workspace: when its bucket is full again (`full_at`, µs since
    the epoch) and the interval that time was counted in."""

    full_at: int
    interval: int

    def encode(self) -> str:
        return f"{self.full_at}:{self.interval}"

    @classmethod
    def decode(cls, raw: object) -> Bucket | None:
        text = raw.decode() if isinstance(raw, bytes) else raw
        if not isinstance(text, str):
            return None
        full_at, _, interval = text.partition(":")
        try:
            return cls(int(full_at), int(interval))
        except ValueError:
            return None  # not ours (a key left by an older version): a full bucket

    def ahead(self, now: int, interval: int) -> int:
        """How far the bucket runs ahead of `now`, in the given interval: the requests it holds
        stay the same when a plan changes the rate, so an upgrade takes effect at once."""
        if self.full_at <= now:
            return 0
        return (self.full_at - now) * interval // self.interval


def admit(bucket: Bucket | None, now: int, budget: Budget) -> tuple[bool, Bucket]:
    """One request against the bucket: whether it is taken, and the bucket after it (unchanged
    when refused). `_ADMIT_LUA` is this function, run inside Redis."""
    if bucket is None:
        return True, Bucket(now + budget.interval, budget.interval)
    ahead = bucket.ahead(now, budget.interval)
    if ahead > budget.tolerance:
        return False, bucket
    return True, Bucket(now + ahead + budget.interval, budget.interval)


def retry_after(bucket: Bucket, now: int, budget: Budget) -> int:
    """Whole seconds until the bucket takes a request again (at least 1)."""
    wait_us = bucket.ahead(now, budget.interval) - budget.tolerance
    return max(1, math.ceil(wait_us / 1_000_000))


# KEYS[1] the bucket; ARGV now, interval, tolerance (µs). Returns {taken (1/0), the bucket
# after it}. The bucket expires when it is full again: nothing is kept for a workspace that is
# within its rate.
_ADMIT_LUA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local ahead = 0
local raw = redis.call('GET', KEYS[1])
if raw then
  local full_at, counted_in = string.match(raw, '^(%d+):(%d+)$')
  if full_at and tonumber(full_at) > now then
    ahead = math.floor((tonumber(full_at) - now) * interval / tonumber(counted_in))
  end
end
if ahead > tolerance then
  return {0, raw}
end
ahead = ahead + interval
local bucket = string.format('%d:%d', now + ahead, interval)
redis.call('SET', KEYS[1], bucket, 'PX', math.ceil(ahead / 1000) + 1000)
return {1, bucket}
"""
_local_lock = threading.Lock()
# Buckets kept in this process while Redis cannot be reached, by cache key.
_buckets_here: dict[str, Bucket] = {}


def _take(now: int, budget: Budget) -> tuple[bool, Bucket]:
    """Run `admit` on the workspace's bucket in the cache. On Redis: one script, atomic across
    every process. Elsewhere (local memory in development): get and set under a lock."""
    redis = redis_client(cache)
    if redis is not None:
        key = cache.make_key(BUCKET_KEY)  # with the schema, as every tenant cache key
        args = [now, budget.interval, budget.tolerance]
        try:
            taken, raw = run_script(redis, _ADMIT_LUA, [key], args)
        except REDIS_ERRORS:
            return _take_here(key, now, budget)
        bucket = Bucket.decode(raw)
        if bucket is None:
            raise RuntimeError(f"the API budget script answered {raw!r}")
        return bool(taken), bucket
    with _local_lock:
        taken, bucket = admit(Bucket.decode(cache.get(BUCKET_KEY)), now, budget)
        if taken:
            timeout = math.ceil((bucket.full_at - now) / 1_000_000) + 1
            cache.set(BUCKET_KEY, bucket.encode(), timeout=timeout)
    return taken, bucket


def _take_here(key: str, now: int, budget: Budget) -> tuple[bool, Bucket]:
    """Redis down: the API keeps answering, each process holding the workspace to its rate on
    its own (so a workspace may get up to its rate once per process until Redis is back)."""
    logger.warning("API budget store unavailable; counting in this process")
    with _local_lock:
        if len(_buckets_here) > SpentBudgets.LIMIT:
            _buckets_here.clear()
        taken, bucket = admit(_buckets_here.get(key), now, budget)
        if taken:
            _buckets_here[key] = bucket
    return taken, bucket


class SpentBudgets:
    """The buckets of the workspaces this process has refused, as the cache held them then. A
    bucket only runs further ahead until time catches up with it, so while the one remembered
    here would refuse a request, the cache's would too."""

    # Buckets remembered before the oldest are forgotten once there are more than this.
    LIMIT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[int, Bucket] = {}

    def remember(self, tenant_id: int, bucket: Bucket, now: int) -> None:
        with self._lock:
            known = self._buckets.get(tenant_id)
            if known is None or bucket.ahead(now, known.interval) >= known.ahead(
                now, known.interval
            ):
                self._buckets[tenant_id] = bucket
            if len(self._buckets) > self.LIMIT:  # drop the buckets that are full again
                self._buckets = {t: b for t, b in self._buckets.items() if b.full_at > now}

    def bucket(self, tenant_id: int) -> Bucket | None:
        return self._buckets.get(tenant_id)

    def forget(self) -> None:
        with self._lock:
            self._buckets = {}


spent_budgets = SpentBudgets()


def _refusal(tenant: Tenant, budget: Budget, wait: int) -> Throttled:
    # DRF adds "Expected available in N seconds." (the Retry-After).
    return Throttled(
        wait=wait,
        detail=(
            f"This workspace is sending API requests faster than its plan allows: "
            f"{budget.limit:,} a minute, up to {budget.burst:,} at once "
            f"({standing_for(tenant).plan.name} plan). Slow down, or upgrade the plan for a "
            "higher limit."
        ),
    )


class TenantPlanThrottle(BaseThrottle):
    """The workspace's token bucket (module docstring). Requests the permission check refused
    are not counted: DRF throttles after it."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        tenant = cast(RoutedRequest, request._request).tenant
        if tenant is None:
            return True  # the apex's APIs have budgets of their own
        budget = Budget(api_requests_per_minute(tenant))
        now = int(_clock() * 1_000_000)
        taken, bucket = _take(now, budget)
        if taken:
            return True
        spent_budgets.remember(tenant.pk, bucket, now)
        raise _refusal(tenant, budget, retry_after(bucket, now, budget))

    def refuse_if_spent(self, request: Request) -> None:
        """Throttled, before authentication, while the bucket this process last saw refuse the
        workspace still would; nothing otherwise. Such a request is not counted (it neither
        spends nor needs budget) and reads no database: one cache read for the plan's rate, so
        that a plan raised since counts at once."""
        tenant = cast(RoutedRequest, request._request).tenant
        if tenant is None:
            return
        bucket = spent_budgets.bucket(tenant.pk)
        if bucket is None:
            return
        budget = Budget(api_requests_per_minute(tenant))
        now = int(_clock() * 1_000_000)
        if not admit(bucket, now, budget)[0]:
            raise _refusal(tenant, budget, retry_after(bucket, now, budget))

    def wait(self) -> float | None:
        return None
