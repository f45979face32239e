"""Demo data for `make run`; in tenant_apps, the top import layer, so it may seed every app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_apps.accounts.services import user_email_mark_verified
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

        base = settings.STRATA_BASE_DOMAIN
        self.stdout.write(
            self.style.SUCCESS("Demo ready. Every account's password: " + DEMO_PASSWORD)
        )
        self.stdout.write(f"  {'Public site':<20} http://{base}:{port}/  (operator: {OPERATOR})")
        for slug, name, people in TENANTS:
            who = ", ".join(f"{email} ({role.label.lower()})" for email, _, role in people)
            self.stdout.write(f"  {name:<20} http://{slug}.{base}:{port}/  {who}")
