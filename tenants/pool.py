"""Where new tenant schemas come from, fastest first.

1. **The pool**: spare schemas, created ahead of time at the code's migration head and kept in
   `SpareSchema`. A new tenant claims one in its own short transaction (`SELECT … FOR UPDATE
   SKIP LOCKED`: concurrent signups never wait for each other or take the same one).
2. **The blueprint** (cold path, when the pool is empty): the template's captured DDL replayed
   into a new schema, in the same transaction (tenants.schemas).

Neither runs a migration. Migrations run on the template, and on spares and tenants, in the
fleet migration (`manage.py migrate_fleet`), which also captures the blueprint. The pool is
refilled in the background (`tenants.pool_refill`: after each claim and on beat) to
STRATA_POOL_SIZE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from psycopg import sql

from tenants.context import tenant_connection
from tenants.models import SchemaBlueprint, SpareSchema, generate_schema_name
from tenants.schemas import (
    TEMPLATE_SCHEMA,
    Blueprint,
    ProvisioningNotReadyError,
    blueprint_capture,
    blueprint_replay,
    migrations_fingerprint,
    schema_exists,
)

logger = logging.getLogger("strata.pool")

# Only one refill at a time across all processes (a PostgreSQL advisory lock key).
_REFILL_LOCK = 0x5354524154410001


@dataclass(frozen=True)
class NewSchema:
    name: str
    source: str  # "pool" or "blueprint"


def template_refresh(*, progress: Callable[[str], None] | None = None) -> Blueprint:
    """Create or migrate the template schema to head, and store its blueprint."""
    say = progress or (lambda message: None)
    connection = tenant_connection()
    if not schema_exists(TEMPLATE_SCHEMA):
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(TEMPLATE_SCHEMA)))
        say(f"created the template schema {TEMPLATE_SCHEMA}")
    call_command(
        "migrate_schemas", tenant=True, schema_name=TEMPLATE_SCHEMA, interactive=False, verbosity=0
    )
    connection.set_schema_to_public()
    blueprint = blueprint_capture(TEMPLATE_SCHEMA)
    if blueprint.fingerprint != migrations_fingerprint():
        raise ProvisioningNotReadyError(
            f"the template schema {TEMPLATE_SCHEMA} is not at the code's migration head after "
            "migrating it; check `manage.py showmigrations` for unapplied or missing migrations"
        )
    SchemaBlueprint.objects.update_or_create(
        fingerprint=blueprint.fingerprint, defaults={"statements": list(blueprint.statements)}
    )
    say(f"captured the blueprint {blueprint.fingerprint} ({len(blueprint.statements)} statements)")
    return blueprint


def current_blueprint() -> Blueprint:
    fingerprint = migrations_fingerprint()
    stored = SchemaBlueprint.objects.filter(fingerprint=fingerprint).first()
    if stored is None:
        raise ProvisioningNotReadyError(
            "no schema blueprint matches this version's migrations: run "
            "`python manage.py migrate_fleet` (it migrates the template and captures one)"
        )
    return Blueprint(fingerprint=fingerprint, statements=tuple(stored.statements))


def schema_claim() -> NewSchema:
    """A schema for a new tenant, inside the caller's transaction: a spare if there is one,
    else a fresh one from the blueprint. Rolled back with the caller, either way."""
    connection = tenant_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("schema_claim() must run inside transaction.atomic()")
    spare = (
        SpareSchema.objects.select_for_update(skip_locked=True)
        .filter(fingerprint=migrations_fingerprint())
        .order_by("pk")
        .first()
    )
    if spare is not None:
        spare.delete()
        transaction.on_commit(_refill_soon)
        return NewSchema(name=spare.schema_name, source="pool")
    name = generate_schema_name()
    blueprint_replay(current_blueprint(), name)
    transaction.on_commit(_refill_soon)
    return NewSchema(name=name, source="blueprint")


def _refill_soon() -> None:
    if settings.STRATA_POOL_SIZE > 0:
        from tenants.tasks import pool_refill  # the task module imports this one

        pool_refill.delay()


def schema_drop(name: str) -> None:
    """Drop a tenant or spare schema and everything in it (never public or the template)."""
    if name in {"public", TEMPLATE_SCHEMA} or name.startswith("pg_"):
        raise ValueError(f"refusing to drop the {name} schema")
    with tenant_connection().cursor() as cursor:
        cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def pool_refill(size: int | None = None, *, progress: Callable[[str], None] | None = None) -> int:
    """Top the pool up to `size` (default STRATA_POOL_SIZE) spares at the code's head; drop
    spares left at an older state. Returns how many were made; 0 if another refill is busy."""
    target = settings.STRATA_POOL_SIZE if size is None else size
    say = progress or (lambda message: None)
    connection = tenant_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFILL_LOCK])
        (locked,) = cursor.fetchone()
    if not locked:
        return 0
    try:
        fingerprint = migrations_fingerprint()
        for stale in SpareSchema.objects.exclude(fingerprint=fingerprint):
            with transaction.atomic():
                schema_drop(stale.schema_name)
                stale.delete()
            say(f"dropped the outdated spare {stale.schema_name}")
        blueprint = current_blueprint()
        made = 0
        while SpareSchema.objects.filter(fingerprint=fingerprint).count() < target:
            name = generate_schema_name()
            with transaction.atomic():
                blueprint_replay(blueprint, name)
                SpareSchema.objects.create(schema_name=name, fingerprint=fingerprint)
            made += 1
            say(f"spare {made}: {name}")
        if made:
            logger.info("pool refilled with %d spare schemas (target %d)", made, target)
        return made
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK])
