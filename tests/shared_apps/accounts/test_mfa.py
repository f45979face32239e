"""Two-factor sign-in: turned on and off on the apex, asked for on every workspace host."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import PASSWORD, ClientFactory
from tests.totp import totp_code

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse


def _actions(tenant: Tenant, user: User) -> list[str]:
    with tenant_context(tenant):
        entries = AuditEntry.objects.filter(actor=user).order_by("pk")
        return list(entries.values_list("action", flat=True))


def _enable_totp(apex: Client) -> str:
    """Walk the apex's two-factor set-up as a person would; return the app's secret."""
    response = apex.get("/accounts/2fa/totp/activate/")
    # Turning on two-factor asks for the password again first.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = apex.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    page = apex.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret: str = page.context["form"].secret
    assert secret in page.content.decode()  # for apps that cannot scan the QR code
    response = apex.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return secret


@pytest.fixture
def apex_of(client_on: ClientFactory) -> ClientFactory:
    """A person signed in on the apex with their password (so allauth knows how they did)."""

    def make(user: User) -> Client:
        client = client_on(None)
        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return client

    return make


def _with_totp(user: User) -> str:
    secret: str = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _sign_in(client: Client, user: User) -> _MonkeyPatchedWSGIResponse:
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def test_a_person_turns_on_an_authenticator_app_on_the_apex_and_every_workspace_hears_of_it(
    apex_of: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    both: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    apex = apex_of(both)

    with django_capture_on_commit_callbacks(execute=True):
        _enable_totp(apex)

    types = set(Authenticator.objects.filter(user=both).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes = apex.get("/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200
    recovery = Authenticator.objects.get(user=both, type=Authenticator.Type.RECOVERY_CODES)
    unused = RecoveryCodes(recovery).get_unused_codes()
    assert len(unused) == 10
    assert unused[0] in codes.content.decode()
    for workspace in (tenant, other_tenant):
        assert AuditAction.MFA_ENABLED in _actions(workspace, both)


def test_a_wrong_code_does_not_turn_two_factor_on(apex_of: ClientFactory, member: User) -> None:
    apex = apex_of(member)
    apex.post(apex.get("/accounts/2fa/totp/activate/")["Location"], {"password": PASSWORD})
    page = apex.get("/accounts/2fa/totp/activate/")
    right = totp_code(page.context["form"].secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = apex.post("/accounts/2fa/totp/activate/", {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=member).exists()


def test_turning_two_factor_on_needs_the_password_again(
    client_on: ClientFactory, member: User
) -> None:
    apex = client_on(None, member)  # signed in, but not by proving it just now
    apex.get("/accounts/2fa/totp/activate/")

    response = apex.post("/accounts/reauthenticate/?next=/accounts/2fa/totp/activate/", {
        "password": "not it"
    })  # fmt: skip

    assert response.status_code == 200
    assert "Incorrect password." in response.content.decode()
    assert apex.get("/accounts/2fa/totp/activate/").status_code == 302


def test_two_factor_settings_on_a_workspace_host_lead_to_the_apex(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = client_on(tenant, member).get("/accounts/2fa/")

    assert response.status_code == 302
    assert response["Location"] == "http://localhost/accounts/2fa/"


def test_a_workspace_sign_in_asks_for_the_code_after_the_password(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    secret = _with_totp(member)
    client = client_on(tenant)

    response = _sign_in(client, member)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302  # the password alone signs no one in
    page = client.get("/accounts/2fa/authenticate/")
    assert page.status_code == 200
    assert "Enter your authentication code" in page.content.decode()

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert member.email in client.get("/").content.decode()
    assert _actions(tenant, member) == [AuditAction.LOGIN]


def test_the_apex_sign_in_asks_for_the_code_too(client_on: ClientFactory, member: User) -> None:
    secret = _with_totp(member)
    apex = client_on(None)

    assert _sign_in(apex, member)["Location"] == "/accounts/2fa/authenticate/"
    assert apex.get("/accounts/").status_code == 302
    response = apex.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert response["Location"] == "/accounts/"
    assert apex.get("/accounts/").status_code == 200


def test_a_wrong_code_signs_no_one_in_and_is_recorded_as_a_failed_sign_in(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    secret = _with_totp(member)
    client = client_on(tenant)
    _sign_in(client, member)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert client.get("/").status_code == 302
    with tenant_context(tenant):
        entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.details) == (
        AuditAction.LOGIN_FAILED, member.pk, {"step": "two-factor"}
    )  # fmt: skip


def test_a_code_spent_on_one_workspace_cannot_be_replayed_on_another(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    secret = _with_totp(both)
    code = totp_code(secret)
    acme, globex = client_on(tenant), client_on(other_tenant)
    _sign_in(acme, both)
    _sign_in(globex, both)

    assert acme.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"
    replay = globex.post("/accounts/2fa/authenticate/", {"code": code})

    assert replay.status_code == 200
    assert "Incorrect code." in replay.content.decode()
    assert globex.get("/").status_code == 302


def test_the_sixth_wrong_code_is_refused_whichever_host_it_is_tried_on(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    secret = _with_totp(both)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    for attempt in range(5):
        client = client_on(tenant if attempt % 2 else other_tenant)
        _sign_in(client, both)
        assert (
            "Incorrect code."
            in client.post("/accounts/2fa/authenticate/", {"code": wrong}).content.decode()
        )
    client = client_on(tenant)
    _sign_in(client, both)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert response.status_code == 200  # even the right code, for now
    assert "Too many failed sign-in attempts for this account" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_recovery_code_signs_in_once(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    _with_totp(member)
    code = RecoveryCodes.activate(member).get_unused_codes()[0]
    first, second = client_on(tenant), client_on(tenant)
    _sign_in(first, member)
    _sign_in(second, member)

    assert first.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"
    again = second.post("/accounts/2fa/authenticate/", {"code": code})

    assert again.status_code == 200
    assert second.get("/").status_code == 302


def test_a_non_member_with_two_factor_is_still_refused_at_the_password(
    client_on: ClientFactory, tenant: Tenant, outsider: User
) -> None:
    _with_totp(outsider)
    client = client_on(tenant)

    response = _sign_in(client, outsider)

    assert response.status_code == 200
    assert f"You are not a member of {tenant.name}." in response.content.decode()
    assert client.get("/accounts/2fa/authenticate/").status_code == 302  # no pending sign-in


def test_turning_two_factor_off_is_recorded_and_the_code_is_no_longer_asked_for(
    apex_of: ClientFactory,
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    apex = apex_of(member)
    with django_capture_on_commit_callbacks(execute=True):
        _enable_totp(apex)  # asks for the password again, which counts for a few minutes

    with django_capture_on_commit_callbacks(execute=True):
        response = apex.post("/accounts/2fa/totp/deactivate/")

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/accounts/2fa/", response["Location"]
    assert not Authenticator.objects.filter(user=member).exists()
    assert _actions(tenant, member)[-2:] == [
        AuditAction.MFA_ENABLED, AuditAction.MFA_DISABLED
    ]  # fmt: skip
    assert _sign_in(client_on(tenant), member)["Location"] == "/"


def test_with_two_factor_on_a_code_from_the_app_confirms_it_is_you(
    client_on: ClientFactory, member: User
) -> None:
    secret = _with_totp(member)
    recovery_code = RecoveryCodes.activate(member).get_unused_codes()[0]
    apex = client_on(None)
    _sign_in(apex, member)
    apex.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    page = apex.get("/accounts/2fa/reauthenticate/?next=/accounts/2fa/")
    assert page.status_code == 200
    assert "code from your authenticator app" in page.content.decode()
    assert 'action="/accounts/2fa/reauthenticate/"' in page.content.decode()

    wrong = apex.post("/accounts/2fa/reauthenticate/?next=/accounts/2fa/", {"code": "000000"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors
    # The app's current code was spent on signing in; a recovery code serves as well.
    response = apex.post(
        "/accounts/2fa/reauthenticate/?next=/accounts/2fa/", {"code": recovery_code}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/accounts/2fa/"
