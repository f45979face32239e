from __future__ import annotations

import pytest
from django.conf import settings

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.conftest import PASSWORD, ClientFactory


def test_a_member_signs_in_on_the_tenant_host(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant)

    response = client.post("/accounts/login/", {"username": member.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert member.email in dashboard.content.decode()


def test_the_email_is_matched_without_case(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant)

    response = client.post(
        "/accounts/login/", {"username": member.email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["outsider", "staff"])
def test_a_non_member_is_told_so_and_gets_no_session(
    client_on: ClientFactory, tenant: Tenant, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_on(tenant)

    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert (
        f"You are not a member of {tenant.name}. Ask an admin of {tenant.name} to invite you."
        in response.content.decode()
    )
    assert settings.SESSION_COOKIE_NAME not in client.cookies
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant)

    response = client.post("/accounts/login/", {"username": member.email, "password": "nope"})

    assert response.status_code == 200
    assert "That email and password do not match an account" in response.content.decode()
    assert client.get("/").status_code == 302


def test_an_empty_form_names_the_missing_fields(client_on: ClientFactory, tenant: Tenant) -> None:
    response = client_on(tenant).post("/accounts/login/", {})

    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 2


def test_sign_in_returns_to_the_page_asked_for(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = client_on(tenant).post(
        "/accounts/login/",
        {"username": member.email, "password": PASSWORD, "next": "/no-such-page/?tab=2"},
    )

    assert response["Location"] == "/no-such-page/?tab=2"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://globex.localhost/", "javascript:alert(1)"],
)
def test_sign_in_never_sends_anyone_off_this_host(
    client_on: ClientFactory, tenant: Tenant, member: User, next_url: str
) -> None:
    response = client_on(tenant).post(
        "/accounts/login/", {"username": member.email, "password": PASSWORD, "next": next_url}
    )

    assert response["Location"] == "/"


def test_a_signed_in_person_sent_back_to_the_apex_login_does_not_loop(
    client_on: ClientFactory, owner: User
) -> None:
    response = client_on(None, owner).get("/accounts/login/?next=/accounts/login/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_signing_out_ends_the_session(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_signing_out_by_get_is_not_possible(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


def test_on_the_apex_a_person_sees_their_workspaces(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    client = client_on(None)

    response = client.post("/accounts/login/", {"username": both.email, "password": PASSWORD})

    assert response["Location"] == "/accounts/"
    page = client.get("/accounts/").content.decode()
    assert tenant.name in page
    assert other_tenant.name in page
    assert "http://acme.localhost/" in page


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
