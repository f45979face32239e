"""The fleet migration: skips schemas at head, migrates the rest, isolates failures, resumes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, transaction
from psycopg import sql
from pytest_django import DjangoDbBlocker

from tenants.fleet import migrate_fleet, schemas_behind
from tenants.models import Tenant
from tenants.pool import current_blueprint, schema_drop
from tenants.schemas import (
    TEMPLATE_SCHEMA,
    blueprint_replay,
    expected_migrations,
    schema_signature,
)
from tests.workers import celery_env

ROOT = Path(__file__).resolve().parents[2]


def _without_audit_migration(schema: str, *, keep_table: bool = False) -> None:
    """Put `schema` behind head: as if the audit app and its migrations were new."""
    with connection.cursor() as cursor:
        if not keep_table:  # keeping it makes the schema broken: the table is in the way
            cursor.execute(
                sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, "audit_auditentry"))
            )
        cursor.execute(
            sql.SQL("DELETE FROM {} WHERE app = 'audit'").format(
                sql.Identifier(schema, "django_migrations")
            )
        )


def _schemas_from_blueprint(*names: str) -> None:
    with transaction.atomic():
        for name in names:
            blueprint_replay(current_blueprint(), name)


def test_schemas_at_head_are_skipped_and_the_others_are_migrated(db: None) -> None:
    _schemas_from_blueprint("t_fleet_a", "t_fleet_b", "t_fleet_c")
    _without_audit_migration("t_fleet_a")
    _without_audit_migration("t_fleet_c")
    names = ["t_fleet_a", "t_fleet_b", "t_fleet_c"]
    assert schemas_behind(names) == ["t_fleet_a", "t_fleet_c"]
    lines: list[str] = []

    report = migrate_fleet(workers=1, schemas=names, progress=lines.append)

    assert report.at_head == 1
    audit_migrations = len([app for app, _name in expected_migrations() if app == "audit"])
    assert sorted((r.schema, r.applied) for r in report.migrated) == [
        ("t_fleet_a", audit_migrations),
        ("t_fleet_c", audit_migrations),
    ]
    assert report.failed == []
    template = schema_signature(TEMPLATE_SCHEMA)
    assert all(schema_signature(name) == template for name in names)
    assert schemas_behind(names) == []
    assert "3 schemas: 1 at head, 2 to migrate" in lines
    assert lines[-1] == "[2/2] 100% migrated, 0 failed"


def test_a_broken_schema_is_reported_the_rest_proceed_and_a_rerun_resumes(db: None) -> None:
    _schemas_from_blueprint("t_fleet_ok", "t_fleet_broken")
    _without_audit_migration("t_fleet_ok")
    _without_audit_migration("t_fleet_broken", keep_table=True)
    names = ["t_fleet_broken", "t_fleet_ok"]

    report = migrate_fleet(workers=1, schemas=names)

    assert [r.schema for r in report.migrated] == ["t_fleet_ok"]
    assert [r.schema for r in report.failed] == ["t_fleet_broken"]
    assert 'relation "audit_auditentry" already exists' in report.failed[0].error
    assert schemas_behind(names) == ["t_fleet_broken"]  # rolled back, as it was

    with connection.cursor() as cursor:  # an operator fixes the cause...
        cursor.execute('DROP TABLE "t_fleet_broken".audit_auditentry')
    again = migrate_fleet(workers=1, schemas=names)

    # ...and the re-run does only what is left.
    assert (again.at_head, [r.schema for r in again.migrated], again.failed) == (
        1,
        ["t_fleet_broken"],
        [],
    )


def test_a_name_that_is_no_tenant_schema_is_a_failure_not_a_crash(db: None) -> None:
    report = migrate_fleet(workers=1, schemas=["t_does_not_exist"])

    assert [r.schema for r in report.failed] == ["t_does_not_exist"]
    assert "not a tenant schema" in report.failed[0].error


@pytest.fixture
def committed_fleet(django_db_blocker: DjangoDbBlocker) -> Iterator[list[str]]:
    """Six committed schemas, two behind head and one broken, for worker processes to see."""
    names = [f"t_fleet_proc{n}" for n in range(6)]
    with django_db_blocker.unblock():
        _schemas_from_blueprint(*names)
        _without_audit_migration(names[1])
        _without_audit_migration(names[4])
        _without_audit_migration(names[5], keep_table=True)
    yield names
    with django_db_blocker.unblock():
        for name in names:
            schema_drop(name)


# Pooled: production's settings (the migration Job), where each worker must get a pool of its
# own rather than share the sockets of the one it was forked from.
@pytest.mark.parametrize("pooled", [False, True], ids=["plain connections", "psycopg pool"])
def test_the_command_migrates_in_worker_processes_and_fails_with_the_broken_schema(
    committed_fleet: list[str], django_db_blocker: DjangoDbBlocker, pooled: bool
) -> None:
    command = [sys.executable, "manage.py", "migrate_fleet", "--workers", "2", "--skip-pool"]
    for name in committed_fleet:
        command += ["--schema", name]

    run = subprocess.run(
        command,
        cwd=ROOT,
        env=celery_env(DATABASE_POOL=str(pooled).lower()),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 1, run.stdout + run.stderr
    assert "6 schemas: 3 at head, 3 to migrate" in run.stdout
    assert "fleet: 6 schemas" in run.stdout
    assert "2 migrated, 3 already at head, 1 failed" in run.stdout
    assert f"FAILED {committed_fleet[5]}: ProgrammingError" in run.stderr
    assert "run migrate_fleet again" in run.stderr
    with django_db_blocker.unblock():
        template = schema_signature(TEMPLATE_SCHEMA)
        assert schema_signature(committed_fleet[1]) == template
        assert schema_signature(committed_fleet[4]) == template
        assert schemas_behind(committed_fleet) == [committed_fleet[5]]


def test_the_command_refuses_a_nonsense_worker_count() -> None:
    run = subprocess.run(
        [sys.executable, "manage.py", "migrate_fleet", "--workers", "0"],
        cwd=ROOT,
        env=celery_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 1
    assert "--workers must be 1 or more" in run.stderr


def test_spares_migrated_by_the_fleet_are_handed_out_again(db: None) -> None:
    from tenants.models import SpareSchema
    from tenants.pool import pool_refill, schema_claim
    from tenants.schemas import migrations_fingerprint

    SpareSchema.objects.all().delete()
    pool_refill(1)
    spare = SpareSchema.objects.get()
    _without_audit_migration(spare.schema_name)
    SpareSchema.objects.update(fingerprint="the state before")

    report = migrate_fleet(workers=1)

    assert spare.schema_name in [r.schema for r in report.migrated]
    assert SpareSchema.objects.get().fingerprint == migrations_fingerprint()
    with transaction.atomic():
        assert schema_claim().name == spare.schema_name


def test_a_schema_that_left_the_fleet_while_it_ran_is_not_a_failure(
    db: None, tenant: Tenant
) -> None:
    from tenants.fleet import FleetReport, SchemaResult, _forget_vanished

    # A spare claimed or dropped by a refill between the listing and its turn: gone, not broken.
    report = FleetReport(
        failed=[
            SchemaResult("t_gone_meanwhile", error="RuntimeError: no django_migrations table"),
            SchemaResult(tenant.schema_name, error="ProgrammingError: a real failure"),
        ]
    )

    _forget_vanished(report)

    assert [r.schema for r in report.failed] == [tenant.schema_name]
