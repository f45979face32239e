"""/api/v1/tasks/<id>/comments/ and /attachments/: added by members, removed by whoever added
them or an admin, files always downloaded (never rendered) and only within their workspace."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from shared_apps.accounts.models import User
from tenant_apps.projects import services
from tenant_apps.projects.models import Attachment, Comment, Task
from tenant_apps.projects.services import (
    Actor,
    attachment_add,
    comment_add,
    project_create,
    task_create,
)
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import (
    assert_no_leak,
    attachments_url,
    body,
    comments_url,
    content,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    rows,
    seed_scene,
    send,
    tenant_state,
)


def _tasks(tenant: Tenant, user: User) -> tuple[Task, Task]:
    with tenant_context(tenant):
        project = project_create(name="Website", key="WEB", actor=Actor(user=user))
        first = task_create(tenant=tenant, project=project, title="Logo", actor=Actor(user=user))
        second = task_create(tenant=tenant, project=project, title="Menu", actor=Actor(user=user))
    return first, second


# --- Comments --------------------------------------------------------------------------------


def test_members_and_owners_comment_and_viewers_read_in_order(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, viewer: User
) -> None:
    task, other = _tasks(tenant, owner)
    url = comments_url(task.public_id)

    first = send(client_on(tenant, member), "POST", url, {"body": "  Looks good  "})
    second = send(client_on(tenant, owner), "POST", url, {"body": "Ship it"})
    send(client_on(tenant, owner), "POST", comments_url(other.public_id), {"body": "Elsewhere"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert {k: body(first)[k] for k in ("body", "author")} == {
        "body": "Looks good",
        "author": str(member.public_id),
    }
    listed = rows(client_on(tenant, viewer).get(url))
    assert [(c["body"], c["author"], c["id"]) for c in listed] == [
        ("Looks good", str(member.public_id), body(first)["id"]),
        ("Ship it", str(owner.public_id), body(second)["id"]),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "required"),
        ({"body": ""}, "blank"),
        ({"body": " \n\t "}, "blank"),
        ({"body": "x" * 20_001}, "no more than 20000"),
    ],
)
def test_an_empty_comment_is_refused(
    client_on: ClientFactory, tenant: Tenant, member: User, data: dict[str, str], message: str
) -> None:
    task, _ = _tasks(tenant, member)
    before = tenant_state(tenant)

    response = send(client_on(tenant, member), "POST", comments_url(task.public_id), data)

    assert response.status_code == 400
    assert message in " ".join(body(response)["body"])
    assert tenant_state(tenant) == before


def test_a_comment_is_removed_by_its_author_or_an_admin_only(
    client_on: ClientFactory, tenant: Tenant, owner: User, admin: User, member: User, both: User
) -> None:
    task, _ = _tasks(tenant, owner)
    with tenant_context(tenant):
        by_owner = comment_add(task=task, body="Owner's", actor=Actor(user=owner))
        by_member = comment_add(task=task, body="Mia's", actor=Actor(user=member))
        another = comment_add(task=task, body="Mia's again", actor=Actor(user=member))
    url = comments_url(task.public_id)
    before = tenant_state(tenant)

    refused = client_on(tenant, member).delete(f"{url}{by_owner.public_id}/")
    refused_too = client_on(tenant, both).delete(f"{url}{by_member.public_id}/")

    assert (refused.status_code, refused_too.status_code) == (403, 403)
    assert "author or an admin" in body(refused)["detail"]
    assert tenant_state(tenant) == before
    assert client_on(tenant, member).delete(f"{url}{by_member.public_id}/").status_code == 204
    assert client_on(tenant, admin).delete(f"{url}{by_owner.public_id}/").status_code == 204
    assert client_on(tenant, owner).delete(f"{url}{another.public_id}/").status_code == 204
    with tenant_context(tenant):
        assert not Comment.objects.exists()


def test_a_comment_is_found_only_under_its_own_task(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    task, other = _tasks(tenant, member)
    with tenant_context(tenant):
        comment = comment_add(task=task, body="Here", actor=Actor(user=member))
    client = client_on(tenant, member)
    before = tenant_state(tenant)

    assert client.delete(f"{comments_url(other.public_id)}{comment.public_id}/").status_code == 404
    assert rows(client.get(comments_url(other.public_id))) == []
    nowhere = comments_url("00000000-0000-0000-0000-000000000000")
    assert client.get(nowhere).status_code == 404
    assert send(client, "POST", nowhere, {"body": "Lost"}).status_code == 404
    assert client.get(comments_url("not-a-uuid")).status_code == 404
    assert client.delete(f"{comments_url(task.public_id)}not-a-uuid/").status_code == 404
    assert tenant_state(tenant) == before


# --- Attachments -----------------------------------------------------------------------------


def _upload(
    name: str, data: bytes = b"hello", content_type: str = "text/plain"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_an_uploaded_page_is_downloaded_never_rendered(
    client_on: ClientFactory, tenant: Tenant, member: User, viewer: User
) -> None:
    task, _ = _tasks(tenant, member)
    page = b"<html><script>alert(document.cookie)</script></html>"

    uploaded = client_on(tenant, member).post(
        attachments_url(task.public_id), {"file": _upload("page.html", page, "text/html")}
    )

    assert uploaded.status_code == 201, uploaded.content
    shown = body(uploaded)
    assert {k: shown[k] for k in ("name", "size", "content_type", "uploaded_by")} == {
        "name": "page.html",
        "size": len(page),
        "content_type": "text/html",
        "uploaded_by": str(member.public_id),
    }
    assert shown["download_url"] == f"{attachments_url(task.public_id)}{shown['id']}/download/"
    download = client_on(tenant, viewer).get(shown["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="page.html"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/octet-stream"
    assert "sandbox" in download["Content-Security-Policy"]
    assert content(download) == page


@pytest.mark.parametrize(
    ("name", "content_type", "served_as"),
    [
        ("notes.txt", "text/plain", "text/plain"),
        ("shot.png", "image/png", "image/png"),
        ("logo.svg", "image/svg+xml", "application/octet-stream"),
        ("page.htm", "TEXT/HTML; charset=utf-8", "application/octet-stream"),
        ("data.xml", "application/xhtml+xml", "application/octet-stream"),
    ],
)
def test_only_types_that_cannot_run_script_keep_their_type(
    client_on: ClientFactory,
    tenant: Tenant,
    member: User,
    name: str,
    content_type: str,
    served_as: str,
) -> None:
    task, _ = _tasks(tenant, member)
    client = client_on(tenant, member)

    shown = body(
        client.post(
            attachments_url(task.public_id), {"file": _upload(name, content_type=content_type)}
        )
    )
    download = client.get(shown["download_url"])

    assert download["Content-Type"] == served_as
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("résumé final.pdf", "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf"),
        ("計画.txt", "attachment; filename*=utf-8''%E8%A8%88%E7%94%BB.txt"),
        ('say "hi".txt', 'attachment; filename="say \\"hi\\".txt"'),
        # Nothing of the name is fit for the storage; it is kept for the download all the same.
        ("!!!", 'attachment; filename="!!!"'),
        ("«»", "attachment; filename*=utf-8''%C2%AB%C2%BB"),
    ],
)
def test_the_file_name_survives_the_round_trip(
    client_on: ClientFactory, tenant: Tenant, member: User, name: str, disposition: str
) -> None:
    task, _ = _tasks(tenant, member)
    client = client_on(tenant, member)

    uploaded = client.post(attachments_url(task.public_id), {"file": _upload(name)})

    assert uploaded.status_code == 201, uploaded.content
    assert body(uploaded)["name"] == name
    download = client.get(body(uploaded)["download_url"])
    assert download["Content-Disposition"] == disposition
    assert content(download) == b"hello"
    with tenant_context(tenant):
        stored = Attachment.objects.get(public_id=body(uploaded)["id"]).file.name
    assert stored.startswith(f"tenants/{tenant.schema_name}/attachments/")
    assert default_storage.exists(stored)


def test_an_oversize_or_missing_file_is_refused_and_nothing_is_stored(
    client_on: ClientFactory, tenant: Tenant, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, _ = _tasks(tenant, member)
    client = client_on(tenant, member)
    url = attachments_url(task.public_id)
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 3 * 1024 * 1024)
    before = tenant_state(tenant)

    too_big = client.post(url, {"file": _upload("big.bin", b"x" * (3 * 1024 * 1024 + 1))})
    missing = client.post(url, {})
    empty = client.post(url, {"file": _upload("empty.txt", b"")})
    not_a_file = client.post(url, {"file": "just text"})
    as_json = send(client, "POST", url, {"file": "aGVsbG8="})

    assert too_big.status_code == 400
    assert body(too_big) == {"file": ["A file can be at most 3 MB."]}
    assert (missing.status_code, body(missing)) == (400, {"file": ["No file was submitted."]})
    assert (empty.status_code, body(empty)) == (400, {"file": ["The submitted file is empty."]})
    assert not_a_file.status_code == 400
    assert "file" in body(not_a_file)
    assert as_json.status_code == 415
    assert tenant_state(tenant) == before
    just_fits = client.post(url, {"file": _upload("fits.bin", b"x" * (3 * 1024 * 1024))})
    assert just_fits.status_code == 201


def test_an_attachment_is_removed_by_its_uploader_or_an_admin_only(
    client_on: ClientFactory, tenant: Tenant, owner: User, admin: User, member: User, both: User
) -> None:
    task, _ = _tasks(tenant, owner)
    with tenant_context(tenant):
        files = [
            attachment_add(
                tenant=tenant,
                task=task,
                upload=ContentFile(b"x", name=f"{n}.txt"),
                actor=Actor(user=person),
            )
            for n, person in enumerate((owner, member, member))
        ]
    url = attachments_url(task.public_id)
    before = tenant_state(tenant)

    refused = client_on(tenant, member).delete(f"{url}{files[0].public_id}/")
    refused_too = client_on(tenant, both).delete(f"{url}{files[1].public_id}/")

    assert (refused.status_code, refused_too.status_code) == (403, 403)
    assert "uploader or an admin" in body(refused)["detail"]
    assert tenant_state(tenant) == before
    assert client_on(tenant, member).delete(f"{url}{files[1].public_id}/").status_code == 204
    assert client_on(tenant, admin).delete(f"{url}{files[0].public_id}/").status_code == 204
    assert client_on(tenant, owner).delete(f"{url}{files[2].public_id}/").status_code == 204
    assert rows(client_on(tenant, owner).get(url)) == []
    with tenant_context(tenant):
        assert not Attachment.objects.exists()


def test_attachments_stay_in_their_task_and_their_workspace(
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    owner: User,
    member: User,
    outsider: User,
    both: User,
) -> None:
    scene = seed_scene(tenant, owner, member)
    with tenant_context(tenant):
        project = project_create(name="Elsewhere", key="ELSE", actor=Actor(user=owner))
        elsewhere = task_create(tenant=tenant, project=project, title="x", actor=Actor(user=owner))
    own = f"{attachments_url(scene.task.public_id)}{scene.attachment.public_id}/"
    crossed = f"{attachments_url(elsewhere.public_id)}{scene.attachment.public_id}/"
    before = tenant_state(tenant)

    # Under another task of the same workspace, the attachment is not there.
    client = client_on(tenant, member)
    assert client.get(crossed).status_code == 404
    assert client.get(f"{crossed}download/").status_code == 404
    assert client.delete(crossed).status_code == 404
    assert rows(client.get(attachments_url(elsewhere.public_id))) == []
    # An outsider on Acme's host: refused; on Globex's host, Acme's ids find nothing.
    stranger = client_on(tenant, outsider)
    for path in (attachments_url(scene.task.public_id), own, f"{own}download/"):
        response = stranger.get(path)
        assert response.status_code == 403
        assert_no_leak(response, scene)
        for person in (outsider, both):
            response = client_on(other_tenant, person).get(path)
            assert response.status_code == 404
            assert_no_leak(response, scene)
    assert client_on(other_tenant, both).delete(own).status_code == 404
    assert tenant_state(tenant) == before
    assert content(client.get(f"{own}download/")) == b"blueprint"
