"""Each workspace has an API budget a minute, from its plan: past it, 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from pytest_django import Settings

from billing.catalog import plan_named
from shared_apps.accounts.models import User
from tenant_apps.api_access import throttling
from tenant_apps.api_access.models import Scope
from tenant_apps.api_access.services import api_key_create
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.plans import on_plan

# 30 s into a minute: the window has 30 s left whatever the real clock says.
PINNED = 1_800_000_030.0


@pytest.fixture(autouse=True)
def _one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttling, "_clock", lambda: PINNED)


def test_past_its_budget_a_workspace_gets_429_with_retry_after(
    settings: Settings,
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    member: User,
    owner: User,
    outsider: User,
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 3
    session = client_on(tenant, member)
    with tenant_context(tenant):
        key = api_key_create(
            tenant=tenant, name="CI", scope=Scope.READ, expires_at=None, actor=owner
        ).plaintext
    keyed = Client(HTTP_HOST=primary_host_for_slug(tenant.slug), HTTP_AUTHORIZATION=f"Bearer {key}")

    # Refused requests (an outsider's) do not spend Acme's budget.
    assert client_on(tenant, outsider).get("/api/v1/projects/").status_code == 403
    # The budget is the workspace's: a session and a key share it.
    allowed = [
        session.get("/api/v1/projects/"),
        keyed.get("/api/v1/labels/"),
        session.get("/api/v1/tasks/"),
    ]
    refused = keyed.get("/api/v1/projects/")
    globex = client_on(other_tenant, outsider).get("/api/v1/projects/")

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "3 API requests" in refused.json()["detail"]
    assert "Try again in 30 s" in refused.json()["detail"]
    assert globex.status_code == 200  # another workspace, another budget


def test_the_next_minute_brings_a_new_budget(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 1
    client = client_on(tenant, member)
    assert client.get("/api/v1/projects/").status_code == 200
    assert client.get("/api/v1/projects/").status_code == 429

    monkeypatch.setattr(throttling, "_clock", lambda: PINNED + 30)

    assert client.get("/api/v1/projects/").status_code == 200


def test_without_an_override_the_plan_sets_the_rate(
    settings: Settings, client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 0
    on_plan(tenant, "free")
    budget = plan_named("free").api_requests_per_minute
    client = client_on(tenant, member)

    statuses = [client.get("/api/v1/labels/").status_code for _ in range(budget + 1)]

    assert budget == 60
    assert statuses[:budget] == [200] * budget
    assert statuses[budget] == 429
    assert "Free plan" in client.get("/api/v1/labels/").json()["detail"]


def test_the_budget_holds_on_a_local_memory_cache_too(
    settings: Settings, client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    """`make run` without Redis keeps the cache in local memory: the same limit, counted
    through the cache API instead of a Redis pipeline."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        },
    }
    settings.STRATA_API_REQUESTS_PER_MINUTE = 2
    assert isinstance(caches["default"], LocMemCache)
    client = client_on(tenant, member)

    statuses = [client.get("/api/v1/labels/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
