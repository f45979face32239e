"""/api/v1/tasks/: create, read, update with the version read (409 when stale), delete; input
checked field by field, creating and changing nothing when refused."""

from __future__ import annotations

from typing import Any

import pytest

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Label, Project, Task
from tenant_apps.projects.services import (
    Actor,
    label_create,
    project_create,
    project_update,
    task_create,
)
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import (
    MEMBERS,
    TASKS,
    audit_trail,
    body,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    rows,
    send,
    tenant_state,
)


def _project(tenant: Tenant, user: User, key: str = "WEB") -> Project:
    with tenant_context(tenant):
        project = project_create(name="Website", key=key, actor=Actor(user=user))
        label_create(name="design", actor=Actor(user=user))
        label_create(name="backend", actor=Actor(user=user))
    return project


def test_members_and_owners_create_tasks_for_members_found_through_the_members_api(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, viewer: User
) -> None:
    project = _project(tenant, owner)
    client = client_on(tenant, member)
    people = {m["email"]: m["user"] for m in rows(client.get(MEMBERS))}
    assert people["mia@acme.test"] == str(member.public_id)
    assert "olga@globex.test" not in people

    created = send(
        client,
        "POST",
        TASKS,
        {
            "project": str(project.public_id),
            "title": " Home   page ",
            "description": "Hero",
            "status": "in_progress",
            "priority": "high",
            "assignee": people["mia@acme.test"],
            "due_date": "2026-03-01",
            "labels": ["design", "backend"],
        },
    )
    second = send(
        client_on(tenant, owner),
        "POST",
        TASKS,
        {"project": str(project.public_id), "title": "Pricing"},
    )

    assert created.status_code == 201, created.content
    task = body(created)
    assert {k: task[k] for k in task if k not in ("id", "created_at", "updated_at")} == {
        "reference": "WEB-1",
        "project": str(project.public_id),
        "number": 1,
        "title": "Home page",
        "description": "Hero",
        "status": "in_progress",
        "priority": "high",
        "assignee": str(member.public_id),
        "due_date": "2026-03-01",
        "labels": ["backend", "design"],
        "version": 1,
    }
    assert second.status_code == 201, second.content
    assert {
        k: body(second)[k] for k in ("reference", "status", "priority", "assignee", "labels")
    } == {
        "reference": "WEB-2",
        "status": "todo",
        "priority": "medium",
        "assignee": None,
        "labels": [],
    }
    shown = client_on(tenant, viewer).get(f"{TASKS}{task['id']}/")
    assert body(shown) == task | {"labels": sorted(task["labels"])}
    with tenant_context(tenant):
        stored = Task.objects.get(public_id=task["id"])
        assert (stored.assignee_id, stored.created_by_id) == (member.pk, member.pk)


def test_tasks_are_updated_and_deleted_by_owners_and_members(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, both: User
) -> None:
    project = _project(tenant, owner)
    with tenant_context(tenant):
        task = task_create(tenant=tenant, project=project, title="Draft", actor=Actor(user=owner))
        other = task_create(tenant=tenant, project=project, title="Other", actor=Actor(user=owner))
        elsewhere = project_create(name="Operations", key="OPS", actor=Actor(user=owner))
    path = f"{TASKS}{task.public_id}/"

    first = send(
        client_on(tenant, member),
        "PATCH",
        path,
        {
            "title": "Final",
            "status": "done",
            "assignee": str(both.public_id),
            "labels": ["design"],
            "due_date": "2026-05-01",
            "expected_version": 1,
            # A task stays in its project and keeps its number (this project was a 500).
            "project": str(elsewhere.public_id),
            "number": 99,
            "version": 42,
        },
    )
    second = send(
        client_on(tenant, owner),
        "PATCH",
        path,
        {"assignee": None, "labels": [], "priority": "urgent", "expected_version": 2},
    )

    assert first.status_code == 200, first.content
    assert {
        k: body(first)[k]
        for k in ("title", "status", "assignee", "labels", "version", "reference", "project")
    } == {
        "project": str(project.public_id),
        "title": "Final",
        "status": "done",
        "assignee": str(both.public_id),
        "labels": ["design"],
        "version": 2,
        "reference": "WEB-1",
    }
    assert second.status_code == 200, second.content
    assert {k: body(second)[k] for k in ("assignee", "labels", "priority", "version", "title")} == {
        "assignee": None,
        "labels": [],
        "priority": "urgent",
        "version": 3,
        "title": "Final",
    }
    with tenant_context(tenant):
        stored = Task.objects.get(pk=task.pk)
        assert (stored.project_id, stored.number, stored.version) == (project.pk, 1, 3)

    assert client_on(tenant, member).delete(path).status_code == 204
    assert client_on(tenant, owner).delete(f"{TASKS}{other.public_id}/").status_code == 204
    assert client_on(tenant, owner).get(path).status_code == 404
    assert client_on(tenant, owner).delete(path).status_code == 404
    with tenant_context(tenant):
        assert not Task.objects.exists()


