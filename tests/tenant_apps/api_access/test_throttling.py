"""Each workspace has an API budget a minute, from its plan: past it, 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django_redis import get_redis_connection
from pytest_django import DjangoAssertNumQueries, Settings

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


# --- A spent budget, remembered in the process -------------------------------------------------


def _key_client(tenant: Tenant, owner: User) -> Client:
    with tenant_context(tenant):
        key = api_key_create(
            tenant=tenant, name="CI", scope=Scope.READ, expires_at=None, actor=owner
        ).plaintext
    return Client(HTTP_HOST=primary_host_for_slug(tenant.slug), HTTP_AUTHORIZATION=f"Bearer {key}")


def _counted(tenant: Tenant) -> int:
    """The workspace's count in the pinned window, as the cache holds it."""
    with tenant_context(tenant):
        window = int(PINNED // throttling.WINDOW_SECONDS)
        raw = get_redis_connection("default").get(cache.make_key(f"api-rate:{window}"))
    return int(raw or 0)


def test_once_refused_a_workspace_is_refused_before_its_credentials_are_read(
    settings: Settings,
    tenant: Tenant,
    owner: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 2
    client = _key_client(tenant, owner)
    answers = [client.get("/api/v1/labels/") for _ in range(3)]
    counted = _counted(tenant)

    with django_assert_num_queries(0):  # no key looked up, no schema set
        refused = client.get("/api/v1/labels/")

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert refused.status_code == 429
    # The same answer as the refusal the count made: DRF's body, the wait till the next window.
    assert refused["Retry-After"] == answers[2]["Retry-After"] == "30"
    assert refused.json() == answers[2].json()
    assert "2 API requests" in refused.json()["detail"]
    assert _counted(tenant) == counted  # not counted: it needs no budget and spends none


def test_a_spent_workspace_refuses_nothing_of_another(
    settings: Settings,
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    owner: User,
    outsider: User,
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 1
    acme = _key_client(tenant, owner)
    globex = client_on(other_tenant, outsider)

    assert [acme.get("/api/v1/labels/").status_code for _ in range(3)] == [200, 429, 429]
    assert globex.get("/api/v1/labels/").status_code == 200
    assert acme.get("/api/v1/labels/").status_code == 429


def test_requests_without_valid_credentials_spend_no_budget(
    settings: Settings, tenant: Tenant, owner: User
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 2
    host = primary_host_for_slug(tenant.slug)
    stranger = Client(HTTP_HOST=host, HTTP_AUTHORIZATION="Bearer strata_aaaaaaaaaa_" + "b" * 43)
    nobody = Client(HTTP_HOST=host)
    client = _key_client(tenant, owner)

    strangers = [stranger.get("/api/v1/labels/").status_code for _ in range(3)]
    anonymous = [nobody.get("/api/v1/labels/").status_code for _ in range(3)]
    members = [client.get("/api/v1/labels/").status_code for _ in range(3)]

    assert strangers == [401, 401, 401]
    assert anonymous == [401, 401, 401]
    assert members == [200, 200, 429]  # the workspace's whole budget was still there
    # Once spent, the budget refuses before credentials are read: a stranger learns that it
    # is spent for this minute, and still spends nothing.
    assert stranger.get("/api/v1/labels/").status_code == 429
    assert _counted(tenant) == 3


def test_a_plan_raised_within_the_window_counts_at_once(
    settings: Settings, client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 0
    on_plan(tenant, "free")
    budget = plan_named("free").api_requests_per_minute
    client = client_on(tenant, member)

    statuses = [client.get("/api/v1/labels/").status_code for _ in range(budget + 2)]
    on_plan(tenant, "pro")  # the owner upgrades within the minute
    upgraded = client.get("/api/v1/labels/")

    assert statuses[budget:] == [429, 429]
    assert upgraded.status_code == 200


def test_the_process_forgets_a_spent_budget_when_its_window_ends() -> None:
    budgets = throttling.SpentBudgets()

    budgets.remember(7, window=100, count=61)
    budgets.remember(7, window=99, count=90)  # a request that read the clock late: ignored

    assert budgets.count(7, window=100) == 61
    assert budgets.count(8, window=100) is None
    budgets.remember(8, window=101, count=5)
    assert budgets.count(7, window=100) is None
    assert budgets.count(7, window=101) is None
    assert budgets.count(8, window=101) == 5
