"""Child process of bench/scale/run.py: provision tenants `--first`..`--last` through Strata's
provisioning service and give each the rows the benchmark's views read.

Each tenant: `tenants.services.tenant_provision` (its schema from the blueprint, its primary
domain, its owner and membership, all or nothing), then 20 bench items, a project with 5 tasks,
2 labels, and an assignee. Prints `PROGRESS <done>` every 50 tenants for the runner's progress
line, and `DONE <count>` at the end.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from bench.routing.benchapp.models import Item  # noqa: E402
from tenant_apps.projects.models import Label, Project, Task  # noqa: E402
from tenants.connections import note_schema_served  # noqa: E402
from tenants.context import tenant_context  # noqa: E402
from tenants.services import tenant_provision  # noqa: E402

ITEMS = 20
TASKS = 5
REPORT_EVERY = 50


def slug(number: int) -> str:
    return f"s{number:05d}"


def fill(owner_id: int) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    Item.objects.bulk_create(
        Item(sku=f"SKU-{n:04d}", name=f"Item number {n}", quantity=n * 3, created_at=start)
        for n in range(1, ITEMS + 1)
    )
    project = Project.objects.create(name="Scale", key="SCALE", next_task_number=TASKS + 1)
    labels = Label.objects.bulk_create([Label(name="bug"), Label(name="ops", color="#f79009")])
    tasks = Task.objects.bulk_create(
        Task(
            project=project,
            number=n,
            title=f"Task {n} of the scale benchmark",
            assignee_id=owner_id if n % 2 else None,
        )
        for n in range(1, TASKS + 1)
    )
    for task in tasks:
        task.labels.set(labels[: task.number % 3])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--last", type=int, required=True)
    args = parser.parse_args()
    user_model = get_user_model()
    done = 0
    for number in range(args.first, args.last + 1):
        name = slug(number)
        if user_model._default_manager.filter(email=f"owner@{name}.scale.example").exists():
            continue  # made by an earlier, interrupted run
        provisioned = tenant_provision(
            slug=name, name=f"Scale {number}", owner_email=f"owner@{name}.scale.example"
        )
        with tenant_context(provisioned.tenant):
            fill(provisioned.owner.pk)
            # As at the end of a request: the loader's own connection keeps to Strata's budget
            # of schemas (tenants.connections), or its backend's catalog caches grow with
            # every tenant and slow it down.
            note_schema_served()
        done += 1
        if done % REPORT_EVERY == 0:
            print(f"PROGRESS {done}", flush=True)
    print(f"DONE {done}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
