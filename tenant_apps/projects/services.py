"""Writes to the work tracker. Each runs in one transaction, checks what the database cannot
(assignees are members of this workspace), and leaves an audit entry naming who acted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import Any

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import get_valid_filename

from billing.catalog import Limit
from billing.entitlements import check_room
from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.projects.models import (
    PROJECT_KEY,
    Attachment,
    Comment,
    Label,
    Project,
    Task,
    TaskPriority,
    TaskStatus,
)
from tenants.context import current_tenant
from tenants.models import Membership, Tenant
from tenants.roles import Permission, role_has_permission
from tenants.storage import tenant_media_prefix

ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class Actor:
    """Who writes: a member (`user`), or an API key named by `label`."""

    user: User | None
    label: str = ""
    request: HttpRequest | None = None


class TaskConflictError(Exception):
    """A write based on a version of the task that is no longer the current one."""

    def __init__(self, task: Task) -> None:
        super().__init__(f"{task} changed since it was read (now version {task.version})")
        self.current = task


def _audit(action: AuditAction, actor: Actor, target: str, **details: Any) -> None:
    audit_record(
        action=action,
        actor=actor.user,
        actor_label=actor.label,
        target=target,
        request=actor.request,
        **details,
    )


def _clean_key(key: str) -> str:
    key = key.strip().upper()
    PROJECT_KEY(key)
    return key


@transaction.atomic
def project_create(*, name: str, key: str, description: str = "", actor: Actor) -> Project:
    """A new project; PlanLimitError if the plan's projects are all in use."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the project a name."})
    try:
        key = _clean_key(key)
    except ValidationError as exc:
        raise ValidationError({"key": exc.messages}) from None
    if Project.objects.filter(key=key).exists():
        raise ValidationError({"key": f"{key} is the key of another project already."})
    # Under the workspace's projects lock, so two creates cannot both take the last one.
    check_room(current_tenant(), Limit.PROJECTS, adding=1, lock=True)
    try:
        with transaction.atomic():
            project = Project.objects.create(
                name=name, key=key, description=description, created_by=actor.user
            )
    except IntegrityError:
        raise ValidationError({"key": f"{key} is the key of another project already."}) from None
    _audit(AuditAction.PROJECT_CREATED, actor, key, name=name)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    name: str | None = None,
    description: str | None = None,
    archived: bool | None = None,
    actor: Actor,
) -> Project:
    """Rename, redescribe, archive or restore a project (the key never changes: task
    references such as WEB-12 are quoted in commits and tickets). Restoring one counts against
    the plan's projects again: PlanLimitError when they are all in use."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if archived is False and locked.archived:
        check_room(current_tenant(), Limit.PROJECTS, adding=1, lock=True)
    changed: list[str] = []
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise ValidationError({"name": "Give the project a name."})
        if name != locked.name:
            locked.name = name
            changed.append("name")
    if description is not None and description != locked.description:
        locked.description = description
        changed.append("description")
    locked.full_clean(exclude=["created_by", "key"])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        _audit(AuditAction.PROJECT_UPDATED, actor, locked.key, fields=changed)
    if archived is not None and archived != locked.archived:
        locked.archived = archived
        locked.save(update_fields=["archived", "updated_at"])
        action = AuditAction.PROJECT_ARCHIVED if archived else AuditAction.PROJECT_RESTORED
        _audit(action, actor, locked.key)
    return locked


def _member_or_refuse(tenant: Tenant, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    membership = (
        Membership.objects.filter(tenant=tenant, user_id=user_id).select_related("user").first()
    )
    if membership is None:
        raise ValidationError({"assignee": "Assign the task to a member of this workspace."})
    return membership.user


@transaction.atomic
def task_create(
    *,
    tenant: Tenant,
    project: Project,
    title: str,
    description: str = "",
    status: str = TaskStatus.TODO,
    priority: str = TaskPriority.MEDIUM,
    assignee_id: int | None = None,
    due_date: date | None = None,
    labels: list[Label] | None = None,
    actor: Actor,
) -> Task:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Give the task a title."})
    if project.archived:
        raise ValidationError({"project": f"{project.key} is archived; restore it to add tasks."})
    assignee = _member_or_refuse(tenant, assignee_id)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    number = locked.next_task_number
    Project.objects.filter(pk=project.pk).update(next_task_number=F("next_task_number") + 1)
    task = Task(
        project=locked,
        number=number,
        title=title,
        description=description,
        status=status,
        priority=priority,
        assignee=assignee,
        due_date=due_date,
        created_by=actor.user,
    )
    task.full_clean(exclude=["project", "assignee", "created_by", "labels"])
    task.save()
    if labels:
        task.labels.set(labels)
    _audit(AuditAction.TASK_CREATED, actor, f"{locked.key}-{number}", title=title)
    return task


# The fields a task update may change (labels are set apart).
TASK_FIELDS = ("title", "description", "status", "priority", "assignee_id", "due_date")


@transaction.atomic
def task_update(
    *,
    tenant: Tenant,
    task: Task,
    expected_version: int,
    changes: dict[str, Any],
    labels: list[Label] | None = None,
    actor: Actor,
) -> Task:
    """Apply `changes` if the task is still at `expected_version`; else TaskConflictError
    with the task as it now is, and nothing written."""
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise ValueError(f"not task fields: {sorted(unknown)}")
    if "title" in changes:
        changes["title"] = " ".join(str(changes["title"]).split())
        if not changes["title"]:
            raise ValidationError({"title": "Give the task a title."})
    if "assignee_id" in changes:
        _member_or_refuse(tenant, changes["assignee_id"])
    candidate = Task(**{**{f: getattr(task, f) for f in TASK_FIELDS}, **changes})
    candidate.full_clean(
        exclude=["project", "number", "assignee", "created_by", "labels", "version"]
    )
    updated = Task.objects.filter(pk=task.pk, version=expected_version).update(
        **changes, version=F("version") + 1, updated_at=timezone.now()
    )
    current = Task.objects.select_related("project").get(pk=task.pk)
    if not updated:
        raise TaskConflictError(current)
    if labels is not None:
        current.labels.set(labels)
    _audit(
        AuditAction.TASK_UPDATED,
        actor,
        f"{current.project.key}-{current.number}",
        fields=sorted([*changes, *(["labels"] if labels is not None else [])]),
    )
    return current


@transaction.atomic
def task_delete(*, task: Task, actor: Actor) -> None:
    reference = f"{task.project.key}-{task.number}"
    names = list(task.attachments.values_list("file", flat=True))
    task.delete()

    def remove_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove_files)
    _audit(AuditAction.TASK_DELETED, actor, reference)


@transaction.atomic
def comment_add(*, task: Task, body: str, actor: Actor) -> Comment:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    comment = Comment.objects.create(task=task, author=actor.user, body=body)
    _audit(AuditAction.COMMENT_ADDED, actor, f"{task.project.key}-{task.number}")
    return comment


@transaction.atomic
def attachment_add(*, tenant: Tenant, task: Task, upload: File[Any], actor: Actor) -> Attachment:
    """Store `upload` under the tenant's prefix with a name of ours (the person's file name is
    kept for display and the download only). PlanLimitError, with nothing stored, if the file
    would take the workspace over its plan's storage."""
    size = int(upload.size or 0)
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {"file": f"A file can be at most {ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB."}
        )
    # Held until commit: two uploads cannot both fit in the last free megabytes.
    check_room(tenant, Limit.STORAGE, adding=size, lock=True)
    # Printable characters only, as Django's multipart parser leaves them: a name that came by
    # another way (a NUL, a line break) would otherwise reach PostgreSQL or a header.
    printable = "".join(char for char in str(upload.name or "") if char.isprintable())
    original = PurePath(printable).name[:255] or "file"
    try:
        safe = get_valid_filename(original)[:100]
    except SuspiciousFileOperation:  # nothing usable left of the name ("!!!", "«»")
        safe = "file"
    path = f"{tenant_media_prefix(tenant.schema_name)}attachments/{uuid.uuid4().hex}/{safe}"
    stored = default_storage.save(path, upload)
    try:
        attachment = Attachment.objects.create(
            task=task,
            file=stored,
            name=original,
            size=size,
            content_type=str(getattr(upload, "content_type", "") or "")[:127],
            uploaded_by=actor.user,
        )
    except Exception:
        default_storage.delete(stored)
        raise
    _audit(AuditAction.ATTACHMENT_ADDED, actor, f"{task.project.key}-{task.number}", name=original)
    return attachment


