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
import select
import time
import weakref
from collections.abc import Iterable
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import pq
from psycopg.conninfo import make_conninfo

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


# --- Transaction pooling ---------------------------------------------------------------------
#
# The tenant's schema lives on the session: django-tenants sets the search_path once per request
# and every later query relies on it. A pooler that hands the server session to another client
# between transactions (PgBouncer's pool_mode = transaction or statement) would run one tenant's
# queries in the schema another client chose, so Strata refuses to run behind one.

# Generous: only a pooler with every server connection taken makes a client wait at all; a
# direct connection answers a query this simple in well under a millisecond.
_POOLING_PROBE_TIMEOUT = 3.0


def pooled_per_transaction(
    connection: BaseDatabaseWrapper | None = None, *, rounds: int = 3
) -> bool:
    """Whether the server behind this connection's settings hands a client's session to other
    clients between its transactions. Opens two connections of its own for a few queries.

    The first connection notes its backend, the second holds a backend in an open transaction,
    then the first asks again: a session of its own (a direct connection, session pooling)
    still has its backend; a transaction pool took it back after the first query and lends
    it out again (most recently released first), so the first connection gets another one or
    waits for one. Raises psycopg.Error when the database cannot be reached, TimeoutError when
    it gives the second connection no backend (a session pool with every connection taken).
    """
    connection = connection or tenant_connection()
    params = connection.get_connection_params()
    # Only libpq's own parameters: the rest are for psycopg's and Django's connection objects.
    for key in ("cursor_factory", "context", "prepare_threshold", "autocommit", "row_factory"):
        params.pop(key, None)
    conninfo = make_conninfo(**params).encode()
    # libpq's own calls with a deadline of ours: a query waiting for a pooler's backend can be
    # abandoned at once, where psycopg would first send a cancel that a pooler cannot honour.
    first = pq.PGconn.connect(conninfo)
    second = pq.PGconn.connect(conninfo)
    try:
        for each in (first, second):
            if each.status != pq.ConnStatus.OK:
                raise psycopg.OperationalError(each.get_error_message())
        for _ in range(rounds):
            before = _answer(first, b"SELECT pg_backend_pid()")
            try:
                # Holds a backend until the rollback.
                _answer(second, b"BEGIN; SELECT pg_backend_pid()")
            except psycopg.OperationalError as error:
                if "statement pooling" in str(error):
                    return True  # PgBouncer's statement mode refuses transactions outright
                raise
            try:
                after = _answer(first, b"SELECT pg_backend_pid()")
            except TimeoutError:
                return True  # waiting for a backend while the second holds one: no session
            _answer(second, b"ROLLBACK")
            if after != before:
                return True
        return False
    finally:
        first.finish()
        second.finish()


def _answer(pgconn: pq.abc.PGconn, sql: bytes) -> int | None:
    """Run `sql`; the integer its last row holds, if it returns rows. TimeoutError when no
    answer comes within _POOLING_PROBE_TIMEOUT (the connection is then unusable)."""
    pgconn.send_query(sql)
    deadline = time.monotonic() + _POOLING_PROBE_TIMEOUT
    value = None
    while True:
        pgconn.consume_input()
        while pgconn.is_busy():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([pgconn.socket], [], [], remaining)[0]:
                raise TimeoutError(f"no answer to {sql.decode()} within {_POOLING_PROBE_TIMEOUT}s")
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            return value
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise psycopg.OperationalError(result.get_error_message())
        if result.status == pq.ExecStatus.TUPLES_OK:
            value = int(result.get_value(0, 0) or b"0")


def transaction_pooling_refusal(connection: BaseDatabaseWrapper | None = None) -> str | None:
    """The line to refuse to start with when this connection's database is pooled per
    transaction, else None."""
    connection = connection or tenant_connection()
    if not pooled_per_transaction(connection):
        return None
    db = connection.settings_dict
    where = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return (
        f"transaction (or statement) pooling detected at DATABASE_URL {where}, such as "
        "PgBouncer's pool_mode = transaction: Strata keeps each tenant's schema on the session "
        "(search_path), which such pooling hands to other clients. Set pool_mode = session for "
        "this database, or connect to PostgreSQL directly."
    )


def exit_if_pooled_per_transaction(
    log: logging.Logger, connection: BaseDatabaseWrapper | None = None
) -> None:
    """For a process starting up (gunicorn's master, a Celery worker): log the refusal and exit
    with status 1 under transaction pooling. A database that cannot be reached is only
    logged: the process starts as it would have, and /readyz reports the database."""
    try:
        refusal = transaction_pooling_refusal(connection)
    except (psycopg.Error, TimeoutError) as error:
        log.warning("could not check the database for transaction pooling: %r", error)
        return
    if refusal is not None:
        log.error("refusing to start: %s", refusal)
        raise SystemExit(1)
