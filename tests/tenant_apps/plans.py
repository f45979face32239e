"""Putting a workspace on a plan for one test: its billing account says so (the row is rolled
back with the test) and the cached standing is dropped, so the next check reads it."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from billing.catalog import plan_named
from billing.models import BillingAccount, SubscriptionStatus
from billing.standing import forget_cached_account, standing_for
from tenants.models import Tenant


def on_plan(tenant: Tenant, code: str) -> None:
    """`code` is "free" (trial over, never subscribed), "pro" or "business" (an active
    subscription)."""
    plan = plan_named(code)
    fields: dict[str, Any] = {"trial_ends_at": None}
    if plan.is_free:
        fields.update(subscription_status=SubscriptionStatus.NONE, plan_code="")
    else:
        fields.update(subscription_status=SubscriptionStatus.ACTIVE, plan_code=plan.code)
    _account(tenant, fields)
    assert standing_for(tenant).plan.code == code


def read_only(tenant: Tenant, *, ended_at: datetime | None = None) -> None:
    """A Pro subscription that ended: the workspace is read-only until someone pays."""
    _account(
        tenant,
        {
            "trial_ends_at": None,
            "subscription_status": SubscriptionStatus.CANCELED,
            "plan_code": "pro",
            "ended_at": ended_at or timezone.now(),
        },
    )
    assert not standing_for(tenant).writable


def _account(tenant: Tenant, fields: dict[str, Any]) -> None:
    BillingAccount.objects.update_or_create(tenant=tenant, defaults=fields)
    forget_cached_account(tenant.pk)


def advisory_lock_is_free(key: int, tenant_id: int) -> bool:
    """Whether another connection could take the advisory lock (key, tenant id) right now:
    False while a transaction that checked that limit of that workspace is still open."""
    result: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [key, tenant_id])
                row = cursor.fetchone()
                result.append(bool(row and row[0]))
        finally:
            connections.close_all()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(10)
    return result[0]
