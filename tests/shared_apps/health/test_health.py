from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

from shared_apps.health.checks import forget_migrations_at_head
from tenants.models import Tenant, TenantStatus


@pytest.fixture(autouse=True)
def _fresh_migration_memo() -> Iterator[None]:
    forget_migrations_at_head()
    yield
    forget_migrations_at_head()


@pytest.mark.parametrize(
    "host", ["localhost", "acme.localhost", "nosuch.localhost", "10.0.0.7:8000", "not allowed!"]
)
def test_healthz_answers_on_any_host_without_io(host: str) -> None:
    # No `db` fixture: any database access here would raise instead of answering.
    response = Client(HTTP_HOST=host).get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_for_a_suspended_tenant(tenant: Tenant) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.SUSPENDED)

    assert Client(HTTP_HOST="acme.localhost").get("/healthz").status_code == 200


@pytest.mark.parametrize("host", ["localhost", "acme.localhost", "10.0.0.7:8000"])
def test_readyz_checks_database_redis_and_migrations(host: str, db: None) -> None:
    response = Client(HTTP_HOST=host).get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
    }


def test_readyz_names_redis_when_it_is_unreachable(db: None) -> None:
    unreachable = "redis://127.0.0.1:1/0"
    caches = {
        alias: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": unreachable,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5},
        }
        for alias in ("default", "global")
    }
    with override_settings(REDIS_URL=unreachable, CACHES=caches):
        response = Client(HTTP_HOST="localhost").get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == "failing: ConnectionError"  # details go to the log
    assert body["checks"]["database"] == "ok"


def test_readyz_names_unapplied_migrations(db: None) -> None:
    # As if the code had moved one migration ahead of the database.
    (app, name) = next(n for n in MigrationLoader(None).graph.leaf_nodes() if n[0] == "tenants")
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()

    response = Client(HTTP_HOST="localhost").get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failing: RuntimeError"
