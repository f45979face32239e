"""Reads of the work tracker that pages share: projects with their counts, a project's tasks
filtered and ordered, the board's columns, and who may be assigned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from shared_apps.accounts.models import User
from tenant_apps.projects.models import (
    Attachment,
    Label,
    Project,
    Task,
    TaskPriority,
    TaskStatus,
)
from tenants.models import Tenant

# Most urgent first when ordering by priority (the stored values do not sort that way).
PRIORITY_RANK = Case(
    When(priority=TaskPriority.URGENT, then=Value(0)),
    When(priority=TaskPriority.HIGH, then=Value(1)),
    When(priority=TaskPriority.MEDIUM, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)

# The task list's orderings: what the form offers, and what each means.
TASK_ORDERINGS: dict[str, str] = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "priority": "Priority",
    "due": "Due date",
    "updated": "Recently updated",
    "title": "Title",
}
_ORDER_BY: dict[str, list[Any]] = {
    "newest": ["-number"],
    "oldest": ["number"],
    "priority": [PRIORITY_RANK.asc(), "-number"],
    "due": ["due_date", "number"],  # PostgreSQL puts tasks without a date last
    "updated": ["-updated_at", "-number"],
    "title": ["title", "number"],
}

UNASSIGNED = "none"


def projects_with_counts() -> QuerySet[Project]:
    """Every project, active ones first, with its tasks counted by status in the same query."""
    by_status = {
        f"{status.value}_count": Count("tasks", filter=Q(tasks__status=status.value))
        for status in TaskStatus
    }
    return Project.objects.annotate(task_count=Count("tasks"), **by_status).order_by(
        "archived", "name", "pk"
    )


@dataclass(frozen=True)
class TaskFilter:
    """What the task list's GET form asked for; empty means no filter."""

    status: str = ""
    priority: str = ""
    assignee: str = ""  # a user id, or UNASSIGNED
    label: Label | None = None
    due_after: date | None = None
    due_before: date | None = None
    text: str = ""
    ordering: str = "newest"


def tasks_of(project: Project, task_filter: TaskFilter | None = None) -> QuerySet[Task]:
    """The project's tasks as the list shows them: assignee and labels loaded alongside."""
    wanted = task_filter or TaskFilter()
    tasks = Task.objects.filter(project=project)
    if wanted.status:
        tasks = tasks.filter(status=wanted.status)
    if wanted.priority:
        tasks = tasks.filter(priority=wanted.priority)
    if wanted.assignee == UNASSIGNED:
        tasks = tasks.filter(assignee_id__isnull=True)
    elif wanted.assignee:
        tasks = tasks.filter(assignee_id=int(wanted.assignee))
    if wanted.label is not None:
        tasks = tasks.filter(labels=wanted.label)
    if wanted.due_after is not None:
        tasks = tasks.filter(due_date__gte=wanted.due_after)
    if wanted.due_before is not None:
        tasks = tasks.filter(due_date__lte=wanted.due_before)
    if wanted.text:
        tasks = tasks.filter(title__icontains=wanted.text)
    ordering = _ORDER_BY.get(wanted.ordering, _ORDER_BY["newest"])
    return (
        tasks.select_related("assignee", "project").prefetch_related("labels").order_by(*ordering)
    )


@dataclass
class Column:
    status: TaskStatus
    tasks: list[Task] = field(default_factory=list)
    total: int = 0

    @property
    def hidden(self) -> int:
        return self.total - len(self.tasks)


# Done work piles up; the board shows the most recent and the list has the rest.
DONE_ON_BOARD = 30


def board_of(project: Project) -> list[Column]:
    """The board's four columns in workflow order, each with its cards, in three queries."""
    columns = {status: Column(status=status) for status in TaskStatus}
    for row in (
        Task.objects.filter(project=project).values("status").annotate(n=Count("pk")).order_by()
    ):
        columns[TaskStatus(row["status"])].total = row["n"]
    recent_done = Task.objects.filter(project=project, status=TaskStatus.DONE).order_by(
        "-updated_at"
    )[:DONE_ON_BOARD]
    cards = (
        Task.objects.filter(project=project)
        .filter(~Q(status=TaskStatus.DONE) | Q(pk__in=recent_done.values("pk")))
        .select_related("assignee", "project")
        .prefetch_related("labels")
        .order_by(PRIORITY_RANK.asc(), "due_date", "number")
    )
    for task in cards:
        columns[TaskStatus(task.status)].tasks.append(task)
    return list(columns.values())


def assignable_people(tenant: Tenant) -> list[User]:
    """Who a task can be assigned to: this workspace's members, by name."""
    return list(
        User.objects.filter(memberships__tenant=tenant).order_by("full_name", "email").distinct()
    )


def recent_projects(limit: int = 5) -> list[Project]:
    """Active projects touched most recently, with their counts, for the dashboard."""
    return list(projects_with_counts().filter(archived=False).order_by("-updated_at")[:limit])


def open_tasks_of(user_id: int, limit: int = 8) -> list[Task]:
    """What `user_id` has to do, soonest due first, for the dashboard."""
    return list(
        Task.objects.filter(assignee_id=user_id, project__archived=False)
        .exclude(status=TaskStatus.DONE)
        .select_related("project")
        .order_by("due_date", PRIORITY_RANK.asc(), "-updated_at")[:limit]
    )


# ---- What the plan limits (billing's meters, registered in ProjectsConfig.ready) ----------


def active_project_count(tenant: Tenant) -> int:
    """Projects that count against the plan: the ones not archived (in the tenant's schema)."""
    return Project.objects.filter(archived=False).count()


def storage_used(tenant: Tenant) -> int:
    """Bytes of attachments the workspace keeps (in the tenant's schema)."""
    total: int | None = Attachment.objects.aggregate(total=Sum("size"))["total"]
    return int(total or 0)
