"""A person signs in on their workspace in a real browser; the cookie is worthless elsewhere."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD
from tests.servers import LiveServer

pytestmark = pytest.mark.browser


def test_a_member_signs_in_and_sees_the_dashboard_and_the_cookie_means_nothing_elsewhere(
    app_server: LiveServer, page: Page, context: BrowserContext
) -> None:
    # Bea belongs to both Acme and Globex: even so, Acme's session is not Globex's.
    page.goto(app_server.url("acme.localhost", "/"))
    expect(page).to_have_url(app_server.url("acme.localhost", "/accounts/login/?next=/"))
    expect(page.get_by_role("heading", name="Sign in to Acme Inc")).to_be_visible()
    screenshot(page, "sign-in")
    page.get_by_label("Email").fill("bea@both.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(app_server.url("acme.localhost", "/"))
    expect(page.get_by_test_id("dashboard-heading")).to_have_text("Acme Inc")
    expect(page.get_by_test_id("workspace-name")).to_contain_text("Acme Inc")
    expect(page.get_by_test_id("current-user")).to_contain_text("bea@both.test")
    screenshot(page, "dashboard")

    session = next(c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    assert session["domain"] == "acme.localhost"  # host-only: never sent to another host
    context.add_cookies(
        [
            {
                "name": session["name"],
                "value": session["value"],
                "url": app_server.url("globex.localhost"),
            }
        ]
    )

    page.goto(app_server.url("globex.localhost", "/"))

    expect(page).to_have_url(app_server.url("globex.localhost", "/accounts/login/?next=/"))
    expect(page.get_by_role("heading", name="Sign in to Globex")).to_be_visible()
    expect(page.get_by_test_id("dashboard-heading")).to_have_count(0)
    screenshot(page, "globex-with-acme-cookie")


def test_a_visitor_to_an_unknown_workspace_sees_a_404_that_names_no_one(
    app_server: LiveServer, page: Page
) -> None:
    response = page.goto(app_server.url("nosuch.localhost", "/"))

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="There is no workspace here")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Acme")
    expect(page.locator("body")).not_to_contain_text("Globex")
    screenshot(page, "unknown-host")


def test_a_non_member_is_told_to_ask_for_an_invitation_and_stays_signed_out(
    app_server: LiveServer, page: Page
) -> None:
    sign_in(page, app_server, "acme.localhost", "olga@globex.test")

    expect(page.get_by_role("alert")).to_have_text(
        "You are not a member of Acme Inc. Ask an admin of Acme Inc for an invitation."
    )
    screenshot(page, "not-a-member")
    page.goto(app_server.url("acme.localhost", "/"))
    expect(page).to_have_url(app_server.url("acme.localhost", "/accounts/login/?next=/"))


def test_one_sign_in_on_the_apex_opens_every_workspace_without_the_password_again(
    app_server: LiveServer, page: Page
) -> None:
    sign_in(page, app_server, "localhost", "bea@both.test")
    expect(page).to_have_url(app_server.url("localhost", "/accounts/"))
    expect(page.get_by_test_id("workspace-list")).to_contain_text("Acme Inc")
    expect(page.get_by_test_id("workspace-list")).to_contain_text("Globex")
    screenshot(page, "workspaces")

    page.get_by_test_id("open-acme").click()

    expect(page).to_have_url(app_server.url("acme.localhost", "/"))
    expect(page.get_by_test_id("dashboard-heading")).to_have_text("Acme Inc")
    expect(page.get_by_test_id("current-user")).to_contain_text("bea@both.test")

    page.get_by_test_id("workspace-name").click()  # the switcher
    expect(page.get_by_role("heading", name="Switch workspace")).to_be_visible()
    screenshot(page, "switch-workspace")
    page.get_by_test_id("switch-globex").click()

    expect(page).to_have_url(app_server.url("globex.localhost", "/"))
    expect(page.get_by_test_id("dashboard-heading")).to_have_text("Globex")
    expect(page.get_by_test_id("current-user")).to_contain_text("bea@both.test")
