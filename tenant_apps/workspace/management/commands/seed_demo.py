"""Demo data for `make run`; in tenant_apps, the top import layer, so it may seed every app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_email_mark_verified
from tenant_apps.projects.models import Label, Project
from tenant_apps.projects.services import (
    Actor,
    attachment_add,
    comment_add,
    label_create,
    project_create,
    task_create,
)
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tenants.services import tenant_provision

DEMO_PASSWORD = "strata-demo"  # noqa: S105 - printed for the demo on purpose

OPERATOR = "operator@strata.example"
TENANTS: list[tuple[str, str, list[tuple[str, str, Role]]]] = [
    (
        "acme",
        "Acme Inc",
        [
            ("owner@acme.example", "Alice Owner", Role.OWNER),
            ("member@acme.example", "Bob Member", Role.MEMBER),
            ("admin@acme.example", "Carol Admin", Role.ADMIN),
            ("viewer@acme.example", "Dan Viewer", Role.VIEWER),
        ],
    ),
    (
        "globex",
        "Globex Corporation",
        [
            ("owner@globex.example", "Grace Owner", Role.OWNER),
            # Alice belongs to both workspaces, so the workspace list has something to show.
            ("owner@acme.example", "Alice Owner", Role.ADMIN),
        ],
    ),
]


# Acme's work: (key, name, description) of each project, then its tasks as (title, status,
# priority, assignee's email or "", due in days or None, labels, description).
LABELS = [
    ("bug", "#d92d20"),
    ("feature", "#4f46e5"),
    ("design", "#dd2590"),
    ("backend", "#0e9384"),
    ("docs", "#dc6803"),
]
ALICE, BOB, CAROL = "owner@acme.example", "member@acme.example", "admin@acme.example"
Work = tuple[str, str, str, str, int | None, list[str], str]
PROJECTS: list[tuple[str, str, str, list[Work]]] = [
    (
        "WEB",
        "Website relaunch",
        "The new marketing site: faster pages, clearer pricing and a blog.",
        [
            ("Design the new pricing page", "in_review", "high", CAROL, 3, ["design"],
             "Three plans side by side, yearly toggle, FAQ below.\nMock-ups are in Figma."),
            ("Migrate blog posts from the old CMS", "in_progress", "medium", BOB, 9,
             ["backend"], "About 140 posts. Keep the old URLs working with redirects."),
            ("Hero section copy", "done", "medium", ALICE, None, ["docs"], ""),
            ("Fix layout shift on the home page", "todo", "urgent", BOB, 1, ["bug"],
             "Lighthouse reports CLS 0.31 on mobile; the hero image has no size."),
            ("Cookie banner that respects Do Not Track", "todo", "high", "", 14, ["feature"],
             ""),
            ("Compress and lazy-load images", "in_progress", "medium", BOB, 6, ["backend"], ""),
            ("Customer logos strip", "todo", "low", CAROL, 21, ["design"], ""),
            ("Set up redirects from the old domain", "done", "high", BOB, None, ["backend"],
             ""),
            ("Accessibility audit (WCAG 2.2 AA)", "todo", "medium", ALICE, 18, ["docs"], ""),
            ("Broken link in the footer", "done", "low", "", None, ["bug"], ""),
        ],
    ),
    (
        "APP",
        "Mobile app",
        "The iOS and Android app for field teams: offline tasks, photos and sign-off.",
        [
            ("Offline mode for the task list", "in_progress", "high", BOB, 12,
             ["feature", "backend"], "Sync on reconnect; last write wins per field."),
            ("Push notifications for mentions", "todo", "medium", "", 30, ["feature"], ""),
            ("App crashes when a photo is over 20 MB", "in_review", "urgent", BOB, 2, ["bug"],
             "Reproduced on Android 14. Resize before upload."),
            ("Onboarding screens", "in_review", "medium", CAROL, 5, ["design"], ""),
            ("Sign in with a passkey", "todo", "high", ALICE, 25, ["feature"], ""),
            ("Dark mode", "done", "low", CAROL, None, ["design"], ""),
            ("App Store screenshots", "todo", "low", CAROL, -2, ["design"],
             "Overdue: the store listing goes live with the release."),
            ("Release 1.4 to TestFlight", "done", "medium", ALICE, None, [], ""),
        ],
    ),
    (
        "OPS",
        "Operations",
        "Infrastructure, on-call and internal tooling.",
        [
            ("Rotate the database credentials", "todo", "urgent", ALICE, 4, ["backend"], ""),
            ("Nightly backup restore test", "in_progress", "high", BOB, 7, ["backend"],
             "Restore last night's backup into staging and run the smoke tests."),
            ("Write the on-call runbook", "in_review", "medium", CAROL, 10, ["docs"], ""),
            ("Upgrade PostgreSQL to 17", "todo", "medium", "", 40, ["backend"], ""),
            ("Alert on disk usage over 80%", "done", "high", BOB, None, [], ""),
            ("Clean up unused cloud buckets", "todo", "low", "", None, [], ""),
            ("Status page for customers", "in_progress", "medium", ALICE, 15, ["feature"], ""),
        ],
    ),
]  # fmt: skip
COMMENTS = [
    ("WEB", 1, CAROL, "First version is up for review. The yearly toggle saves 20%."),
    ("WEB", 1, ALICE, "Looks great. Can we put the FAQ in two columns on desktop?"),
    ("WEB", 4, BOB, "Found it: the hero image has no width and height. Fix on the way."),
    ("APP", 3, BOB, "Resizing to 4096 px on the device before upload fixes it here."),
    ("OPS", 2, BOB, "Last night's restore took 14 minutes; all smoke tests green."),
]
RELEASE_NOTES = b"""Mobile app 1.4 - release notes

