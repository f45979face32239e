"""Host -> tenant, without touching the database on the hot path.

Three levels: a dict in this process, then the un-prefixed "global" cache in Redis shared by
every process, then the database.

When a Tenant or Domain is saved or deleted, its hosts' Redis entries are replaced, after
commit, by a short-lived tombstone, and the hosts are added to a change log in Redis (a counter,
the epoch, and the hosts changed at each count). Readers only *add* to Redis, never overwrite,
so a reader that loaded the old route just before the commit cannot put it back over the
tombstone.

Each process reads the change log at most once per STRATA_ROUTING_LOCAL_TTL seconds (one round
trip, at a request's start) and drops its copies of the hosts changed since it last looked, or
all of them when the log no longer reaches back that far. Staleness is bounded by the local TTL,
and a process's copy of an unchanged host is good for up to _LOCAL_MAX_SECONDS: with thousands
of tenants a process sees each host far less often than every few seconds, and re-reading
every route from Redis would cost a round trip on almost every request. Without the log (Redis
down, or a cache that is not Redis) copies are kept for the local TTL only.

Writes that send no model signals (QuerySet.update(), raw SQL) are not in the log and are seen
when the entries expire (STRATA_ROUTING_SHARED_TTL in Redis, then _LOCAL_MAX_SECONDS here):
change tenants through their services.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save

from tenants.cache_clients import redis_client, run_script
from tenants.context import schema_context
from tenants.hosts import is_dns_name
from tenants.models import Domain, Tenant

logger = logging.getLogger(__name__)

_UNKNOWN: Final = "unknown"
_TOMBSTONE: Final = "invalidated"
# Longer than a reader can take between its database read and its cache add.
_TOMBSTONE_SECONDS: Final = 10
_KEY_VERSION: Final = "v1"
# A flood of made-up host names must not grow a worker's memory without bound.
_LOCAL_MAX_ENTRIES: Final = 20_000
# How long this process keeps a copy while the change log says its host has not changed.
_LOCAL_MAX_SECONDS: Final = 600.0
# Hosts the change log keeps: far more than change within a local TTL.
_CHANGES_KEPT: Final = 10_000

_REDIRECT_TO: Final = "__redirect_to__"
_REDIRECT_UNTIL: Final = "__redirect_until__"

# The tenant's field values by name; or a redirect (_REDIRECT_TO, _REDIRECT_UNTIL); or _UNKNOWN.
Route = dict[str, Any] | str


@dataclass(frozen=True)
class Redirect:
    """A former host of a tenant (renamed): answers 301 to `host` until `until` (epoch s)."""

    host: str
    until: float

    @property
    def active(self) -> bool:
        return time.time() < self.until


# What this process keeps per host: when it was loaded (monotonic) and for how long it may be
# trusted at most, then the tenant's field names and values in model order, ready for
# Tenant.from_db(); or a Redirect; or None for an unknown host.
_LocalRoute = tuple[float, float, tuple[list[str], list[Any]] | Redirect | None]

_local: dict[str, _LocalRoute] = {}


def _now() -> float:
    """Monotonic seconds (tests move it)."""
    return time.monotonic()


class _ChangeLog:
    """This process's view of the change log: the epoch it has caught up with, when it last
    looked, and for how long its copies may be trusted (module docstring)."""

    EPOCH: Final = "route-changes:epoch"
    HOSTS: Final = "route-changes:hosts"
    # INCR the epoch, log each host under it (member "epoch host", scored by the epoch) and
    # keep the newest ARGV[1] members. Returns the new epoch.
    PUBLISH: Final = """