def _refused(
    client_on: ClientFactory, tenant: Tenant, user: User, method: str, path: str, data: Any
) -> dict[str, Any]:
    """Send; expect a 400 and no change at all; return the errors."""
    before = tenant_state(tenant)
    response = send(client_on(tenant, user), method, path, data)
    assert response.status_code == 400, response.content
    assert tenant_state(tenant) == before
    errors: dict[str, Any] = body(response)
    return errors


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "x"}, "project", "required"),
        ({}, "title", "required"),
        ({"title": "   "}, "title", "blank"),
        ({"title": "x" * 201}, "title", "no more than 200"),
        ({"title": "x", "status": "sleeping"}, "status", '"sleeping" is not a valid choice'),
        ({"title": "x", "priority": "someday"}, "priority", '"someday" is not a valid choice'),
        ({"title": "x", "assignee": "OUTSIDER"}, "assignee", "member of this workspace"),
        ({"title": "x", "assignee": "not-a-uuid"}, "assignee", "GET /api/v1/members/"),
        ({"title": "x", "assignee": 7}, "assignee", "GET /api/v1/members/"),
        ({"title": "x", "labels": ["design", "nope"]}, "labels", "name=nope does not exist"),
        ({"title": "x", "labels": "design"}, "labels", "list"),
        # PostgreSQL text cannot hold a NUL: refused as unknown, never sent to the database.
        ({"title": "x", "labels": ["des\x00ign"]}, "labels", "does not exist"),
        ({"title": "x", "due_date": "next week"}, "due_date", "YYYY-MM-DD"),
    ],
)
def test_bad_tasks_get_field_errors_and_nothing_is_created(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    outsider: User,
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    project = _project(tenant, member)
    if "project" not in data and field != "project":
        data = {"project": str(project.public_id), **data}
    if data.get("assignee") == "OUTSIDER":
        data["assignee"] = str(outsider.public_id)

    errors = _refused(client_on, tenant, member, "POST", TASKS, data)

    assert message in " ".join(errors[field]), errors


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ("not-a-uuid", "is not a valid UUID"),
        ("00000000-0000-0000-0000-000000000000", "does not exist"),
    ],
)
def test_a_task_needs_a_project_of_this_workspace(
    client_on: ClientFactory, tenant: Tenant, member: User, project: str, message: str
) -> None:
    _project(tenant, member)

    errors = _refused(client_on, tenant, member, "POST", TASKS, {"project": project, "title": "x"})

    assert message in errors["project"][0]


