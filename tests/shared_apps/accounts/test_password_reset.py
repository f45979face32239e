from __future__ import annotations

import re

import pytest
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.conftest import ClientFactory

LINK = re.compile(r"(http://[^\s]+/accounts/password/reset/key/[^\s]+/)")


def _ask_for_a_link(
    client_on: ClientFactory,
    target: Tenant | None,
    email: str,
    capture: DjangoCaptureOnCommitCallbacks,
) -> int:
    with capture(execute=True):
        response = client_on(target).post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    return len(mail.outbox)


def test_a_member_gets_a_link_on_the_workspace_host(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    sent = _ask_for_a_link(
        client_on, tenant, member.email.upper(), django_capture_on_commit_callbacks
    )

    assert sent == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert message.subject == f"Reset your Strata password for {tenant.name}"
    links = LINK.findall(str(message.body))
    assert len(links) == 1
    assert links[0].startswith("http://acme.localhost/accounts/password/reset/key/")


@pytest.mark.parametrize("email", ["olga@globex.test", "nobody@nowhere.test"])
def test_outsiders_and_strangers_get_no_link_and_the_same_answer(
    client_on: ClientFactory,
    tenant: Tenant,
    email: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    assert _ask_for_a_link(client_on, tenant, email, django_capture_on_commit_callbacks) == 0


def test_a_malformed_address_is_refused_with_a_reason(
    client_on: ClientFactory, tenant: Tenant
) -> None:
    response = client_on(tenant).post("/accounts/password/reset/", {"email": "not an email"})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []


def test_the_link_sets_a_new_password_that_signs_in(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _ask_for_a_link(client_on, tenant, member.email, django_capture_on_commit_callbacks)
    path = LINK.findall(str(mail.outbox[0].body))[0].removeprefix("http://acme.localhost")
    client = client_on(tenant)

    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": "a brand new passphrase", "password2": "a brand new passphrase"},
    )

    assert done["Location"] == "/accounts/password/reset/key/done/"
    member.refresh_from_db()
    assert member.check_password("a brand new passphrase")
    signed_in = client.post(
        "/accounts/login/", {"login": member.email, "password": "a brand new passphrase"}
    )
    assert signed_in["Location"] == "/"


def test_someone_without_a_password_yet_can_set_one_from_the_apex(
    client_on: ClientFactory,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    User.objects.create_user(email="new-owner@initech.test")  # as create_tenant makes owners

    sent = _ask_for_a_link(
        client_on, None, "new-owner@initech.test", django_capture_on_commit_callbacks
    )

    assert sent == 1
    assert LINK.findall(str(mail.outbox[0].body))[0].startswith("http://localhost/accounts/")


@pytest.mark.parametrize("path", ["/accounts/password/reset/", "/accounts/password/reset/done/"])
def test_the_reset_pages_show_no_workspace_data_to_outsiders(
    client_on: ClientFactory, tenant: Tenant, outsider: User, owner: User, path: str
) -> None:
    response = client_on(tenant, outsider).get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert owner.email not in page
    assert "stat-value" not in page
