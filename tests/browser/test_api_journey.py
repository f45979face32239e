"""A tenant admin's API journey in a real browser against gunicorn: create a read-only key,
copy it once, use it from a script, see its last use, revoke it; and the API's own docs."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Dialog, Page, expect

from tenant_apps.api_access.models import ApiKey
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.browser.conftest import Database, screenshot, sign_in
from tests.servers import LiveServer

pytestmark = pytest.mark.browser

ACME = "acme.localhost"
KEY_NAME = "Nightly report (browser journey)"


def _call(server: LiveServer, key: str, method: str = "GET") -> tuple[int, dict[str, object]]:
    """What a script does: the API with the key and nothing else (no cookie)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/v1/projects/",
        method=method,
        data=b'{"name": "From a script", "key": "SCR"}' if method == "POST" else None,
        headers={
            "Host": f"{ACME}:{server.port}",
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def clean_keys(database: Database) -> Iterator[None]:
    yield

    def forget() -> None:
        with tenant_context(Tenant.objects.get(slug="acme")):
            ApiKey.objects.filter(name=KEY_NAME).delete()
            AuditEntry.objects.filter(target_label__contains=KEY_NAME).delete()

    database(forget)


@pytest.mark.usefixtures("clean_keys")
def test_an_admin_issues_uses_and_revokes_a_read_only_key(
    page: Page, app_server: LiveServer, database: Database
) -> None:
    sign_in(page, app_server, ACME, "adam@acme.test")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill(KEY_NAME)
    page.get_by_label("Scope").select_option("read")
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create key").click()

    issued = page.get_by_test_id("issued-key-value")
    expect(issued).to_be_visible()
    key = issued.inner_text().strip()
    assert re.fullmatch(r"strata_[a-z0-9]{10}_[A-Za-z0-9_-]{43}", key)
    screenshot(page, "api-key-created")

    status, body = _call(app_server, key)
    refused, _ = _call(app_server, key, "POST")
    assert status == 200
    assert "results" in body
    assert refused == 403  # read-only

    # Later: the key is shown by its prefix only, with its last use.
    page.goto(app_server.url(ACME, "/settings/api-keys/"))
    row = page.locator("tr", has_text=KEY_NAME)
    expect(row).to_contain_text(key[:17])
    expect(row.get_by_test_id("last-used")).to_contain_text("ago")
    assert key not in page.content()
    screenshot(page, "api-keys")

    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("tr", has_text=KEY_NAME)).to_contain_text("Revoked")
    assert asked == [f"Revoke {KEY_NAME}? Requests with it will get 401."]  # data-confirm

    status, body = _call(app_server, key)
    assert status == 401
    assert "revoked" in str(body["detail"])

    def audited() -> list[str]:
        with tenant_context(Tenant.objects.get(slug="acme")):
            return sorted(
                AuditEntry.objects.filter(target_label__contains=KEY_NAME).values_list(
                    "action", flat=True
                )
            )

    assert database(audited) == [AuditAction.API_KEY_CREATED, AuditAction.API_KEY_REVOKED]


def test_the_api_docs_load_offline_for_a_member(page: Page, app_server: LiveServer) -> None:
    sign_in(page, app_server, ACME, "mia@acme.test")
    page.goto(app_server.url(ACME, "/api/docs/"))

    # Swagger UI from the sidecar's static files, reading this host's schema.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Strata API")
    expect(page.locator("#operations-tag-tasks")).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tasks/").first).to_be_visible()
    screenshot(page, "api-docs")
