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

# Any fixed time: the buckets move only when the tests move the clock.
PINNED = 1_800_000_030.0


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttling, "_clock", lambda: PINNED)


def _at(monkeypatch: pytest.MonkeyPatch, seconds_later: float) -> None:
    monkeypatch.setattr(throttling, "_clock", lambda: PINNED + seconds_later)


def test_past_its_budget_a_workspace_gets_429_with_retry_after(
    settings: Settings,
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    member: User,
    owner: User,
    outsider: User,
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 18  # 3 at once, then one every 3⅓ s
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
    assert refused["Retry-After"] == "4"  # the next request fits in 3⅓ s
    detail = refused.json()["detail"]
    assert "18 a minute, up to 3 at once" in detail
    # The wait is said once, by DRF, as in the header.
    assert detail.endswith("Expected available in 4 seconds.")
    assert detail.count("second") == 1
    assert globex.status_code == 200  # another workspace, another budget


def test_the_bucket_refills_at_the_plan_s_rate(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 60  # 10 at once, then one a second
    client = client_on(tenant, member)

    def statuses(count: int) -> list[int]:
        return [client.get("/api/v1/labels/").status_code for _ in range(count)]

    burst = statuses(11)
    _at(monkeypatch, 0.5)
    half_a_second = statuses(1)
    _at(monkeypatch, 1)
    one_second = statuses(2)
    _at(monkeypatch, 61)  # a quiet minute: the whole burst again, and no more
    rested = statuses(11)

    assert burst == [200] * 10 + [429]
    assert half_a_second == [429]
    assert one_second == [200, 429]
    assert rested == [200] * 10 + [429]


def test_without_an_override_the_plan_sets_the_rate(
    settings: Settings, client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 0
    on_plan(tenant, "free")
    budget = throttling.Budget(plan_named("free").api_requests_per_minute)
    client = client_on(tenant, member)

    statuses = [client.get("/api/v1/labels/").status_code for _ in range(budget.burst + 1)]

    assert (budget.limit, budget.burst) == (60, 10)
    assert statuses == [200] * budget.burst + [429]
    detail = client.get("/api/v1/labels/").json()["detail"]
    assert "60 a minute, up to 10 at once (Free plan)" in detail


def test_the_budget_holds_on_a_local_memory_cache_too(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
) -> None:
    """`make run` without Redis keeps the cache in local memory: the same bucket, kept through
    the cache API instead of a Redis script."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        },
    }
    settings.STRATA_API_REQUESTS_PER_MINUTE = 12  # 2 at once, then one every 5 s
    assert isinstance(caches["default"], LocMemCache)
    client = client_on(tenant, member)

    statuses = [client.get("/api/v1/labels/").status_code for _ in range(3)]
    _at(monkeypatch, 5)
    later = [client.get("/api/v1/labels/").status_code for _ in range(2)]

    assert statuses == [200, 200, 429]
    assert later == [200, 429]


def _key_client(tenant: Tenant, owner: User) -> Client:
    with tenant_context(tenant):
        key = api_key_create(
            tenant=tenant, name="CI", scope=Scope.READ, expires_at=None, actor=owner
        ).plaintext
    return Client(HTTP_HOST=primary_host_for_slug(tenant.slug), HTTP_AUTHORIZATION=f"Bearer {key}")


def _bucket(tenant: Tenant) -> bytes | None:
    """The workspace's bucket, as the cache holds it."""
    with tenant_context(tenant):
        raw: bytes | None = get_redis_connection("default").get(
            cache.make_key(throttling.BUCKET_KEY)
        )
    return raw


def test_once_refused_a_workspace_is_refused_before_its_credentials_are_read(
    settings: Settings,
    tenant: Tenant,
    owner: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 12  # 2 at once, then one every 5 s
    client = _key_client(tenant, owner)
    answers = [client.get("/api/v1/labels/") for _ in range(3)]
    bucket = _bucket(tenant)

    with django_assert_num_queries(0):  # no key looked up, no schema set
        refused = client.get("/api/v1/labels/")

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert refused.status_code == 429
    # The same answer as the refusal the bucket made: DRF's body, the same wait.
    assert refused["Retry-After"] == answers[2]["Retry-After"] == "5"
    assert refused.json() == answers[2].json()
    assert "12 a minute" in refused.json()["detail"]
    assert bucket is not None
    assert _bucket(tenant) == bucket  # not counted: it needs no budget and spends none


def test_the_early_refusal_ends_when_the_bucket_takes_requests_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tenant: Tenant, owner: User
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 12
    client = _key_client(tenant, owner)
    assert [client.get("/api/v1/labels/").status_code for _ in range(3)] == [200, 200, 429]

    _at(monkeypatch, 4.9)
    early = client.get("/api/v1/labels/")
    _at(monkeypatch, 5)
    on_time = [client.get("/api/v1/labels/").status_code for _ in range(2)]

    assert (early.status_code, early["Retry-After"]) == (429, "1")
    assert on_time == [200, 429]


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
    settings.STRATA_API_REQUESTS_PER_MINUTE = 12  # 2 at once
    host = primary_host_for_slug(tenant.slug)
    stranger = Client(HTTP_HOST=host, HTTP_AUTHORIZATION="Bearer strata_aaaaaaaaaa_" + "b" * 43)
    nobody = Client(HTTP_HOST=host)
    client = _key_client(tenant, owner)

    strangers = [stranger.get("/api/v1/labels/").status_code for _ in range(3)]
    anonymous = [nobody.get("/api/v1/labels/").status_code for _ in range(3)]
    members = [client.get("/api/v1/labels/").status_code for _ in range(3)]
    bucket = _bucket(tenant)

    assert strangers == [401, 401, 401]
    assert anonymous == [401, 401, 401]
    assert members == [200, 200, 429]  # the workspace's whole budget was still there
    # Once spent, the budget refuses before credentials are read: a stranger learns that the
    # workspace is past its rate for now, and still spends nothing.
    assert stranger.get("/api/v1/labels/").status_code == 429
    assert _bucket(tenant) == bucket


def test_a_plan_raised_counts_at_once(
    settings: Settings, client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 0
    on_plan(tenant, "free")
    free = throttling.Budget(plan_named("free").api_requests_per_minute)
    pro = throttling.Budget(plan_named("pro").api_requests_per_minute)
    client = client_on(tenant, member)

    statuses = [client.get("/api/v1/labels/").status_code for _ in range(free.burst + 2)]
    on_plan(tenant, "pro")  # the owner upgrades: Pro's burst, less what was sent
    upgraded = [client.get("/api/v1/labels/").status_code for _ in range(pro.burst - free.burst)]
    spent = client.get("/api/v1/labels/")

    assert statuses[free.burst :] == [429, 429]
    assert upgraded == [200] * (pro.burst - free.burst)
    assert spent.status_code == 429
    assert "(Pro plan)" in spent.json()["detail"]


# --- The bucket itself --------------------------------------------------------------------------

BUDGET = throttling.Budget(600)  # Pro: 100 at once, then one every 100 ms
NOW = 1_800_000_030_000_000


def test_a_steady_client_gets_its_rate_and_no_more() -> None:
    bucket = None
    taken = 0
    for tick in range(0, 60_000_000, 10_000):  # a request every 10 ms for a minute: 10x
        ok, bucket = throttling.admit(bucket, NOW + tick, BUDGET)
        taken += ok

    # The burst, then one every 100 ms for the 59.99 s after the first request.
    assert taken == BUDGET.burst + 599


def test_a_refused_request_leaves_the_bucket_alone() -> None:
    bucket = None
    for _ in range(BUDGET.burst):
        ok, bucket = throttling.admit(bucket, NOW, BUDGET)
        assert ok
    assert bucket is not None

    ok, after = throttling.admit(bucket, NOW, BUDGET)

    assert not ok
    assert after == bucket
    assert throttling.retry_after(bucket, NOW, BUDGET) == 1  # 100 ms, said in whole seconds


def test_the_redis_script_and_the_python_agree(tenant: Tenant) -> None:
    """The script is the function, run inside Redis: both answer a burst, a refusal, a refill
    and a change of rate the same way."""
    steps = [(0, BUDGET)] * 101 + [(50_000, BUDGET), (100_000, BUDGET)]
    steps += [(100_000, throttling.Budget(60))] * 3 + [(100_000, throttling.Budget(7))] * 2
    steps += [(90_000_000, BUDGET)]
    python: list[tuple[bool, throttling.Bucket]] = []
    bucket = None
    for offset, budget in steps:
        ok, bucket = throttling.admit(bucket, NOW + offset, budget)
        python.append((ok, bucket))
    with tenant_context(tenant):
        in_redis = [throttling._take(NOW + offset, budget) for offset, budget in steps]

    assert in_redis == python
    assert [ok for ok, _ in python].count(False) >= 3


def test_a_key_left_by_an_older_version_is_a_full_bucket(tenant: Tenant) -> None:
    with tenant_context(tenant):
        get_redis_connection("default").set(cache.make_key(throttling.BUCKET_KEY), "41")
        ok, bucket = throttling._take(NOW, BUDGET)

    assert ok
    assert bucket == throttling.Bucket(NOW + BUDGET.interval, BUDGET.interval)
    assert throttling.Bucket.decode(b"41") is None


def test_the_process_remembers_the_furthest_bucket_and_forgets_full_ones() -> None:
    budgets = throttling.SpentBudgets()
    far, near = throttling.Bucket(NOW + 9_000_000, 100_000), throttling.Bucket(NOW + 1, 100_000)

    budgets.remember(7, far, NOW)
    budgets.remember(7, near, NOW)  # a refusal read before the last one: ignored

    assert budgets.bucket(7) == far
    assert budgets.bucket(8) is None
    budgets.LIMIT = 1
    budgets.remember(8, near, NOW + 5_000_000)  # more than the limit: full buckets go
    assert budgets.bucket(7) == far
    assert budgets.bucket(8) is None
