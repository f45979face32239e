from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import PASSWORD, ClientFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse


def _sign_in(
    client: Client, email: str, password: str = PASSWORD, **extra: str
) -> _MonkeyPatchedWSGIResponse:
    return client.post("/accounts/login/", {"login": email, "password": password, **extra})


def test_a_member_signs_in_on_the_tenant_host(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant)

    response = _sign_in(client, member.email)

    assert response.status_code == 302
    assert response["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert member.email in dashboard.content.decode()


def test_the_email_is_matched_without_case(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = _sign_in(client_on(tenant), member.email.upper())

    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["outsider", "staff"])
def test_a_non_member_is_told_so_and_gets_no_session(
    client_on: ClientFactory, tenant: Tenant, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_on(tenant)

    response = _sign_in(client, user.email)

    assert response.status_code == 200
    assert (
        f"You are not a member of {tenant.name}. Ask an admin of {tenant.name} for an invitation."
        in response.content.decode()
    )
    assert client.get("/").status_code == 302  # nothing signed in on this host


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant)

    response = _sign_in(client, member.email, "nope")

    assert response.status_code == 200
    assert "That email and password do not match an account" in response.content.decode()
    assert client.get("/").status_code == 302


def test_an_empty_form_names_the_missing_fields(client_on: ClientFactory, tenant: Tenant) -> None:
    response = client_on(tenant).post("/accounts/login/", {})

    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 2


def test_an_unverified_address_must_be_confirmed_first_with_a_link_on_this_host(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    EmailAddress.objects.filter(user=member).update(verified=False)
    client = client_on(tenant)

    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_in(client, member.email)

    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/").status_code == 302  # not signed in
    assert len(mail.outbox) == 1
    assert "http://acme.localhost/accounts/confirm-email/" in str(mail.outbox[0].body)


def test_sign_in_returns_to_the_page_asked_for(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = _sign_in(client_on(tenant), member.email, next="/no-such-page/?tab=2")

    assert response["Location"] == "/no-such-page/?tab=2"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://globex.localhost/", "javascript:alert(1)"],
)
def test_sign_in_never_sends_anyone_off_this_host(
    client_on: ClientFactory, tenant: Tenant, member: User, next_url: str
) -> None:
    response = _sign_in(client_on(tenant), member.email, next=next_url)

    assert response["Location"] == "/"


def test_signing_out_ends_the_session(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_signing_out_by_get_only_asks_for_confirmation(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)

    assert client.get("/accounts/logout/").status_code == 200
    assert client.get("/").status_code == 200  # still signed in


def test_on_the_apex_a_person_sees_their_workspaces(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    client = client_on(None)

    response = _sign_in(client, both.email)

    assert response["Location"] == "/accounts/"
    page = client.get("/accounts/").content.decode()
    assert tenant.name in page
    assert other_tenant.name in page


def test_the_workspace_list_shows_only_ones_own_workspaces(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, outsider: User
) -> None:
    page = client_on(None, outsider).get("/accounts/").content.decode()

    assert other_tenant.name in page
    assert tenant.name not in page


def test_the_workspace_list_needs_a_signed_in_person(client_on: ClientFactory) -> None:
    response = client_on(None).get("/accounts/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"


def test_account_settings_on_a_tenant_host_lead_to_the_apex(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = client_on(tenant, member).get("/accounts/password/change/")

    assert response.status_code == 302
    assert response["Location"] == "http://localhost/accounts/password/change/"


def test_the_session_cookie_set_at_sign_in_belongs_to_this_host_alone(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = _sign_in(client_on(tenant), member.email)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["domain"] == ""  # no Domain attribute: not sent to any other host


def test_the_sixth_wrong_password_for_an_account_is_refused_whichever_host_it_is_tried_on(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User, member: User
) -> None:
    for host in [tenant, other_tenant, tenant, other_tenant, tenant]:
        failed = _sign_in(client_on(host), both.email, "wrong password")
        assert "That email and password do not match" in failed.content.decode()

    sixth = _sign_in(client_on(other_tenant), both.email, PASSWORD)  # even the right password

    assert sixth.status_code == 200
    assert "Too many failed sign-in attempts for this account" in sixth.content.decode()
    # The limit is per account: someone else signs in as usual.
    assert _sign_in(client_on(tenant), member.email).status_code == 302


def _sign_in_from(
    client: Client, email: str, password: str = PASSWORD, **meta: str
) -> _MonkeyPatchedWSGIResponse:
    """Sign in with request headers / environ such as REMOTE_ADDR."""
    return client.post("/accounts/login/", {"login": email, "password": password}, **meta)  # type: ignore[arg-type]


def test_the_eleventh_failure_from_one_address_in_a_minute_is_refused_for_any_account(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, member: User
) -> None:
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(10):
        host = tenant if n % 2 else other_tenant
        failed = _sign_in_from(client_on(host), f"guess{n}@example.com", "wrong", **attacker)
        assert "That email and password do not match" in failed.content.decode()

    client = client_on(tenant)
    refused = _sign_in_from(client, member.email, PASSWORD, **attacker)  # even the right password

    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert client.get("/").status_code == 302
    # Someone else, from another address, is not held back.
    assert (
        _sign_in_from(client_on(tenant), member.email, REMOTE_ADDR="198.51.100.2").status_code
        == 302
    )


def test_behind_a_proxy_the_limit_counts_the_forwarded_client_address(
    client_on: ClientFactory, tenant: Tenant, member: User, settings: Settings
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # the ingress appends the client's address
    proxy = "10.0.0.2"
    for n in range(10):
        _sign_in_from(
            client_on(tenant), f"guess{n}@example.com", "wrong",
            REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7",
        )  # fmt: skip

    # Everyone arrives from the proxy; only the one client that failed is held back.
    held = _sign_in_from(
        client_on(tenant), member.email, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    other = _sign_in_from(
        client_on(tenant), member.email, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2"
    )

    assert "Too many failed sign-in attempts" in held.content.decode()
    assert other.status_code == 302
    with tenant_context(tenant):
        entry = AuditEntry.objects.filter(action=AuditAction.LOGIN).get()
    assert entry.ip_address == "198.51.100.2"  # the audit log names the client, not the proxy


def test_an_address_too_long_for_an_account_is_just_a_failed_sign_in_from(
    client_on: ClientFactory, tenant: Tenant
) -> None:
    long_but_valid = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example.com"

    response = _sign_in_from(client_on(tenant), long_but_valid, "whatever")

    assert response.status_code == 200
    assert "That email and password do not match" in response.content.decode()
