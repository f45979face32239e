"""The rows both variants serve, defined once so that the baseline and Strata hold the same data.

Plain Python (no Django): the seeders of both variants read it, and the runner checks the
responses against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

TASKS = 200
PAGE_SIZE = 50
PROJECT_NAME = "Benchmark"
PROJECT_KEY = "BENCH"
PROJECT_DESCRIPTION = "The project every benchmark task belongs to."
# (email, full name); the first is the workspace's owner, the others are members.
PEOPLE = (
    ("owner@acme.example.com", "Olive Owner"),
    ("ana@acme.example.com", "Ana Alvarez"),
    ("ben@acme.example.com", "Ben Brown"),
    ("cleo@acme.example.com", "Cleo Chen"),
)
LABELS = (
    ("bug", "#d92d20"),
    ("feature", "#12b76a"),
    ("docs", "#6172f3"),
    ("ops", "#f79009"),
    ("design", "#9e77ed"),
)
STATUSES = ("todo", "in_progress", "in_review", "done")
PRIORITIES = ("low", "medium", "high", "urgent")
_WORDS = (
    "Fix the export when a workspace has archived projects and the list is longer than a page; "
    "check the totals against the audit log and say in the changelog what moved."
)


@dataclass(frozen=True)
class TaskRow:
    number: int
    title: str
    description: str
    status: str
    priority: str
    # An index into PEOPLE, or None for an unassigned task.
    assignee: int | None
    due_date: date | None
    labels: tuple[str, ...]


def task_row(number: int) -> TaskRow:
    """Task `number` (1-based): a spread of statuses, priorities, assignees (one in five
    unassigned), due dates (one in three without) and zero to two labels."""
    first, second = LABELS[number % len(LABELS)][0], LABELS[(number * 3) % len(LABELS)][0]
    labels: tuple[str, ...] = () if number % 7 == 0 else tuple(dict.fromkeys((first, second)))
    return TaskRow(
        number=number,
        title=f"Task {number}: {_WORDS[: 20 + number % 40].rstrip()}",
        description=_WORDS * (1 + number % 3),
        status=STATUSES[number % len(STATUSES)],
        priority=PRIORITIES[(number // 2) % len(PRIORITIES)],
        assignee=None if number % 5 == 0 else number % len(PEOPLE),
        due_date=None if number % 3 == 0 else date(2026, 1, 1) + timedelta(days=number),
        labels=labels,
    )


def task_rows() -> list[TaskRow]:
    return [task_row(number) for number in range(1, TASKS + 1)]
