"""Platform tasks of the tenancy core: fan-out over tenants, housekeeping, and the canaries."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from celery import current_app
from django.db import connection, models
from django.utils import timezone

from tenants import lifecycle
from tenants import pool as schema_pool
from tenants.background import (
    StrataTask,
    TaskScope,
    TransientTaskError,
    effect_once,
    platform_task,
    tenant_task,
)
from tenants.models import (
    Domain,
    TaskCanaryReport,
    TaskEffect,
    TaskFailure,
    Tenant,
    TenantStatus,
)

logger = logging.getLogger("strata.tasks")

TASK_RECORD_RETENTION = timedelta(days=30)


# Not retried: a second run after a partial fan-out would enqueue for some tenants twice. A
# failure is recorded, and the next scheduled run covers everyone.
@platform_task(name="tenants.for_each_tenant", autoretry_for=())
def for_each_tenant(
    task_name: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    statuses: list[str] | None = None,
) -> int:
    """Enqueue the tenant task `task_name` once per tenant (active ones unless `statuses`)."""
    task = cast(StrataTask, current_app.tasks[task_name])
    if task.scope != TaskScope.TENANT:
        raise ValueError(f"for_each_tenant runs tenant tasks; {task_name} is not one")
    tenants = Tenant.objects.filter(status__in=statuses or [TenantStatus.ACTIVE]).order_by("pk")
    count = 0
    for tenant in tenants.iterator(chunk_size=500):
        task.apply_async(tuple(args or ()), kwargs or {}, tenant=tenant)
        count += 1
    logger.info("for_each_tenant enqueued %s for %d tenants", task_name, count)
    return count


@platform_task(name="tenants.purge_task_records")
def purge_task_records() -> int:
    """Forget task effects, failures and canary reports older than the retention period."""
    cutoff = timezone.now() - TASK_RECORD_RETENTION
    deleted = 0
    records: list[tuple[type[models.Model], str]] = [
        (TaskEffect, "created_at"),
        (TaskFailure, "failed_at"),
        (TaskCanaryReport, "created_at"),
    ]
    for model, field in records:
        count, _ = model._default_manager.filter(**{f"{field}__lt": cutoff}).delete()
        deleted += count
    return deleted


def _canary(
    task: Any,
    token: str,
    *,
    step: str,
    fail_times: int,
    hold_seconds: float,
    hold_after_effect: bool,
) -> str:
    """Report where PostgreSQL ran this attempt; optionally fail, hold, and have one effect."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        row = cursor.fetchone()
    schema = str(row[0]) if row else ""

    def report(kind: str) -> None:
        TaskCanaryReport.objects.create(
            token=token,
            step=step,
            kind=kind,
            schema_name=schema,
            task_id=task.request.id or "",
            retries=task.request.retries or 0,
        )

    report(TaskCanaryReport.Kind.STARTED)
    if task.request.retries < fail_times:
        raise TransientTaskError("canary asked to fail")  # through the real autoretry
    if hold_seconds and not hold_after_effect:
        time.sleep(hold_seconds)  # a window to kill the worker in, before the effect
    with effect_once(f"canary:{token}:{step}") as first_time:
        if first_time:
            report(TaskCanaryReport.Kind.EFFECT)
    if hold_seconds and hold_after_effect:
        time.sleep(hold_seconds)  # ... or after the effect, before the acknowledgement
    return schema


def _canary_task(declare: Callable[..., Callable[[Callable[..., str]], Any]], name: str) -> Any:
    """The canary as a task of the scope `declare` gives it."""

    # Quick retries: the canary exercises the retry path, not the waiting.
    @declare(name=name, bind=True, retry_backoff=1, retry_backoff_max=1)
    def canary(
        self: Any,
        token: str,
        *,
        step: str = "",
        fail_times: int = 0,
        hold_seconds: float = 0,
        hold_after_effect: bool = False,
    ) -> str:
        return _canary(
            self,
            token,
            step=step,
            fail_times=fail_times,
            hold_seconds=hold_seconds,
            hold_after_effect=hold_after_effect,
        )

    return canary


# Diagnostics (check_tasks, the test suite): each records the schema the database ran it in.
tenant_canary = _canary_task(tenant_task, "tenants.tenant_canary")
platform_canary = _canary_task(platform_task, "tenants.platform_canary")


# Not retried: the next claim or the next beat tick refills anyway.
@platform_task(name="tenants.pool_refill", autoretry_for=())
def pool_refill() -> int:
    """Top the pool of spare schemas up to STRATA_POOL_SIZE."""
    return schema_pool.pool_refill()


@platform_task(name="tenants.purge_archived", autoretry_for=())
def purge_archived() -> int:
    """Purge the archived tenants whose retention period is over."""
    purged = 0
    for tenant in lifecycle.tenants_due_for_purge():
        lifecycle.tenant_purge(tenant, actor=lifecycle.Actor(label="retention policy"))
        purged += 1
    return purged


@platform_task(name="tenants.forget_expired_redirects")
def forget_expired_redirects() -> int:
    """Drop the former hosts of renamed tenants once their redirect period is over."""
    expired = Domain.objects.filter(redirect_until__lt=timezone.now())
    count = 0
    for domain in expired:  # one by one: each delete invalidates its route
        domain.delete()
        count += 1
    return count
