"""What happens to a tenant after it is created: suspend and reactivate, rename, archive and
restore, purge. Each is one transaction, recorded in the platform audit log and (while the
tenant exists) in the tenant's own audit log, and reaches routing through the model signals.

Operators reach these through the CLI (`manage.py tenant ...`), the operator console and the
operator API; all three call these functions and nothing else.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_redis import get_redis_connection

from tenants.hosts import primary_host_for_slug
from tenants.models import (
    Domain,
    Membership,
    PlatformAction,
    PlatformAuditEntry,
    TaskCanaryReport,
    TaskEffect,
    TaskFailure,
    Tenant,
    TenantStatus,
)
from tenants.pool import schema_drop
from tenants.requests import client_ip
from tenants.schemas import schema_exists
from tenants.services import tenant_slug_clean
from tenants.signals import tenant_lifecycle_changed
from tenants.storage import storage_delete_prefix, tenant_media_prefix

logger = logging.getLogger("strata.lifecycle")

REASON_MAX_LENGTH = Tenant._meta.get_field("status_reason").max_length or 500


@dataclass(frozen=True)
class Actor:
    """Who acts: an operator (a user), or automation named by a label ("command line")."""

    user: AbstractBaseUser | None = None
    label: str = ""
    request: HttpRequest | None = None

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user is not None else self.label


def platform_record(
    action: PlatformAction, *, actor: Actor, tenant: Tenant | None, **details: Any
) -> PlatformAuditEntry:
    return PlatformAuditEntry.objects.create(
        action=action,
        actor_id=actor.user.pk if actor.user is not None else None,
        actor_label=actor.name[:254],
        tenant_ref=tenant.pk if tenant is not None else None,
        tenant_label=tenant.slug if tenant is not None else "",
        details=details,
        ip_address=client_ip(actor.request),
    )


def tenant_event_record(
    action: PlatformAction, tenant: Tenant, actor: Actor, **details: Any
) -> None:
    """Record `action` on `tenant` in the platform audit log and in the tenant's own."""
    platform_record(action, actor=actor, tenant=tenant, **details)
    # The tenant's own log (tenant_apps.audit listens; tenants does not import it).
    tenant_lifecycle_changed.send(
        Tenant, tenant=tenant, action=action, actor=actor.user, request=actor.request, **details
    )