local epoch = redis.call('INCR', KEYS[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[2], epoch, epoch .. ' ' .. ARGV[i])
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[1]) - 1)
return epoch
"""

    def __init__(self) -> None:
        self.epoch: int | None = None
        self.checked_at = -math.inf
        self.trusted_for = 0.0

    def publish(self, hosts: Iterable[str]) -> None:
        redis = redis_client(caches["global"])
        if redis is not None:
            keys = [self._key(self.EPOCH), self._key(self.HOSTS)]
            run_script(redis, self.PUBLISH, keys, [_CHANGES_KEPT, *sorted(hosts)])

    def catch_up(self, now: float) -> None:
        """At most once per local TTL: drop the copies of hosts changed since the last look."""
        ttl = float(settings.STRATA_ROUTING_LOCAL_TTL)
        if now - self.checked_at < ttl:
            return
        self.checked_at = now
        self.trusted_for = ttl
        redis = redis_client(caches["global"])
        if redis is None:
            return
        try:
            with redis.pipeline(transaction=False) as pipe:
                pipe.get(self._key(self.EPOCH))
                pipe.zrange(self._key(self.HOSTS), 0, 0, withscores=True)
                since = "+inf" if self.epoch is None else f"({self.epoch}"  # none: all go
                pipe.zrangebyscore(self._key(self.HOSTS), since, "+inf")
                raw_epoch, oldest, changed = pipe.execute()
        except Exception:  # Redis down: copies are good for the local TTL, as routes degrade
            logger.warning("routing change log unavailable; keeping routes for %ss", ttl)
            self.epoch = None
            return
        epoch = int(raw_epoch or 0)
        logged_from = int(oldest[0][1]) if oldest else epoch + 1
        if self.epoch is None or epoch < self.epoch or logged_from > self.epoch + 1:
            _local.clear()  # first look, a Redis that lost its log, or changes trimmed away
        else:
            for member in changed:
                _local.pop(member.decode().partition(" ")[2], None)
        self.epoch = epoch
        self.trusted_for = _LOCAL_MAX_SECONDS

    def forget(self) -> None:
        self.epoch = None
        self.checked_at = -math.inf

    @staticmethod
    def _key(name: str) -> str:
        return str(caches["global"].make_key(name))


_changes = _ChangeLog()


def _cache_key(host: str) -> str:
    return f"route:{_KEY_VERSION}:{host}"


def _load(host: str) -> Route:
    """The route for `host` from the database (public schema): only verified hosts route."""
    fields = [field.attname for field in Tenant._meta.concrete_fields]
    with schema_context("public"):
        row = (
            Tenant.objects.filter(
                domains__domain=host,
                domains__verified_at__isnull=False,
                domains__redirect_until__isnull=True,
            )
            .values(*fields)
            .first()
        )
        if row is not None:
            return dict(row)
        former = (
            Domain.objects.filter(domain=host, redirect_until__isnull=False)
            .values("tenant_id", "redirect_until")
            .first()
        )
        if former is None:
            return _UNKNOWN
        primary = (
            Domain.objects.filter(tenant_id=former["tenant_id"], is_primary=True)
            .values_list("domain", flat=True)
            .first()
        )
    until = former["redirect_until"]
    if primary is None or until is None:
        return _UNKNOWN
    return {_REDIRECT_TO: primary, _REDIRECT_UNTIL: until.timestamp()}


def _from_shared_cache(host: str) -> Route | None:
    try:
        value: Route | None = caches["global"].get(_cache_key(host))
    except Exception:  # Redis down: routing degrades to the database, it does not fail.
        logger.warning("routing cache unavailable, reading %s from the database", host)
        return None
    return None if value == _TOMBSTONE else value


def _add_to_shared_cache(host: str, value: Route) -> None:
    timeout = (
        settings.STRATA_ROUTING_UNKNOWN_TTL
        if value == _UNKNOWN
        else settings.STRATA_ROUTING_SHARED_TTL
    )
    try:
        caches["global"].add(_cache_key(host), value, timeout=timeout)
    except Exception:
        logger.warning("routing cache unavailable, not caching %s", host)


def _fields_of(route: Route) -> tuple[list[str], list[Any]] | Redirect | None:
    if isinstance(route, str):
        return None
    if _REDIRECT_TO in route:
        return Redirect(host=str(route[_REDIRECT_TO]), until=float(route[_REDIRECT_UNTIL]))
    # By name, in the model's field order: an entry written by another version of this code
    # (a field more or less) still lands in the right fields; missing ones load on access.
    names = [f.attname for f in Tenant._meta.concrete_fields if f.attname in route]
    return names, [route[name] for name in names]


def _fetch(host: str) -> tuple[list[str], list[Any]] | Redirect | None:
    """Redis, else the database."""
    if not is_dns_name(host):  # a made-up name must cost no cache entry and no query
        return None
    route = _from_shared_cache(host)
    if route is None:
        route = _load(host)
        _add_to_shared_cache(host, route)
    return _fields_of(route)


def resolve(host: str) -> Tenant | Redirect | None:
    """The tenant `host` belongs to, a Redirect for a former host, or None. `host` is
    lower-case without a port."""
    now = _now()
    _changes.catch_up(now)
    entry = _local.get(host)
    if entry is None or now - entry[0] >= min(entry[1], _changes.trusted_for):
        if len(_local) >= _LOCAL_MAX_ENTRIES:
            _local.clear()
        looked_at = _changes.checked_at
        fields = _fetch(host)
        # Another thread's look at the change log during the fetch may have dropped this host
        # before it is stored here: such a copy is trusted for the local TTL only.
        trusted = (
            _LOCAL_MAX_SECONDS
            if _changes.checked_at == looked_at
            else float(settings.STRATA_ROUTING_LOCAL_TTL)
        )
        entry = _local[host] = (now, trusted, fields)
    fields = entry[2]
    if fields is None or isinstance(fields, Redirect):
        return fields
    # A fresh instance per request: nothing a view does to it can leak into the next request.
    return Tenant.from_db(DEFAULT_DB_ALIAS, *fields)


def invalidate_hosts(hosts: Iterable[str]) -> None:
    """Forget the routes for `hosts` here and in Redis, and log them as changed: other
    processes follow within the local TTL."""
    names = {host.lower() for host in hosts if host}
    if not names:
        return
    for name in names:
        _local.pop(name, None)
    try:
        caches["global"].set_many(
            {_cache_key(name): _TOMBSTONE for name in names}, timeout=_TOMBSTONE_SECONDS
        )
        _changes.publish(names)
    except Exception:
        logger.exception(
            "could not invalidate routes for %s; they may be served for up to %ss",
            sorted(names),
            settings.STRATA_ROUTING_SHARED_TTL,
        )


def clear_local() -> None:
    """Drop this process's copies (tests and benchmarks use it to force a Redis read)."""
    _local.clear()
    _changes.forget()


# Invalidation hangs on model signals rather than on each service so that every save() or
# delete() of a Tenant or Domain (a service, the shell, the admin) invalidates without having to
# remember to. robust=True: a failed invalidation is logged; it must not fail the caller's work.


def _tenant_changed(sender: type[Tenant], instance: Tenant, **kwargs: Any) -> None:
    tenant_id = instance.pk

    def invalidate() -> None:
        invalidate_hosts(
            Domain.objects.filter(tenant_id=tenant_id).values_list("domain", flat=True)
        )

    transaction.on_commit(invalidate, robust=True)


def _domain_changed(sender: type[Domain], instance: Domain, **kwargs: Any) -> None:
    # The host it had when loaded too: a renamed domain must stop answering on its old host.
    hosts = [instance.domain, instance.loaded_host or ""]
    instance.loaded_host = instance.domain
    transaction.on_commit(lambda: invalidate_hosts(hosts), robust=True)


def connect_invalidation_signals() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_tenant_changed, sender=Tenant, dispatch_uid=f"routing-tenant-{name}")
        signal.connect(_domain_changed, sender=Domain, dispatch_uid=f"routing-domain-{name}")
