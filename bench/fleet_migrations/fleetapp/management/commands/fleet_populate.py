"""Create tenants for the fleet benchmark through Strata's provisioning (pool and blueprint)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.pool import pool_refill
from tenants.services import tenant_provision

BATCH = 50


class Command(BaseCommand):
    help = "Provision --count tenants named fleet-<n>, from n = --start, with progress lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--start", type=int, default=0)

    def handle(self, *args: Any, count: int, start: int, **options: Any) -> None:
        started = time.perf_counter()
        for first in range(start, start + count, BATCH):
            size = min(BATCH, start + count - first)
            # Spares first (blueprint replays), then claims: tenant_provision's warm path.
            pool_refill(size)
            for number in range(first, first + size):
                tenant_provision(
                    slug=f"fleet-{number}",
                    name=f"Fleet tenant {number}",
                    owner_email=f"owner-{number}@fleet.test",
                )
            done = first + size - start
            if done % 200 == 0 or done == count:
                elapsed = time.perf_counter() - started
                self.stdout.write(
                    f"provisioned {done}/{count} tenants in {elapsed:.1f} s "
                    f"({done / elapsed:.0f}/s)"
                )
                self.stdout.flush()
