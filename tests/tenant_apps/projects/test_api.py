"""/api/v1/projects/: viewers read, members write, outsiders get nothing."""

from __future__ import annotations

from typing import Any

from django.test import Client

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Project
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory

URL = "/api/v1/projects/"


def _post(client: Client, data: dict[str, Any]) -> Any:
    return client.post(URL, data, content_type="application/json")


def test_members_create_projects_and_viewers_read_them(
    client_on: ClientFactory, tenant: Tenant, member: User, viewer: User
) -> None:
    created = _post(client_on(tenant, member), {"name": "Website", "key": "web"})

    assert created.status_code == 201, created.content
    assert created.json()["key"] == "WEB"
    listed = client_on(tenant, viewer).get(URL)
    assert listed.status_code == 200
    assert [p["key"] for p in listed.json()["results"]] == ["WEB"]
    one = client_on(tenant, viewer).get(f"{URL}{created.json()['id']}/")
    assert one.json()["name"] == "Website"
    refused = _post(client_on(tenant, viewer), {"name": "Ops", "key": "OPS"})
    assert refused.status_code == 403
    with tenant_context(tenant):
        assert list(Project.objects.values_list("key", flat=True)) == ["WEB"]


def test_bad_input_gets_field_errors_and_creates_nothing(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)
    _post(client, {"name": "Website", "key": "WEB"})

    missing = _post(client, {})
    bad_key = _post(client, {"name": "X", "key": "1!"})
    taken = _post(client, {"name": "Again", "key": "web"})

    assert (missing.status_code, set(missing.json())) == (400, {"name", "key"})
    assert bad_key.status_code == 400
    assert "capital letters" in bad_key.json()["key"][0]
    assert taken.status_code == 400
    assert "key of another project" in taken.json()["key"][0]
    with tenant_context(tenant):
        assert Project.objects.count() == 1


def test_outsiders_and_strangers_get_nothing(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, member: User, outsider: User
) -> None:
    created = _post(client_on(tenant, member), {"name": "Secret plans", "key": "SEC"})
    project_id = created.json()["id"]

    for client in (client_on(tenant, outsider), client_on(tenant)):
        assert client.get(URL).status_code == 403
        assert client.get(f"{URL}{project_id}/").status_code == 403
        assert _post(client, {"name": "Mine", "key": "MINE"}).status_code == 403
    # On their own workspace, the id means nothing.
    theirs = client_on(other_tenant, outsider)
    assert theirs.get(f"{URL}{project_id}/").status_code == 404
    assert "Secret plans" not in theirs.get(URL).content.decode()
    with tenant_context(tenant):
        assert list(Project.objects.values_list("key", flat=True)) == ["SEC"]


def test_lists_are_paginated(client_on: ClientFactory, tenant: Tenant, member: User) -> None:
    client = client_on(tenant, member)
    for n in range(3):
        _post(client, {"name": f"P{n}", "key": f"P{n}X"})

    page = client.get(URL, {"page_size": 2}).json()

    assert (page["count"], len(page["results"]), page["next"] is not None) == (3, 2, True)
    assert client.get(URL, {"page": 99}).status_code == 404


TASKS = "/api/v1/tasks/"


def _project(client: Client) -> str:
    return str(_post(client, {"name": "Website", "key": "WEB"}).json()["id"])


def test_tasks_are_created_read_updated_with_their_version_and_deleted(
    client_on: ClientFactory, tenant: Tenant, member: User, viewer: User
) -> None:
    client = client_on(tenant, member)
    project = _project(client)

    created = client.post(
        TASKS,
        {"project": project, "title": "Home page", "assignee": member.pk, "priority": "high"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    task = created.json()
    assert (task["reference"], task["version"], task["assignee"]) == ("WEB-1", 1, member.pk)
    assert client_on(tenant, viewer).get(f"{TASKS}?project={project}").json()["count"] == 1

    path = f"{TASKS}{task['id']}/"
    moved = client.patch(
        path, {"status": "in_progress", "expected_version": 1}, content_type="application/json"
    )
    stale = client.patch(
        path, {"title": "Overwritten", "expected_version": 1}, content_type="application/json"
    )
    unversioned = client.patch(path, {"title": "x"}, content_type="application/json")

    assert (moved.status_code, moved.json()["version"]) == (200, 2)
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "Home page"
    assert unversioned.status_code == 400
    assert (
        client_on(tenant, viewer)
        .patch(path, {"title": "x", "expected_version": 2}, content_type="application/json")
        .status_code
        == 403
    )
    assert client_on(tenant, viewer).delete(path).status_code == 403
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404


def test_task_input_is_checked_field_by_field(
    client_on: ClientFactory, tenant: Tenant, member: User, outsider: User
) -> None:
    client = client_on(tenant, member)
    project = _project(client)

    response = client.post(
        TASKS,
        {"project": project, "title": "x", "assignee": outsider.pk, "status": "sleeping"},
        content_type="application/json",
    )
    nowhere = client.post(
        TASKS, {"project": "not-a-uuid", "title": "x"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "status" in response.json()
    assert nowhere.status_code == 400
    assert "project" in nowhere.json()
    not_a_member = client.post(
        TASKS, {"project": project, "title": "x", "assignee": outsider.pk},
        content_type="application/json",
    )  # fmt: skip
    assert not_a_member.status_code == 400
    assert "member of this workspace" in not_a_member.json()["assignee"][0]
    assert client.get(TASKS, {"project": "nope"}).status_code == 400


def test_an_outsider_gets_no_task(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, member: User, outsider: User
) -> None:
    client = client_on(tenant, member)
    project = _project(client)
    task = client.post(
        TASKS, {"project": project, "title": "Secret"}, content_type="application/json"
    ).json()

    assert client_on(tenant, outsider).get(TASKS).status_code == 403
    assert client_on(tenant, outsider).get(f"{TASKS}{task['id']}/").status_code == 403
    assert client_on(other_tenant, outsider).get(f"{TASKS}{task['id']}/").status_code == 404
    assert "Secret" not in client_on(other_tenant, outsider).get(TASKS).content.decode()


def test_labels_and_comments(
    client_on: ClientFactory, tenant: Tenant, member: User, viewer: User, outsider: User
) -> None:
    client = client_on(tenant, member)
    project = _project(client)
    label = client.post("/api/v1/labels/", {"name": "design"}, content_type="application/json")
    assert label.status_code == 201
    twice = client.post("/api/v1/labels/", {"name": "design"}, content_type="application/json")
    assert twice.status_code == 400
    bad_colour = client.post(
        "/api/v1/labels/", {"name": "x", "color": "red"}, content_type="application/json"
    )
    assert "six hex digits" in bad_colour.json()["color"][0]
    task = client.post(
        TASKS, {"project": project, "title": "Logo", "labels": ["design"]},
        content_type="application/json",
    ).json()  # fmt: skip
    assert task["labels"] == ["design"]

    comments = f"{TASKS}{task['id']}/comments/"
    added = client.post(comments, {"body": "Looks good"}, content_type="application/json")
    empty = client.post(comments, {"body": "   "}, content_type="application/json")

    assert added.status_code == 201
    assert empty.status_code == 400
    assert [c["body"] for c in client_on(tenant, viewer).get(comments).json()["results"]] == [
        "Looks good"
    ]
    assert (
        client_on(tenant, viewer)
        .post(comments, {"body": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert client_on(tenant, outsider).get(comments).status_code == 403
    assert client.get(f"{TASKS}00000000-0000-0000-0000-000000000000/comments/").status_code == 404
    assert client.get(f"{TASKS}not-a-uuid/comments/").status_code == 400
