"""What the /api/v1/ tests of the work tracker share: addresses, a seeded scene, snapshots of a
tenant's rows (to prove a refused request changed nothing) and a check that a body leaks none of
Acme's data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditEntry
from tenant_apps.projects.models import Attachment, Comment, Label, Project, Task
from tenant_apps.projects.services import (
    Actor,
    attachment_add,
    comment_add,
    label_create,
    project_create,
    task_create,
)
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.storage import storage_walk, tenant_media_prefix

PROJECTS = "/api/v1/projects/"
TASKS = "/api/v1/tasks/"
LABELS = "/api/v1/labels/"
MEMBERS = "/api/v1/members/"


def comments_url(task_id: object) -> str:
    return f"{TASKS}{task_id}/comments/"


def attachments_url(task_id: object) -> str:
    return f"{TASKS}{task_id}/attachments/"


@pytest.fixture(autouse=True)
def generous_api_rate(settings: Settings) -> None:
    """Tests send more than the free plan's 60 requests a minute; the budget has tests of its
    own (tests/tenant_apps/api_access/)."""
    settings.STRATA_API_REQUESTS_PER_MINUTE = 100_000


def send(client: Client, method: str, path: str, data: Any = None) -> Any:
    """A JSON request (the test client skips CSRF checks)."""
    call = getattr(client, method.lower())
    if data is None:
        return call(path)
    return call(path, json.dumps(data), content_type="application/json")


def content(response: Any) -> bytes:
    """The body of a response, streamed (a download) or not."""
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def body(response: Any) -> Any:
    return json.loads(content(response))


def rows(response: Any) -> list[dict[str, Any]]:
    """The items of a list response, paginated or not."""
    data = body(response)
    return list(data["results"] if isinstance(data, dict) else data)


def references(response: Any) -> list[str]:
    return [task["reference"] for task in rows(response)]


@dataclass(frozen=True)
class Scene:
    """Acme's data, each piece with a marker that must never reach a stranger."""

    project: Project
    task: Task
    other_task: Task
    label: Label
    other_label: Label
    comment: Comment
    other_comment: Comment
    attachment: Attachment
    other_attachment: Attachment

    def secrets(self) -> list[str]:
        ids = [
            self.project.public_id,
            self.task.public_id,
            self.other_task.public_id,
            self.comment.public_id,
            self.other_comment.public_id,
            self.attachment.public_id,
            self.other_attachment.public_id,
        ]
        words = [
            "Rocket plans",
            "RKT",
            "launch window",
            "Ignite the boosters",
            "fuel mix",
            "top-secret",
            "hatch code 7731",
            "blueprint.txt",
            "acme.test",
        ]
        return [*words, *map(str, ids)]


def seed_scene(tenant: Tenant, owner: User, member: User) -> Scene:
    """A project with two tasks (the first assigned to the member and labelled), two labels,
    two comments and two attachments by the member."""
    by_owner, by_member = Actor(user=owner), Actor(user=member)
    with tenant_context(tenant):
        project = project_create(
            name="Rocket plans", key="RKT", description="launch window", actor=by_owner
        )
        label = label_create(name="top-secret", color="#ff0000", actor=by_owner)
        other_label = label_create(name="spare", actor=by_owner)
        task = task_create(
            tenant=tenant,
            project=project,
            title="Ignite the boosters",
            description="fuel mix",
            assignee_id=member.pk,
            labels=[label],
            actor=by_owner,
        )
        other_task = task_create(tenant=tenant, project=project, title="Spare", actor=by_owner)
        comment = comment_add(task=task, body="The hatch code 7731", actor=by_member)
        other_comment = comment_add(task=task, body="Second hatch code 7731", actor=by_member)
        attachment = attachment_add(
            tenant=tenant,
            task=task,
            upload=ContentFile(b"blueprint", name="blueprint.txt"),
            actor=by_member,
        )
        other_attachment = attachment_add(
            tenant=tenant,
            task=task,
            upload=ContentFile(b"blueprint 2", name="second blueprint.txt"),
            actor=by_member,
        )
    return Scene(
        project=project,
        task=task,
        other_task=other_task,
        label=label,
        other_label=other_label,
        comment=comment,
        other_comment=other_comment,
        attachment=attachment,
        other_attachment=other_attachment,
    )


def assert_no_leak(response: Any, scene: Scene, sent: str = "") -> None:
    """None of Acme's markers in the body, but for what the caller sent (an error may quote
    the id it could not find)."""
    text = content(response).decode(errors="replace")
    leaked = [secret for secret in scene.secrets() if secret in text and secret not in sent]
    assert not leaked, f"{leaked} in {text[:300]}"


def tenant_state(tenant: Tenant) -> dict[str, list[Any]]:
    """Every row of the work tracker, the audit log and the stored files of `tenant`."""
    with tenant_context(tenant):
        return {
            "projects": list(
                Project.objects.order_by("pk").values_list(
                    "public_id", "key", "name", "description", "archived"
                )
            ),
            "tasks": list(
                Task.objects.order_by("pk").values_list(
                    "public_id",
                    "title",
                    "description",
                    "status",
                    "priority",
                    "assignee_id",
                    "due_date",
                    "version",
                )
            ),
            "task_labels": list(
                Task.labels.through.objects.order_by("pk").values_list("task_id", "label_id")
            ),
            "labels": list(Label.objects.order_by("pk").values_list("pk", "name", "color")),
            "comments": list(Comment.objects.order_by("pk").values_list("public_id", "body")),
            "attachments": list(
                Attachment.objects.order_by("pk").values_list("public_id", "name", "file")
            ),
            "audit": list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True)),
            "files": sorted(storage_walk(tenant_media_prefix(tenant.schema_name))),
        }


def audit_trail(tenant: Tenant) -> list[tuple[str, int | None, str, str]]:
    """(action, actor id, actor label, target) of every entry, oldest first."""
    with tenant_context(tenant):
        return list(
            AuditEntry.objects.order_by("pk").values_list(
                "action", "actor_id", "actor_label", "target_label"
            )
        )
