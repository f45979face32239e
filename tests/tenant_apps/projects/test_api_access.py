"""Who may call each endpoint and method of /api/v1/: owners and members read and write,
viewers only read, outsiders (signed in, not members) get 403, anonymous callers 401, and
Acme's ids on Globex's host find nothing. A refused call changes nothing and shows nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import (
    LABELS,
    MEMBERS,
    PROJECTS,
    TASKS,
    Scene,
    assert_no_leak,
    attachments_url,
    comments_url,
    content,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    seed_scene,
    send,
    tenant_state,
)

Path = Callable[[Scene, int], str]


@dataclass(frozen=True)
class Call:
    """One endpoint and method. `turn` (0 for the member, 1 for the owner) picks what each
    writes, so that both succeed (two deletes need two things to delete)."""

    name: str
    method: str
    path: Path
    data: Callable[[Scene, int], Any] | None = None
    multipart: bool = False
    # A read: what the body must show a member. A write: the status of success.
    shows: Callable[[Scene], str] | None = None
    success: int = 200
    # The status on Globex's host (for a member of both), where Acme's ids mean nothing;
    # None when the call names none of Acme's ids.
    on_globex: int | None = 404

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def perform(self, client: Client, scene: Scene, turn: int = 0) -> Any:
        path = self.path(scene, turn)
        data = self.data(scene, turn) if self.data is not None else None
        if self.multipart:
            return client.post(path, data)
        return send(client, self.method, path, data)


def _project(scene: Scene, turn: int = 0) -> str:
    return f"{PROJECTS}{scene.project.public_id}/"


def _task(scene: Scene, turn: int = 0) -> str:
    return f"{TASKS}{(scene.task, scene.other_task)[turn].public_id}/"


def _comment(scene: Scene, turn: int = 0) -> str:
    comment = (scene.comment, scene.other_comment)[turn]
    return f"{comments_url(scene.task.public_id)}{comment.public_id}/"


def _attachment(scene: Scene, turn: int = 0) -> str:
    attachment = (scene.attachment, scene.other_attachment)[turn]
    return f"{attachments_url(scene.task.public_id)}{attachment.public_id}/"


def _upload(scene: Scene, turn: int) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(f"new-{turn}.txt", b"new file", content_type="text/plain")}


CALLS = [
    # Reads
    Call(
        "projects-list", "GET", lambda s, t: PROJECTS, shows=lambda s: "Rocket plans", on_globex=200
    ),
    Call("projects-retrieve", "GET", _project, shows=lambda s: "launch window"),
    Call(
        "tasks-list",
        "GET",
        lambda s, t: TASKS,
        shows=lambda s: "Ignite the boosters",
        on_globex=200,
    ),
    Call("tasks-retrieve", "GET", _task, shows=lambda s: "fuel mix"),
    Call("labels-list", "GET", lambda s, t: LABELS, shows=lambda s: "top-secret", on_globex=200),
    Call(
        "comments-list",
        "GET",
        lambda s, t: comments_url(s.task.public_id),
        shows=lambda s: "hatch code 7731",
    ),
    Call(
        "attachments-list",
        "GET",
        lambda s, t: attachments_url(s.task.public_id),
        shows=lambda s: "blueprint.txt",
    ),
    Call("attachments-retrieve", "GET", _attachment, shows=lambda s: "blueprint.txt"),
    Call(
        "attachments-download",
        "GET",
        lambda s, t: f"{_attachment(s)}download/",
        shows=lambda s: "blueprint",
    ),
    Call(
        "members-list", "GET", lambda s, t: MEMBERS, shows=lambda s: "mia@acme.test", on_globex=200
    ),
    # Writes
    Call(
        "projects-create",
        "POST",
        lambda s, t: PROJECTS,
        data=lambda s, t: {"name": f"New {t}", "key": f"NEW{t}"},
        success=201,
        on_globex=None,
    ),
    Call("projects-update", "PATCH", _project, data=lambda s, t: {"name": f"Renamed {t}"}),
    Call(
        "tasks-create",
        "POST",
        lambda s, t: TASKS,
        data=lambda s, t: {"project": str(s.project.public_id), "title": f"New {t}"},
        success=201,
        on_globex=400,
    ),
    Call(
        "tasks-update",
        "PATCH",
        lambda s, t: _task(s),
        data=lambda s, t: {"title": f"Retitled {t}", "expected_version": 1 + t},
    ),
    Call("tasks-delete", "DELETE", _task, success=204),
    Call(
        "labels-create",
        "POST",
        lambda s, t: LABELS,
        data=lambda s, t: {"name": f"new-{t}"},
        success=201,
        on_globex=None,
    ),
    Call(
        "labels-delete",
        "DELETE",
        lambda s, t: f"{LABELS}{(s.label, s.other_label)[t].pk}/",
        success=204,
    ),
    Call(
        "comments-create",
        "POST",
        lambda s, t: comments_url(s.task.public_id),
        data=lambda s, t: {"body": f"Comment {t}"},
        success=201,
    ),
    Call("comments-delete", "DELETE", _comment, success=204),
    Call(
        "attachments-create",
        "POST",
        lambda s, t: attachments_url(s.task.public_id),
        data=_upload,
        multipart=True,
        success=201,
    ),
    Call("attachments-delete", "DELETE", _attachment, success=204),
]


@pytest.mark.parametrize("call", CALLS, ids=[call.name for call in CALLS])
def test_each_endpoint_and_method(
    call: Call,
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    owner: User,
    member: User,
    viewer: User,
    outsider: User,
    both: User,
    staff: User,
) -> None:
    scene = seed_scene(tenant, owner, member)
    acme, globex = tenant_state(tenant), tenant_state(other_tenant)

    refused = [(client_on(tenant, outsider), 403), (client_on(tenant, staff), 403)]
    refused.append((client_on(tenant), 401))
    if call.writes:
        refused.append((client_on(tenant, viewer), 403))
    for client, status in refused:
        response = call.perform(client, scene)
        assert response.status_code == status, (call.name, response.content)
        assert_no_leak(response, scene)
        if status == 401:  # how to authenticate: an API key
            assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert tenant_state(tenant) == acme

    if call.on_globex is not None:
        # Bea belongs to both workspaces: only the schema stands between her and Acme's rows.
        sent = "" if call.data is None or call.multipart else str(call.data(scene, 0))
        for person in (outsider, both):
            response = call.perform(client_on(other_tenant, person), scene)
            assert response.status_code == call.on_globex, (call.name, response.content)
            assert_no_leak(response, scene, sent)
        assert (tenant_state(tenant), tenant_state(other_tenant)) == (acme, globex)

    if call.writes:
        for turn, person in enumerate((member, owner)):
            response = call.perform(client_on(tenant, person), scene, turn)
            assert response.status_code == call.success, (call.name, person, response.content)
            changed = tenant_state(tenant)
            assert changed != acme
            acme = changed
    else:
        assert call.shows is not None
        for person in (owner, member, viewer):
            response = call.perform(client_on(tenant, person), scene)
            assert response.status_code == 200, (call.name, person, response.content)
            assert call.shows(scene) in content(response).decode()
