"""/audit/export.csv: the audit log as a CSV download for admins, filtered like the page, on the
plans with audit export (Pro, Business); on Free a 402 page names the plan that has it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from shared_apps.accounts.models import User
from tenant_apps.audit import views
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.audit.services import audit_record
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.plans import on_plan

EXPORT = "/audit/export.csv"
MESSAGE = "Audit log export is not part of your Free plan. Upgrade to Pro on the billing page"


@pytest.fixture
def logged(tenant: Tenant, member: User, admin: User) -> None:
    """Three entries by two people; one with a target a spreadsheet would run as a formula."""
    with tenant_context(tenant):
        audit_record(action=AuditAction.LOGIN, actor=member)
        audit_record(
            action=AuditAction.PROJECT_CREATED, actor=member, target="=HYPERLINK(1)", name="Web"
        )
        audit_record(action=AuditAction.MEMBER_ROLE_CHANGED, actor=admin, target=member.email)


def _csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def _exports(tenant: Tenant) -> list[AuditEntry]:
    with tenant_context(tenant):
        return list(AuditEntry.objects.filter(action=AuditAction.AUDIT_EXPORTED))


def test_on_free_the_export_is_refused_with_the_upgrade(
    client_on: ClientFactory, tenant: Tenant, admin: User, logged: None
) -> None:
    on_plan(tenant, "free")

    response = client_on(tenant, admin).get(EXPORT)

    assert response.status_code == 402
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert MESSAGE in page
    assert 'href="http://acme.localhost/settings/billing/"' in page
    assert "HYPERLINK" not in page
    assert _exports(tenant) == []


def test_on_free_the_log_page_says_the_export_needs_an_upgrade(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    on_plan(tenant, "free")

    page = client_on(tenant, admin).get("/audit/").content.decode()

    assert 'data-testid="audit-export"' in page
    assert 'data-testid="audit-export-hint"' in page
    assert MESSAGE in page


@pytest.mark.parametrize("plan", ["pro", "business"])
def test_on_paid_plans_admins_download_every_entry_newest_first(
    client_on: ClientFactory, tenant: Tenant, admin: User, member: User, logged: None, plan: str
) -> None:
    on_plan(tenant, plan)
    client = client_on(tenant, admin)
    page = client.get("/audit/").content.decode()
    assert f'href="{EXPORT}"' in page
    assert 'data-testid="audit-export-hint"' not in page

    response = client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="acme-audit-log-')
    assert "no-store" in response["Cache-Control"]
    header, *rows = _csv(response)
    assert header == list(views.EXPORT_COLUMNS)
    # The export itself is recorded first, so it is the newest row.
    assert [(r[1], r[2], r[4]) for r in rows] == [
        (admin.email, "audit.exported", ""),
        (admin.email, "member.role_changed", member.email),
        (member.email, "project.created", "'=HYPERLINK(1)"),  # quoted: no formula
        (member.email, "auth.login", ""),
    ]
    assert rows[2][3] == "Project created"
    assert rows[2][5] == "name: Web"
    (recorded,) = _exports(tenant)
    assert recorded.actor_id == admin.pk


def test_the_export_is_filtered_like_the_page(
    client_on: ClientFactory, tenant: Tenant, admin: User, member: User, logged: None
) -> None:
    on_plan(tenant, "pro")
    client = client_on(tenant, admin)
    query = f"?person={member.email}&action=project.created"
    link = f'href="{EXPORT}?person=mia%40acme.test&amp;action=project.created"'
    assert link in client.get(f"/audit/{query}").content.decode()

    response = client.get(EXPORT + query)

    _header, *rows = _csv(response)
    assert [(r[1], r[2]) for r in rows] == [(member.email, "project.created")]
    (recorded,) = _exports(tenant)
    assert recorded.details == {
        "filter_person": member.email,
        "filter_action": "project.created",
    }


def test_a_filter_not_on_offer_exports_no_rows(
    client_on: ClientFactory, tenant: Tenant, admin: User, logged: None
) -> None:
    on_plan(tenant, "pro")

    response = client_on(tenant, admin).get(EXPORT + "?action=made.up")

    assert response.status_code == 200
    assert _csv(response) == [list(views.EXPORT_COLUMNS)]
    assert _exports(tenant) == []


def test_a_long_log_streams_in_chunks_without_losing_a_row(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    member: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_plan(tenant, "pro")
    monkeypatch.setattr(views, "EXPORT_CHUNK", 3)
    with tenant_context(tenant):
        # Entries written in one transaction share created_at: the pk breaks the tie.
        for n in range(10):
            audit_record(action=AuditAction.TASK_CREATED, actor=member, target=f"WEB-{n}")

    _header, *rows = _csv(client_on(tenant, admin).get(EXPORT + "?action=task.created"))

    assert [r[4] for r in rows] == [f"WEB-{n}" for n in reversed(range(10))]


def test_members_and_viewers_cannot_export(
    client_on: ClientFactory, tenant: Tenant, member: User, viewer: User, logged: None
) -> None:
    on_plan(tenant, "pro")

    assert client_on(tenant, member).get(EXPORT).status_code == 403
    assert client_on(tenant, viewer).get(EXPORT).status_code == 403
    assert client_on(tenant).get(EXPORT).status_code == 302  # to sign in
    assert _exports(tenant) == []


def test_an_outsider_gets_nothing_of_the_export(
    client_on: ClientFactory, tenant: Tenant, outsider: User, member: User, logged: None
) -> None:
    on_plan(tenant, "pro")

    response = client_on(tenant, outsider).get(EXPORT)

    assert response.status_code == 403
    assert not response.streaming
    body = response.content.decode()
    assert member.email not in body
    assert "HYPERLINK" not in body
    assert _exports(tenant) == []
