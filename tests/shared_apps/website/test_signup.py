"""Self-serve sign-up on the apex: a workspace, its owner signed in there, nothing half-made."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.db import connection, connections
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, DjangoDbBlocker

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.models import Domain, Membership, Tenant
from tenants.pool import schema_drop
from tenants.roles import Role
from tenants.signals import tenant_provisioned
from tests.conftest import PASSWORD, ClientFactory
from tests.totp import totp_code

STRONG = "a long and unusual passphrase"


def _signup(client: Client, **overrides: str) -> Any:
    data = {
        "name": "Initech",
        "subdomain": "initech",
        "email": "bill@initech.test",
        "password": STRONG,
        **overrides,
    }
    return client.post("/signup/", data)


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%%'")
        return {row[0] for row in cursor.fetchall()}


def test_the_landing_page_and_pricing_lead_to_sign_up(client_on: ClientFactory) -> None:
    apex = client_on(None)

    landing = apex.get("/").content.decode()
    pricing = apex.get("/pricing/")

    assert 'href="/signup/"' in landing
    assert pricing.status_code == 200
    page = pricing.content.decode()
    for plan in ("Free", "Pro", "Business"):
        assert f'data-testid="plan-{plan.lower()}"' in page
    assert "3 members" in page
    assert apex.get("/signup/").status_code == 200


@pytest.mark.parametrize(
    ("typed", "available", "message"),
    [
        ("initech", True, "initech.localhost is available."),
        (" Initech ", True, "initech.localhost is available."),
        ("acme", False, "“acme” is already taken. Choose another subdomain."),
        ("www", False, "“www” is reserved by Strata"),
        ("bad_name!", False, "letters"),
        ("x" * 64, False, "at most 63"),
        ("", False, ""),
    ],
)
def test_the_subdomain_is_checked_while_typing(
    client_on: ClientFactory, tenant: Tenant, typed: str, available: bool, message: str
) -> None:
    answer = client_on(None).get("/signup/subdomain/", {"subdomain": typed}).json()

    assert answer["available"] is available
    assert message in answer["message"]


def test_a_new_customer_signs_up_and_arrives_in_the_workspace_signed_in(
    client_on: ClientFactory, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client_on(None))

    assert response.status_code == 302, response.content.decode()[:3000]
    location = urlsplit(response["Location"])
    assert (location.netloc, location.path) == ("initech.localhost", "/accounts/hop/")
    tenant = Tenant.objects.get(slug="initech")
    owner = User.objects.get(email="bill@initech.test")
    assert owner.check_password(STRONG)
    assert Membership.objects.get(tenant=tenant).user == owner
    assert Membership.objects.get(tenant=tenant).role == Role.OWNER
    assert Domain.objects.get(tenant=tenant).domain == "initech.localhost"

    workspace = Client(HTTP_HOST="initech.localhost")
    assert workspace.get(f"{location.path}?{location.query}")["Location"] == "/"
    dashboard = workspace.get("/")
    assert dashboard.status_code == 200
    assert "Initech" in dashboard.content.decode()

    # A verification email is waiting; the address is not verified until it is followed.
    assert not EmailAddress.objects.get(user=owner).verified
    assert [m.to for m in mail.outbox] == [["bill@initech.test"]]
    with tenant_context(tenant):
        created = AuditEntry.objects.get(action=AuditAction.WORKSPACE_CREATED)
    assert (created.actor_id, created.target_label) == (owner.pk, "initech")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"subdomain": "www"}, "subdomain", "reserved by Strata"),
        ({"subdomain": "acme"}, "subdomain", "already taken"),
        ({"subdomain": "-nope-"}, "subdomain", "letters"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"password": "12345678"}, "password", "This password is entirely numeric."),
        ({"password": "short"}, "password", "too short"),
        ({"name": "N" * 101}, "name", "at most 100 characters"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_creates_nothing(
    client_on: ClientFactory, tenant: Tenant, overrides: dict[str, str], field: str, message: str
) -> None:
    before = (Tenant.objects.count(), User.objects.count(), _schemas())

    response = _signup(client_on(None), **overrides)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert (Tenant.objects.count(), User.objects.count(), _schemas()) == before


def test_an_existing_account_creates_a_workspace_only_with_its_password(
    client_on: ClientFactory, outsider: User
) -> None:
    wrong = _signup(client_on(None), email=outsider.email, password="not the password")
    assert wrong.status_code == 400
    assert "already has a Strata account" in " ".join(wrong.context["form"].errors["password"])
    assert not Tenant.objects.filter(slug="initech").exists()

    right = _signup(client_on(None), email=outsider.email.upper(), password=PASSWORD)

    assert right.status_code == 302
    tenant = Tenant.objects.get(slug="initech")
    assert Membership.objects.get(tenant=tenant).user == outsider
    assert outsider.check_password(PASSWORD)  # their password is untouched


def test_sign_ups_from_one_network_are_limited(client_on: ClientFactory) -> None:
    for n in range(10):
        _signup(client_on(None), subdomain=f"firm{n}", email=f"x{n}@firm.test", password="1")

    response = _signup(client_on(None))

    assert response.status_code == 429
    assert "Too many workspaces were created from your network" in response.content.decode()
    assert not Tenant.objects.filter(slug="initech").exists()


@pytest.fixture
def racing(django_db_blocker: DjangoDbBlocker) -> Iterator[threading.Event]:
    """Hold the first provisioning's transaction open until the second signup is on its way;
    afterwards remove what the race committed."""
    first_inside = threading.Event()
    calls: list[int] = []

    def hold(sender: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            first_inside.set()
            threading.Event().wait(1.0)  # the other signup arrives meanwhile and must wait

    tenant_provisioned.connect(hold, dispatch_uid="test-race")
    yield first_inside
    tenant_provisioned.disconnect(dispatch_uid="test-race")
    with django_db_blocker.unblock():
        for tenant in Tenant.objects.filter(slug="racing"):
            schema_drop(tenant.schema_name)
            tenant.delete()
        User.objects.filter(email__in=["first@race.test", "second@race.test"]).delete()


def test_two_sign_ups_racing_for_one_subdomain_one_wins_and_nothing_is_half_made(
    racing: threading.Event, django_db_blocker: DjangoDbBlocker
) -> None:
    results: dict[str, Any] = {}

    def sign_up(who: str) -> None:
        try:
            results[who] = _signup(
                Client(HTTP_HOST="localhost"), subdomain="racing", email=f"{who}@race.test"
            )
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        schemas_before = _schemas()
        first = threading.Thread(target=sign_up, args=("first",))
        first.start()
        assert racing.wait(10)
        second = threading.Thread(target=sign_up, args=("second",))
        second.start()
        first.join(30)
        second.join(30)

        assert results["first"].status_code == 302
        assert results["second"].status_code == 400
        errors = " ".join(results["second"].context["form"].errors["subdomain"])
        assert "“racing” is already taken" in errors
        assert Tenant.objects.filter(slug="racing").count() == 1
        assert not User.objects.filter(email="second@race.test").exists()
        assert len(_schemas() - schemas_before) == 1  # the winner's, and only it


def test_an_account_with_two_factor_must_sign_in_with_its_code_first(
    client_on: ClientFactory, outsider: User, other_tenant: Tenant
) -> None:
    secret = generate_totp_secret()
    TOTP.activate(outsider, secret)

    refused = _signup(client_on(None), email=outsider.email, password=PASSWORD)

    assert refused.status_code == 400
    assert "signs in with two-factor authentication" in " ".join(
        refused.context["form"].errors["email"]
    )
    assert not Tenant.objects.filter(slug="initech").exists()
    # Signed in on the apex with the code, the same person creates the workspace.
    apex = Client(HTTP_HOST="localhost")
    apex.post("/accounts/login/", {"login": outsider.email, "password": PASSWORD})
    apex.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    created = _signup(apex, email=outsider.email, password=PASSWORD)
    assert created.status_code == 302, created.content.decode()[:2000]
    assert Membership.objects.get(tenant__slug="initech").user == outsider


def test_an_accounts_other_verified_address_signs_up_as_that_account(
    client_on: ClientFactory, outsider: User
) -> None:
    EmailAddress.objects.create(user=outsider, email="olga@work.example", verified=True)

    taken = _signup(client_on(None), email="olga@work.example", password="not hers")
    assert taken.status_code == 400
    created = _signup(client_on(None), email="olga@work.example", password=PASSWORD)

    assert created.status_code == 302
    assert Membership.objects.get(tenant__slug="initech").user == outsider
    assert not User.objects.filter(email="olga@work.example").exists()
