"""Hostile files are never served inline: whatever is uploaded (pages, SVG with script,
polyglots, sniffing bait, a type that lies, names built to break headers or escape a folder),
through the API or the task page, every route that returns a file's bytes answers with a
download that no browser renders or runs on the workspace's origin, and the storage is never
served directly.

The type mapping for single files and the encoding of ordinary names are pinned in
tests/tenant_apps/projects/test_api_comments_attachments.py and test_views.py; this file is
about the hostile set, crossed with every upload path and every download route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Attachment, Task
from tenant_apps.projects.services import Actor, attachment_add, project_create, task_create
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory


@dataclass(frozen=True)
class Hostile:
    name: str
    content_type: str
    data: bytes

    def __str__(self) -> str:
        return self.name.encode("unicode_escape").decode()[:40]


SCRIPT = b"<script>alert(document.domain)</script>"
HOSTILE = [
    Hostile("page.html", "text/html", b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"),
    Hostile(
        "page.xhtml",
        "application/xhtml+xml",
        b'<html xmlns="http://www.w3.org/1999/xhtml">' + SCRIPT + b"</html>",
    ),
    Hostile(
        "logo.svg",
        "image/svg+xml",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>",
    ),
    Hostile("feed.xml", "text/xml", b'<?xml-stylesheet href="#x"?><x>' + SCRIPT + b"</x>"),
    Hostile("app.js", "text/javascript", b"alert(document.cookie)"),
    # An HTML page that says it is a picture.
    Hostile("shot.png", "image/png", b"<html>" + SCRIPT + b"</html>"),
    # A GIF header that is also valid JavaScript (for <script src=...>).
    Hostile("anim.gif", "image/gif", b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(1)//;"),
    Hostile("doc.pdf", "application/pdf", b"%PDF-1.4\n<html>" + SCRIPT + b"</html>\n%%EOF"),
    # A harmless name with a type that asks to be rendered.
    Hostile("notes.txt", "text/html", b"<h1>hello</h1>" + SCRIPT),
    # Sniffing bait: text that looks like a page, a type that is no type, no type at all.
    Hostile("readme.txt", "text/plain", b"<!DOCTYPE html><html>" + SCRIPT),
    Hostile("blob", "application/x-unknown-thing", b"<html>" + SCRIPT),
    Hostile("data.bin", "", b"\xef\xbb\xbf<html>" + SCRIPT),
    # UTF-7 XSS: served with the declared charset it would decode to a script.
    Hostile("utf7.txt", "text/plain; charset=utf-7", b"+ADw-script+AD4-alert(1)+ADw-/script+AD4-"),
    Hostile("mixed.csv", "TEXT/HTML; charset=utf-8", b"a,b\n<img src=x onerror=alert(1)>,2"),
    # Names: quotes, a header split, markup, folders to escape, unicode, a NUL, a long one.
    Hostile('quote"; filename="evil.html', "text/plain", b"x"),
    Hostile("evil\r\nSet-Cookie: pwned=1\r\nX-Injected: 1.txt", "text/plain", b"x"),
    Hostile("<img src=x onerror=alert(1)>.html", "text/html", SCRIPT),
    Hostile("../../../../etc/passwd", "text/plain", b"root:x:0:0"),
    Hostile("..\\..\\windows\\win.ini", "text/plain", b"[fonts]"),
    Hostile("%2e%2e%2f%2e%2e%2fsecret.txt", "text/plain", b"x"),
    Hostile("rapport\u202elmth.txt", "text/plain", b"x"),  # a right-to-left override
    Hostile("отчёт 計画 🎉.html", "text/html", SCRIPT),
    Hostile("page.html\x00.png", "image/png", b"<html>" + SCRIPT),
    Hostile("a" * 300 + ".html", "text/html", SCRIPT),
]

# Types a browser renders as a document or runs; none may go out with a stored file.
ACTIVE_TYPE = re.compile(r"html|xml|svg|script|xsl|ecmascript|x-shockwave|multipart", re.I)
# `attachment` with one ASCII quoted-string or RFC 5987 filename, nothing after it.
SAFE_DISPOSITION = re.compile(
    r"attachment; "
    r"""(?:filename="(?:[^"\\\x00-\x1f\x7f]|\\.)*"|filename\*=utf-8''[A-Za-z0-9%!#$&+.^_`|~-]*)\Z"""
)


@pytest.fixture
def task(tenant: Tenant, member: User, settings: Settings) -> Task:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 100_000  # many uploads and downloads
    with tenant_context(tenant):
        project = project_create(name="Website", key="WEB", actor=Actor(user=member))
        return task_create(tenant=tenant, project=project, title="Logo", actor=Actor(user=member))


