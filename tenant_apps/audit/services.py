from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_connection
from tenants.requests import IMPERSONATION_SESSION_KEY, client_ip

LABEL_MAX_LENGTH = 254


def audit_record(
    *,
    action: AuditAction,
    actor: User | None,
    target: str = "",
    request: HttpRequest | None = None,
    actor_label: str = "",
    **details: Any,
) -> AuditEntry:
    """Write an audit entry in the current tenant's schema."""
    if tenant_connection().schema_name == "public":
        raise RuntimeError("audit entries belong to a tenant: record them inside its schema")
    session = getattr(request, "session", None)
    if session is not None and session.get(IMPERSONATION_SESSION_KEY):
        # Done by an operator signed in as this person (shared_apps.operators).
        details.setdefault("impersonation", session[IMPERSONATION_SESSION_KEY])
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_label=(actor.email if actor is not None else actor_label)[:LABEL_MAX_LENGTH],
        target_label=target[:LABEL_MAX_LENGTH],
        details=details,
        ip_address=client_ip(request),
    )
