"""Changing one's password: on the apex, and it ends the person's sessions everywhere else."""

from __future__ import annotations

from django.test import Client

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.conftest import PASSWORD, ClientFactory

NEW_PASSWORD = "a brand new passphrase 77"


def _signed_in_on(client: Client, user: User, password: str = PASSWORD) -> Client:
    response = client.post("/accounts/login/", {"login": user.email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def _change(apex: Client, old: str, new1: str, new2: str | None = None) -> str:
    response = apex.post(
        "/accounts/password/change/",
        {"oldpassword": old, "password1": new1, "password2": new1 if new2 is None else new2},
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def test_a_person_changes_their_password_and_signs_in_with_the_new_one(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    apex = _signed_in_on(client_on(None), member)

    assert _change(apex, PASSWORD, NEW_PASSWORD) == "/accounts/password/change/"

    assert apex.get("/accounts/").status_code == 200  # this session carries on
    workspace = client_on(tenant)
    refused = workspace.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert refused.status_code == 200
    _signed_in_on(workspace, member, NEW_PASSWORD)


def test_changing_the_password_signs_the_person_out_of_their_workspaces(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    acme = _signed_in_on(client_on(tenant), both)
    globex = _signed_in_on(client_on(other_tenant), both)
    apex = _signed_in_on(client_on(None), both)

    _change(apex, PASSWORD, NEW_PASSWORD)

    assert acme.get("/")["Location"].startswith("/accounts/login/")
    assert globex.get("/")["Location"].startswith("/accounts/login/")


def test_a_wrong_current_password_changes_nothing(client_on: ClientFactory, member: User) -> None:
    apex = _signed_in_on(client_on(None), member)

    page = _change(apex, "not my password", NEW_PASSWORD)

    assert "Please type your current password." in page
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_new_passwords_that_differ_or_are_weak_are_refused_with_the_reason(
    client_on: ClientFactory, member: User
) -> None:
    apex = _signed_in_on(client_on(None), member)

    assert "You must type the same password each time." in _change(
        apex, PASSWORD, NEW_PASSWORD, "something else entirely"
    )
    assert "This password is too common." in _change(apex, PASSWORD, "password123")
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_the_password_page_on_a_workspace_host_leads_to_the_apex(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = client_on(tenant, member).get("/accounts/password/change/")

    assert response.status_code == 302
    assert response["Location"] == "http://localhost/accounts/password/change/"
