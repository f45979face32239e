"""A new customer signs up from the landing page and arrives in the new workspace, signed in."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tenants.pool import schema_drop
from tests.browser.conftest import Database, screenshot
from tests.servers import LiveServer

pytestmark = pytest.mark.browser


def _remove(slug: str, email: str) -> None:
    for tenant in Tenant.objects.filter(slug=slug):
        schema_drop(tenant.schema_name)
        tenant.delete()
    User.objects.filter(email=email).delete()


def test_a_new_customer_signs_up_from_the_landing_page_and_arrives_signed_in(
    app_server: LiveServer, page: Page, database: Database
) -> None:
    slug = f"initech-{uuid.uuid4().hex[:6]}"
    email = f"bill-{slug}@initech.test"
    try:
        page.goto(app_server.url("localhost", "/"))
        screenshot(page, "landing")
        page.get_by_role("link", name="Pricing", exact=True).click()
        expect(
            page.get_by_role("heading", name="Start free. Pay when your team grows.")
        ).to_be_visible()
        screenshot(page, "pricing")
        page.goto(app_server.url("localhost", "/"))
        page.get_by_role("link", name="Start free trial").first.click()
        expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()

        # The subdomain is suggested from the name, and checked while typing.
        page.get_by_label("Workspace name").fill("Acme")
        status = page.locator("#subdomain-status")
        expect(page.get_by_label("Subdomain")).to_have_value("acme")
        expect(status).to_have_text("“acme” is already taken. Choose another subdomain.")
        page.get_by_label("Subdomain").fill("www")
        expect(status).to_contain_text("reserved by Strata")
        page.get_by_label("Workspace name").fill("Initech")
        page.get_by_label("Subdomain").fill(slug)
        expect(status).to_have_text(f"{slug}.localhost:{app_server.port} is available.")
        page.get_by_label("Your work email").fill(email)
        page.get_by_label("Password").fill("a long and unusual passphrase")
        screenshot(page, "signup")
        with page.expect_navigation(url=app_server.url(f"{slug}.localhost", "/")):
            page.get_by_role("button", name="Create workspace").click()

        expect(page.get_by_test_id("dashboard-heading")).to_have_text("Initech")
        expect(page.get_by_test_id("current-user")).to_contain_text(email)
        screenshot(page, "signed-up")
        assert app_server.last_mail_to(email)  # the verification email is waiting
    finally:
        database(lambda: _remove(slug, email))
