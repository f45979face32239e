"""Every list of /api/v1/ runs as many queries for 3 rows as for 12, and for a page of 1 as
for a page of 12: nothing is loaded row by row (people, projects, labels, tasks)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Project, Task
from tenant_apps.projects.services import (
    Actor,
    attachment_add,
    comment_add,
    label_create,
    project_create,
    task_create,
)
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import (
    LABELS,
    MEMBERS,
    PROJECTS,
    TASKS,
    attachments_url,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    rows,
)


@dataclass
class Place:
    tenant: Tenant
    project: Project
    task: Task


def _someone(place: Place) -> User:
    """A new member of the workspace: every row gets a person of its own."""
    user = User.objects.create_user(email=f"{uuid.uuid4().hex[:12]}@acme.test", password="x")
    Membership.objects.create(user=user, tenant=place.tenant, role=Role.MEMBER)
    return user


def _key() -> str:
    return f"K{uuid.uuid4().hex[:8].upper()}"


def _projects(place: Place, n: int) -> None:
    for _ in range(n):
        project_create(name=f"Project {_key()}", key=_key(), actor=Actor(user=_someone(place)))


def _tasks(place: Place, n: int) -> None:
    for _ in range(n):
        person = _someone(place)
        project = project_create(name="P", key=_key(), actor=Actor(user=person))
        labels = [label_create(name=_key(), actor=Actor(user=person)) for _ in range(2)]
        task_create(
            tenant=place.tenant,
            project=project,
            title="T",
            assignee_id=person.pk,
            labels=labels,
            actor=Actor(user=person),
        )


def _labels(place: Place, n: int) -> None:
    for _ in range(n):
        label_create(name=_key(), actor=Actor(user=None, label="seed"))


def _comments(place: Place, n: int) -> None:
    for _ in range(n):
        comment_add(task=place.task, body="Hello", actor=Actor(user=_someone(place)))


def _attachments(place: Place, n: int) -> None:
    for _ in range(n):
        attachment_add(
            tenant=place.tenant,
            task=place.task,
            upload=ContentFile(b"x", name="a.txt"),
            actor=Actor(user=_someone(place)),
        )


def _members(place: Place, n: int) -> None:
    for _ in range(n):
        _someone(place)


LISTS: list[tuple[str, Callable[[Place], str], Callable[[Place, int], None]]] = [
    ("projects", lambda p: PROJECTS, _projects),
    ("tasks", lambda p: TASKS, _tasks),
    ("labels", lambda p: LABELS, _labels),
    ("comments", lambda p: f"{TASKS}{p.task.public_id}/comments/", _comments),
    ("attachments", lambda p: attachments_url(p.task.public_id), _attachments),
    ("members", lambda p: MEMBERS, _members),
]


def _measure(client: Client, url: str, **query: int) -> tuple[int, int]:
    """(queries, rows) of one GET."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200, response.content
    return len(captured), len(rows(response))


@pytest.mark.parametrize(("name", "url_of", "grow"), LISTS, ids=[name for name, _, _ in LISTS])
def test_a_list_runs_the_same_queries_whatever_its_length(
    client_on: ClientFactory,
    tenant: Tenant,
    owner: User,
    viewer: User,
    name: str,
    url_of: Callable[[Place], str],
    grow: Callable[[Place, int], None],
) -> None:
    with tenant_context(tenant):
        project = project_create(name="Home", key="HOME", actor=Actor(user=owner))
        task = task_create(tenant=tenant, project=project, title="Home", actor=Actor(user=owner))
    place = Place(tenant=tenant, project=project, task=task)
    client = client_on(tenant, viewer)
    url = url_of(place)
    client.get(url)  # warm the caches a first request fills (routes, sessions)
    with tenant_context(tenant):
        grow(place, 3)

    small_queries, small_rows = _measure(client, url)
    with tenant_context(tenant):
        grow(place, 9)
    big_queries, big_rows = _measure(client, url)

    assert big_rows == small_rows + 9, name
    assert big_queries == small_queries, name
    if name != "members":  # the members list is not paginated
        one_queries, one_rows = _measure(client, url, page_size=1)
        assert (one_queries, one_rows) == (big_queries, 1), name