def _locked(tenant: Tenant) -> Tenant:
    return Tenant.objects.select_for_update().get(pk=tenant.pk)


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise _refuse(
            "Give a reason: the tenant's owners and other operators will see it.", "reason"
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise _refuse(f"A reason has at most {REASON_MAX_LENGTH} characters.", "reason")
    return reason


@transaction.atomic
def tenant_suspend(tenant: Tenant, *, reason: str, actor: Actor) -> Tenant:
    """Stop all access to the tenant (its hosts answer with the suspended page) and say why."""
    reason = _clean_reason(reason)
    tenant = _locked(tenant)
    if tenant.status != TenantStatus.ACTIVE:
        raise _refuse(
            f"{tenant.slug} is {tenant.status}; only active tenants are suspended.", "state"
        )
    tenant.status = TenantStatus.SUSPENDED
    tenant.status_reason = reason
    tenant.save(update_fields=["status", "status_reason", "updated_at"])
    tenant_event_record(PlatformAction.TENANT_SUSPENDED, tenant, actor, reason=reason)
    return tenant


@transaction.atomic
def tenant_reactivate(tenant: Tenant, *, actor: Actor) -> Tenant:
    tenant = _locked(tenant)
    if tenant.status != TenantStatus.SUSPENDED:
        raise _refuse(f"{tenant.slug} is {tenant.status}, not suspended.", "state")
    tenant.status = TenantStatus.ACTIVE
    tenant.status_reason = ""
    tenant.save(update_fields=["status", "status_reason", "updated_at"])
    tenant_event_record(PlatformAction.TENANT_REACTIVATED, tenant, actor)
    return tenant


@transaction.atomic
def tenant_rename(tenant: Tenant, *, new_slug: str, actor: Actor) -> Tenant:
    """Give the tenant a new subdomain. The old one answers 301 to the new primary host for
    STRATA_RENAME_REDIRECT_DAYS, and nobody else can take it meanwhile."""
    tenant = _locked(tenant)
    if tenant.status == TenantStatus.ARCHIVED:
        raise _refuse(f"{tenant.slug} is archived; restore it before renaming it.", "state")
    old_slug = tenant.slug
    old_host, new_host = primary_host_for_slug(old_slug), None
    # Going back to a former subdomain of its own: that redirect makes way.
    Domain.objects.filter(tenant=tenant, redirect_until__isnull=False).filter(
        domain=primary_host_for_slug(new_slug.strip().lower())
    ).delete()
    new_slug = tenant_slug_clean(new_slug)
    new_host = primary_host_for_slug(new_slug)
    old = Domain.objects.select_for_update().filter(tenant=tenant, domain=old_host).first()
    was_primary = old is not None and old.is_primary
    if old is not None:
        old.is_primary = False
        old.redirect_until = timezone.now() + timedelta(days=settings.STRATA_RENAME_REDIRECT_DAYS)
        old.save(update_fields=["is_primary", "redirect_until"])
    Domain.objects.create(tenant=tenant, domain=new_host, is_primary=was_primary or old is None)
    tenant.slug = new_slug
    tenant.save(update_fields=["slug", "updated_at"])
    tenant_event_record(
        PlatformAction.TENANT_RENAMED, tenant, actor, previous=old_slug, slug=new_slug
    )
    return tenant


@transaction.atomic
def tenant_archive(tenant: Tenant, *, actor: Actor, reason: str = "") -> Tenant:
    """No access at all; the data is kept for STRATA_ARCHIVE_RETENTION_DAYS, then purged."""
    tenant = _locked(tenant)
    if tenant.status == TenantStatus.ARCHIVED:
        raise _refuse(f"{tenant.slug} is already archived.", "state")
    now = timezone.now()
    tenant.archived_from, tenant.archived_from_reason = tenant.status, tenant.status_reason
    tenant.status = TenantStatus.ARCHIVED
    tenant.status_reason = " ".join(reason.split())[:REASON_MAX_LENGTH]
    tenant.archived_at = now
    tenant.purge_after = now + timedelta(days=settings.STRATA_ARCHIVE_RETENTION_DAYS)
    tenant.save(
        update_fields=[
            "status", "status_reason", "archived_at", "purge_after", "archived_from",
            "archived_from_reason", "updated_at",
        ]
    )  # fmt: skip
    tenant_event_record(
        PlatformAction.TENANT_ARCHIVED, tenant, actor, purge_after=tenant.purge_after.isoformat()
    )
    return tenant


@transaction.atomic
def tenant_restore(tenant: Tenant, *, actor: Actor) -> Tenant:
    tenant = _locked(tenant)
    if tenant.status != TenantStatus.ARCHIVED:
        raise _refuse(f"{tenant.slug} is {tenant.status}, not archived.", "state")
    if not schema_exists(tenant.schema_name):
        raise _refuse(f"{tenant.slug}'s data is gone; it cannot be restored.", "purged")
    # As it was before: a tenant archived while suspended comes back suspended.
    tenant.status = tenant.archived_from or TenantStatus.ACTIVE
    tenant.status_reason = tenant.archived_from_reason
    tenant.archived_at = tenant.purge_after = None
    tenant.archived_from, tenant.archived_from_reason = "", ""
    tenant.save(
        update_fields=[
            "status", "status_reason", "archived_at", "purge_after", "archived_from",
            "archived_from_reason", "updated_at",
        ]
    )  # fmt: skip
    tenant_event_record(PlatformAction.TENANT_RESTORED, tenant, actor, status=tenant.status)
    return tenant


@dataclass
class PurgeReport:
    slug: str
    schema_name: str
    removed: dict[str, int] = field(default_factory=dict)


def _purge_cache_keys(schema_name: str) -> int:
    """Every key the tenant's schema wrote to the schema-prefixed cache (sessions too)."""
    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        return 0
    redis = get_redis_connection("default")
    removed = 0
    batch: list[bytes] = []
    for key in redis.scan_iter(match=f"{schema_name}:*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            removed += int(redis.delete(*batch))
            batch = []
    if batch:
        removed += int(redis.delete(*batch))
    return removed


def tenant_purge(tenant: Tenant, *, actor: Actor, force: bool = False) -> PurgeReport:
    """Remove everything of an archived tenant: its schema (data, sessions, API keys), its rows
    in shared tables, its cache keys and its files. Only the platform audit log keeps its name.
    `force` purges a tenant that is not archived (an operator's explicit choice)."""
    report = PurgeReport(slug=tenant.slug, schema_name=tenant.schema_name)
    with transaction.atomic():
        tenant = _locked(tenant)
        if tenant.status != TenantStatus.ARCHIVED and not force:
            raise _refuse(
                f"{tenant.slug} is {tenant.status}: archive it first (purging cannot be undone).",
                "state",
            )
        schema = tenant.schema_name
        removed = report.removed
        removed["memberships"] = Membership.objects.filter(tenant=tenant).delete()[0]
        removed["domains"] = Domain.objects.filter(tenant=tenant).delete()[0]
        for model in (TaskEffect, TaskFailure, TaskCanaryReport):
            filters = {"schema_name": schema}
            removed[model._meta.model_name or ""] = model.objects.filter(**filters).delete()[0]
        removed["failures_from"] = TaskFailure.objects.filter(origin_schema=schema).delete()[0]
        platform_record(PlatformAction.TENANT_PURGED, actor=actor, tenant=tenant, schema=schema)
        tenant.delete()
        schema_drop(schema)
    # After commit: what the database's rollback could not have undone.
    removed["cache_keys"] = _purge_cache_keys(report.schema_name)
    removed["files"] = storage_delete_prefix(tenant_media_prefix(report.schema_name))
    media_dir = Path(settings.MEDIA_ROOT) / tenant_media_prefix(report.schema_name)
    shutil.rmtree(media_dir, ignore_errors=True)  # empty directories left by the storage
    logger.info("purged tenant %s (%s): %s", report.slug, report.schema_name, removed)
    return report


def tenants_due_for_purge() -> list[Tenant]:
    return list(
        Tenant.objects.filter(status=TenantStatus.ARCHIVED, purge_after__lte=timezone.now())
    )
