"""Retire a database connection once it has served many tenant schemas.

PostgreSQL caches the catalog entries (relations, their columns, indexes, types) of every table a
backend touches and never evicts them while the connection lives. Every tenant has its own copy of
every table, so a long-lived connection that serves many tenants grows by tens of kilobytes per
schema it visits: hundreds of megabytes per connection over thousands of tenants
(docs/performance.md, Scale, measures it). A lifetime in seconds (the pool's max_lifetime,
CONN_MAX_AGE) bounds that only as far as the traffic is slow: a busy connection visits thousands
of schemas within any lifetime worth having. So each connection also has a budget of distinct
schemas (STRATA_DB_SCHEMAS_PER_CONNECTION): the request or task that reaches it retires the
connection when it ends, and the next one opens a fresh backend.

The count is per server connection (per backend), not per Django connection object: under the
pool, one DatabaseWrapper hands out different pooled connections request after request.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from tenants.context import tenant_connection

logger = logging.getLogger(__name__)

# Server connection -> the tenant schemas it has had on its search_path. Weak: a connection
# closed for any other reason (lifetime, error) takes its entry with it.
_served: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def schemas_served(raw_connection: Any) -> int:
    """How many tenant schemas this server connection has been counted for."""
    return len(_served.get(raw_connection, ()))


def note_schema(schema: str, connection: BaseDatabaseWrapper | None = None) -> None:
    """Count `schema` against the budget of the connection that just worked in it without
    choosing it as the tenant (a schema created from the blueprint: every table it made is in
    the backend's caches too). The next end of a request or task retires the connection if
    that spent its budget."""
    connection = connection or tenant_connection()
    raw = connection.connection
    if raw is None or schema == "public":
        return
    _served.setdefault(raw, set()).add(schema)


def note_schema_served(connection: BaseDatabaseWrapper | None = None) -> bool:
    """Count the schema this connection's search_path was set to for the work that just ended
    (a request or a task), and retire the connection if it has now served its budget of
    schemas. Call it before the connection goes back to the pool. True when it was retired.

    Nothing is counted when the work sent no query (no server connection, or no search_path
    set since the schema was chosen) or stayed on public.
    """
    budget: int = settings.STRATA_DB_SCHEMAS_PER_CONNECTION
    connection = connection or tenant_connection()
    raw = connection.connection
    if not budget or raw is None:
        return False
    schemas = getattr(connection, "search_path_set_schemas", None)
    if schemas:
        note_schema(schemas[0], connection)
    served = _served.get(raw, ())
    if len(served) < budget or connection.in_atomic_block:
        # Inside a transaction (never a request's or a task's own here): the next one retires it.
        return False
    del _served[raw]
    if getattr(connection, "pool", None) is not None:
        # Django returns the connection to the pool when the request or task ends; psycopg's pool
        # discards a connection past its expiry time at that point ("discarding expired
        # connection", at info level) and opens a replacement in the background. Closing it
        # here instead would be logged as a broken connection.
        raw._expire_at = 0.0
    else:
        connection.close()
    logger.info("retired a database connection after %d tenant schemas", len(served))
    return True


def close_before_fork(wrappers: Iterable[BaseDatabaseWrapper]) -> None:
    """Close every connection these wrappers hold, and their pools, so that no process forked
    afterwards inherits a PostgreSQL socket (two processes writing one session corrupt it).
    gunicorn's master calls it after loading the application, before forking its workers."""
    for wrapper in wrappers:
        wrapper.close()
        if wrapper.alias in getattr(wrapper, "_connection_pools", {}):
            # PostgreSQL's wrapper is the only one with pools.
            wrapper.close_pool()  # type: ignore[attr-defined]
