"""Host -> tenant, without touching the database on the hot path.

Three levels: a dict in this process (entries trusted for STRATA_ROUTING_LOCAL_TTL seconds),
then the un-prefixed "global" cache in Redis shared by every process, then the database. When a
Tenant or Domain changes, the Redis entries for its hosts are deleted after commit, so every
process sees the change once its own copy expires: staleness is bounded by the local TTL.

A reader that loaded a route just before a writer committed can put the old route back in Redis
after the writer deleted it; STRATA_ROUTING_SHARED_TTL bounds that rare window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, Final

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save

from tenants.models import Domain, Tenant

logger = logging.getLogger(__name__)

_UNKNOWN: Final = "unknown"
_KEY_VERSION: Final = "v1"
# A flood of made-up host names must not grow a worker's memory without bound.
_LOCAL_MAX_ENTRIES: Final = 20_000

# host -> (monotonic expiry, tenant field values or _UNKNOWN)
_local: dict[str, tuple[float, dict[str, Any] | str]] = {}


def _cache_key(host: str) -> str:
    return f"route:{_KEY_VERSION}:{host}"


def _tenant_fields() -> list[str]:
    return [field.attname for field in Tenant._meta.concrete_fields]


def _load(host: str) -> dict[str, Any] | str:
    """The route for `host` from the database. The connection must be on the public schema."""
    row = Tenant.objects.filter(domains__domain=host).values(*_tenant_fields()).first()
    return _UNKNOWN if row is None else row


def _from_shared_cache(host: str) -> dict[str, Any] | str | None:
    try:
        value: dict[str, Any] | str | None = caches["global"].get(_cache_key(host))
    except Exception:  # Redis down: routing degrades to the database, it does not fail.
        logger.warning("routing cache unavailable, reading %s from the database", host)
        return None
    return value


def _to_shared_cache(host: str, value: dict[str, Any] | str) -> None:
    timeout = (
        settings.STRATA_ROUTING_UNKNOWN_TTL
        if value == _UNKNOWN
        else settings.STRATA_ROUTING_SHARED_TTL
    )
    try:
        caches["global"].set(_cache_key(host), value, timeout=timeout)
    except Exception:
        logger.warning("routing cache unavailable, not caching %s", host)


def resolve(host: str) -> Tenant | None:
    """The tenant `host` belongs to, or None. `host` is lower-case without a port."""
    now = time.monotonic()
    entry = _local.get(host)
    if entry is not None and entry[0] > now:
        value = entry[1]
    else:
        cached = _from_shared_cache(host)
        if cached is None:
            value = _load(host)
            _to_shared_cache(host, value)
        else:
            value = cached
        if len(_local) >= _LOCAL_MAX_ENTRIES:
            _local.clear()
        _local[host] = (now + settings.STRATA_ROUTING_LOCAL_TTL, value)
    if isinstance(value, str):
        return None
    # A fresh instance per request: nothing a view does to it can leak into the next request.
    return Tenant.from_db(DEFAULT_DB_ALIAS, list(value), list(value.values()))


def invalidate_hosts(hosts: Iterable[str]) -> None:
    """Forget the routes for `hosts` here and in Redis; other processes follow within the TTL."""
    names = {host.lower() for host in hosts if host}
    if not names:
        return
    for name in names:
        _local.pop(name, None)
    try:
        caches["global"].delete_many([_cache_key(name) for name in names])
    except Exception:
        logger.exception("could not invalidate routes for %s", sorted(names))


def clear_local() -> None:
    """Drop this process's copies (tests and benchmarks use it to force a Redis read)."""
    _local.clear()


# Invalidation hangs on model signals rather than on each service so that no write path (a
# service, the shell, a data migration) can change routing and forget to say so.


def _tenant_changed(sender: type[Tenant], instance: Tenant, **kwargs: Any) -> None:
    tenant_id = instance.pk

    def invalidate() -> None:
        invalidate_hosts(
            Domain.objects.filter(tenant_id=tenant_id).values_list("domain", flat=True)
        )

    transaction.on_commit(invalidate)


def _domain_changed(sender: type[Domain], instance: Domain, **kwargs: Any) -> None:
    hosts = [instance.domain, instance.loaded_host or ""]
    instance.loaded_host = instance.domain
    transaction.on_commit(lambda: invalidate_hosts(hosts))


def connect_invalidation_signals() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_tenant_changed, sender=Tenant, dispatch_uid=f"routing-tenant-{name}")
        signal.connect(_domain_changed, sender=Domain, dispatch_uid=f"routing-domain-{name}")
