"""Invalidation reaches other processes: a real gunicorn (two workers) shares Redis with us.

These tests commit, so they create tenants of their own and destroy them afterwards instead of
touching the session's tenants.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from pytest_django import DjangoDbBlocker

from tenants.models import Domain, Tenant, TenantStatus
from tenants.services import tenant_provision
from tests.servers import LIVE_SERVER_ROUTING_TTL, LiveServer

Provision = Callable[[str, str], Tenant]


@pytest.fixture
def committed_tenant(django_db_blocker: DjangoDbBlocker) -> Iterator[Provision]:
    created: list[Tenant] = []

    def provision(slug: str, name: str) -> Tenant:
        with django_db_blocker.unblock():
            tenant = tenant_provision(slug=slug, name=name, owner_email=f"owner@{slug}.test").tenant
        created.append(tenant)
        return tenant

    yield provision
    with django_db_blocker.unblock():
        for tenant in created:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
            owners = [m.user for m in tenant.memberships.all()]
            Tenant.objects.filter(pk=tenant.pk).delete()
            for user in owners:
                user.delete()


def _every_worker_has_it_cached(server: LiveServer, host: str, expected: str) -> None:
    # Enough requests that both workers have loaded (and cached) the route.
    for _ in range(10):
        status, body = server.get(host, "/accounts/login/")
        assert status == 200
        assert expected in body


def test_a_suspended_tenant_is_seen_by_every_process_within_the_ttl(
    app_server: LiveServer, committed_tenant: Provision, django_db_blocker: DjangoDbBlocker
) -> None:
    tenant = committed_tenant("xproc-suspend", "Cross Process")
    host = "xproc-suspend.localhost"
    _every_worker_has_it_cached(app_server, host, "Sign in to Cross Process")
    assert caches["global"].get(f"route:v1:{host}") is not None  # shared by the server

    with django_db_blocker.unblock(), transaction.atomic():
        tenant.status = TenantStatus.SUSPENDED
        tenant.save()

    # Without the invalidation, Redis would keep serving the old route for a minute.
    assert caches["global"].get(f"route:v1:{host}") == "invalidated"
    time.sleep(LIVE_SERVER_ROUTING_TTL + 0.3)
    for _ in range(10):
        status, body = app_server.get(host, "/accounts/login/")
        assert status == 403
        assert "Cross Process is not available" in body


def test_a_re_pointed_domain_is_seen_by_every_process_within_the_ttl(
    app_server: LiveServer, committed_tenant: Provision, django_db_blocker: DjangoDbBlocker
) -> None:
    first = committed_tenant("xproc-first", "First Co")
    second = committed_tenant("xproc-second", "Second Co")
    with django_db_blocker.unblock():
        shared = Domain.objects.create(
            domain="xproc-shared.localhost", tenant=first, is_primary=False
        )
    _every_worker_has_it_cached(app_server, "xproc-shared.localhost", "Sign in to First Co")

    with django_db_blocker.unblock(), transaction.atomic():
        shared.tenant = second
        shared.save()

    time.sleep(LIVE_SERVER_ROUTING_TTL + 0.3)
    for _ in range(10):
        status, body = app_server.get("xproc-shared.localhost", "/accounts/login/")
        assert status == 200
        assert "Sign in to Second Co" in body
        assert "First Co" not in body
