"""Column-for-column copies of the tables Strata's task list reads, in the public schema.

Person has the columns of shared_apps.accounts.User (the assignee the list joins), Project,
Label and Task those of tenant_apps.projects, with the same unique constraints and indexes, so
that both variants fetch rows of the same width through the same plans.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models.functions import Now


class Person(models.Model):
    password = models.CharField(max_length=128)
    last_login = models.DateTimeField(null=True, blank=True)
    is_superuser = models.BooleanField(default=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField()

    # Declared because the type checker's Django settings do not install this app.
    objects: ClassVar[models.Manager[Person]] = models.Manager()

    def __str__(self) -> str:
        return self.email


def _person() -> models.ForeignKey[Person | None, Person | None]:
    return models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class Project(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    key = models.CharField(max_length=10, unique=True)
    description = models.TextField(blank=True, max_length=10_000)
    archived = models.BooleanField(default=False)
    next_task_number = models.PositiveIntegerField(default=1, editable=False)
    created_by = _person()
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[Project]] = models.Manager()

    class Meta:
        ordering = ("name",)
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["archived", "name"], name="benchtasks_project_active"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class Label(models.Model):
    name = models.CharField(max_length=40, unique=True)
    color = models.CharField(max_length=7, default="#6172f3")

    objects: ClassVar[models.Manager[Label]] = models.Manager()

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=50_000)
    status = models.CharField(max_length=16, default="todo")
    priority = models.CharField(max_length=16, default="medium")
    assignee = _person()
    due_date = models.DateField(null=True, blank=True)
    labels = models.ManyToManyField(Label, blank=True, related_name="tasks")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = _person()
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[Task]] = models.Manager()

    class Meta:
        ordering = ("project", "number")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["project", "number"], name="benchtasks_task_number_per_project"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["project", "status"], name="benchtasks_task_board"),
            models.Index(fields=["assignee", "status"], name="benchtasks_task_assignee"),
            models.Index(fields=["due_date"], name="benchtasks_task_due"),
        ]

    def __str__(self) -> str:
        return f"{self.project.key}-{self.number} {self.title}"
