"""What platform operators do beyond the tenant lifecycle: provision for a customer, enter a
tenant as one of its members (impersonation), and hold tokens for the operator API."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.forms import default_token_generator
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from shared_apps.accounts.hops import hop_token_issue
from shared_apps.accounts.models import User
from shared_apps.accounts.services import browser_of
from shared_apps.operators.models import Impersonation, OperatorToken
from tenants.hosts import primary_host_for_slug, tenant_site_url
from tenants.lifecycle import Actor, platform_record, tenant_event_record
from tenants.models import PlatformAction, Tenant, TenantStatus
from tenants.selectors import membership_for, primary_host_of
from tenants.services import ProvisionedTenant, tenant_provision

IMPERSONATION_MAX_MINUTES = 60
TOKEN_PREFIX = "strata_op_"  # noqa: S105 - how tokens start, not a secret


# --- Who is an operator ------------------------------------------------------------------------


def operator_refusal(request: HttpRequest) -> str | None:
    """Why `request` may not use the operator console, or None if it may: platform staff,
    signed in on the apex with a second factor in this very session."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        return "sign-in"
    if not user.is_staff:
        return "not-staff"
    if not is_mfa_enabled(user):
        return "no-mfa"
    methods = {record.get("method") for record in get_authentication_records(request, user)}
    if "mfa" not in methods:
        return "no-mfa-session"
    return None


def actor_of(request: HttpRequest) -> Actor:
    """The person (console) or the API token (TokenOperator) behind `request`."""
    user = request.user
    if isinstance(user, User):
        return Actor(user=user, request=request)
    label = str(user) if getattr(user, "is_authenticated", False) else "unknown"
    return Actor(label=label, request=request)


# --- Provisioning for a customer ---------------------------------------------------------------


def provision_for_customer(
    *, slug: str, name: str, owner_email: str, request: HttpRequest
) -> ProvisionedTenant:
    """A tenant made by an operator (sales-led); the owner is mailed a link into it."""
    result = tenant_provision(slug=slug, name=name, owner_email=owner_email, request=request)
    tenant, owner = result.tenant, result.owner
    assert isinstance(owner, User)  # noqa: S101 - the account model is ours
    platform_record(
        PlatformAction.TENANT_CREATED, actor=actor_of(request), tenant=tenant, owner=owner.email
    )
    host = primary_host_for_slug(tenant.slug)
    if owner.has_usable_password():
        link = tenant_site_url(request, host, "/accounts/login/")
    else:  # a new account: the link sets its password, on the workspace's own host
        path = reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(owner),
                "key": default_token_generator.make_token(owner),
            },
            urlconf=settings.ROOT_URLCONF,
        )
        link = tenant_site_url(request, host, path)
    context = {
        "tenant": tenant,
        "owner": owner,
        "link": link,
        "new": not owner.has_usable_password(),
    }
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Your Strata workspace {tenant.name} is ready",
            message=render_to_string("operators/email/workspace_ready.txt", context),
            from_email=None,
            recipient_list=[owner.email],
        )
    )
    return result


# --- Impersonation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpersonationStart:
    impersonation: Impersonation
    url: str  # where the operator's browser goes: the tenant's host, signed in as the user


def impersonation_start(
    *, tenant: Tenant, user: User, reason: str, minutes: int, request: HttpRequest
) -> ImpersonationStart:
    operator = request.user
    if not isinstance(operator, User):
        raise ValidationError("Sign in as an operator first.", code="operator")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Give a reason: both audit logs record it.", code="reason")
    if not 1 <= minutes <= IMPERSONATION_MAX_MINUTES:
        raise ValidationError(
            f"Impersonate for 1 to {IMPERSONATION_MAX_MINUTES} minutes.", code="minutes"
        )
    if tenant.status != TenantStatus.ACTIVE:
        raise ValidationError(
            f"{tenant.slug} is {tenant.status}: nobody can enter it.", code="state"
        )
    if membership_for(user=user, tenant=tenant) is None:
        raise ValidationError(f"{user.email} is not a member of {tenant.slug}.", code="member")
    if user.is_staff or user.is_superuser or user.pk == operator.pk:
        raise ValidationError("Operators cannot impersonate staff or themselves.", code="staff")
    with transaction.atomic():
        impersonation = Impersonation.objects.create(
            operator=operator,
            user=user,
            tenant=tenant,
            reason=reason[:500],
            expires_at=timezone.now() + timedelta(minutes=minutes),
        )
        tenant_event_record(
            PlatformAction.IMPERSONATION_STARTED,
            tenant,
            actor_of(request),
            user=user.email,
            reason=impersonation.reason,
            minutes=minutes,
            impersonation=str(impersonation.public_id),
        )
    token = hop_token_issue(
        user=user,
        tenant=tenant,
        browser=browser_of(request),
        impersonation=str(impersonation.public_id),
    )
    url = tenant_site_url(request, primary_host_of(tenant), f"/accounts/hop/?token={token}")
    return ImpersonationStart(impersonation=impersonation, url=url)


def impersonation_end(impersonation: Impersonation, *, request: HttpRequest, why: str) -> None:
    """End it (the operator's choice, or its time ran out); recorded once."""
    with transaction.atomic():
        locked = Impersonation.objects.select_for_update().get(pk=impersonation.pk)
        if locked.ended_at is not None:
            return
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_at"])
        tenant_event_record(
            PlatformAction.IMPERSONATION_ENDED,
            locked.tenant,
            Actor(user=locked.operator, request=request),
            user=locked.user.email,
            why=why,
            impersonation=str(locked.public_id),
        )


# --- Operator API tokens -----------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def operator_token_create(
    *, name: str, created_by: User | None, days: int | None = None
) -> tuple[OperatorToken, str]:
    """A new token and its plain text, which is shown once and never stored."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Name the token after what will use it.", code="name")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = OperatorToken.objects.create(
        name=name[:100],
        prefix=prefix,
        secret_hash=_digest(secret),
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    platform_record(
        PlatformAction.OPERATOR_TOKEN_CREATED,
        actor=Actor(user=created_by, label="command line"),
        tenant=None,
        token=f"{name} ({prefix})",
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def operator_token_authenticate(raw: str) -> OperatorToken | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = raw.removeprefix(TOKEN_PREFIX).partition("_")
    token = OperatorToken.objects.filter(prefix=prefix).first()
    if token is None or not token.usable:
        return None
    if not secrets.compare_digest(token.secret_hash, _digest(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        OperatorToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def operator_token_revoke(token: OperatorToken, *, request: HttpRequest) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        platform_record(
            PlatformAction.OPERATOR_TOKEN_REVOKED,
            actor=actor_of(request),
            tenant=None,
            token=f"{token.name} ({token.prefix})",
        )
