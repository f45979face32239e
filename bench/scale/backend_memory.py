"""Child process of bench/scale/run.py: one database connection visits tenant after tenant and
reads what its PostgreSQL backend holds in memory as it goes.

For each tenant in order: choose its schema, as routing does, and run what the workspace view
of the bench app reads (projects, the latest tasks with project, assignee and labels). At the
checkpoints given, print `MEMORY <schemas visited> <bytes in memory contexts> <bytes in the
catalog caches> <anonymous KiB or -1>`: the first two from pg_backend_memory_contexts (the
backend's own accounting), the last from /proc when the server runs on this machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpRequest  # noqa: E402

from bench.routing.benchapp.views import workspace  # noqa: E402
from bench.scale.grow import slug  # noqa: E402
from tenants.models import Tenant  # noqa: E402

CONTEXTS = "SELECT sum(total_bytes) FROM pg_backend_memory_contexts"
CATALOG_CACHES = (
    "SELECT sum(total_bytes) FROM pg_backend_memory_contexts "
    "WHERE name = 'CacheMemoryContext' OR parent = 'CacheMemoryContext'"
)


def anonymous_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Anonymous:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def report(visited: int, pid: int) -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(CONTEXTS)
        (contexts,) = cursor.fetchone() or (0,)
        cursor.execute(CATALOG_CACHES)
        (caches,) = cursor.fetchone() or (0,)
    print(f"MEMORY {visited} {int(contexts)} {int(caches)} {anonymous_kib(pid)}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoints", required=True, help="comma-separated schema counts")
    args = parser.parse_args()
    checkpoints = sorted({int(value) for value in args.checkpoints.split(",")})
    tenants = {
        tenant.slug: tenant
        for tenant in Tenant.objects.filter(slug__startswith="s").order_by("slug")
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone() or (0,)
    request = HttpRequest()
    report(0, pid)
    for visited in range(1, checkpoints[-1] + 1):
        connection.set_tenant(tenants[slug(visited)])  # type: ignore[attr-defined]
        response = workspace(request)
        if response.status_code != 200:
            raise SystemExit(f"the workspace view answered {response.status_code}")
        if visited in checkpoints:
            report(visited, pid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