def _upload(file: Hostile) -> SimpleUploadedFile:
    return SimpleUploadedFile(file.name, file.data, content_type=file.content_type)


def _upload_through_the_api(client: Client, task: Task, file: Hostile) -> int:
    answer = client.post(f"/api/v1/tasks/{task.public_id}/attachments/", {"file": _upload(file)})
    return answer.status_code


def _upload_through_the_page(client: Client, task: Task, file: Hostile) -> int:
    answer = client.post(f"/projects/WEB/{task.number}/attachments/", {"file": _upload(file)})
    return answer.status_code


UPLOADS = {"api": _upload_through_the_api, "page": _upload_through_the_page}


def _download_routes(task: Task, attachment: Attachment) -> dict[str, str]:
    """Every address that answers with a file's bytes."""
    return {
        "page": f"/attachments/{attachment.public_id}/download/",
        "api": f"/api/v1/tasks/{task.public_id}/attachments/{attachment.public_id}/download/",
    }


def assert_served_only_as_a_download(response: Any, data: bytes) -> None:
    """A download no browser renders: attachment, nosniff, a sandbox, an inert type, a name
    that cannot split or extend the header, and the bytes as uploaded."""
    assert response.status_code == 200, response.status_code
    for header, value in response.items():
        assert not {"\r", "\n"} & set(value), (header, value)
    assert "X-Injected" not in response
    assert "Set-Cookie" not in response
    disposition = response["Content-Disposition"]
    assert SAFE_DISPOSITION.match(disposition), disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"].split(";")[0]
    content_type = response["Content-Type"]
    assert not ACTIVE_TYPE.search(content_type), content_type
    assert "charset" not in content_type.lower(), content_type  # no UTF-7 or other decoding
    assert b"".join(response.streaming_content) == data


@pytest.mark.parametrize("path", list(UPLOADS))
@pytest.mark.parametrize("file", HOSTILE, ids=str)
def test_a_hostile_upload_is_only_ever_downloaded(
    client_on: ClientFactory,
    tenant: Tenant,
    task: Task,
    member: User,
    viewer: User,
    path: str,
    file: Hostile,
) -> None:
    status = UPLOADS[path](client_on(tenant, member), task, file)

    if status not in {201, 302}:  # refused, as a field error: nothing stored
        assert status == 400, status
        with tenant_context(tenant):
            assert not Attachment.objects.exists()
        return
    with tenant_context(tenant):
        attachment = Attachment.objects.get()
    assert attachment.name.isprintable(), attachment.name
    reader = client_on(tenant, viewer)
    for route in _download_routes(task, attachment).values():
        assert_served_only_as_a_download(reader.get(route), file.data)


@pytest.mark.parametrize("file", HOSTILE, ids=str)
def test_a_stored_name_that_came_by_another_way_still_makes_a_safe_header(
    client_on: ClientFactory, tenant: Tenant, task: Task, viewer: User, file: Hostile
) -> None:
    """Multipart parsing drops control characters from file names, and so does the service
    for other callers; a name stored before or around them (an import of an old export) is
    served as safely: as much of the name as the database holds, line breaks included."""
    with tenant_context(tenant):
        attachment = attachment_add(
            tenant=tenant,
            task=task,
            upload=ContentFile(file.data, name=file.name),
            actor=Actor(user=None, label="import"),
        )
        assert attachment.name.isprintable(), attachment.name
        Attachment.objects.filter(pk=attachment.pk).update(
            name=file.name.replace("\x00", "")[:255], content_type=file.content_type
        )

    reader = client_on(tenant, viewer)
    for route in _download_routes(task, attachment).values():
        assert_served_only_as_a_download(reader.get(route), file.data)


def test_the_storage_is_never_served_directly(
    client_on: ClientFactory, tenant: Tenant, task: Task, member: User
) -> None:
    """Files are reached only through the views that check membership: not under MEDIA_URL,
    not by their storage path, on the workspace's host or the apex, signed in or not."""
    page = HOSTILE[0]
    assert _upload_through_the_api(client_on(tenant, member), task, page) == 201
    with tenant_context(tenant):
        stored = Attachment.objects.get().file.name
    assert stored.startswith(f"tenants/{tenant.schema_name}/attachments/")

    for client in (client_on(tenant, member), client_on(tenant), client_on(None)):
        for address in (f"/media/{stored}", f"/{stored}", f"/static/../media/{stored}"):
            answer = client.get(address)
            assert answer.status_code == 404, (address, answer.status_code)
            assert SCRIPT not in answer.content