def may_remove(*, owner_id: int | None, actor: Actor, role: str | None) -> bool:
    """A comment or attachment goes away by the hand of whoever added it, or of someone who
    manages the workspace."""
    if role is not None and role_has_permission(role, Permission.WORKSPACE_MANAGE):
        return True
    return actor.user is not None and owner_id is not None and actor.user.pk == owner_id


@transaction.atomic
def comment_delete(*, comment: Comment, actor: Actor) -> None:
    task = comment.task
    comment.delete()
    _audit(AuditAction.COMMENT_DELETED, actor, f"{task.project.key}-{task.number}")


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor: Actor) -> None:
    task = attachment.task
    name, stored = attachment.name, attachment.file.name
    attachment.delete()
    if stored:
        transaction.on_commit(lambda: default_storage.delete(stored))
    _audit(AuditAction.ATTACHMENT_DELETED, actor, f"{task.project.key}-{task.number}", name=name)


@transaction.atomic
def label_create(*, name: str, color: str = "#6172f3", actor: Actor) -> Label:
    name = " ".join(name.split())
    label = Label(name=name, color=color)
    label.full_clean()
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError:
        raise ValidationError({"name": f"There is a label called {name} already."}) from None
    _audit(AuditAction.LABEL_CREATED, actor, name, color=color)
    return label


@transaction.atomic
def label_delete(*, label: Label, actor: Actor) -> None:
    name = label.name
    label.delete()
    _audit(AuditAction.LABEL_DELETED, actor, name)
