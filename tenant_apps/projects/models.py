"""The work tracker: projects, their tasks, and what hangs on a task. One copy per tenant schema.

People (assignees, authors) live in the public schema: their foreign keys have no database
constraint and no cascade, like the audit log's, and services check that they are members.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Now

PROJECT_KEY = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$",
    "A key is 2 to 10 capital letters or digits, starting with a letter, such as WEB or Q3.",
)


def _person() -> models.ForeignKey[Any, Any]:
    """A person of the public schema: optional, no constraint, no cascade."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class Project(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    key = models.CharField(max_length=10, unique=True, validators=[PROJECT_KEY])
    description = models.TextField(blank=True, max_length=10_000)
    archived = models.BooleanField(default=False)
    # The number the next task gets (TASK-1, TASK-2, ...); taken under a row lock.
    next_task_number = models.PositiveIntegerField(default=1, editable=False)
    created_by = _person()
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["name"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["archived", "name"], name="projects_project_active"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class Label(models.Model):
    name = models.CharField(
        max_length=40,
        unique=True,
        error_messages={"unique": "There is a label with this name already."},
    )
    color = models.CharField(
        max_length=7,
        default="#6172f3",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour is # and six hex digits.")],
    )

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    IN_REVIEW = "in_review", "In review"
    DONE = "done", "Done"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Task(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=50_000)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO)
    priority = models.CharField(
        max_length=16, choices=TaskPriority.choices, default=TaskPriority.MEDIUM
    )
    assignee = _person()
    due_date = models.DateField(null=True, blank=True)
    labels = models.ManyToManyField(Label, blank=True, related_name="tasks")
    # Optimistic concurrency: a write names the version it read; a stale one is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = _person()
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["project", "number"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["project", "number"], name="projects_task_number_per_project"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TaskStatus.values), name="projects_task_status"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=TaskPriority.values),
                name="projects_task_priority",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["project", "status"], name="projects_task_board"),
            models.Index(fields=["assignee", "status"], name="projects_task_assignee"),
            models.Index(fields=["due_date"], name="projects_task_due"),
        ]

    def __str__(self) -> str:
        return f"{self.project.key}-{self.number} {self.title}"


class Comment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = _person()
    body = models.TextField(max_length=20_000)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["created_at", "pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["task", "created_at"], name="projects_comment_task"),
        ]

    def __str__(self) -> str:
        return f"comment on {self.task_id}"


class Attachment(models.Model):
    """A file on a task, stored under the tenant's storage prefix and served only through a
    view that checks membership, always as a download."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(max_length=500)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=127, blank=True)
    uploaded_by = _person()
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["created_at", "pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["task", "created_at"], name="projects_attachment_task"),
        ]

    def __str__(self) -> str:
        return self.name
