"""Sign-ins and two-factor changes reach the audit log through the signals that announce them.

Django's and allauth's auth code send these signals for every path (forms, hops, allauth's
flows), which is why they are recorded here rather than in each view.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenants.context import tenant_context
from tenants.models import Membership, PlatformAction, Tenant
from tenants.signals import tenant_lifecycle_changed, tenant_provisioned


def _tenant_request(request: HttpRequest | None) -> bool:
    # Requests that did not come through routing (a test client's force_login) have no tenant.
    return getattr(request, "tenant", None) is not None


def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if _tenant_request(request):  # on the apex there is no workspace to log it in
        audit_record(action=AuditAction.LOGIN, actor=user, request=request)


def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if not _tenant_request(request):
        return
    login = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    membership = (
        Membership.objects.filter(tenant=getattr(request, "tenant", None), user__email=login)
        .select_related("user")
        .first()
    )
    if membership is not None:
        audit_record(action=AuditAction.LOGIN_FAILED, actor=membership.user, request=request)
    else:
        # Anyone can type any address: it is kept as a detail, never as a person of the
        # workspace (the log's "person" filter lists members and former members only).
        audit_record(
            action=AuditAction.LOGIN_FAILED, actor=None, request=request, attempted=login[:254]
        )


def _in_each_workspace_of(user: User, action: AuditAction, request: HttpRequest | None) -> None:
    """Two-factor belongs to the person: every workspace they are in hears about it."""
    for membership in Membership.objects.filter(user=user).select_related("tenant"):
        with tenant_context(membership.tenant):
            audit_record(action=action, actor=user, request=request)


# allauth sends these after its transaction commits. Turning on the authenticator app also adds
# recovery codes; the app is what switches two-factor on and off.


def _mfa_added(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        _in_each_workspace_of(user, AuditAction.MFA_ENABLED, request)


def _mfa_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        _in_each_workspace_of(user, AuditAction.MFA_DISABLED, request)


def _second_step_failed(
    sender: Any,
    request: HttpRequest | None,
    user: User,
    authenticator: Authenticator,
    reauthentication: bool = False,
    **kwargs: Any,
) -> None:
    # The password was right and the code was not: a failed sign-in, and worth telling apart.
    if _tenant_request(request) and not reauthentication:
        audit_record(
            action=AuditAction.LOGIN_FAILED, actor=user, request=request, step="two-factor"
        )


def _workspace_created(
    sender: Any, tenant: Tenant, owner: User, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    with tenant_context(tenant):
        audit_record(
            action=AuditAction.WORKSPACE_CREATED,
            actor=owner,
            target=tenant.slug,
            request=request,
            name=tenant.name,
        )


# Platform actions on a tenant, as its own log names them.
_LIFECYCLE_ACTIONS = {
    PlatformAction.TENANT_SUSPENDED: AuditAction.WORKSPACE_SUSPENDED,
    PlatformAction.TENANT_REACTIVATED: AuditAction.WORKSPACE_REACTIVATED,
    PlatformAction.TENANT_RENAMED: AuditAction.WORKSPACE_RENAMED,
    PlatformAction.TENANT_ARCHIVED: AuditAction.WORKSPACE_ARCHIVED,
    PlatformAction.TENANT_RESTORED: AuditAction.WORKSPACE_RESTORED,
    PlatformAction.TENANT_EXPORTED: AuditAction.WORKSPACE_EXPORTED,
    PlatformAction.IMPERSONATION_STARTED: AuditAction.IMPERSONATION_STARTED,
    PlatformAction.IMPERSONATION_ENDED: AuditAction.IMPERSONATION_ENDED,
}


def _lifecycle_changed(
    sender: Any,
    tenant: Tenant,
    action: str,
    actor: User | None,
    request: HttpRequest | None = None,
    **details: Any,
) -> None:
    audit_action = _LIFECYCLE_ACTIONS.get(PlatformAction(action))
    if audit_action is None:
        return
    details.pop("signal", None)  # Django's, not the action's
    with tenant_context(tenant):
        audit_record(
            action=audit_action,
            actor=actor,
            actor_label="" if actor is not None else "Strata operations",
            target=tenant.slug,
            request=request,
            **details,
        )


def connect() -> None:
    tenant_provisioned.connect(_workspace_created, dispatch_uid="audit-workspace-created")
    tenant_lifecycle_changed.connect(_lifecycle_changed, dispatch_uid="audit-lifecycle")
    user_logged_in.connect(_logged_in, dispatch_uid="audit-logged-in")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")
    authenticator_added.connect(_mfa_added, dispatch_uid="audit-mfa-added")
    authenticator_removed.connect(_mfa_removed, dispatch_uid="audit-mfa-removed")
    authentication_failed.connect(_second_step_failed, dispatch_uid="audit-mfa-failed")
