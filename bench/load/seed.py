"""Make the load benchmark's workspaces through Strata's own services, and the credentials the
load generator presents.

Run by the runner as `python -m bench.load.seed --quiet N --tasks M --out PLAN.json` with the
production settings the server runs with (and a database migrated by migrate_fleet). For each
workspace: spare schemas made by `tenants.pool.pool_refill` and claimed by
`tenants.services.tenant_provision`; four people (bench/api/dataset.py's, with addresses of the
workspace's own) as owner and members; an active Pro subscription on its billing account; the
dataset's labels, one project and its first M tasks through `label_create`, `project_create` and
`task_create`; an API key from `api_key_create` (read and write for the quiet workspaces, read
for the noisy one); and a signed-in session of a member, made by `django.contrib.auth.login` on
a request routed to the workspace's host, so the load pays no password hashing.

It writes the plan (hosts, keys, session keys, ids) as JSON to --out and prints progress lines.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django

from bench.api import dataset

if TYPE_CHECKING:  # Django is set up in main(), before any of these is used
    from shared_apps.accounts.models import User
    from tenant_apps.projects.models import Project, Task
    from tenants.models import Tenant

QUIET_SLUG = "load-{:02d}"
NOISY_SLUG = "noisy"
# The session's user: a member (not the owner), as most people who open pages are.
SESSION_PERSON = 1
# Tasks whose ids the load reads (the API's task detail, the task page).
READ_TASKS = 20
PROGRESS_EVERY = 10


def _people(tenant: Tenant, slug: str) -> list[User]:
    """The dataset's four people with addresses of this workspace's own; the first (the
    workspace's owner already) owns, the others are members."""
    from django.contrib.auth import get_user_model

    from tenants.models import Membership
    from tenants.roles import Role

    users = get_user_model()._default_manager
    people = []
    for position, (email, full_name) in enumerate(dataset.PEOPLE):
        address = email.replace("@acme.", f"@{slug}.")
        user = users.filter(email=address).first() or users.create_user(email=address)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        if position:
            Membership.objects.get_or_create(
                user=user, tenant=tenant, defaults={"role": Role.MEMBER}
            )
        people.append(user)
    return people


def _subscribe_to_pro(tenant: Tenant, seats: int) -> int:
    """What billing.services leaves on the account after Stripe's webhook for an active Pro
    subscription (the benchmark has no Stripe to sync from), so that the real plan limit
    applies. The plan's API requests a minute."""
    from django.utils import timezone

    from billing.catalog import plan_named
    from billing.models import BillingAccount, SubscriptionStatus
    from billing.services import account_for
    from billing.standing import forget_cached_account, standing_for

    account = account_for(tenant)
    now = timezone.now()
    BillingAccount.objects.filter(pk=account.pk).update(
        stripe_customer_id=f"cus_load_{tenant.slug}",
        subscription_id=f"sub_load_{tenant.slug}",
        subscription_status=SubscriptionStatus.ACTIVE,
        plan_code="pro",
        seats=seats,
        current_period_end=now + timedelta(days=30),
        trial_ends_at=None,
        synced_at=now,
    )
    forget_cached_account(tenant.pk)
    plan = standing_for(tenant).plan
    if plan != plan_named("pro"):
        raise RuntimeError(f"{tenant.slug} is on {plan.code}, not pro")
    return plan.api_requests_per_minute


def _work(tenant: Tenant, people: list[User], tasks: int) -> tuple[Project, list[Task]]:
    """The dataset's labels, its project and its first `tasks` tasks, through the services."""
    from tenant_apps.projects.services import Actor, label_create, project_create, task_create

    actor = Actor(user=people[0])
    labels = {
        name: label_create(name=name, color=color, actor=actor) for name, color in dataset.LABELS
    }
    project = project_create(
        name=dataset.PROJECT_NAME,
        key=dataset.PROJECT_KEY,
        description=dataset.PROJECT_DESCRIPTION,
        actor=actor,
    )
    made = []
    for number in range(1, tasks + 1):
        row = dataset.task_row(number)
        made.append(
            task_create(
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
        )
    return project, made


def _signed_in(tenant: Tenant, user: User) -> str:
    """A sign-in as the login view ends one (its audit entry and last activity included),
    minus the password check: a session of this schema, stamped by tenants.sessions. Its
    key, the cookie's value."""
    from django.conf import settings
    from django.contrib.auth import login
    from django.test import RequestFactory

    from tenants.hosts import primary_host_for_slug

    request = RequestFactory().get("/", HTTP_HOST=primary_host_for_slug(tenant.slug), secure=True)
    request.tenant = tenant  # type: ignore[attr-defined]  # what TenantRoutingMiddleware sets
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session.save()
    if not request.session.session_key:
        raise RuntimeError(f"{tenant.slug}: the session was not saved")
    return request.session.session_key


def seed_tenant(slug: str, *, tasks: int, noisy: bool) -> dict[str, Any]:
    from tenant_apps.api_access.models import Scope
    from tenant_apps.api_access.services import api_key_create
    from tenant_apps.api_access.throttling import Budget
    from tenants.context import tenant_context
    from tenants.hosts import primary_host_for_slug
    from tenants.services import tenant_provision

    owner_email = dataset.PEOPLE[0][0].replace("@acme.", f"@{slug}.")
    tenant = tenant_provision(slug=slug, name=f"Load {slug}", owner_email=owner_email).tenant
    people = _people(tenant, slug)
    rate = _subscribe_to_pro(tenant, seats=len(people))
    with tenant_context(tenant):
        project, made = _work(tenant, people, tasks)
        issued = api_key_create(
            tenant=tenant,
            name="Load benchmark",
            scope=Scope.READ if noisy else Scope.READ_WRITE,
            expires_at=None,
            actor=people[0],
        )
        session = _signed_in(tenant, people[SESSION_PERSON])
    return {
        "slug": slug,
        "host": primary_host_for_slug(slug),
        "api_key": issued.plaintext,
        "session": session,
        "project_id": str(project.public_id),
        "project_key": project.key,
        "tasks": [{"id": str(task.public_id), "number": task.number} for task in made[:READ_TASKS]],
        "plan_requests_per_minute": rate,
        "plan_burst": Budget(rate).burst,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quiet", type=int, required=True, help="quiet workspaces")
    parser.add_argument("--tasks", type=int, required=True, help="tasks in each workspace")
    parser.add_argument("--out", type=Path, required=True, help="where to write the plan")
    args = parser.parse_args(argv)
    django.setup()

    from django.conf import settings

    from tenants.pool import pool_refill

    started = time.perf_counter()
    slugs = [QUIET_SLUG.format(number) for number in range(args.quiet)]
    # Spares first (blueprint replays), then claims: tenant_provision's warm path.
    pool_refill(len(slugs) + 1)
    print(f"pool: {len(slugs) + 1} spare schemas in {time.perf_counter() - started:.1f} s")
    quiet = []
    for done, slug in enumerate(slugs, 1):
        quiet.append(seed_tenant(slug, tasks=args.tasks, noisy=False))
        if done % PROGRESS_EVERY == 0 or done == len(slugs):
            print(
                f"seeded {done}/{len(slugs)} quiet workspaces in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
    noisy = seed_tenant(NOISY_SLUG, tasks=args.tasks, noisy=True)
    print(f"seeded the noisy workspace in {time.perf_counter() - started:.1f} s", flush=True)
    plan = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "quiet": quiet,
        "noisy": noisy,
    }
    args.out.write_text(json.dumps(plan, indent=1))


if __name__ == "__main__":
    main()
