"""Fill one variant's database with bench/api/dataset.py's rows.

Run by the runner as `python -m bench.api.seed plain|strata` with that variant's settings (and a
migrated database). Strata's rows go through Strata's own services: tenant_provision for the
workspace, its members, project_create, label_create and task_create for the work, and
api_key_create for the key the load presents. The baseline's are written directly. The last
line of output is `BENCH-SEED <json>`, which carries the API key to the runner.
"""

from __future__ import annotations

import argparse
import json
import secrets
from collections.abc import Sequence

import django

from bench.api import dataset

TENANT_SLUG = "acme"
SEED_MARKER = "BENCH-SEED "


def seed_plain() -> dict[str, str]:
    from django.db import transaction
    from django.utils import timezone

    from bench.api.taskapp.models import Label, Person, Project, Task

    with transaction.atomic():
        people = [
            Person.objects.create(
                # What create_user(password=None) stores: an unusable password of that length.
                password="!" + secrets.token_urlsafe(30)[:40],
                email=email,
                full_name=full_name,
                date_joined=timezone.now(),
            )
            for email, full_name in dataset.PEOPLE
        ]
        owner = people[0]
        labels = {
            name: Label.objects.create(name=name, color=color) for name, color in dataset.LABELS
        }
        project = Project.objects.create(
            name=dataset.PROJECT_NAME,
            key=dataset.PROJECT_KEY,
            description=dataset.PROJECT_DESCRIPTION,
            next_task_number=dataset.TASKS + 1,
            created_by=owner,
        )
        for row in dataset.task_rows():
            task = Task.objects.create(
                project=project,
                number=row.number,
                title=row.title,
                description=row.description,
                status=row.status,
                priority=row.priority,
                assignee=None if row.assignee is None else people[row.assignee],
                due_date=row.due_date,
                created_by=owner,
            )
            if row.labels:
                task.labels.set([labels[name] for name in row.labels])
    return {}


def seed_strata() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from tenant_apps.api_access.models import Scope
    from tenant_apps.api_access.services import api_key_create
    from tenant_apps.projects.services import Actor, label_create, project_create, task_create
    from tenants.context import tenant_context
    from tenants.models import Membership
    from tenants.roles import Role
    from tenants.services import tenant_provision

    owner_email = dataset.PEOPLE[0][0]
    tenant = tenant_provision(
        slug=TENANT_SLUG, name="Acme (benchmark)", owner_email=owner_email
    ).tenant
    users = get_user_model()._default_manager
    people = []
    for email, full_name in dataset.PEOPLE:
        user = users.filter(email=email).first() or users.create_user(email=email)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.MEMBER})
        people.append(user)
    owner = people[0]
    actor = Actor(user=owner)
    with tenant_context(tenant):
        labels = {
            name: label_create(name=name, color=color, actor=actor)
            for name, color in dataset.LABELS
        }
        project = project_create(
            name=dataset.PROJECT_NAME,
            key=dataset.PROJECT_KEY,
            description=dataset.PROJECT_DESCRIPTION,
            actor=actor,
        )
        for row in dataset.task_rows():
            task = task_create(
                tenant=tenant,
                project=project,
                title=row.title,
                description=row.description,
                status=row.status,
                priority=row.priority,
                assignee_id=None if row.assignee is None else people[row.assignee].pk,
                due_date=row.due_date,
                labels=[labels[name] for name in row.labels],
                actor=actor,
            )
            assert task.number == row.number, (task.number, row.number)
        issued = api_key_create(
            tenant=tenant, name="API benchmark", scope=Scope.READ, expires_at=None, actor=owner
        )
    return {"api_key": issued.plaintext, "schema": tenant.schema_name}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("variant", choices=["plain", "strata"])
    args = parser.parse_args(argv)
    django.setup()
    result = seed_plain() if args.variant == "plain" else seed_strata()
    print(SEED_MARKER + json.dumps(result))


if __name__ == "__main__":
    main()
