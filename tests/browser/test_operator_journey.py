"""A platform operator signs in with a code, finds a tenant, impersonates a member to debug a
problem (a banner shows while it lasts) and ends it."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import Page, expect

from shared_apps.accounts.models import User
from shared_apps.operators.models import Impersonation
from tests.browser.conftest import Database, screenshot, sign_in
from tests.servers import LiveServer
from tests.totp import totp_code

pytestmark = pytest.mark.browser

OPERATOR = "stan@strata.test"


def _with_authenticator() -> str:
    stan = User.objects.get(email=OPERATOR)
    Authenticator.objects.filter(user=stan).delete()
    secret: str = generate_totp_secret()
    TOTP.activate(stan, secret)
    return secret


def _forget() -> None:
    Authenticator.objects.filter(user__email=OPERATOR).delete()
    Impersonation.objects.filter(operator__email=OPERATOR).delete()


def test_an_operator_impersonates_a_member_with_a_banner_and_ends_it(
    app_server: LiveServer, page: Page, database: Database
) -> None:
    secret = database(_with_authenticator)
    try:
        sign_in(page, app_server, "localhost", OPERATOR)
        page.get_by_label("Code").fill(totp_code(secret))
        with page.expect_navigation():
            page.get_by_role("button", name="Verify and sign in").click()
        page.goto(app_server.url("localhost", "/operator/"))
        expect(page.get_by_role("heading", name="Tenants")).to_be_visible()
        expect(page.get_by_test_id("tenant-acme")).to_contain_text("Acme Inc")
        screenshot(page, "operator-tenants")

        page.get_by_role("link", name="Acme Inc").click()
        expect(page.get_by_test_id("tenant-name")).to_have_text("Acme Inc")
        screenshot(page, "operator-tenant")
        page.get_by_label("Reason to impersonate mia@acme.test").fill("Ticket 4411: board empty")
        with page.expect_navigation(url=app_server.url("acme.localhost", "/")):
            page.get_by_role("row").filter(has_text="mia@acme.test").get_by_role(
                "button", name="Sign in as"
            ).click()

        banner = page.get_by_test_id("impersonation-banner")
        expect(banner).to_contain_text("stan@strata.test")
        expect(banner).to_contain_text("mia@acme.test")
        expect(banner).to_contain_text("Ticket 4411: board empty")
        expect(page.get_by_test_id("current-user")).to_contain_text("mia@acme.test")
        screenshot(page, "impersonation-banner")

        with page.expect_navigation(url=app_server.url("localhost", "/operator/tenants/acme/")):
            banner.get_by_role("button", name="End impersonation").click()
        page.goto(app_server.url("acme.localhost", "/"))
        expect(page).to_have_url(app_server.url("acme.localhost", "/accounts/login/?next=/"))
    finally:
        database(_forget)
