"""One app set's side of the provisioning benchmark: a long-lived Django process that provisions
tenants three ways when bench/provisioning/run.py asks, and answers with the timings.

It speaks JSON lines: requests on stdin, one answer per request on its original stdout. Anything
else that would reach stdout (Django's commands) goes to stderr, which the runner logs.

Started with DJANGO_SETTINGS_MODULE set to one of bench/provisioning/settings_*.py and
DATABASE_URL set to a fresh database of its own.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # started as a script: Strata's packages must import
    sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from tenants.context import tenant_connection  # noqa: E402
from tenants.hosts import primary_host_for_slug  # noqa: E402
from tenants.models import Domain, Membership, SpareSchema, Tenant  # noqa: E402
from tenants.pool import current_blueprint, pool_refill  # noqa: E402
from tenants.roles import Role  # noqa: E402
from tenants.schemas import (  # noqa: E402
    Blueprint,
    applied_migrations,
    blueprint_replay,
    expected_migrations,
)
from tenants.services import tenant_provision  # noqa: E402

WARM, COLD, STOCK = "warm", "cold", "stock"
VARIANTS = (WARM, COLD, STOCK)


def stock_provision(*, slug: str, name: str, owner_email: str) -> str:
    """What a stock django-tenants project does: save the tenant, which with
    `auto_create_schema` creates its schema and runs `migrate_schemas` for it
    (TenantMixin.create_schema), then add its primary domain and the owner's membership."""
    owner = get_user_model()._default_manager.create_user(email=owner_email, password=None)
    tenant = Tenant.objects.create(slug=slug, name=name)
    # Strata's stubs for django-tenants leave out the method Strata itself never calls.
    tenant.create_schema(check_if_exists=True, verbosity=0)  # type: ignore[attr-defined]
    Domain.objects.create(tenant=tenant, domain=primary_host_for_slug(slug), is_primary=True)
    Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    return tenant.schema_name


def strata_provision(variant: str, *, slug: str, name: str, owner_email: str) -> str:
    provisioned = tenant_provision(slug=slug, name=name, owner_email=owner_email)
    expected_source = "pool" if variant == WARM else "blueprint"
    if provisioned.schema_source != expected_source:
        raise RuntimeError(f"{variant}: the schema came from the {provisioned.schema_source}")
    return provisioned.tenant.schema_name


def prepare(variant: str) -> None:
    """Untimed: exactly one spare for the warm path, none for the others; an open connection
    (stock's migrate_schemas closes it, and the next path must not pay to reopen it)."""
    if variant == WARM:
        pool_refill(1)
    spares = SpareSchema.objects.count()
    if spares != (1 if variant == WARM else 0):
        raise RuntimeError(f"{variant}: {spares} spare schemas before provisioning")
    tenant_connection().set_schema_to_public()
    with tenant_connection().cursor() as cursor:
        cursor.execute("SELECT 1")


def check_usable(slug: str, schema: str) -> None:
    """The tenant row, its primary domain, the owner's membership and a schema at head, all
    committed (read back outside any transaction)."""
    tenant = Tenant.objects.get(slug=slug)
    if tenant.schema_name != schema:
        raise RuntimeError(f"{slug}: schema {tenant.schema_name}, expected {schema}")
    if not Domain.objects.filter(tenant=tenant, is_primary=True).exists():
        raise RuntimeError(f"{slug}: no primary domain")
    if not Membership.objects.filter(tenant=tenant, role=Role.OWNER).exists():
        raise RuntimeError(f"{slug}: no owner membership")
    if applied_migrations(schema) != expected_migrations():
        raise RuntimeError(f"{slug}: schema {schema} is not at the migration head")


def provision_round(number: int, count: int, *, label: str) -> dict[str, list[float]]:
    """`count` tenants per variant, interleaved: tenant i goes through the variants in an order
    rotated by i, so that no variant is always first."""
    timings: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for index in range(count):
        shift = index % len(VARIANTS)
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            slug = f"{label}{number}-{index}-{variant}"
            arguments = {"slug": slug, "name": f"Bench {slug}", "owner_email": f"{slug}@bench.test"}
            prepare(variant)
            started = time.perf_counter()
            if variant == STOCK:
                schema = stock_provision(**arguments)
            else:
                schema = strata_provision(variant, **arguments)
            timings[variant].append((time.perf_counter() - started) * 1000)
            check_usable(slug, schema)
    return timings


