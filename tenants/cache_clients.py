"""The Redis client behind a cache, for what the cache API cannot say (scripts, pipelines)."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache

# Lua source -> redis-py Script: its SHA is computed once per process, not on every call.
_scripts: dict[str, Any] = {}


def redis_client(cache: BaseCache) -> Any | None:
    """The django-redis client's connection for writes, or None when the cache is not Redis
    (local memory in development)."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(write=True)


def run_script(client: Any, source: str, keys: list[str], args: list[Any]) -> Any:
    """Run the Lua script `source` on `client` by its SHA (EVALSHA; redis-py loads it into a
    server that does not have it yet and calls again)."""
    script = _scripts.get(source)
    if script is None:
        script = _scripts[source] = client.register_script(source)
    return script(keys=keys, args=args, client=client)
