"""/api/v1/projects/ and /api/v1/labels/: what owners and members write, what the API refuses
and why (field by field, creating nothing)."""

from __future__ import annotations

from typing import Any

import pytest

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Label, Project, Task
from tenant_apps.projects.services import Actor, project_create, task_create
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import (
    LABELS,
    PROJECTS,
    TASKS,
    body,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    rows,
    send,
    tenant_state,
)


def test_owners_and_members_create_projects_that_viewers_read(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, viewer: User
) -> None:
    by_member = send(
        client_on(tenant, member),
        "POST",
        PROJECTS,
        {"name": "  Web   site ", "key": " web ", "description": "The public site"},
    )
    # A project starts active: `archived` is read-only when creating (PATCH archives).
    by_owner = send(
        client_on(tenant, owner), "POST", PROJECTS, {"name": "Ops", "key": "OPS", "archived": True}
    )

    assert by_member.status_code == 201, by_member.content
    assert by_owner.status_code == 201, by_owner.content
    assert body(by_owner)["archived"] is False
    created = body(by_member)
    assert {k: created[k] for k in ("key", "name", "description", "archived")} == {
        "key": "WEB",
        "name": "Web site",
        "description": "The public site",
        "archived": False,
    }
    reader = client_on(tenant, viewer)
    assert [p["key"] for p in rows(reader.get(PROJECTS))] == ["OPS", "WEB"]
    shown = body(reader.get(f"{PROJECTS}{created['id']}/"))
    assert (shown["id"], shown["name"]) == (created["id"], "Web site")
    with tenant_context(tenant):
        assert Project.objects.get(key="WEB").created_by_id == member.pk


