"""Seats: members and pending invitations count against the plan. Acme has more members than
the Free plan's 3 seats, so on Free every invitation is refused, with the way to upgrade; each
membership that comes or goes tells billing, which brings the subscription's quantity in line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.catalog import Limit
from billing.entitlements import usage_of
from shared_apps.accounts.models import User
from tenant_apps.members import services
from tenant_apps.members.models import Invitation, InvitationStatus
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.plans import advisory_lock_is_free, on_plan

UPGRADE = "Upgrade to Pro on the billing page"


def _invitation(tenant: Tenant, by: User, email: str, *, expired: bool = False) -> Invitation:
    lifetime = timedelta(days=-1 if expired else 7)
    with tenant_context(tenant):
        return Invitation.objects.create(
            email=email,
            role="member",
            token_hash=email.ljust(64, "0")[:64],
            invited_by=by,
            expires_at=timezone.now() + lifetime,
        )


def _pending(tenant: Tenant) -> list[str]:
    with tenant_context(tenant):
        return list(
            Invitation.objects.filter(status=InvitationStatus.PENDING).values_list(
                "email", flat=True
            )
        )


@pytest.fixture
def seats_changed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The tenants billing was told about (services.seats_changed, recorded instead)."""
    told: list[int] = []
    monkeypatch.setattr(services, "seats_changed", lambda tenant: told.append(tenant.pk))
    return told


def test_the_seat_meter_counts_members_and_pending_unexpired_invitations(
    tenant: Tenant, owner: User
) -> None:
    members = Membership.objects.filter(tenant=tenant).count()
    _invitation(tenant, owner, "pending@example.com")
    _invitation(tenant, owner, "expired@example.com", expired=True)

    with tenant_context(tenant):
        assert usage_of(tenant, Limit.SEATS) == members + 1
        assert services.seats_taken(tenant) == members + 1


def test_on_free_an_invitation_is_refused_with_the_limit_and_the_upgrade(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    on_plan(tenant, "free")
    members = Membership.objects.filter(tenant=tenant).count()
    assert members > 3  # Acme is over Free's seats already

    response = client_on(tenant, admin).post(
        "/members/invite/", {"email": "newcomer@example.com", "role": "member"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert f"Your Free plan includes 3 seats and this workspace has {members}." in page
    assert UPGRADE in page
    assert _pending(tenant) == []
    assert mail.outbox == []


@pytest.mark.parametrize("plan", ["pro", "business"])
def test_on_paid_plans_the_same_invitation_is_sent(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    plan: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    on_plan(tenant, plan)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_on(tenant, admin).post(
            "/members/invite/", {"email": "newcomer@example.com", "role": "member"}
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert _pending(tenant) == ["newcomer@example.com"]
    assert [m.to for m in mail.outbox] == [["newcomer@example.com"]]


def test_pending_invitations_take_seats_too(
    client_on: ClientFactory, tenant: Tenant, admin: User, owner: User
) -> None:
    """Pro has 25 seats: with the members and enough pending invitations to fill the rest,
    one more is refused."""
    on_plan(tenant, "pro")
    members = Membership.objects.filter(tenant=tenant).count()
    for n in range(25 - members):
        _invitation(tenant, owner, f"waiting{n}@example.com")

    response = client_on(tenant, admin).post(
        "/members/invite/", {"email": "one-too-many@example.com", "role": "member"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Your Pro plan includes 25 seats and this workspace has 25." in page
    assert "Upgrade to Business" in page
    assert "one-too-many@example.com" not in _pending(tenant)


def test_on_free_an_invitation_sent_on_the_trial_cannot_be_accepted(
    tenant: Tenant, owner: User, outsider: User, seats_changed: list[int]
) -> None:
    invitation = _invitation(tenant, owner, outsider.email)
    on_plan(tenant, "free")
    request = RequestFactory().post("/", HTTP_HOST="acme.localhost")
    request.user = outsider

    with tenant_context(tenant), pytest.raises(ValidationError) as refused:
        services.invitation_accept(
            invitation=invitation, user=outsider, tenant=tenant, request=request
        )

    assert refused.value.code == "seat_limit"
    assert "Your Free plan includes 3 seats" in refused.value.messages[0]
    assert not Membership.objects.filter(tenant=tenant, user=outsider).exists()
    assert seats_changed == []


def test_an_invitation_holds_the_seats_lock_until_its_transaction_ends(
    tenant: Tenant, owner: User
) -> None:
    """Two admins inviting the last seat at once: the second counts after the first commits."""
    request = RequestFactory().post("/", HTTP_HOST="acme.localhost")
    request.user = owner
    seats_lock = 7301

    with transaction.atomic(), tenant_context(tenant):
        services.invitation_send(
            tenant=tenant,
            email="new@example.com",
            role="member",
            acting_user=owner,
            request=request,
        )
        assert not advisory_lock_is_free(seats_lock, tenant.pk)
    assert advisory_lock_is_free(seats_lock, tenant.pk + 1)


# ---- Telling billing -------------------------------------------------------------------------


def test_billing_is_told_when_someone_joins(
    tenant: Tenant, owner: User, outsider: User, seats_changed: list[int]
) -> None:
    invitation = _invitation(tenant, owner, outsider.email)
    request = RequestFactory().post("/", HTTP_HOST="acme.localhost")
    request.user = outsider

    with tenant_context(tenant):
        services.invitation_accept(
            invitation=invitation, user=outsider, tenant=tenant, request=request
        )

    assert Membership.objects.filter(tenant=tenant, user=outsider).exists()
    assert seats_changed == [tenant.pk]


def test_billing_is_told_when_a_member_is_removed_or_leaves(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    member: User,
    viewer: User,
    seats_changed: list[int],
) -> None:
    removed = Membership.objects.get(tenant=tenant, user=member)

    assert client_on(tenant, admin).post(f"/members/{removed.public_id}/remove/").status_code == 302
    assert seats_changed == [tenant.pk]
    assert client_on(tenant, viewer).post("/members/leave/").status_code == 302
    assert seats_changed == [tenant.pk, tenant.pk]
    assert not Membership.objects.filter(tenant=tenant, user__in=[member, viewer]).exists()


def test_billing_is_not_told_when_nothing_changed(
    client_on: ClientFactory, tenant: Tenant, owner: User, admin: User, seats_changed: list[int]
) -> None:
    last_owner = Membership.objects.get(tenant=tenant, user=owner)

    refused = client_on(tenant, admin).post(f"/members/{last_owner.public_id}/remove/")

    assert refused.status_code == 302
    assert Membership.objects.filter(pk=last_owner.pk).exists()
    assert seats_changed == []


def test_a_removal_enqueues_the_seat_sync_after_commit(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    member: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real billing.services.seats_changed: the sync is queued once the removal commits."""
    from billing import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.sync_seats, "delay", queued.append)
    removed = Membership.objects.get(tenant=tenant, user=member)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_on(tenant, admin).post(f"/members/{removed.public_id}/remove/")
        assert queued == []
    for callback in callbacks:
        callback()

    assert queued == [tenant.pk]