- Dark mode follows the system setting.
- Photos upload in the background and resume after a lost connection.
- Fixed: the task list sometimes showed yesterday's due dates.
"""


def seed_work(tenant: Tenant) -> bool:
    """Acme's projects, tasks, comments and a file, written through the services (so the audit
    log has them too). Does nothing if the demo projects exist already; True if it wrote."""
    people = {user.email: user for user in User.objects.filter(memberships__tenant=tenant)}
    today = timezone.localdate()
    with tenant_context(tenant):
        if Project.objects.filter(key__in=[key for key, *_ in PROJECTS]).exists():
            return False
        alice = Actor(user=people[ALICE])
        labels = {
            label.name: label
            for label in Label.objects.filter(name__in=[name for name, _ in LABELS])
        }
        for name, color in LABELS:
            if name not in labels:
                labels[name] = label_create(name=name, color=color, actor=alice)
        tasks = {}
        for key, name, description, work in PROJECTS:
            project = project_create(name=name, key=key, description=description, actor=alice)
            for title, status, priority, email, due, tags, details in work:
                author = Actor(user=people[email or ALICE])
                task = task_create(
                    tenant=tenant,
                    project=project,
                    title=title,
                    description=details,
                    status=status,
                    priority=priority,
                    assignee_id=people[email].pk if email else None,
                    due_date=today + timedelta(days=due) if due is not None else None,
                    labels=[labels[tag] for tag in tags],
                    actor=author,
                )
                tasks[key, task.number] = task
        for key, number, email, body in COMMENTS:
            comment_add(task=tasks[key, number], body=body, actor=Actor(user=people[email]))
        attachment_add(
            tenant=tenant,
            task=tasks["APP", 8],
            upload=ContentFile(RELEASE_NOTES, name="release-notes-1.4.txt"),
            actor=alice,
        )
    return True


class Command(BaseCommand):
    help = "Create the demo operator, tenants and users (idempotent) and print how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000", help="port shown in the printed URLs")

    def handle(self, *args: Any, port: str, **options: Any) -> None:
        if not settings.DEBUG:
            # It (re)sets a superuser to a published password: never on a real deployment.
            raise CommandError("seed_demo only runs with DJANGO_DEBUG=true (development)")
        users = get_user_model()._default_manager
        operator, _ = users.get_or_create(
            email=OPERATOR, defaults={"is_staff": True, "is_superuser": True}
        )
        operator.set_password(DEMO_PASSWORD)
        operator.save()
        user_email_mark_verified(user=operator)

        for slug, name, people in TENANTS:
            owner_email = people[0][0]
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                tenant = tenant_provision(slug=slug, name=name, owner_email=owner_email).tenant
                self.stdout.write(f"  created workspace {name}")
            for email, full_name, role in people:
                user, _ = users.get_or_create(email=email)
                user.full_name = full_name
                user.set_password(DEMO_PASSWORD)
                user.save()
                user_email_mark_verified(user=user)
                Membership.objects.update_or_create(
                    user=user, tenant=tenant, defaults={"role": role}
                )

        acme = Tenant.objects.get(slug="acme")
        if seed_work(acme):
            self.stdout.write(f"  added projects, tasks and comments to {acme.name}")

        base = settings.STRATA_BASE_DOMAIN
        self.stdout.write(
            self.style.SUCCESS("Demo ready. Every account's password: " + DEMO_PASSWORD)
        )
        self.stdout.write(f"  {'Public site':<20} http://{base}:{port}/  (operator: {OPERATOR})")
        for slug, name, people in TENANTS:
            who = ", ".join(f"{email} ({role.label.lower()})" for email, _, role in people)
            self.stdout.write(f"  {name:<20} http://{slug}.{base}:{port}/  {who}")
