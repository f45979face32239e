"""Every write through /api/v1/ leaves an audit entry naming the person who made it; a refused
write leaves none."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import (
    LABELS,
    PROJECTS,
    TASKS,
    attachments_url,
    audit_trail,
    body,
    comments_url,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    send,
)


def test_each_write_is_audited_with_its_actor(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, viewer: User
) -> None:
    mia, alice = client_on(tenant, member), client_on(tenant, owner)
    start = len(audit_trail(tenant))

    def call(client: Client, method: str, path: str, data: Any, status: int) -> Any:
        response = send(client, method, path, data)
        assert response.status_code == status, response.content
        return body(response) if response.content else None

    project = call(mia, "POST", PROJECTS, {"name": "Website", "key": "WEB"}, 201)
    project_path = f"{PROJECTS}{project['id']}/"
    call(alice, "PATCH", project_path, {"name": "Site"}, 200)
    label = call(mia, "POST", LABELS, {"name": "design"}, 201)
    task = call(mia, "POST", TASKS, {"project": project["id"], "title": "Logo"}, 201)
    task_path, comments = f"{TASKS}{task['id']}/", comments_url(task["id"])
    update = {"status": "done", "labels": ["design"], "expected_version": 1}
    call(alice, "PATCH", task_path, update, 200)
    comment = call(alice, "POST", comments, {"body": "Nice"}, 201)
    upload = SimpleUploadedFile("logo.png", b"png", content_type="image/png")
    uploaded = mia.post(attachments_url(task["id"]), {"file": upload})
    assert uploaded.status_code == 201
    # Refused writes leave nothing.
    call(client_on(tenant, viewer), "POST", LABELS, {"name": "x"}, 403)
    call(mia, "POST", LABELS, {"name": "design"}, 400)
    call(mia, "PATCH", task_path, {"title": "Stale", "expected_version": 1}, 409)
    call(mia, "DELETE", f"{comments}{comment['id']}/", None, 403)
    # Removals, and a project archived and restored.
    call(alice, "DELETE", f"{comments}{comment['id']}/", None, 204)
    call(mia, "DELETE", f"{attachments_url(task['id'])}{body(uploaded)['id']}/", None, 204)
    call(alice, "DELETE", f"{LABELS}{label['id']}/", None, 204)
    call(mia, "DELETE", task_path, None, 204)
    call(alice, "PATCH", project_path, {"archived": True}, 200)
    call(mia, "PATCH", project_path, {"archived": False}, 200)

    mia_, alice_ = (member.pk, member.email), (owner.pk, owner.email)
    assert [
        (action, (actor, label), target)
        for action, actor, label, target in audit_trail(tenant)[start:]
    ] == [
        (AuditAction.PROJECT_CREATED, mia_, "WEB"),
        (AuditAction.PROJECT_UPDATED, alice_, "WEB"),
        (AuditAction.LABEL_CREATED, mia_, "design"),
        (AuditAction.TASK_CREATED, mia_, "WEB-1"),
        (AuditAction.TASK_UPDATED, alice_, "WEB-1"),
        (AuditAction.COMMENT_ADDED, alice_, "WEB-1"),
        (AuditAction.ATTACHMENT_ADDED, mia_, "WEB-1"),
        (AuditAction.COMMENT_DELETED, alice_, "WEB-1"),
        (AuditAction.ATTACHMENT_DELETED, mia_, "WEB-1"),
        (AuditAction.LABEL_DELETED, alice_, "design"),
        (AuditAction.TASK_DELETED, mia_, "WEB-1"),
        (AuditAction.PROJECT_ARCHIVED, alice_, "WEB"),
        (AuditAction.PROJECT_RESTORED, mia_, "WEB"),
    ]
    with tenant_context(tenant):
        details = dict(AuditEntry.objects.values_list("action", "details"))
    assert details[AuditAction.PROJECT_UPDATED] == {"fields": ["name"]}
    assert details[AuditAction.TASK_UPDATED] == {"fields": ["labels", "status"]}
    assert details[AuditAction.ATTACHMENT_ADDED] == {"name": "logo.png"}