def test_a_project_is_renamed_and_archived_but_keeps_its_key(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    with tenant_context(tenant):
        project = project_create(name="Website", key="WEB", actor=Actor(user=owner))
    path = f"{PROJECTS}{project.public_id}/"

    renamed = send(
        client_on(tenant, member),
        "PATCH",
        path,
        {"name": "Public site", "description": "New words", "key": "NEW"},
    )
    archived = send(client_on(tenant, owner), "PATCH", path, {"archived": True})

    assert renamed.status_code == 200, renamed.content
    assert (body(renamed)["name"], body(renamed)["key"]) == ("Public site", "WEB")
    assert (archived.status_code, body(archived)["archived"]) == (200, True)
    with tenant_context(tenant):
        kept = Project.objects.get(pk=project.pk)
        assert (kept.key, kept.name, kept.description, kept.archived) == (
            "WEB",
            "Public site",
            "New words",
            True,
        )
    restored = send(client_on(tenant, member), "PATCH", path, {"archived": False})
    assert body(restored)["archived"] is False


def test_projects_are_never_replaced_or_deleted(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    with tenant_context(tenant):
        project = project_create(name="Website", key="WEB", actor=Actor(user=owner))
    client = client_on(tenant, owner)
    path = f"{PROJECTS}{project.public_id}/"
    before = tenant_state(tenant)

    assert send(client, "PUT", path, {"name": "X", "key": "XX"}).status_code == 405
    assert client.delete(path).status_code == 405
    assert tenant_state(tenant) == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "name", "required"),
        ({"name": "Website"}, "key", "required"),
        ({"key": "WEB"}, "name", "required"),
        ({"name": "   ", "key": "WEB"}, "name", "blank"),
        ({"name": "x" * 121, "key": "WEB"}, "name", "no more than 120"),
        ({"name": "Website", "key": "W"}, "key", "2 to 10 capital letters"),
        ({"name": "Website", "key": "1AB"}, "key", "starting with a letter"),
        ({"name": "Website", "key": "WE-B"}, "key", "capital letters or digits"),
        ({"name": "Website", "key": "ABCDEFGHIJK"}, "key", "no more than 10"),
        ({"name": "Website", "key": "taken"}, "key", "TAKEN is the key of another project"),
    ],
)
def test_bad_projects_get_field_errors_and_nothing_is_created(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with tenant_context(tenant):
        project_create(name="Existing", key="TAKEN", actor=Actor(user=member))
    before = tenant_state(tenant)

    response = send(client_on(tenant, member), "POST", PROJECTS, data)

    assert response.status_code == 400, response.content
    assert message in " ".join(body(response)[field]), body(response)
    assert tenant_state(tenant) == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "  "}, "name", "blank"),
        ({"archived": None}, "archived", "null"),
        ({"description": "x" * 10_001}, "description", "no more than 10000"),
    ],
)
def test_bad_project_updates_change_nothing(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with tenant_context(tenant):
        project = project_create(name="Website", key="WEB", actor=Actor(user=member))
    before = tenant_state(tenant)

    response = send(client_on(tenant, member), "PATCH", f"{PROJECTS}{project.public_id}/", data)

    assert response.status_code == 400, response.content
    assert message in " ".join(body(response)[field])
    assert tenant_state(tenant) == before


def test_an_unknown_or_malformed_project_id_is_404(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)
    for path in (f"{PROJECTS}00000000-0000-0000-0000-000000000000/", f"{PROJECTS}nope/"):
        assert client.get(path).status_code == 404
        assert send(client, "PATCH", path, {"name": "x"}).status_code == 404


# --- Labels ----------------------------------------------------------------------------------


def test_owners_and_members_create_and_delete_labels(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, viewer: User
) -> None:
    by_member = send(
        client_on(tenant, member), "POST", LABELS, {"name": " design ", "color": "#00FF00"}
    )
    by_owner = send(client_on(tenant, owner), "POST", LABELS, {"name": "backend"})

    assert by_member.status_code == 201, by_member.content
    assert by_owner.status_code == 201, by_owner.content
    assert {k: body(by_member)[k] for k in ("name", "color")} == {
        "name": "design",
        "color": "#00FF00",
    }
    assert body(by_owner)["color"] == "#6172f3"  # the default
    listed = rows(client_on(tenant, viewer).get(LABELS))
    assert [(label["name"], label["id"]) for label in listed] == [
        ("backend", body(by_owner)["id"]),
        ("design", body(by_member)["id"]),
    ]
    assert [
        label["name"] for label in rows(client_on(tenant, viewer).get(LABELS, {"search": "DES"}))
    ] == ["design"]

    # A deleted label comes off the tasks that had it.
    with tenant_context(tenant):
        project = project_create(name="Website", key="WEB", actor=Actor(user=owner))
        task = task_create(
            tenant=tenant,
            project=project,
            title="Logo",
            actor=Actor(user=owner),
            labels=list(Label.objects.all()),
        )
    removed = client_on(tenant, member).delete(f"{LABELS}{body(by_owner)['id']}/")
    removed_too = client_on(tenant, owner).delete(f"{LABELS}{body(by_member)['id']}/")

    assert (removed.status_code, removed_too.status_code) == (204, 204)
    assert rows(client_on(tenant, viewer).get(LABELS)) == []
    assert body(client_on(tenant, viewer).get(f"{TASKS}{task.public_id}/"))["labels"] == []
    assert client_on(tenant, owner).delete(f"{LABELS}{body(by_owner)['id']}/").status_code == 404
    with tenant_context(tenant):
        assert not Label.objects.exists()
        assert Task.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "name", "required"),
        ({"name": "  "}, "name", "blank"),
        ({"name": "x" * 41}, "name", "no more than 40"),
        ({"name": "design"}, "name", "label with this name already"),
        ({"name": " design "}, "name", "label with this name already"),
        ({"name": "ux", "color": "red"}, "color", "# and six hex digits"),
        ({"name": "ux", "color": "#12345"}, "color", "# and six hex digits"),
        ({"name": "ux", "color": "#12345g"}, "color", "# and six hex digits"),
        # Text only: DRF alone would store the number's digits.
        ({"name": -3.7e16}, "name", "Not a valid string"),
        ({"name": 42}, "name", "Not a valid string"),
        ({"name": "ux", "color": 123456}, "color", "Not a valid string"),
    ],
)
def test_bad_labels_get_field_errors_and_nothing_is_created(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    send(client_on(tenant, member), "POST", LABELS, {"name": "design"})
    before = tenant_state(tenant)

    response = send(client_on(tenant, member), "POST", LABELS, data)

    assert response.status_code == 400, response.content
    assert message in " ".join(body(response)[field]), body(response)
    assert tenant_state(tenant) == before
