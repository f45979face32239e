"""Readiness: can this process serve requests right now?"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from tenants.context import tenant_connection

logger = logging.getLogger(__name__)


class _Memo:
    # Once this process has seen the public schema at head it stays so: migrations only move
    # forward while this code runs, so there is no need to load the migration graph every probe.
    migrations_at_head = False


def check_database() -> str:
    connection = tenant_connection()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_redis() -> str:
    if not settings.REDIS_URL:
        return "ok (not configured: local-memory cache)"
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()
    return "ok"


def check_migrations() -> str:
    if _Memo.migrations_at_head:
        return "ok"
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending[:3])
        raise RuntimeError(f"{len(pending)} unapplied in public ({names})")
    _Memo.migrations_at_head = True
    return "ok"


def forget_migrations_at_head() -> None:
    """Make the next probe look at the migration graph again (tests use it)."""
    _Memo.migrations_at_head = False


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "migrations": check_migrations,
}


def run_checks() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    healthy = True
    for name, check in CHECKS.items():
        if name == "migrations" and not results.get("database", "").startswith("ok"):
            results[name] = "skipped: database unavailable"
            continue
        try:
            results[name] = check()
        except Exception as exc:
            healthy = False
            # Anyone can ask: name the part and the kind of failure, log the details.
            results[name] = f"failing: {type(exc).__name__}"
            logger.warning("readiness check %s failed: %s", name, exc)
    return healthy, results
