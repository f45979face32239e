"""The work tracker's writes: numbering, members only, optimistic concurrency, files, audit."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.projects.models import Label, Project, Task
from tenant_apps.projects.services import (
    Actor,
    TaskConflictError,
    attachment_add,
    comment_add,
    project_create,
    task_create,
    task_delete,
    task_update,
)
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.storage import tenant_media_prefix


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def test_tasks_are_numbered_per_project_and_every_write_is_audited(
    tenant: Tenant, member: User
) -> None:
    actor = Actor(user=member)
    with tenant_context(tenant):
        web = project_create(name="Website", key="web", actor=actor)
        ops = project_create(name="Operations", key="OPS", actor=actor)

        first = task_create(tenant=tenant, project=web, title=" Home  page ", actor=actor)
        second = task_create(tenant=tenant, project=web, title="Pricing page", actor=actor)
        other = task_create(tenant=tenant, project=ops, title="Backups", actor=actor)

        assert (web.key, first.number, second.number, other.number) == ("WEB", 1, 2, 1)
        assert first.title == "Home page"
        assert str(first) == "WEB-1 Home page"
        assert _actions() == [
            AuditAction.PROJECT_CREATED,
            AuditAction.PROJECT_CREATED,
            AuditAction.TASK_CREATED,
            AuditAction.TASK_CREATED,
            AuditAction.TASK_CREATED,
        ]
        assert AuditEntry.objects.latest("pk").target_label == "OPS-1"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("W", "2 to 10 capital letters"),
        ("1AB", "starting with a letter"),
        ("TOO-LONG-KEY", "2 to 10"),
    ],
)
def test_a_bad_project_key_is_a_field_error(
    tenant: Tenant, member: User, key: str, message: str
) -> None:
    with tenant_context(tenant), pytest.raises(ValidationError) as error:
        project_create(name="X", key=key, actor=Actor(user=member))

    assert message in " ".join(error.value.message_dict["key"])
    with tenant_context(tenant):
        assert not Project.objects.exists()


def test_keys_are_unique_and_assignees_must_be_members(
    tenant: Tenant, member: User, outsider: User
) -> None:
    actor = Actor(user=member)
    with tenant_context(tenant):
        web = project_create(name="Website", key="WEB", actor=actor)
        with pytest.raises(ValidationError, match="key of another project"):
            project_create(name="Again", key="web", actor=actor)
        with pytest.raises(ValidationError, match="member of this workspace"):
            task_create(tenant=tenant, project=web, title="x", assignee_id=outsider.pk, actor=actor)
        task = task_create(
            tenant=tenant, project=web, title="x", assignee_id=member.pk, actor=actor
        )
        assert task.assignee_id == member.pk
        assert Task.objects.count() == 1


def test_a_stale_update_is_refused_and_loses_nothing(
    tenant: Tenant, member: User, admin: User
) -> None:
    with tenant_context(tenant):
        web = project_create(name="Website", key="WEB", actor=Actor(user=member))
        task = task_create(tenant=tenant, project=web, title="Draft", actor=Actor(user=member))
        label = Label.objects.create(name="design")

        mine = task_update(
            tenant=tenant, task=task, expected_version=1,
            changes={"status": "in_progress", "due_date": date(2026, 12, 1)},
            labels=[label], actor=Actor(user=member),
        )  # fmt: skip
        with pytest.raises(TaskConflictError) as conflict:
            task_update(
                tenant=tenant, task=task, expected_version=1, changes={"title": "Theirs"},
                actor=Actor(user=admin),
            )  # fmt: skip

        assert mine.version == 2
        assert conflict.value.current.version == 2
        kept = Task.objects.get(pk=task.pk)
        assert (kept.title, kept.status, kept.version) == ("Draft", "in_progress", 2)
        assert list(kept.labels.values_list("name", flat=True)) == ["design"]
        with pytest.raises(ValidationError):
            task_update(
                tenant=tenant, task=kept, expected_version=2, changes={"status": "sleeping"},
                actor=Actor(user=admin),
            )  # fmt: skip
        assert Task.objects.get(pk=task.pk).version == 2


def test_comments_and_attachments_hang_on_a_task_and_files_go_with_it(
    tenant: Tenant, member: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    actor = Actor(user=member)
    with tenant_context(tenant):
        web = project_create(name="Website", key="WEB", actor=actor)
        task = task_create(tenant=tenant, project=web, title="Logo", actor=actor)
        with pytest.raises(ValidationError, match="Write something"):
            comment_add(task=task, body="   ", actor=actor)
        comment = comment_add(task=task, body="Looks good", actor=actor)
        upload = ContentFile(b"<svg onload=alert(1)>", name="../../logo final.svg")
        attachment = attachment_add(tenant=tenant, task=task, upload=upload, actor=actor)

        assert comment.author_id == member.pk
        assert attachment.name == "logo final.svg"
        assert attachment.file.name.startswith(
            f"{tenant_media_prefix(tenant.schema_name)}attachments/"
        )
        assert ".." not in attachment.file.name
        assert default_storage.exists(attachment.file.name)
        with django_capture_on_commit_callbacks(execute=True):
            task_delete(task=task, actor=actor)

        assert not default_storage.exists(attachment.file.name)
        assert _actions()[-3:] == [
            AuditAction.COMMENT_ADDED,
            AuditAction.ATTACHMENT_ADDED,
            AuditAction.TASK_DELETED,
        ]


def test_an_api_key_is_named_as_the_actor(tenant: Tenant) -> None:
    with tenant_context(tenant):
        project_create(name="Website", key="WEB", actor=Actor(user=None, label="API key ab12cd"))

        entry = AuditEntry.objects.get()
        assert (entry.actor_id, entry.actor_label) == (None, "API key ab12cd")
