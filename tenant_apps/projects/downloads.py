"""Serving an attachment: always as a download, never as something the browser renders.

The file's own type is kept only when it is on a short list of types browsers cannot run
script from; anything else (HTML, SVG, XML, unknown) goes out as application/octet-stream. With
`Content-Disposition: attachment`, `nosniff` and a sandboxing CSP on top, an uploaded page
cannot execute on the workspace's origin however it is reached.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from tenant_apps.projects.models import Attachment

SAFE_CONTENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/csv",
        "text/plain",
    }
)


def attachment_content_type(attachment: Attachment) -> str:
    declared = attachment.content_type.split(";")[0].strip().lower()
    return declared if declared in SAFE_CONTENT_TYPES else "application/octet-stream"


def attachment_response(attachment: Attachment) -> FileResponse:
    try:
        handle = default_storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404("The file of this attachment is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment_content_type(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
