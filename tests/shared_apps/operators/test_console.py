"""The operator console: staff with two factors only, lifecycle actions, provisioning."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.accounts.models import User
from tenants.models import Domain, PlatformAction, PlatformAuditEntry, Tenant, TenantStatus
from tests.conftest import ClientFactory
from tests.shared_apps.operators.conftest import sign_in_with_code


def test_the_console_lists_tenants_for_an_operator_signed_in_with_two_factors(
    console: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    page = console.get("/operator/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="tenant-acme"' in html
    assert 'data-testid="tenant-globex"' in html


def test_search_and_status_narrow_the_list(
    console: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    found = console.get("/operator/", {"q": "acm"}).content.decode()
    assert 'data-testid="tenant-acme"' in found
    assert 'data-testid="tenant-globex"' not in found
    by_host = console.get("/operator/", {"q": "globex.localhost"}).content.decode()
    assert 'data-testid="tenant-globex"' in by_host
    suspended = console.get("/operator/", {"status": "suspended"}).content.decode()
    assert "No tenant matches" in suspended


def test_nobody_else_gets_in(
    client_on: ClientFactory, member: User, operator: User, tenant: Tenant
) -> None:
    assert client_on(None).get("/operator/")["Location"].startswith("/accounts/login/")
    assert client_on(None, member).get("/operator/").status_code == 404  # not even named
    # Stan has an authenticator, but a session made without the code is refused.
    refused = client_on(None, operator).get("/operator/")
    assert refused.status_code == 403
    assert "was not signed in with your authenticator app" in refused.content.decode()
    # The console does not exist on a tenant host.
    assert client_on(tenant, member).get("/operator/").status_code == 404


def test_staff_without_an_authenticator_are_sent_to_set_one_up(
    client_on: ClientFactory, staff: User
) -> None:
    refused = client_on(None, staff).get("/operator/")

    assert refused.status_code == 403
    assert "Set up two-factor sign-in" in refused.content.decode()


def test_an_operator_suspends_with_a_reason_and_reactivates(
    console: Client, tenant: Tenant
) -> None:
    missing = console.post("/operator/tenants/acme/suspend/", {"reason": "  "})
    assert missing.status_code == 302
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    assert "Give a reason" in console.get(missing["Location"]).content.decode()

    console.post("/operator/tenants/acme/suspend/", {"reason": "Chargeback 881"})
    tenant.refresh_from_db()
    assert (tenant.status, tenant.status_reason) == (TenantStatus.SUSPENDED, "Chargeback 881")
    console.post("/operator/tenants/acme/reactivate/")
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    entry = PlatformAuditEntry.objects.filter(action=PlatformAction.TENANT_SUSPENDED).get()
    assert entry.actor_label == "stan@strata.test"
    assert entry.ip_address == "127.0.0.1"


def test_an_operator_renames_archives_restores_and_purges(
    console: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        console.post(
            "/operator/tenants/new/",
            {"name": "Initech", "slug": "initech", "owner_email": "bill@initech.test"},
        )
    renamed = console.post("/operator/tenants/initech/rename/", {"slug": "initrode"})
    assert renamed["Location"] == "/operator/tenants/initrode/"
    console.post("/operator/tenants/initrode/archive/", {"reason": "Left us"})
    assert Tenant.objects.get(slug="initrode").status == TenantStatus.ARCHIVED
    wrong = console.post("/operator/tenants/initrode/purge/", {"confirm": "acme"})
    assert Tenant.objects.filter(slug="initrode").exists()
    assert "Type initrode to confirm" in console.get(wrong["Location"]).content.decode()
    console.post("/operator/tenants/initrode/restore/")
    assert Tenant.objects.get(slug="initrode").status == TenantStatus.ACTIVE
    console.post("/operator/tenants/initrode/archive/", {"reason": ""})

    purged = console.post("/operator/tenants/initrode/purge/", {"confirm": "initrode"})

    assert purged["Location"] == "/operator/"
    assert not Tenant.objects.filter(slug="initrode").exists()
    assert console.post("/operator/tenants/acme/explode/").status_code == 404
    assert console.get("/operator/tenants/nosuch/").status_code == 404


def test_provisioning_for_a_customer_mails_the_owner_a_link_into_the_workspace(
    console: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            "/operator/tenants/new/",
            {"name": "Initech", "slug": "initech", "owner_email": "bill@initech.test"},
        )

    assert response["Location"] == "/operator/tenants/initech/"
    tenant = Tenant.objects.get(slug="initech")
    assert Domain.objects.get(tenant=tenant).domain == "initech.localhost"
    (message,) = mail.outbox
    assert message.to == ["bill@initech.test"]
    link = re.search(
        r"http://initech\.localhost(/accounts/password/reset/key/\S+)", str(message.body)
    )
    assert link, message.body
    workspace = Client(HTTP_HOST="initech.localhost")
    form = workspace.get(link.group(1), follow=True)
    assert form.status_code == 200
    set_password = workspace.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
        {"password1": "a fresh long passphrase", "password2": "a fresh long passphrase"},
    )
    assert set_password.status_code == 302
    assert User.objects.get(email="bill@initech.test").check_password("a fresh long passphrase")
    created = PlatformAuditEntry.objects.get(action=PlatformAction.TENANT_CREATED)
    assert created.details == {"owner": "bill@initech.test"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "slug": "www", "owner_email": "a@b.test"}, "reserved"),
        ({"name": "X", "slug": "acme", "owner_email": "a@b.test"}, "already taken"),
        ({"name": "X", "slug": "ok-slug", "owner_email": "nope"}, "Enter a valid email"),
    ],
)
def test_provisioning_refuses_bad_input_with_the_reason(
    console: Client, tenant: Tenant, data: dict[str, str], message: str
) -> None:
    before = Tenant.objects.count()

    response = console.post("/operator/tenants/new/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Tenant.objects.count() == before


def test_the_other_console_pages_answer(console: Client, tenant: Tenant) -> None:
    for path in (
        "/operator/users/?q=acme",
        "/operator/domains/",
        "/operator/audit/",
        "/operator/tokens/",
    ):
        assert console.get(path).status_code == 200, path
    users = console.get("/operator/users/", {"q": "mia@"}).content.decode()
    assert "mia@acme.test" in users
    assert "olga@globex.test" not in users


def test_an_operator_signs_in_on_the_apex_with_password_and_code(
    operator: User, operator_secret: str
) -> None:
    client = Client(HTTP_HOST="localhost")
    sign_in_with_code(client, operator, operator_secret)

    assert client.get("/operator/").status_code == 200


def test_an_operator_downloads_an_export_and_imports_it(console: Client, tenant: Tenant) -> None:
    download = console.get("/operator/tenants/acme/export/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)  # type: ignore[attr-defined]

    page = console.get("/operator/tenants/import/")
    assert page.status_code == 200
    imported = console.post(
        "/operator/tenants/import/",
        {"archive": io.BytesIO(data), "slug": "acme-two", "name": "Acme two"},
    )
    assert imported["Location"] == "/operator/tenants/acme-two/"
    refused = console.post(
        "/operator/tenants/import/",
        {"archive": io.BytesIO(data), "slug": "www", "name": "Nope"},
    )
    assert refused.status_code == 400
    assert "reserved" in refused.content.decode()
