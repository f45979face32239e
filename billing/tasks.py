"""Billing's background work: seat counts to Stripe, the hourly reconciliation, and what the
clock decides (grace periods, retention)."""

from __future__ import annotations

import logging
from typing import Any

from billing import services
from billing.stripe_client import StripeUnavailableError
from tenants.background import TRANSIENT_ERRORS, platform_task
from tenants.models import Tenant

logger = logging.getLogger("strata.billing")


@platform_task(
    name="billing.sync_seats", bind=True, autoretry_for=(StripeUnavailableError, *TRANSIENT_ERRORS)
)
def sync_seats(self: Any, tenant_id: int) -> bool:
    """Bill the members the workspace has. Retries reuse the task's id as the idempotency
    key, so Stripe applies the change once."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return False
    return services.sync_seats(tenant, attempt=str(self.request.id or "eager"))


# Not retried: the next hourly run covers everyone again.
@platform_task(name="billing.reconcile", bind=True, autoretry_for=())
def reconcile(self: Any) -> dict[str, int]:
    report = services.reconcile(run=str(self.request.id or "eager"))
    if report.failed:
        logger.warning("billing reconcile: %d tenants failed", len(report.failed))
    return {"checked": report.checked, "changed": report.changed, "failed": len(report.failed)}


@platform_task(name="billing.enforce", autoretry_for=())
def enforce() -> dict[str, int]:
    report = services.enforce()
    return {"read_only_notices": report.read_only_notices, "suspended": report.suspended}


@platform_task(
    name="billing.cancel_for_departure",
    bind=True,
    autoretry_for=(StripeUnavailableError, *TRANSIENT_ERRORS),
)
def cancel_for_departure(self: Any, tenant_id: int) -> bool:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return False
    return services.cancel_for_departure(tenant, attempt=str(self.request.id or "eager"))
