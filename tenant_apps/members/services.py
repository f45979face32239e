"""Who is in a workspace: invitations, roles, removal, leaving, ownership.

Every change takes the member who makes it, runs in one transaction, and leaves an audit entry.
A workspace always keeps an owner: the last one can be neither demoted, removed nor leave, and
owners are made only by transferring ownership (checked under a lock on the owner rows, so two
owners demoting each other at once cannot both succeed).
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing.catalog import Limit
from billing.entitlements import lock_limit
from billing.services import seats_changed
from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_email_mark_verified, user_owns_address
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.members.models import INVITATION_LIFETIME, Invitation, InvitationStatus
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tenants.seats import SeatLimitError, check_seats

INVITABLE_ROLES = (Role.ADMIN, Role.MEMBER, Role.VIEWER)
EMAIL_MAX_LENGTH = Invitation._meta.get_field("email").max_length or 254


def _token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _digest(token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(token: str) -> Invitation | None:
    return Invitation.objects.filter(token_hash=_digest(token)).first()


def _pending() -> int:
    return Invitation.objects.filter(
        status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    ).count()


def seats_taken(tenant: Tenant) -> int:
    """The seats in use: members and pending, unexpired invitations (inside the tenant's
    schema). Billing's meter of Limit.SEATS, and what the seat limit is checked against."""
    return Membership.objects.filter(tenant=tenant).count() + _pending()


def _check_seats(tenant: Tenant, *, adding: int) -> None:
    # Two admins inviting at once: the second counts after the first has committed.
    lock_limit(tenant, Limit.SEATS)
    taken = seats_taken(tenant)
    try:
        check_seats(tenant=tenant, seats_after=taken + adding)
    except SeatLimitError as exc:
        raise ValidationError(str(exc), code="seat_limit") from exc


def _send_invitation(
    invitation: Invitation, token: str, tenant: Tenant, request: HttpRequest
) -> None:
    context = {
        "tenant": tenant,
        "invitation": invitation,
        "inviter": request.user,
        # On the host the admin is using: the workspace's own address.
        "accept_url": request.build_absolute_uri(reverse("members:accept", args=[token])),
    }
    send_mail(
        # One line whatever the names hold: a newline in a subject is refused by the mailer.
        subject=" ".join(render_to_string("members/email/invitation_subject.txt", context).split()),
        message=render_to_string("members/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_send(
    *, tenant: Tenant, email: str, role: str, acting_user: User, request: HttpRequest
) -> Invitation:
    """Invite `email` to join `tenant` with `role`; the email's link is on the tenant's host."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError("Enter a valid email address.", code="invalid_email") from None
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(
            f"An email address has at most {EMAIL_MAX_LENGTH} characters.", code="max_length"
        )
    if role not in INVITABLE_ROLES:
        raise ValidationError(
            "Invite people as admin, member or viewer; make an owner by transferring ownership.",
            code="invalid_role",
        )
    if Membership.objects.filter(tenant=tenant, user__email=email).exists():
        raise ValidationError(f"{email} is already a member of {tenant.name}.", code="member")
    existing = Invitation.objects.filter(email=email, status=InvitationStatus.PENDING).first()
    if existing is not None and not existing.is_expired:
        raise ValidationError(
            f"{email} already has a pending invitation: resend it from the list below.",
            code="pending",
        )
    if existing is not None:  # expired: it makes way for the new one
        existing.status = InvitationStatus.REVOKED
        existing.save(update_fields=["status"])
    _check_seats(tenant, adding=1)
    token, digest = _token()
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                email=email,
                role=role,
                token_hash=digest,
                invited_by=acting_user,
                sent_at=now,
                expires_at=now + INVITATION_LIFETIME,
            )
    except IntegrityError:
        # Another admin invited the same address at the same moment; theirs stands.
        raise ValidationError(
            f"{email} already has a pending invitation: resend it from the list below.",
            code="pending",
        ) from None
    _send_invitation(invitation, token, tenant, request)
    audit_record(
        action=AuditAction.INVITATION_SENT,
        actor=acting_user,
        target=email,
        request=request,
        role=role,
    )
    return invitation


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, tenant: Tenant, acting_user: User, request: HttpRequest
) -> Invitation:
    """Send a pending invitation again, with a new link and seven more days."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError("Only pending invitations can be resent.", code="not_pending")
    token, digest = _token()
    now = timezone.now()
    invitation.token_hash = digest
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _send_invitation(invitation, token, tenant, request)
    audit_record(
        action=AuditAction.INVITATION_RESENT,
        actor=acting_user,
        target=invitation.email,
        request=request,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: User, request: HttpRequest) -> None:
    """Make a pending invitation's link worthless (not one accepted meanwhile)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError("Only pending invitations can be revoked.", code="not_pending")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(
        action=AuditAction.INVITATION_REVOKED,
        actor=acting_user,
        target=invitation.email,
        request=request,
    )


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why an invitation cannot be accepted, in words for the person holding its link."""
    if invitation is None:
        return "This invitation link is not valid. Check that you copied all of it."
    if invitation.status == InvitationStatus.REVOKED:
        return "This invitation was withdrawn. Ask the workspace's admin for a new one."
    if invitation.status == InvitationStatus.ACCEPTED:
        return "This invitation has already been accepted. Sign in to open the workspace."
    if invitation.is_expired:
        return "This invitation has expired. Ask the workspace's admin to send it again."
    return None


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User, tenant: Tenant, request: HttpRequest
) -> Membership:
    """Turn the invitation into `user`'s membership (they proved the address by its link)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    problem = invitation_problem(invitation)
    if problem:
        raise ValidationError(problem, code="closed")
    if not user_owns_address(user=user, email=invitation.email):
        raise ValidationError(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}.",
            code="other_person",
        )
    # The pending invitation already held a seat; taking it changes no count, but the plan may
    # have shrunk since it was sent.
    _check_seats(tenant, adding=0)
    membership, joined = Membership.objects.get_or_create(
        user=user, tenant=tenant, defaults={"role": invitation.role}
    )
    if joined:
        seats_changed(tenant)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_at"])
    if user.email == invitation.email:
        user_email_mark_verified(user=user)
    audit_record(
        action=AuditAction.INVITATION_ACCEPTED,
        actor=user,
        target=invitation.email,
        request=request,
        role=membership.role,
    )
    return membership


@transaction.atomic
def invitation_accept_as_new_user(
    *, invitation: Invitation, full_name: str, password: str, tenant: Tenant, request: HttpRequest
) -> User:
    """Create the invited person's account (password already validated) and accept."""
    user = User.objects.create_user(
        email=invitation.email, password=password, full_name=full_name.strip()
    )
    invitation_accept(invitation=invitation, user=user, tenant=tenant, request=request)
    return user


