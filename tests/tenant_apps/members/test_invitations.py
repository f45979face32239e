from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.members.models import Invitation, InvitationStatus
from tenant_apps.members.services import invitation_revoke
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tenants.seats import SeatLimitError
from tests.conftest import PASSWORD, ClientFactory
from tests.totp import totp_code

LINK = re.compile(r"http://acme\.localhost(/invitations/[^\s/]+/)")


def two_seats(*, tenant: Tenant, seats_after: int) -> None:
    """A seat-limit hook as billing will provide, for a plan of two seats."""
    if seats_after > 2:
        raise SeatLimitError(
            f"{tenant.name} has used its 2 seats. Upgrade the plan to invite more people."
        )


def _invite(
    client_on: ClientFactory,
    tenant: Tenant,
    by: User,
    capture: DjangoCaptureOnCommitCallbacks,
    email: str = "newcomer@example.com",
    role: str = "member",
) -> str:
    """Invite `email`; return the path of the link in the email."""
    with capture(execute=True):
        response = client_on(tenant, by).post("/members/invite/", {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[:2000]
    links: list[str] = LINK.findall(str(mail.outbox[-1].body))
    return links[0]


def _invitations(tenant: Tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return list(Invitation.objects.values_list("email", "status"))


def _actions(tenant: Tenant) -> list[str]:
    with tenant_context(tenant):
        return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def test_an_admin_invites_by_email_with_a_link_on_the_workspace_host(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks, role="viewer")

    message = mail.outbox[-1]
    assert message.to == ["newcomer@example.com"]
    assert message.subject == f"Adam Admin invited you to {tenant.name} on Strata"
    assert "as viewer" in str(message.body)
    assert path.startswith("/invitations/")
    assert _invitations(tenant) == [("newcomer@example.com", InvitationStatus.PENDING)]
    with tenant_context(tenant):
        assert path.split("/")[2] not in Invitation.objects.get().token_hash  # only a hash kept
    assert AuditAction.INVITATION_SENT in _actions(tenant)
    page = client_on(tenant, admin).get("/members/").content.decode()
    assert 'data-testid="invitation-newcomer@example.com"' in page


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("not an email", "member", "Enter a valid email address."),
        ("someone@example.com", "owner", "Select a valid choice."),
        ("mia@acme.test", "member", "mia@acme.test is already a member of Acme Inc."),
        (
            "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example.com",
            "member",
            "Ensure this value has at most 254 characters",
        ),
    ],
)
def test_a_bad_invitation_is_refused_with_the_reason_and_sends_nothing(
    client_on: ClientFactory, tenant: Tenant, admin: User, email: str, role: str, message: str
) -> None:
    response = client_on(tenant, admin).post("/members/invite/", {"email": email, "role": role})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _invitations(tenant) == []
    assert mail.outbox == []


def test_a_second_invitation_to_the_same_address_is_refused(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)

    again = client_on(tenant, admin).post(
        "/members/invite/", {"email": "newcomer@example.com", "role": "member"}
    )

    assert again.status_code == 400
    assert "already has a pending invitation: resend it" in again.content.decode()


def test_the_seat_limit_hook_refuses_an_invitation_and_says_why(
    client_on: ClientFactory, tenant: Tenant, admin: User, settings: Settings
) -> None:
    settings.STRATA_SEAT_LIMIT_HOOK = "tests.tenant_apps.members.test_invitations.two_seats"

    response = client_on(tenant, admin).post(
        "/members/invite/", {"email": "newcomer@example.com", "role": "member"}
    )

    assert response.status_code == 400
    assert "has used its 2 seats. Upgrade the plan" in response.content.decode()
    assert _invitations(tenant) == []


def test_a_newcomer_accepts_creates_an_account_and_is_in(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks, role="viewer")
    browser = client_on(tenant)

    page = browser.get(path)
    assert "Create account and join" in page.content.decode()
    joined = browser.post(
        path,
        {
            "full_name": "Nina New",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )

    assert joined["Location"] == "/"
    user = User.objects.get(email="newcomer@example.com")
    assert user.full_name == "Nina New"
    assert Membership.objects.get(user=user, tenant=tenant).role == "viewer"
    assert EmailAddress.objects.get(user=user).verified  # the emailed link proved it
    assert "Nina New" in browser.get("/").content.decode()
    assert _invitations(tenant) == [("newcomer@example.com", InvitationStatus.ACCEPTED)]
    assert AuditAction.INVITATION_ACCEPTED in _actions(tenant)


def test_a_name_given_on_several_lines_is_kept_on_one_and_the_invitations_still_go(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)
    client_on(tenant).post(
        path,
        {
            "full_name": "Nina\r\nNew\t",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )
    nina = User.objects.get(email="newcomer@example.com")
    assert nina.full_name == "Nina New"
    Membership.objects.filter(user=nina, tenant=tenant).update(role="admin")

    # What she sends carries her name in a one-line subject.
    _invite(client_on, tenant, nina, django_capture_on_commit_callbacks, email="next@example.com")
    assert mail.outbox[-1].subject == "Nina New invited you to Acme Inc on Strata"
    assert "Nina New (newcomer@example.com) invited you" in str(mail.outbox[-1].body)


def test_a_revoke_that_arrives_after_the_acceptance_changes_nothing(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    rf: RequestFactory,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)
    with tenant_context(tenant):
        seen_by_admin = Invitation.objects.get()  # the admin's page, loaded before
    client_on(tenant).post(
        path,
        {"full_name": "Nina", "password1": "a long passphrase", "password2": "a long passphrase"},
    )

    with tenant_context(tenant), pytest.raises(ValidationError, match="Only pending"):
        invitation_revoke(invitation=seen_by_admin, acting_user=admin, request=rf.post("/"))

    assert _invitations(tenant) == [("newcomer@example.com", InvitationStatus.ACCEPTED)]


def test_someone_with_an_account_joins_with_their_password(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    outsider: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(
        client_on, tenant, admin, django_capture_on_commit_callbacks, email=outsider.email
    )
    browser = client_on(tenant)

    wrong = browser.post(path, {"password": "not it"})
    assert wrong.status_code == 400
    assert "That is not the password of this account." in wrong.content.decode()
    assert not Membership.objects.filter(user=outsider, tenant=tenant).exists()

    signed_in = browser.post(path, {"password": PASSWORD})
    assert signed_in["Location"] == "/members/invitations/join/"
    joined = browser.get(signed_in["Location"])

    assert joined["Location"] == "/"
    assert Membership.objects.get(user=outsider, tenant=tenant).role == "member"
    assert browser.get("/").status_code == 200
    assert AuditAction.INVITATION_ACCEPTED in _actions(tenant)


def test_an_account_with_two_factor_joins_only_after_its_code(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    outsider: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    secret = generate_totp_secret()
    TOTP.activate(outsider, secret)
    path = _invite(
        client_on, tenant, admin, django_capture_on_commit_callbacks, email=outsider.email
    )
    browser = client_on(tenant)

    asked = browser.post(path, {"password": PASSWORD})

    # The password alone neither signs them in nor makes them a member.
    assert asked["Location"] == "/accounts/2fa/authenticate/"
    assert browser.get("/members/invitations/join/").status_code == 404
    assert browser.get("/").status_code == 302
    assert not Membership.objects.filter(user=outsider, tenant=tenant).exists()
    wrong = browser.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert not Membership.objects.filter(user=outsider, tenant=tenant).exists()

    browser.post(path, {"password": PASSWORD})
    signed_in = browser.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in["Location"] == "/members/invitations/join/"
    assert browser.get(signed_in["Location"])["Location"] == "/"
    assert Membership.objects.get(user=outsider, tenant=tenant).role == "member"


def test_an_invitation_to_an_accounts_other_verified_address_joins_that_account(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    outsider: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    EmailAddress.objects.create(user=outsider, email="olga@work.example", verified=True)
    path = _invite(
        client_on, tenant, admin, django_capture_on_commit_callbacks, email="olga@work.example"
    )
    browser = client_on(tenant)

    page = browser.get(path)
    assert page.context["has_account"] is True
    signed_in = browser.post(path, {"password": PASSWORD})
    browser.get(signed_in["Location"])

    assert Membership.objects.get(tenant=tenant, user__email=outsider.email).user == outsider
    assert not User.objects.filter(email="olga@work.example").exists()


def test_an_invitation_withdrawn_while_signing_in_admits_no_one(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    outsider: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(
        client_on, tenant, admin, django_capture_on_commit_callbacks, email=outsider.email
    )
    browser = client_on(tenant)
    signed_in = browser.post(path, {"password": PASSWORD})
    with tenant_context(tenant):
        Invitation.objects.update(status=InvitationStatus.REVOKED)

    refused = browser.get(signed_in["Location"])

    assert refused.status_code == 410
    assert "withdrawn" in refused.content.decode()
    assert not Membership.objects.filter(user=outsider, tenant=tenant).exists()
    assert browser.get("/").status_code == 302  # and no longer signed in there


def test_a_weak_password_is_refused_with_the_reason(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)

    response = client_on(tenant).post(
        path, {"full_name": "N", "password1": "123", "password2": "123"}
    )

    assert response.status_code == 400
    assert "This password is too short." in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()


@pytest.mark.parametrize("state", ["expired", "revoked", "accepted"])
def test_a_closed_invitation_says_why_and_admits_nobody(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    state: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)
    with tenant_context(tenant):
        if state == "expired":
            Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        else:
            Invitation.objects.update(status=state)

    page = client_on(tenant).get(path)
    joined = client_on(tenant).post(
        path, {"full_name": "N", "password1": "x" * 12, "password2": "x" * 12}
    )

    assert page.status_code == 410
    assert {
        "expired": "has expired",
        "revoked": "was withdrawn",
        "accepted": "already been accepted",
    }[state] in page.content.decode()
    assert joined.status_code == 410
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_a_made_up_invitation_link_is_not_found(client_on: ClientFactory, tenant: Tenant) -> None:
    assert client_on(tenant).get("/invitations/made-up-token/").status_code == 404


def test_an_invitation_link_means_nothing_on_another_workspace(
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)

    assert client_on(other_tenant).get(path).status_code == 404


def test_resending_gives_a_new_link_and_kills_the_old_one(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    old = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)
    with tenant_context(tenant):
        invitation = Invitation.objects.get()
        Invitation.objects.update(expires_at=timezone.now() + timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        client_on(tenant, admin).post(f"/members/invitations/{invitation.public_id}/resend/")

    new = LINK.findall(str(mail.outbox[-1].body))[0]
    assert new != old
    assert client_on(tenant).get(old).status_code == 404
    assert client_on(tenant).get(new).status_code == 200
    with tenant_context(tenant):
        assert Invitation.objects.get().expires_at > timezone.now() + timedelta(days=6)
    assert AuditAction.INVITATION_RESENT in _actions(tenant)


def test_revoking_makes_the_link_worthless(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)
    with tenant_context(tenant):
        invitation = Invitation.objects.get()

    client_on(tenant, admin).post(f"/members/invitations/{invitation.public_id}/revoke/")

    assert client_on(tenant).get(path).status_code == 410
    assert AuditAction.INVITATION_REVOKED in _actions(tenant)


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider"])
def test_only_admins_invite_resend_or_revoke(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    persona: str,
    request: pytest.FixtureRequest,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _invite(client_on, tenant, admin, django_capture_on_commit_callbacks)
    with tenant_context(tenant):
        invitation = Invitation.objects.get()
    client = client_on(tenant, request.getfixturevalue(persona))
    sent = len(mail.outbox)

    # 403; an outsider's first refusal also ends their session, after which: sign in first.
    attempts = [
        client.post("/members/invite/", {"email": "x@example.com", "role": "member"}),
        client.post(f"/members/invitations/{invitation.public_id}/resend/"),
        client.post(f"/members/invitations/{invitation.public_id}/revoke/"),
    ]

    assert attempts[0].status_code == 403
    assert all(a.status_code in (403, 302) for a in attempts)
    assert len(mail.outbox) == sent
    assert _invitations(tenant) == [("newcomer@example.com", InvitationStatus.PENDING)]
