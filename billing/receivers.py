"""Billing's answers to tenancy events (tenants sends signals; it does not import billing)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from billing.stripe_client import billing_enabled
from billing.tasks import cancel_for_departure
from tenants.models import PlatformAction, Tenant
from tenants.signals import tenant_lifecycle_changed


@receiver(tenant_lifecycle_changed, dispatch_uid="billing.cancel_when_archived")
def cancel_when_archived(sender: Any, *, tenant: Tenant, action: str, **kwargs: Any) -> None:
    """An archived workspace has left: stop charging it, after the archive commits."""
    if action != PlatformAction.TENANT_ARCHIVED or not billing_enabled():
        return
    tenant_id = tenant.pk
    transaction.on_commit(lambda: cancel_for_departure.delay(tenant_id))
