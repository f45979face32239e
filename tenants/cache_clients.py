"""The Redis client behind a cache, for what the cache API cannot say (scripts, pipelines)."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache


def redis_client(cache: BaseCache) -> Any | None:
    """The django-redis client's connection for writes, or None when the cache is not Redis
    (local memory in development)."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(write=True)
