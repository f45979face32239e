"""Fleet migrations: public, then the template, then every tenant and spare schema.

Stock `migrate_schemas` runs Django's whole `migrate` command once per schema: it builds the
migration graph, renders the project state and walks the plan every time, which costs about as
much for a schema with nothing to do as a real change does. Here:

- **One cheap check per schema.** A schema is at head when its `django_migrations` holds every
  migration the code has. The check for a batch of schemas is a single `UNION ALL` statement
  of counts; schemas at head are skipped without any per-schema work.
- **The plan once per starting state.** Schemas that start from the same applied set share a
  plan and the project states before and after each operation; a worker computes them for the
  first such schema and reuses them, so applying an `AddField` to the next schema costs its
  `ALTER TABLE` and one `INSERT` into `django_migrations`.
- **Parallel and isolated.** Schemas are spread over worker processes; each schema migrates in
  one transaction, so a failing schema is rolled back and reported while the rest proceed.
  A re-run picks up exactly the schemas not yet at head.

A migration marked `atomic = False` cannot share a transaction; a schema whose plan holds one
is migrated by Django's own executor instead. `post_migrate` handlers (content types,
permissions) are for shared apps and run once, when public migrates.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.core.management import call_command
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from psycopg import sql

from tenants.context import tenant_connection
from tenants.models import SpareSchema, Tenant
from tenants.pool import template_refresh
from tenants.schemas import TEMPLATE_SCHEMA, expected_migrations, migrations_fingerprint

CHECK_BATCH = 200
MAX_PASSES = 3


@dataclass(frozen=True)
class SchemaResult:
    schema: str
    applied: int = 0  # migrations applied
    error: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass
class FleetReport:
    at_head: int = 0
    migrated: list[SchemaResult] = field(default_factory=list)
    failed: list[SchemaResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.at_head + len(self.migrated) + len(self.failed)


# --- Which schemas, and which need work --------------------------------------------------------


def fleet_schemas() -> list[str]:
    """Every schema the fleet migration keeps at head: tenants (whatever their status: an
    archived tenant may be restored) and spares, in a stable order."""
    tenants = Tenant.objects.order_by("pk").values_list("schema_name", flat=True)
    spares = SpareSchema.objects.order_by("pk").values_list("schema_name", flat=True)
    return [*tenants, *spares]


def schemas_behind(schemas: list[str]) -> list[str]:
    """The schemas of `schemas` that lack a migration the code has (or lack the table)."""
    expected = sorted(f"{app}.{name}" for app, name in expected_migrations())
    with tenant_connection().cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'django_migrations' AND n.nspname = ANY(%s)",
            [schemas],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        complete: set[str] = set()
        candidates = [schema for schema in schemas if schema in with_table]
        for start in range(0, len(candidates), CHECK_BATCH):
            batch = candidates[start : start + CHECK_BATCH]
            query = sql.SQL(" UNION ALL ").join(
                sql.SQL(
                    "SELECT {name}, count(*) FROM {table} WHERE app || '.' || name = ANY(%(e)s)"
                ).format(
                    name=sql.Literal(schema),
                    table=sql.Identifier(schema, "django_migrations"),
                )
                for schema in batch
            )
            cursor.execute(query, {"e": expected})
            complete.update(name for name, count in cursor.fetchall() if count == len(expected))
    return [schema for schema in schemas if schema not in complete]


# --- Migrating one schema ----------------------------------------------------------------------

Step = tuple[Migration, list[tuple[Operation, ProjectState, ProjectState]]]


@dataclass(frozen=True)
class _Plan:
    steps: list[Step] | None  # None: the plan needs Django's own executor
    replacements: dict[tuple[str, str], Migration]


# Per process: the plan and states for each starting state seen so far.
_plans: dict[frozenset[tuple[str, str]], _Plan] = {}


def _plan_from(applied: frozenset[tuple[str, str]]) -> _Plan:
    """The plan from `applied` to head, with every operation's states before and after."""
    if applied in _plans:
        return _plans[applied]
    # The connection is on a schema with exactly this applied set: the loader reads it there.
    executor = MigrationExecutor(tenant_connection())
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    steps: list[Step] | None = None
    if not any(backwards or not migration.atomic for migration, backwards in plan):
        # Django's own starting state for this plan (a private helper, stable since 1.8).
        state: ProjectState = executor._create_project_state(  # type: ignore[attr-defined]
            with_applied_migrations=True
        )
        steps = []
        for migration, _backwards in plan:
            operations = []
            for operation in migration.operations:
                before = state.clone()
                operation.state_forwards(migration.app_label, state)
                operations.append((operation, before, state.clone()))
            steps.append((migration, operations))
    _plans[applied] = _Plan(steps=steps, replacements=dict(executor.loader.replacements))
    return _plans[applied]


