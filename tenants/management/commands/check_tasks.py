from __future__ import annotations

import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import TaskCanaryReport, Tenant, TenantStatus
from tenants.tasks import platform_canary, tenant_canary


class Command(BaseCommand):
    help = (
        "Send a canary task to the public schema and to some tenants, and check that each ran, "
        "once, in its own schema. Exits non-zero if one did not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenants", type=int, default=5, help="how many tenants (default 5)")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")

    def handle(self, *args: Any, tenants: int, timeout: float, **options: Any) -> None:
        if tenants < 0 or timeout <= 0:
            raise CommandError("--tenants must be 0 or more and --timeout more than 0")
        token = uuid.uuid4().hex
        expected = {"platform": "public"}
        platform_canary.delay(token, step="platform")
        chosen = Tenant.objects.filter(status=TenantStatus.ACTIVE).order_by("pk")[:tenants]
        for tenant in chosen:
            expected[tenant.slug] = tenant.schema_name
            tenant_canary.apply_async((token,), {"step": tenant.slug}, tenant=tenant)
        self.stdout.write(
            f"Sent {len(expected)} canaries (token {token}); waiting up to {timeout:.0f} s"
        )

        deadline = time.monotonic() + timeout
        seen: dict[str, list[str]] = {}
        while len(seen) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.5)  # the worker reports through the database; nothing to wait on
            seen = {}
            reports = TaskCanaryReport.objects.filter(
                token=token, kind=TaskCanaryReport.Kind.EFFECT
            )
            for step, schema in reports.values_list("step", "schema_name"):
                seen.setdefault(step, []).append(schema)
        problems = 0
        for step, schema in expected.items():
            ran_in = seen.get(step, [])
            if ran_in == [schema]:
                self.stdout.write(f"  ok       {step}: ran once, in {schema}")
            else:
                problems += 1
                got = ", ".join(ran_in) or "nothing"
                self.stdout.write(f"  FAILED   {step}: expected {schema} once, got {got}")
        if problems:
            raise CommandError(
                f"{problems} of {len(expected)} canaries did not run in their schema; is a worker "
                "running (celery -A config worker)? See: python manage.py task_failures"
            )
        self.stdout.write(self.style.SUCCESS(f"All {len(expected)} canaries ran in their schema."))
