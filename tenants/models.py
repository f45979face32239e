from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Sequence
from typing import Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django_tenants.models import DomainMixin, TenantMixin

from tenants.roles import Role
from tenants.slugs import SLUG_MAX_LENGTH, validate_slug

SCHEMA_PREFIX = "t_"


def generate_schema_name() -> str:
    """An opaque schema name: never derived from user input, never shown to users."""
    return f"{SCHEMA_PREFIX}{secrets.token_hex(10)}"


class TenantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ARCHIVED = "archived", "Archived"


class Tenant(TenantMixin):
    """A customer workspace: one PostgreSQL schema, reached on <slug>.<base domain>."""

    # Schemas are created and dropped by tenants.services in the same transaction as the row,
    # never as a side effect of save() or delete().
    auto_create_schema = False
    auto_drop_schema = False

    # Immutable once written; a trigger in the database refuses any change (migration 0002).
    schema_name = models.CharField(
        max_length=63, unique=True, default=generate_schema_name, editable=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.CharField(max_length=SLUG_MAX_LENGTH, unique=True, validators=[validate_slug])
    name = models.CharField(max_length=100)
    status = models.CharField(
        max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Lifecycle (tenants.lifecycle): why it is suspended, when it was archived and when its
    # data may be purged, and when someone last signed in (for operators).
    status_reason = models.CharField(max_length=500, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # What it was before it was archived (active or suspended, with its reason): restored as is.
    archived_from = models.CharField(max_length=16, blank=True)
    archived_from_reason = models.CharField(max_length=500, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(slug__regex=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"),
                name="tenants_tenant_slug_is_dns_label",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TenantStatus.values),
                name="tenants_tenant_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    """A host name that reaches a tenant; exactly one per tenant is primary."""

    created_at = models.DateTimeField(db_default=Now(), editable=False)
    # A host routes only once verified: subdomains of the base domain are verified when made;
    # a custom domain when its DNS TXT record shows `verification_token` (tenants.domains).
    verified_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    verification_token = models.CharField(max_length=64, blank=True)
    # A former subdomain after a rename: answers 301 to the primary host until then.
    redirect_until = models.DateTimeField(null=True, blank=True)

    # The host as loaded from the database, so a change of host can invalidate the old route.
    loaded_host: str | None = None

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_primary=True),
                name="tenants_domain_one_primary_per_tenant",
            ),
            models.CheckConstraint(
                condition=models.Q(domain=models.functions.Lower("domain")),
                name="tenants_domain_is_lowercase",
            ),
        ]

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Self:
        instance = super().from_db(db, field_names, values)
        # From __dict__: under .only()/.defer() the host may not be loaded, and reading the
        # attribute would cost a query per row.
        instance.loaded_host = instance.__dict__.get("domain")
        return instance


class Membership(models.Model):
    """What lets a user into a tenant. Being a user, or staff, never does."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "tenant"], name="tenants_membership_unique_user_tenant"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="tenants_membership_role_valid"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "role"], name="tenants_membership_tenant_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.tenant_id} as {self.role}"


class TaskEffect(models.Model):
    """An external effect a task has had, so that a second delivery does not repeat it."""

    schema_name = models.CharField(max_length=63)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["schema_name", "key"], name="tenants_taskeffect_unique_schema_key"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["created_at"], name="tenants_taskeffect_created"),
        ]

    def __str__(self) -> str:
        return f"{self.schema_name}:{self.key}"


class TaskFailure(models.Model):
    """A task that failed for good (retries exhausted, or an error not worth retrying)."""

    task_id = models.CharField(max_length=255, db_index=True)
    task_name = models.CharField(max_length=200)
    # Where it ran ("" when the worker's main process reported it without the request, as for
    # hard time limits), and where it was enqueued from.
    schema_name = models.CharField(max_length=63, blank=True)
    origin_schema = models.CharField(max_length=63, blank=True)
    arguments = models.TextField(blank=True)
    error = models.TextField()
    traceback = models.TextField(blank=True)
    failed_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["-failed_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-failed_at"], name="tenants_taskfailure_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}] in {self.schema_name}"


class TaskCanaryReport(models.Model):
    """What a canary task saw when it ran: the schema PostgreSQL put it in, which attempt."""

    class Kind(models.TextChoices):
        STARTED = "started", "Started"
        EFFECT = "effect", "Effect"

    token = models.CharField(max_length=64, db_index=True)
    step = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    schema_name = models.CharField(max_length=63)
    task_id = models.CharField(max_length=255)
    retries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    def __str__(self) -> str:
        return f"{self.token}/{self.step} {self.kind} in {self.schema_name}"


class SchemaBlueprint(models.Model):
    """The captured structure of a tenant schema at one migration state (tenants.schemas)."""

    fingerprint = models.CharField(max_length=32, unique=True)
    statements = models.JSONField()
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    def __str__(self) -> str:
        return f"blueprint {self.fingerprint} ({len(self.statements)} statements)"


class SpareSchema(models.Model):
    """A ready, empty tenant schema waiting to be claimed by a new tenant (tenants.pool)."""

    schema_name = models.CharField(max_length=63, unique=True)
    # The migrations the schema is at; only spares at the code's head are handed out.
    fingerprint = models.CharField(max_length=32, db_index=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    def __str__(self) -> str:
        return self.schema_name


class PlatformAction(models.TextChoices):
    TENANT_CREATED = "tenant.created", "Tenant created"
    TENANT_SUSPENDED = "tenant.suspended", "Tenant suspended"
    TENANT_REACTIVATED = "tenant.reactivated", "Tenant reactivated"
    TENANT_RENAMED = "tenant.renamed", "Subdomain changed"
    TENANT_ARCHIVED = "tenant.archived", "Tenant archived"
    TENANT_RESTORED = "tenant.restored", "Tenant restored"
    TENANT_PURGED = "tenant.purged", "Tenant purged"
    TENANT_EXPORTED = "tenant.exported", "Tenant exported"
    TENANT_IMPORTED = "tenant.imported", "Tenant imported"
    IMPERSONATION_STARTED = "impersonation.started", "Impersonation started"
    IMPERSONATION_ENDED = "impersonation.ended", "Impersonation ended"
    OPERATOR_TOKEN_CREATED = "token.created", "Operator token created"
    OPERATOR_TOKEN_REVOKED = "token.revoked", "Operator token revoked"


class PlatformAuditEntry(models.Model):
    """What platform operators (and automation) did to tenants. Kept in public; it outlives
    the tenants it names (by slug and id at the time)."""

    created_at = models.DateTimeField(db_default=Now(), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, choices=PlatformAction.choices)
    tenant_ref = models.IntegerField(null=True, blank=True)  # no FK: purged tenants stay named
    tenant_label = models.CharField(max_length=63, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["-created_at", "-pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-created_at"], name="tenants_platformaudit_recent"),
            models.Index(fields=["tenant_ref", "-created_at"], name="tenants_platformaudit_tenant"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.tenant_label}"
        )