def _apply(plan: _Plan, recorder: MigrationRecorder) -> int:
    """Run `plan`'s steps on the connection's schema and record them, as Django's executor
    would; inside the caller's transaction."""
    connection = tenant_connection()
    for migration, operations in plan.steps or []:
        with connection.schema_editor(atomic=False) as editor:
            for operation, before, after in operations:
                operation.database_forwards(migration.app_label, editor, before, after)
        for app_label, name in migration.replaces or [(migration.app_label, migration.name)]:
            recorder.record_applied(app_label, name)
    # A squashed migration counts as applied once everything it replaces is.
    applied = recorder.applied_migrations()
    for key, squashed in plan.replacements.items():
        if key not in applied and all(name in applied for name in squashed.replaces):
            recorder.record_applied(*key)
    return len(plan.steps or [])


def migrate_schema(schema: str) -> SchemaResult:
    """Bring `schema` to head in one transaction; report, never raise."""
    started = time.perf_counter()
    connection = tenant_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
            if cursor.fetchone() == (None,):
                raise RuntimeError("no django_migrations table here: not a tenant schema")
        connection.set_schema(schema)
        recorder = MigrationRecorder(connection)
        with transaction.atomic():
            plan = _plan_from(frozenset(recorder.applied_migrations()))
            applied = _apply(plan, recorder) if plan.steps is not None else 0
        if plan.steps is None:  # a non-atomic migration: Django's executor, its way
            connection.set_schema_to_public()
            call_command(
                "migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0
            )
            applied = -1
        return SchemaResult(schema, applied=applied, seconds=time.perf_counter() - started)
    except Exception as exc:  # isolate: one broken schema must not stop the fleet
        error = f"{type(exc).__name__}: {exc}".strip()
        return SchemaResult(schema, error=error, seconds=time.perf_counter() - started)
    finally:
        connection.set_schema_to_public()


# --- The fleet ---------------------------------------------------------------------------------


def _run(schemas: list[str], workers: int) -> Iterator[SchemaResult]:
    if workers <= 1 or len(schemas) <= 1:
        for schema in schemas:
            yield migrate_schema(schema)
        return
    # Forked workers must not inherit an open database socket: close ours, each opens its own.
    # With Django's pool (production), closing only returns a connection to the pool, whose
    # sockets every child would then share: the pool itself goes too.
    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=workers) as pool:
        yield from pool.imap_unordered(migrate_schema, schemas, chunksize=4)


def migrate_fleet(
    *,
    workers: int | None = None,
    schemas: Iterable[str] | None = None,
    migrate_public: bool = True,
    progress: Callable[[str], None] | None = None,
) -> FleetReport:
    """Migrate public, the template (and capture its blueprint), then every fleet schema (or
    just `schemas`)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    report = FleetReport()
    if migrate_public:
        say("migrating the public schema")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        tenant_connection().set_schema_to_public()
    say(f"migrating the template schema {TEMPLATE_SCHEMA}")
    template_refresh(progress=say)
    count = workers if workers is not None else (os.cpu_count() or 1)
    targets = list(schemas) if schemas is not None else fleet_schemas()
    seen: set[str] = set()
    # Tenants provisioned meanwhile (old code keeps serving during a rollout) join a next pass.
    for _pass in range(MAX_PASSES):
        fresh = [schema for schema in targets if schema not in seen]
        if not fresh:
            break
        seen.update(fresh)
        _migrate_pass(fresh, count, report, say)
        if schemas is not None:
            break
        targets = fleet_schemas()
    if schemas is None:
        _forget_vanished(report)
    _spares_at_head(seen, report)
    report.seconds = time.perf_counter() - started
    return report


def _migrate_pass(
    targets: list[str], workers: int, report: FleetReport, say: Callable[[str], None]
) -> None:
    behind = schemas_behind(targets)
    at_head = len(targets) - len(behind)
    report.at_head += at_head
    say(f"{len(targets)} schemas: {at_head} at head, {len(behind)} to migrate")
    last_said = time.perf_counter()
    for done, result in enumerate(_run(behind, workers), start=1):
        (report.failed if result.failed else report.migrated).append(result)
        if result.failed:
            say(f"[{done}/{len(behind)}] {result.schema} FAILED: {result.error}")
        elif time.perf_counter() - last_said >= 1 or done == len(behind):
            percent = 100 * done // len(behind)
            say(f"[{done}/{len(behind)}] {percent}% migrated, {len(report.failed)} failed")
            last_said = time.perf_counter()


def _forget_vanished(report: FleetReport) -> None:
    """A spare claimed or dropped, or a tenant purged, while the fleet ran is not a failure
    (only for whole-fleet runs: a schema named on the command line is reported as it is)."""
    if not report.failed:
        return
    present = set(fleet_schemas())
    report.failed = [result for result in report.failed if result.schema in present]


def _spares_at_head(schemas: set[str], report: FleetReport) -> None:
    """Spares now at the code's head are handed out again (claims look for the head's
    fingerprint)."""
    failed = {result.schema for result in report.failed}
    fingerprint = migrations_fingerprint()
    SpareSchema.objects.filter(schema_name__in=schemas - failed).exclude(
        fingerprint=fingerprint
    ).update(fingerprint=fingerprint)
