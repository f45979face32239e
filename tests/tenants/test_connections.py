"""A server connection is retired once it has served its budget of tenant schemas, so that
PostgreSQL's per-backend catalog caches stay bounded however many tenants there are."""

from __future__ import annotations

import copy
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenants.connections import _served, close_before_fork, note_schema_served, schemas_served
from tenants.models import SpareSchema, Tenant
from tenants.pool import pool_refill
from tenants.tasks import tenant_canary
from tests.conftest import ClientFactory
from tests.tenants.test_background import _run_as_a_worker_would, _token


def _backend_pid(wrapper: BaseDatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _wrapper(*, pooled: bool) -> BaseDatabaseWrapper:
    """A connection of its own to the test database, outside the test's transaction, as a
    server process has one: pooled as in production, or persistent (CONN_MAX_AGE)."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict["OPTIONS"].pop("pool", None)
    if pooled:
        settings_dict["CONN_MAX_AGE"] = 0
        settings_dict["OPTIONS"]["pool"] = {"min_size": 0, "max_size": 1, "timeout": 5}
    backend = load_backend(settings_dict["ENGINE"])
    wrapper: BaseDatabaseWrapper = backend.DatabaseWrapper(
        settings_dict, alias=f"budget-{uuid.uuid4().hex[:8]}"
    )
    return wrapper


@pytest.fixture
def budget(settings: Settings) -> int:
    settings.STRATA_DB_SCHEMAS_PER_CONNECTION = 2
    return 2


@pytest.fixture(params=["pooled", "persistent"])
def server_connection(request: pytest.FixtureRequest, db: None) -> Iterator[BaseDatabaseWrapper]:
    wrapper = _wrapper(pooled=request.param == "pooled")
    try:
        yield wrapper
    finally:
        wrapper.close()
        pool: Any = getattr(wrapper, "pool", None)
        if pool is not None:
            wrapper.close_pool()  # type: ignore[attr-defined]


def _serve(wrapper: BaseDatabaseWrapper, schema_owner: Tenant) -> int:
    """What one request does: choose the tenant, query, count the schema, end (back to the
    pool, or kept open). The backend that answered."""
    wrapper.set_tenant(schema_owner)  # type: ignore[attr-defined]
    pid = _backend_pid(wrapper)
    note_schema_served(wrapper)
    wrapper.set_schema_to_public()  # type: ignore[attr-defined]
    if getattr(wrapper, "pool", None) is not None:
        wrapper.close()  # a request's end returns the connection to the pool
    return pid


def test_a_connection_is_replaced_once_it_has_served_its_budget_of_schemas(
    server_connection: BaseDatabaseWrapper,
    budget: int,
    tenant: Tenant,
    other_tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)

    first = _serve(server_connection, tenant)
    assert _serve(server_connection, tenant) == first  # the same schema again is not counted
    assert _serve(server_connection, other_tenant) == first  # the second schema: budget spent
    after = _serve(server_connection, tenant)

    assert after != first
    assert "retired a database connection after 2 tenant schemas" in caplog.text
    # The pool discards it as expired, quietly; it is not reported as a broken connection.
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_public_and_work_without_queries_are_not_counted(
    server_connection: BaseDatabaseWrapper, budget: int, tenant: Tenant, other_tenant: Tenant
) -> None:
    first = _serve(server_connection, tenant)
    for _ in range(3):  # requests on the apex
        server_connection.set_schema_to_public()  # type: ignore[attr-defined]
        assert _backend_pid(server_connection) == first
        assert not note_schema_served(server_connection)
    server_connection.set_tenant(other_tenant)  # type: ignore[attr-defined]
    assert not note_schema_served(server_connection)  # chosen, but nothing was queried there

    assert _serve(server_connection, tenant) == first


def test_no_budget_keeps_the_connection(
    server_connection: BaseDatabaseWrapper,
    settings: Settings,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    settings.STRATA_DB_SCHEMAS_PER_CONNECTION = 0
    first = _serve(server_connection, tenant)

    assert {_serve(server_connection, t) for t in (other_tenant, tenant, other_tenant)} == {first}


def test_never_inside_a_transaction(
    db: None, budget: int, tenant: Tenant, other_tenant: Tenant
) -> None:
    """The test's own connection is inside its transaction: counted, never closed under it."""
    wrapper = connection
    _backend_pid(wrapper)
    _served.pop(wrapper.connection, None)  # forget the session's set-up
    for each in (tenant, other_tenant, tenant):
        wrapper.set_tenant(each)  # type: ignore[attr-defined]
        pid = _backend_pid(wrapper)
        assert not note_schema_served(wrapper)
    assert _backend_pid(wrapper) == pid
    assert schemas_served(wrapper.connection) == 2


def test_every_tenant_request_counts_towards_its_connection(
    client_on: ClientFactory, both: User, tenant: Tenant, other_tenant: Tenant
) -> None:
    _backend_pid(connection)
    _served.pop(connection.connection, None)  # forget the session's set-up
    for each in (tenant, other_tenant):
        assert client_on(each, both).get("/").status_code == 200
    client_on(None).get("/")  # the apex: public, not counted

    assert schemas_served(connection.connection) == 2


def test_every_task_counts_towards_its_connection(tenant: Tenant, other_tenant: Tenant) -> None:
    _backend_pid(connection)
    _served.pop(connection.connection, None)  # forget the session's set-up
    for each in (tenant, other_tenant):
        _run_as_a_worker_would(tenant_canary, each.schema_name, _token())

    assert schemas_served(connection.connection) == 2


def test_a_schema_made_from_the_blueprint_counts_towards_its_connection(db: None) -> None:
    """Signups on the apex and pool refills create schemas without choosing them: their tables
    are in the backend's caches all the same."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    before = schemas_served(connection.connection)

    made = pool_refill(SpareSchema.objects.count() + 2)

    assert made == 2
    assert schemas_served(connection.connection) == before + 2


@pytest.mark.parametrize("pooled", [True, False], ids=["pooled", "persistent"])
def test_before_forking_workers_every_connection_and_pool_is_closed(db: None, pooled: bool) -> None:
    """gunicorn's master loads the application once and forks its workers (preload_app): a
    connection it had opened would be shared by every worker, so it closes them first."""
    wrapper = _wrapper(pooled=pooled)
    pid = _backend_pid(wrapper)

    close_before_fork([wrapper])

    assert wrapper.connection is None
    assert wrapper.alias not in getattr(wrapper, "_connection_pools", {})
    assert _backend_gone(pid)


def _backend_gone(pid: int) -> bool:
    """Whether the backend has exited (it does so just after its client says goodbye)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # Read afresh: within a transaction the statistics views keep their first answer.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
        if row == (0,):
            return True
        time.sleep(0.05)
    return False