def _locked(tenant: Tenant, *memberships: Membership) -> list[Membership]:
    """Take the workspace's membership lock and re-read `memberships` under it.

    Every change of role or membership in a workspace takes a lock on its tenant row first, so
    the checks below (last owner, owners only by owners) see rows no one else is changing: an
    owner transferring ownership while an admin removes the new owner cannot both succeed.
    """
    Tenant.objects.select_for_update(no_key=True).filter(pk=tenant.pk).values_list("pk").get()
    fresh = Membership.objects.select_related("user", "tenant").in_bulk(
        [membership.pk for membership in memberships]
    )
    for membership in memberships:
        if membership.pk not in fresh:
            raise ValidationError(
                f"{membership.user.email} is no longer a member of {tenant.name}.", code="gone"
            )
    return [fresh[membership.pk] for membership in memberships]


def _refuse_losing_the_last_owner(membership: Membership, tenant: Tenant, doing: str) -> None:
    owners = Membership.objects.filter(tenant=tenant, role=Role.OWNER).count()
    if membership.role == Role.OWNER and owners == 1:
        raise ValidationError(
            f"{membership.user.email} is the last owner of {tenant.name}: transfer ownership to "
            f"someone else before {doing}.",
            code="last_owner",
        )


def _refuse_unless_owner_for_owners(membership: Membership, acting: Membership) -> None:
    if membership.role == Role.OWNER and acting.role != Role.OWNER:
        raise ValidationError(
            "Only an owner can change or remove another owner.", code="owner_only"
        )


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, acting: Membership, request: HttpRequest
) -> Membership:
    """Give a member another role (not owner: ownership is transferred)."""
    if role not in INVITABLE_ROLES:
        raise ValidationError(
            "Choose admin, member or viewer; make an owner by transferring ownership.",
            code="invalid_role",
        )
    membership, acting = _locked(acting.tenant, membership, acting)
    _refuse_unless_owner_for_owners(membership, acting)
    _refuse_losing_the_last_owner(membership, acting.tenant, "changing their role")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action=AuditAction.MEMBER_ROLE_CHANGED,
        actor=acting.user,
        target=membership.user.email,
        request=request,
        role=role,
        previous=previous,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, acting: Membership, request: HttpRequest) -> None:
    """Take someone out of the workspace; their next request there finds no membership."""
    if membership.pk == acting.pk:
        raise ValidationError("To leave the workspace yourself, use Leave workspace.", code="self")
    membership, acting = _locked(acting.tenant, membership, acting)
    _refuse_unless_owner_for_owners(membership, acting)
    _refuse_losing_the_last_owner(membership, acting.tenant, "removing them")
    email = membership.user.email
    membership.delete()
    seats_changed(acting.tenant)
    audit_record(
        action=AuditAction.MEMBER_REMOVED, actor=acting.user, target=email, request=request
    )


@transaction.atomic
def membership_leave(*, membership: Membership, request: HttpRequest) -> None:
    """Leave the workspace (not as its last owner)."""
    (membership,) = _locked(membership.tenant, membership)
    _refuse_losing_the_last_owner(membership, membership.tenant, "leaving")
    user = membership.user
    membership.delete()
    seats_changed(membership.tenant)
    audit_record(action=AuditAction.MEMBER_LEFT, actor=user, target=user.email, request=request)


@transaction.atomic
def ownership_transfer(*, to: Membership, acting: Membership, request: HttpRequest) -> None:
    """Make `to` an owner in place of the acting owner, who becomes an admin."""
    if to.pk == acting.pk:
        raise ValidationError("Choose another member to transfer ownership to.", code="self")
    to, acting = _locked(acting.tenant, to, acting)
    if acting.role != Role.OWNER:
        raise ValidationError("Only an owner can transfer ownership.", code="owner_only")
    to.role = Role.OWNER
    to.save(update_fields=["role"])
    acting.role = Role.ADMIN
    acting.save(update_fields=["role"])
    audit_record(
        action=AuditAction.OWNERSHIP_TRANSFERRED,
        actor=acting.user,
        target=to.user.email,
        request=request,
    )
