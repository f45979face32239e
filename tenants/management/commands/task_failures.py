from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tenants.models import TaskFailure, Tenant


class Command(BaseCommand):
    help = "List background tasks that failed for good, newest first, with tenant and task id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24, help="how far back (default 24)")
        parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
        parser.add_argument("--tenant", help="only this tenant's (its subdomain)")
        parser.add_argument("--details", action="store_true", help="print each traceback")

    def handle(
        self, *args: Any, hours: int, limit: int, tenant: str | None, **options: Any
    ) -> None:
        if hours < 1 or limit < 1:
            raise CommandError("--hours and --limit must be at least 1")
        failures = TaskFailure.objects.filter(
            failed_at__gte=timezone.now() - timedelta(hours=hours)
        )
        if tenant:
            schema = (
                Tenant.objects.filter(slug=tenant).values_list("schema_name", flat=True).first()
            )
            if schema is None:
                raise CommandError(f"No tenant has the subdomain {tenant!r}")
            failures = failures.filter(schema_name=schema)
        rows = list(failures[:limit])
        if not rows:
            self.stdout.write(f"No task failures in the last {hours} hours.")
            return
        slugs = dict(
            Tenant.objects.filter(schema_name__in={r.schema_name for r in rows}).values_list(
                "schema_name", "slug"
            )
        )
        for failure in rows:
            where = slugs.get(failure.schema_name, failure.schema_name)
            self.stdout.write(
                f"{failure.failed_at:%Y-%m-%d %H:%M:%S}  {failure.task_name}  tenant={where}  "
                f"id={failure.task_id}\n    {failure.error}"
            )
            if options["details"]:
                self.stdout.write(failure.traceback)
        self.stdout.write(f"{len(rows)} failure(s) in the last {hours} hours.")
