"""A reused connection never answers a request with an earlier request's search_path."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts.models import User
from tenants.context import tenant_connection
from tenants.models import Tenant
from tests.conftest import ClientFactory


def _set_statement(tenant: Tenant) -> str:
    return f'SET search_path = "{tenant.schema_name}","public"'


def _current_schema() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def test_switching_tenant_on_a_reused_connection_switches_the_search_path(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    wrapper = tenant_connection()
    wrapper.set_tenant(tenant)
    assert _current_schema() == tenant.schema_name

    wrapper.set_tenant(other_tenant)
    assert _current_schema() == other_tenant.schema_name

    wrapper.set_schema_to_public()
    assert _current_schema() == "public"


def test_a_rolled_back_search_path_is_set_again(tenant: Tenant, other_tenant: Tenant) -> None:
    wrapper = tenant_connection()
    wrapper.set_tenant(other_tenant)
    assert _current_schema() == other_tenant.schema_name

    wrapper.set_tenant(tenant)

    def first_query_then_roll_back() -> None:
        # The SET for `tenant` is issued inside this savepoint, which then rolls back and
        # takes the SET with it: PostgreSQL is back on other_tenant's path.
        with transaction.atomic():
            assert _current_schema() == tenant.schema_name
            raise RuntimeError

    with pytest.raises(RuntimeError):
        first_query_then_roll_back()

    assert _current_schema() == tenant.schema_name


def test_a_search_path_changed_behind_our_back_does_not_outlive_the_request(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)
    client.get("/accounts/login/")  # routing now cached: the request's only SET is its own
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path = "{other_tenant.schema_name}", public')

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200

    statements = [q["sql"] for q in queries.captured_queries]
    assert statements[0] == _set_statement(tenant)


def test_each_request_sets_its_own_schema_once_before_its_first_query(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    acme, globex = client_on(tenant, both), client_on(other_tenant, both)
    acme.get("/accounts/login/")
    globex.get("/accounts/login/")

    for client, expected in [(acme, tenant), (globex, other_tenant), (acme, tenant)]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        statements = [q["sql"] for q in queries.captured_queries]
        sets = [s for s in statements if s.startswith("SET search_path")]
        assert statements[0] == _set_statement(expected)
        assert len(sets) == 1, statements


def test_a_page_without_queries_sets_no_search_path(
    client_on: ClientFactory, tenant: Tenant
) -> None:
    client = client_on(tenant)
    client.get("/accounts/login/")  # routing now cached

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accounts/login/").status_code == 200

    assert queries.captured_queries == []


def test_the_connection_is_back_on_public_after_a_tenant_request(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client_on(tenant, member).get("/")

    assert tenant_connection().schema_name == "public"
    assert _current_schema() == "public"