def test_an_archived_project_takes_no_new_tasks(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    project = _project(tenant, member)
    with tenant_context(tenant):
        project_update(project=project, archived=True, actor=Actor(user=member))

    errors = _refused(
        client_on, tenant, member, "POST", TASKS, {"project": str(project.public_id), "title": "x"}
    )

    assert errors == {"project": ["WEB is archived; restore it to add tasks."]}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "x"}, "expected_version", "Send the version you read"),
        ({"title": "x", "expected_version": 0}, "expected_version", "greater than or equal to 1"),
        ({"title": "x", "expected_version": "one"}, "expected_version", "valid integer"),
        ({"title": "  ", "expected_version": 1}, "title", "blank"),
        ({"status": "sleeping", "expected_version": 1}, "status", "not a valid choice"),
        ({"priority": None, "expected_version": 1}, "priority", "null"),
        ({"assignee": "OUTSIDER", "expected_version": 1}, "assignee", "member of this workspace"),
        ({"assignee": "x", "expected_version": 1}, "assignee", "GET /api/v1/members/"),
        ({"labels": ["nope"], "expected_version": 1}, "labels", "does not exist"),
        ({"due_date": "2026-02-30", "expected_version": 1}, "due_date", "YYYY-MM-DD"),
    ],
)
def test_bad_updates_change_nothing(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    outsider: User,
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    project = _project(tenant, member)
    with tenant_context(tenant):
        task = task_create(
            tenant=tenant,
            project=project,
            title="Draft",
            assignee_id=member.pk,
            labels=list(Label.objects.filter(name="design")),
            actor=Actor(user=member),
        )
    if data.get("assignee") == "OUTSIDER":
        data["assignee"] = str(outsider.public_id)

    errors = _refused(client_on, tenant, member, "PATCH", f"{TASKS}{task.public_id}/", data)

    assert message in " ".join(errors[field]), errors


def test_a_stale_update_gets_409_with_the_current_task_and_saves_nothing(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, admin: User
) -> None:
    project = _project(tenant, owner)
    with tenant_context(tenant):
        task = task_create(tenant=tenant, project=project, title="Draft", actor=Actor(user=owner))
    path = f"{TASKS}{task.public_id}/"
    mia, adam = client_on(tenant, member), client_on(tenant, admin)
    read_by_mia, read_by_adam = body(mia.get(path)), body(adam.get(path))
    assert read_by_mia["version"] == read_by_adam["version"] == 1

    saved = send(
        mia,
        "PATCH",
        path,
        {"title": "Mia's title", "labels": ["design"], "expected_version": read_by_mia["version"]},
    )
    stale = send(
        adam,
        "PATCH",
        path,
        {
            "title": "Adam's title",
            "status": "done",
            "assignee": str(admin.public_id),
            "labels": ["backend"],
            "expected_version": read_by_adam["version"],
        },
    )

    assert saved.status_code == 200, saved.content
    assert stale.status_code == 409, stale.content
    conflict = body(stale)
    assert conflict["code"] == "version_conflict"
    assert "nothing was saved" in conflict["detail"]
    assert conflict["current"] == body(mia.get(path))
    assert {
        k: conflict["current"][k] for k in ("title", "status", "assignee", "labels", "version")
    } == {
        "title": "Mia's title",
        "status": "todo",
        "assignee": None,
        "labels": ["design"],
        "version": 2,
    }
    with tenant_context(tenant):
        stored = Task.objects.get(pk=task.pk)
        assert (stored.title, stored.status, stored.assignee_id, stored.version) == (
            "Mia's title",
            "todo",
            None,
            2,
        )
        assert list(stored.labels.values_list("name", flat=True)) == ["design"]
    updates = [entry for entry in audit_trail(tenant) if entry[0] == "task.updated"]
    assert [(actor, target) for _, actor, _, target in updates] == [(member.pk, "WEB-1")]

    # Adam, having read the current version, tries again and wins.
    retried = send(adam, "PATCH", path, {"status": "done", "expected_version": 2})
    assert (retried.status_code, body(retried)["version"], body(retried)["title"]) == (
        200,
        3,
        "Mia's title",
    )


def test_a_task_id_of_another_shape_or_nowhere_is_404(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)
    for path in (f"{TASKS}00000000-0000-0000-0000-000000000000/", f"{TASKS}12/"):
        assert client.get(path).status_code == 404
        assert send(client, "PATCH", path, {"title": "x", "expected_version": 1}).status_code == 404
        assert client.delete(path).status_code == 404


def test_a_missing_task_is_404_whatever_the_body(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    nowhere = "/api/v1/tasks/00000000-0000-4000-8000-000000000000"
    client = client_on(tenant, member)

    comment = send(client, "POST", f"{nowhere}/comments/", {"body": ""})
    upload = client.post(f"{nowhere}/attachments/", {})

    assert (comment.status_code, upload.status_code) == (404, 404)
