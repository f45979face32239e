"""Fill the benchmark table; with --tenant, first provision that tenant the way Strata does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bench.routing.benchapp.models import Item

ROWS = 20


def _fill() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    Item.objects.bulk_create(
        Item(
            sku=f"SKU-{number:04d}",
            name=f"Item number {number}",
            quantity=number * 3,
            created_at=start + timedelta(hours=number),
        )
        for number in range(1, ROWS + 1)
    )


class Command(BaseCommand):
    help = "Create the routing benchmark's rows (in a freshly provisioned tenant with --tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of a tenant to provision and fill")

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str | None = options["tenant"]
        if slug is None:
            _fill()
            return
        # Imported here: the plain variant has no tenancy apps installed.
        from tenants.context import tenant_context
        from tenants.services import tenant_provision

        provisioned = tenant_provision(
            slug=slug, name=f"{slug} (benchmark)", owner_email=f"owner@{slug}.example.com"
        )
        with tenant_context(provisioned.tenant):
            _fill()
        self.stdout.write(f"{slug}: schema {provisioned.tenant.schema_name}, {ROWS} rows")
