"""Owners and admins export their workspace's data; nobody else can."""

from __future__ import annotations

import io
import json
import zipfile

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory


def test_an_admin_downloads_the_workspace_as_a_zip(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    client = client_on(tenant, admin)
    assert "Download the export" in client.get("/settings/export/").content.decode()

    response = client.post("/settings/export/")

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert json.loads(archive.read("manifest.json"))["tenant"]["slug"] == "acme"
    with tenant_context(tenant):
        entry = AuditEntry.objects.get(action=AuditAction.WORKSPACE_EXPORTED)
    assert entry.actor_id == admin.pk


def test_members_and_outsiders_cannot_export(
    client_on: ClientFactory, tenant: Tenant, member: User, outsider: User
) -> None:
    assert client_on(tenant, member).post("/settings/export/").status_code == 403
    assert client_on(tenant, outsider).post("/settings/export/").status_code == 403
    assert client_on(tenant).post("/settings/export/").status_code == 302  # to sign in
