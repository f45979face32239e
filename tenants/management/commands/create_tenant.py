from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.hosts import primary_host_for_slug
from tenants.services import tenant_provision


class Command(BaseCommand):
    help = "Create a tenant: its schema (migrated), its primary domain and its owner's membership."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="subdomain, e.g. acme")
        parser.add_argument("--name", required=True, help='workspace name, e.g. "Acme Inc"')
        parser.add_argument("--owner-email", required=True, help="the owner's email address")

    def handle(self, *args: Any, slug: str, name: str, owner_email: str, **options: Any) -> None:
        try:
            result = tenant_provision(slug=slug, name=name, owner_email=owner_email)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        tenant = result.tenant
        self.stdout.write(
            self.style.SUCCESS(
                f"Created workspace “{tenant.name}” at {primary_host_for_slug(tenant.slug)} "
                f"(owner {result.owner.get_username()})."
            )
        )
        if result.owner_created:
            self.stdout.write(
                f"{result.owner.get_username()} is a new user without a password; set one with: "
                f"python manage.py changepassword {result.owner.get_username()}"
            )
