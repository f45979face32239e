"""Journeys of people joining and securing a workspace, in a real browser against gunicorn."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.db.models import Q
from playwright.sync_api import Browser, Page, expect

from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_email_mark_verified
from tenant_apps.audit.models import AuditEntry
from tenant_apps.members.models import Invitation
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tests.browser.conftest import Database, screenshot, sign_in
from tests.conftest import PASSWORD
from tests.servers import LiveServer
from tests.totp import totp_code

pytestmark = pytest.mark.browser

ACME = "acme.localhost"
NEW_PASSWORD = "a long and unusual passphrase 42"


def _forget(email: str) -> None:
    """Remove a person a journey made, and every trace of them, from the committed database."""
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            Invitation.objects.filter(email=email).delete()
            AuditEntry.objects.filter(Q(actor_label=email) | Q(target_label=email)).delete()
    User.objects.filter(email=email).delete()  # with memberships, addresses, authenticators


@pytest.fixture
def newcomer(database: Database) -> Iterator[str]:
    email = f"newcomer-{uuid.uuid4().hex[:8]}@example.com"
    yield email
    database(lambda: _forget(email))


@pytest.fixture
def acme_member(database: Database) -> Iterator[str]:
    """A member of Acme of this journey's own, so nothing it changes touches the shared cast."""
    email = f"member-{uuid.uuid4().hex[:8]}@example.com"

    def create() -> None:
        user = User.objects.create_user(email=email, password=PASSWORD, full_name="Mo Member")
        user_email_mark_verified(user=user)
        Membership.objects.create(
            user=user, tenant=Tenant.objects.get(slug="acme"), role=Role.MEMBER
        )

    database(create)
    yield email
    database(lambda: _forget(email))


def test_an_admin_invites_someone_who_joins_signs_in_and_sees_the_workspace(
    app_server: LiveServer, browser: Browser, newcomer: str
) -> None:
    admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(admin, app_server, ACME, "adam@acme.test")
    admin.goto(app_server.url(ACME, "/members/"))

    admin.get_by_label("Email address").fill(newcomer)
    admin.get_by_label("Role", exact=True).select_option("viewer")
    admin.get_by_role("button", name="Send invitation").click()

    expect(admin.get_by_text(f"Invitation sent to {newcomer}.")).to_be_visible()
    pending = admin.get_by_test_id(f"invitation-{newcomer}")
    expect(pending).to_contain_text("Viewer")
    screenshot(admin, "members")

    # The email's link is on the workspace's own host.
    link = re.search(
        r"http://acme\.localhost:\d+/invitations/\S+/", app_server.last_mail_to(newcomer)
    )
    assert link is not None, app_server.last_mail_to(newcomer)
    invitee = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    invitee.goto(link.group(0))
    expect(invitee.get_by_role("heading", name="Join Acme Inc")).to_be_visible()
    expect(invitee.get_by_text(f"You were invited as viewer with {newcomer}.")).to_be_visible()
    screenshot(invitee, "invitation")

    invitee.get_by_label("Your name").fill("Nora Newcomer")
    invitee.get_by_label("Choose a password").fill(NEW_PASSWORD)
    invitee.get_by_label("The password again").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()

    expect(invitee).to_have_url(app_server.url(ACME, "/"))
    expect(invitee.get_by_text("Welcome to Acme Inc.")).to_be_visible()
    expect(invitee.get_by_test_id("current-user")).to_contain_text(newcomer)

    # Later, from a browser that never saw the invitation: the password is all it takes.
    later = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(later, app_server, ACME, newcomer, NEW_PASSWORD)
    expect(later).to_have_url(app_server.url(ACME, "/"))
    expect(later.get_by_test_id("dashboard-heading")).to_have_text("Acme Inc")
    expect(later.get_by_test_id("current-user")).to_contain_text(newcomer)

    admin.goto(app_server.url(ACME, "/members/"))
    expect(admin.get_by_test_id(f"member-{newcomer}")).to_contain_text("Nora Newcomer")
    expect(admin.get_by_test_id(f"invitation-{newcomer}")).to_have_count(0)
    # The link is spent: opening it again explains instead of offering a second account.
    invitee.goto(link.group(0))
    expect(invitee.get_by_role("heading", name="This invitation")).to_be_visible()

    admin.goto(app_server.url(ACME, "/audit/"))
    for action in ("Invitation sent", "Invitation accepted"):
        expect(admin.get_by_role("row").filter(has_text=action)).to_contain_text(newcomer)
    screenshot(admin, "audit-log")


def _secret_on(page: Page) -> str:
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    return secret


def test_a_member_turns_on_two_factor_and_signs_in_to_the_workspace_with_a_code(
    app_server: LiveServer, browser: Browser, acme_member: str
) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, app_server, "localhost", acme_member)
    page.goto(app_server.url("localhost", "/accounts/2fa/"))
    screenshot(page, "two-factor-off")
    page.get_by_role("link", name="Set up an authenticator app").click()
    # Turning it on asks for the password again.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    secret = _secret_on(page)
    screenshot(page, "two-factor-setup")
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor").click()

    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    screenshot(page, "recovery-codes")

    workspace = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(workspace, app_server, ACME, acme_member)
    expect(workspace).to_have_url(app_server.url(ACME, "/accounts/2fa/authenticate/"))
    expect(workspace.get_by_role("heading", name="Enter your authentication code")).to_be_visible()
    screenshot(workspace, "two-factor-sign-in")
    workspace.get_by_label("Code").fill(totp_code(secret))
    workspace.get_by_role("button", name="Verify and sign in").click()

    expect(workspace).to_have_url(app_server.url(ACME, "/"))
    expect(workspace.get_by_test_id("current-user")).to_contain_text(acme_member)