def _timed(step: Callable[[], object], samples: int) -> float:
    times = []
    for _ in range(samples):
        prepare(COLD)
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def statement_kind(statement: str) -> str:
    if statement.startswith("CREATE TABLE"):
        return "tables"
    if "FOREIGN KEY" in statement:
        return "foreign keys"
    if " PRIMARY KEY " in statement or " UNIQUE " in statement:
        return "key indexes"
    if statement.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
        return "other indexes"
    if statement.startswith(("INSERT", "SELECT setval")):
        return "migration records"
    return "checks"


def replay_by_kind(blueprint: Blueprint, schema: str) -> dict[str, tuple[int, float]]:
    """The blueprint replayed statement by statement (then rolled back): per kind of
    statement, how many and how many ms."""
    spent: dict[str, tuple[int, float]] = {}
    with transaction.atomic():
        with tenant_connection().cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            cursor.execute(f'SET LOCAL search_path = "{schema}", public')
            for statement in blueprint.statements:
                started = time.perf_counter()
                cursor.execute(statement)
                count, ms = spent.get(statement_kind(statement), (0, 0.0))
                ms += (time.perf_counter() - started) * 1000
                spent[statement_kind(statement)] = (count + 1, ms)
        transaction.set_rollback(True)
    tenant_connection().set_schema_to_public()
    return spent


def breakdown(samples: int) -> dict[str, Any]:
    """Where the cold path's time goes: loading the blueprint row, replaying it in one round
    trip (rolled back), the same statement by statement by kind (median ms per kind), and the
    migrate_schemas call alone that stock pays for."""
    blueprint = current_blueprint()
    counter = iter(range(10**6))

    def replay() -> None:
        with transaction.atomic():
            blueprint_replay(blueprint, f"t_bench_replay_{next(counter)}")
            transaction.set_rollback(True)

    stock_schemas: list[str] = []

    def migrate() -> None:
        name = f"t_bench_stock_{next(counter)}"
        stock_schemas.append(name)
        with tenant_connection().cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{name}"')
        call_command(
            "migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=0
        )
        tenant_connection().set_schema_to_public()

    commits: list[float] = []
    for number in range(samples):
        name = f"t_bench_commit_{number}"
        with transaction.atomic():
            blueprint_replay(blueprint, name)
            started = time.perf_counter()
        commits.append((time.perf_counter() - started) * 1000)
        stock_schemas.append(name)

    kinds = [replay_by_kind(blueprint, f"t_bench_kind_{n}") for n in range(samples)]
    by_kind = {
        kind: [kinds[0][kind][0], statistics.median(sample[kind][1] for sample in kinds)]
        for kind in kinds[0]
    }
    result = {
        "load_blueprint_ms": _timed(current_blueprint, samples),
        "replay_ms": _timed(replay, samples),
        "commit_ms": statistics.median(commits),
        "migrate_schemas_ms": _timed(migrate, samples),
        "blueprint_statements": len(blueprint.statements),
        "blueprint_kib": sum(len(s) for s in blueprint.statements) / 1024,
        "by_kind": by_kind,
    }
    with tenant_connection().cursor() as cursor:
        for name in stock_schemas:
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
    return result


def answer(protocol: TextIO, message: dict[str, Any]) -> None:
    protocol.write(json.dumps(message) + "\n")
    protocol.flush()


def main() -> None:
    # Keep the original stdout for answers; everything else printed goes to stderr.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    started = time.perf_counter()
    call_command("migrate_fleet", workers=1, skip_pool=True, verbosity=0)
    answer(
        protocol,
        {
            "ready": True,
            "migrations": len(expected_migrations()),
            "tenant_tables": sum(
                1 for s in current_blueprint().statements if s.startswith("CREATE TABLE")
            ),
            "setup_seconds": time.perf_counter() - started,
        },
    )
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "round":
            timings = provision_round(request["round"], request["tenants"], label=request["label"])
            answer(protocol, {"timings": timings})
        elif request["op"] == "breakdown":
            answer(protocol, {"breakdown": breakdown(request["samples"])})
        elif request["op"] == "quit":
            answer(protocol, {"bye": True})
            return


if __name__ == "__main__":
    main()
