from __future__ import annotations

import secrets
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing import services
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Read every workspace's subscription from Stripe and fix what drifted (missed "
        "webhooks, seat counts). Beat runs it hourly (billing.reconcile); run it by hand after "
        "an outage of the webhook endpoint. A workspace that fails is reported and the rest "
        "proceed (exit status 1)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not services.billing_enabled():
            raise CommandError(
                "billing is off: set STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET, "
                "STRIPE_PRICE_PRO, STRIPE_PRICE_BUSINESS) to reconcile with Stripe"
            )
        verbosity = int(options.get("verbosity", 1))
        started = time.monotonic()

        def progress(index: int, total: int, tenant: Tenant) -> None:
            if verbosity >= 1:
                self.stdout.write(f"[{index}/{total}] {tenant.slug}")
                self.stdout.flush()

        report = services.reconcile(run=f"cli-{secrets.token_hex(4)}", progress=progress)
        self.stdout.write(
            f"reconcile: {report.checked} workspaces in {time.monotonic() - started:.1f}s: "
            f"{report.changed} changed, {report.seats_fixed} seat counts fixed, "
            f"{len(report.failed)} failed"
        )
        for failure in report.failed:
            self.stderr.write(f"failed: {failure}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} workspaces could not be reconciled")
