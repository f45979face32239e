"""New tenant schemas without migrations: the blueprint (cold path) and the pool (warm path)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from pytest_django import DjangoDbBlocker, Settings

from tenants.context import tenant_connection
from tenants.models import SchemaBlueprint, SpareSchema
from tenants.pool import pool_refill, schema_claim, schema_drop
from tenants.schemas import (
    TEMPLATE_SCHEMA,
    BlueprintError,
    ProvisioningNotReadyError,
    blueprint_capture,
    blueprint_replay,
    migrations_fingerprint,
    schema_exists,
    schema_signature,
)
from tenants.services import tenant_provision


def _migrated_schema(name: str) -> None:
    """A schema made the slow, stock way: every migration run in it."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=0)
    tenant_connection().set_schema_to_public()


def test_a_schema_from_the_blueprint_is_the_schema_migrations_make(db: None) -> None:
    _migrated_schema("t_by_migrations")
    blueprint_replay(blueprint_capture(TEMPLATE_SCHEMA), "t_by_blueprint")

    migrated = schema_signature("t_by_migrations")
    assert schema_signature("t_by_blueprint") == migrated
    assert all(migrated[part] for part in ("columns", "indexes", "constraints"))
    assert len(migrated["migrations"]) == len(set(migrated["migrations"])) > 10


def test_a_tenant_from_the_blueprint_can_be_migrated_further(db: None) -> None:
    # The fleet migration treats blueprint schemas like any other: Django sees them at head.
    blueprint_replay(blueprint_capture(TEMPLATE_SCHEMA), "t_replayed")
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "t_replayed".django_migrations')
        (recorded,) = cursor.fetchone()

    call_command(
        "migrate_schemas", tenant=True, schema_name="t_replayed", interactive=False, verbosity=0
    )
    tenant_connection().set_schema_to_public()

    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "t_replayed".django_migrations')
        assert cursor.fetchone() == (recorded,)  # nothing was left to apply
        # Identity sequences continue after the copied rows.
        cursor.execute(
            'INSERT INTO "t_replayed".django_migrations (app, name, applied) '
            "VALUES ('x', 'y', now()) RETURNING id"
        )
        assert cursor.fetchone() == (recorded + 1,)


def test_the_blueprint_refuses_what_it_cannot_copy(db: None) -> None:
    blueprint_replay(blueprint_capture(TEMPLATE_SCHEMA), "t_odd")
    with connection.cursor() as cursor:
        cursor.execute('CREATE VIEW "t_odd".recent AS SELECT 1 AS one')
        cursor.execute('CREATE SEQUENCE "t_odd".numbers')

    with pytest.raises(BlueprintError, match=r"sequence numbers, view recent.*tenants/schemas\.py"):
        blueprint_capture("t_odd")


def test_a_new_tenant_takes_a_spare_schema_from_the_pool(db: None) -> None:
    SpareSchema.objects.all().delete()
    pool_refill(2)
    spares = list(SpareSchema.objects.order_by("pk").values_list("schema_name", flat=True))

    result = tenant_provision(slug="pooled", name="Pooled", owner_email="p@pooled.test")

    assert result.schema_source == "pool"
    assert result.tenant.schema_name == spares[0]
    assert list(SpareSchema.objects.values_list("schema_name", flat=True)) == spares[1:]


def test_with_the_pool_empty_a_new_tenant_comes_from_the_blueprint(db: None) -> None:
    SpareSchema.objects.all().delete()

    result = tenant_provision(slug="cold", name="Cold", owner_email="c@cold.test")

    assert result.schema_source == "blueprint"
    assert schema_exists(result.tenant.schema_name)
    assert schema_signature(result.tenant.schema_name) == schema_signature(TEMPLATE_SCHEMA)


def test_spares_at_another_migration_state_are_not_handed_out(db: None) -> None:
    SpareSchema.objects.all().delete()
    pool_refill(1)
    SpareSchema.objects.update(fingerprint="an older state")

    with transaction.atomic():
        claimed = schema_claim()

    assert claimed.source == "blueprint"
    # A refill drops the outdated spare and makes one at head.
    old = SpareSchema.objects.get().schema_name
    assert pool_refill(1) == 1
    assert not schema_exists(old)
    assert SpareSchema.objects.get().fingerprint == migrations_fingerprint()


def test_a_refill_tops_the_pool_up_to_its_size(db: None, settings: Settings) -> None:
    SpareSchema.objects.all().delete()
    settings.STRATA_POOL_SIZE = 3

    assert pool_refill() == 3
    assert pool_refill() == 0
    names = SpareSchema.objects.values_list("schema_name", flat=True)
    assert all(schema_exists(name) for name in names)
    assert all(
        schema_signature(name)["columns"] == schema_signature(TEMPLATE_SCHEMA)["columns"]
        for name in names
    )


def test_without_a_blueprint_for_this_version_provisioning_says_what_to_run(db: None) -> None:
    SpareSchema.objects.all().delete()
    SchemaBlueprint.objects.all().delete()

    with pytest.raises(ProvisioningNotReadyError, match=r"manage\.py migrate_fleet"):
        tenant_provision(slug="early", name="Early", owner_email="e@early.test")


@pytest.fixture
def committed_spares(django_db_blocker: DjangoDbBlocker) -> Iterator[list[str]]:
    """Two spares that other connections can see (committed), removed afterwards."""
    with django_db_blocker.unblock():
        before = set(SpareSchema.objects.values_list("schema_name", flat=True))
        pool_refill(len(before) + 2)
        spares = list(
            SpareSchema.objects.order_by("pk")
            .exclude(schema_name__in=before)
            .values_list("schema_name", flat=True)
        )
    yield spares
    with django_db_blocker.unblock():
        for name in spares:
            schema_drop(name)
        SpareSchema.objects.filter(schema_name__in=spares).delete()


def test_concurrent_claims_never_wait_for_or_share_a_spare(
    committed_spares: list[str], django_db_blocker: DjangoDbBlocker
) -> None:
    params = connection.get_connection_params()
    with django_db_blocker.unblock():
        order = list(SpareSchema.objects.order_by("pk").values_list("schema_name", flat=True))
    first_in_line = order[0]
    with psycopg.connect(**params, autocommit=False) as other:
        # Another signup has claimed the first spare and not yet committed.
        other.execute(
            "SELECT 1 FROM tenants_spareschema WHERE schema_name = %s FOR UPDATE", [first_in_line]
        )
        with django_db_blocker.unblock(), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # waiting would fail the test
            claimed = schema_claim()
            transaction.set_rollback(True)
        other.rollback()

    assert claimed.source == "pool"
    assert claimed.name != first_in_line
    assert claimed.name == order[1]
