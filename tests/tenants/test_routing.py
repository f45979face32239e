from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks, Settings

from shared_apps.accounts.models import User
from tenants import routing
from tenants.models import Domain, Tenant, TenantStatus
from tests.conftest import ClientFactory


def test_an_unknown_host_gets_a_404_page_that_names_no_tenant(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant
) -> None:
    response = client_on(None).get("/", HTTP_HOST="nosuch.localhost")

    assert response.status_code == 404
    body = response.content.decode()
    assert "There is no workspace here" in body
    for name in (tenant.name, other_tenant.name, tenant.slug, other_tenant.slug):
        assert name not in body
    # Not the public site either.
    assert "Your team's work" not in body


def test_an_unknown_host_is_not_served_the_public_urlconf(client_on: ClientFactory) -> None:
    response = client_on(None).get("/accounts/login/", HTTP_HOST="nosuch.localhost")

    assert response.status_code == 404


@pytest.mark.parametrize("host", ["localhost", "www.localhost", "LOCALHOST:8000"])
def test_the_apex_and_www_serve_the_public_site(client_on: ClientFactory, host: str) -> None:
    response = client_on(None).get("/", HTTP_HOST=host)

    assert response.status_code == 200
    assert "Your team's work" in response.content.decode()


def test_a_host_outside_the_base_domain_is_a_bad_request(client_on: ClientFactory) -> None:
    response = client_on(None).get("/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400


def test_a_tenant_host_serves_that_tenant(client_on: ClientFactory, tenant: Tenant) -> None:
    response = client_on(tenant).get("/accounts/login/")

    assert response.status_code == 200
    assert f"Sign in to {tenant.name}" in response.content.decode()


def test_a_tenant_host_is_matched_without_case_or_port(
    client_on: ClientFactory, tenant: Tenant
) -> None:
    response = client_on(tenant).get("/accounts/login/", HTTP_HOST="ACME.localhost:8000")

    assert response.status_code == 200
    assert f"Sign in to {tenant.name}" in response.content.decode()


def test_a_routing_cache_hit_makes_no_database_query(
    client_on: ClientFactory, tenant: Tenant, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_on(tenant)
    client.get("/accounts/login/")  # fills the cache

    with django_assert_num_queries(0):
        response = client.get("/accounts/login/")

    assert response.status_code == 200


def test_a_route_shared_through_redis_makes_no_database_query(
    client_on: ClientFactory, tenant: Tenant, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_on(tenant)
    client.get("/accounts/login/")
    routing.clear_local()  # as if another process had loaded it: only Redis has it now

    with django_assert_num_queries(0):
        response = client.get("/accounts/login/")

    assert response.status_code == 200


def test_a_cache_miss_costs_one_query_and_fills_the_shared_cache(tenant: Tenant) -> None:
    host = tenant.domains.get().domain
    with CaptureQueriesContext(connection) as queries:
        resolved = routing.resolve(host)

    assert isinstance(resolved, Tenant)
    assert resolved.pk == tenant.pk
    assert resolved.schema_name == tenant.schema_name
    lookups = [q for q in queries.captured_queries if "search_path" not in q["sql"]]
    assert len(lookups) == 1
    assert caches["global"].get(f"route:v1:{host}") is not None


def test_an_unknown_host_is_remembered_too(
    client_on: ClientFactory, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_on(None)
    client.get("/", HTTP_HOST="nosuch.localhost")

    with django_assert_num_queries(0):
        response = client.get("/", HTTP_HOST="nosuch.localhost")

    assert response.status_code == 404


def test_each_request_gets_its_own_tenant_instance(tenant: Tenant) -> None:
    host = tenant.domains.get().domain
    first = routing.resolve(host)
    assert isinstance(first, Tenant)
    first.name = "Mutated by a careless view"

    second = routing.resolve(host)

    assert isinstance(second, Tenant)
    assert second.name == tenant.name


@pytest.mark.parametrize(
    ("status", "code"),
    [(TenantStatus.SUSPENDED, "tenant_suspended"), (TenantStatus.ARCHIVED, "tenant_archived")],
)
def test_an_inactive_tenant_gets_its_own_page(
    client_on: ClientFactory, tenant: Tenant, owner: User, status: TenantStatus, code: str
) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(status=status)
    client = client_on(tenant, owner)

    response = client.get("/")

    assert response.status_code == 403
    body = response.content.decode()
    assert f"{tenant.name} is not available" in body
    assert {"tenant_suspended": "Workspace suspended", "tenant_archived": "Workspace archived"}[
        code
    ] in body
    assert "Members" not in body  # nothing of the dashboard


@pytest.mark.parametrize(
    ("status", "code"),
    [(TenantStatus.SUSPENDED, "tenant_suspended"), (TenantStatus.ARCHIVED, "tenant_archived")],
)
def test_an_inactive_tenant_answers_api_paths_with_a_machine_readable_code(
    client_on: ClientFactory, tenant: Tenant, status: TenantStatus, code: str
) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(status=status)

    response = client_on(tenant).get("/api/v1/anything")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == code


def test_suspending_a_tenant_invalidates_its_route_on_commit(
    client_on: ClientFactory,
    tenant: Tenant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_on(tenant)
    assert client.get("/accounts/login/").status_code == 200  # route now cached

    with django_capture_on_commit_callbacks(execute=True):
        tenant.status = TenantStatus.SUSPENDED
        tenant.save()

    assert client.get("/accounts/login/").status_code == 403


def test_a_change_is_not_visible_through_the_cache_before_it_commits(
    client_on: ClientFactory, tenant: Tenant
) -> None:
    client = client_on(tenant)
    assert client.get("/accounts/login/").status_code == 200

    tenant.status = TenantStatus.SUSPENDED
    tenant.save()  # the test's transaction has not committed: no invalidation yet

    assert client.get("/accounts/login/").status_code == 200


def test_a_re_pointed_domain_serves_its_new_tenant_after_commit(
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        extra = Domain.objects.create(domain="shared.localhost", tenant=tenant, is_primary=False)
    client = client_on(None)
    assert (
        f"Sign in to {tenant.name}"
        in client.get("/accounts/login/", HTTP_HOST="shared.localhost").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        extra.tenant = other_tenant
        extra.save()

    page = client.get("/accounts/login/", HTTP_HOST="shared.localhost").content.decode()
    assert f"Sign in to {other_tenant.name}" in page


def test_a_renamed_domain_forgets_its_old_host(
    client_on: ClientFactory,
    tenant: Tenant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        extra = Domain.objects.create(domain="old.localhost", tenant=tenant, is_primary=False)
    client = client_on(None)
    assert client.get("/accounts/login/", HTTP_HOST="old.localhost").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        extra.domain = "new.localhost"
        extra.save()

    assert client.get("/accounts/login/", HTTP_HOST="old.localhost").status_code == 404
    assert client.get("/accounts/login/", HTTP_HOST="new.localhost").status_code == 200


def test_a_new_domain_replaces_a_remembered_unknown_host(
    client_on: ClientFactory,
    tenant: Tenant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_on(None)
    assert client.get("/", HTTP_HOST="later.localhost").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        Domain.objects.create(domain="later.localhost", tenant=tenant, is_primary=False)

    assert client.get("/accounts/login/", HTTP_HOST="later.localhost").status_code == 200


def test_a_reader_after_invalidation_cannot_put_a_route_back_over_the_tombstone(
    tenant: Tenant,
) -> None:
    host = tenant.domains.get().domain
    routing.resolve(host)
    routing.invalidate_hosts([host])

    assert routing.resolve(host) is not None  # served from the database meanwhile
    # The tombstone stays until it expires; only then may a reader share a route again.
    assert caches["global"].get(f"route:v1:{host}") == "invalidated"


def test_a_cached_route_is_read_by_field_name(tenant: Tenant) -> None:
    host = tenant.domains.get().domain
    written_by_another_version = {
        "slug": tenant.slug,
        "id": tenant.pk,
        "plan": "pro",  # a field this version does not have
        "status": TenantStatus.SUSPENDED,
        "name": tenant.name,
        "schema_name": tenant.schema_name,
    }
    caches["global"].set(f"route:v1:{host}", written_by_another_version)

    resolved = routing.resolve(host)

    assert isinstance(resolved, Tenant)
    assert (resolved.pk, resolved.status, resolved.schema_name) == (
        tenant.pk,
        TenantStatus.SUSPENDED,
        tenant.schema_name,
    )


def test_routing_survives_redis_being_down(
    client_on: ClientFactory, tenant: Tenant, settings: Settings
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "global": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        },
    }

    response = client_on(tenant).get("/accounts/login/")

    assert response.status_code == 200
    assert f"Sign in to {tenant.name}" in response.content.decode()


def test_a_deleted_tenant_stops_answering(
    client_on: ClientFactory,
    tenant: Tenant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_on(tenant)
    assert client.get("/accounts/login/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        tenant.delete()

    assert client.get("/accounts/login/").status_code == 404


@pytest.mark.parametrize(
    "host", [("a" * 64) + ".localhost", ".".join(["abc"] * 70) + ".localhost", "a..localhost"]
)
def test_a_host_no_dns_name_could_have_is_a_bad_request_without_a_lookup(
    client_on: ClientFactory, host: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        response = client_on(None).get("/", HTTP_HOST=host)

    assert response.status_code == 400  # malformed, not an unknown workspace
    assert caches["global"].get(f"route:v1:{host}") is None


# --- This process's copies and the change log ------------------------------------------------


class _Clock:
    """routing's monotonic clock, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_000.0
        monkeypatch.setattr(routing, "_now", lambda: self.now)


def _hosts(*tenants: Tenant) -> list[str]:
    return [tenant.domains.get().domain for tenant in tenants]


def _drop_shared(*hosts: str) -> None:
    """Take routes out of Redis: a copy read again must then come from the database."""
    caches["global"].delete_many([f"route:v1:{host}" for host in hosts])


def _changed_elsewhere(host: str) -> None:
    """What another process's save of the host's tenant does: tombstone and change log, while
    this process still holds its copy."""
    held = dict(routing._local)
    routing.invalidate_hosts([host])
    routing._local.update(held)


def _database_reads(host: str) -> int:
    """Resolve `host`: the routing queries it sent to the database (setting the schema aside)."""
    with CaptureQueriesContext(connection) as queries:
        assert routing.resolve(host) is not None
    return len([q for q in queries.captured_queries if "search_path" not in q["sql"]])


def test_a_copy_outlives_the_local_ttl_while_its_host_is_unchanged(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tenant: Tenant
) -> None:
    """With thousands of tenants a process sees each host less often than every few seconds:
    re-reading each route once the local TTL has passed would cost a round trip to Redis on
    almost every request."""
    clock = _Clock(monkeypatch)
    [host] = _hosts(tenant)
    routing.resolve(host)
    _drop_shared(host)

    clock.now += 100 * settings.STRATA_ROUTING_LOCAL_TTL

    assert _database_reads(host) == 0


def test_a_copy_is_read_again_after_its_longest_life(
    monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    """Writes that bypass the models are not in the change log: a copy still expires."""
    clock = _Clock(monkeypatch)
    [host] = _hosts(tenant)
    routing.resolve(host)
    _drop_shared(host)

    clock.now += routing._LOCAL_MAX_SECONDS

    assert _database_reads(host) == 1


def test_a_host_changed_in_another_process_is_dropped_within_the_local_ttl(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tenant: Tenant, other_tenant: Tenant
) -> None:
    clock = _Clock(monkeypatch)
    changed, unchanged = _hosts(tenant, other_tenant)
    routing.resolve(changed)
    routing.resolve(unchanged)
    _drop_shared(unchanged)

    _changed_elsewhere(changed)
    clock.now += settings.STRATA_ROUTING_LOCAL_TTL / 2
    within_the_ttl = _database_reads(changed)
    clock.now += settings.STRATA_ROUTING_LOCAL_TTL

    assert within_the_ttl == 0  # still this process's copy
    assert _database_reads(changed) == 1  # dropped; the tombstone sends it to the database
    assert _database_reads(unchanged) == 0  # its copy is kept


def test_when_the_change_log_no_longer_reaches_back_every_copy_goes(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tenant: Tenant
) -> None:
    clock = _Clock(monkeypatch)
    [host] = _hosts(tenant)
    routing.resolve(host)
    _drop_shared(host)
    monkeypatch.setattr(routing, "_CHANGES_KEPT", 1)

    # Two changes of other hosts: the log keeps only the last, this process missed the first.
    _changed_elsewhere("gone-1.localhost")
    _changed_elsewhere("gone-2.localhost")
    clock.now += settings.STRATA_ROUTING_LOCAL_TTL

    assert _database_reads(host) == 1


def test_a_redis_that_lost_the_change_log_drops_every_copy(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tenant: Tenant
) -> None:
    """A restarted Redis keeps nothing: its epoch starts again below this process's."""
    clock = _Clock(monkeypatch)
    [host] = _hosts(tenant)
    _changed_elsewhere("earlier.localhost")
    routing.resolve(host)
    _drop_shared(host)

    caches["global"].delete_many([routing._ChangeLog.EPOCH, routing._ChangeLog.HOSTS])
    clock.now += settings.STRATA_ROUTING_LOCAL_TTL

    assert _database_reads(host) == 1


def test_without_the_change_log_a_copy_lasts_the_local_ttl_only(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tenant: Tenant
) -> None:
    """Redis down: nothing says what changed, so copies are read again (from the database)
    once the local TTL has passed, as routes degrade."""
    clock = _Clock(monkeypatch)
    [host] = _hosts(tenant)
    settings.CACHES = {
        **settings.CACHES,
        "global": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        },
    }
    routing.resolve(host)

    clock.now += settings.STRATA_ROUTING_LOCAL_TTL / 2
    within_the_ttl = _database_reads(host)
    clock.now += settings.STRATA_ROUTING_LOCAL_TTL

    assert within_the_ttl == 0
    assert _database_reads(host) == 1
