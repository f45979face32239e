"""Email messages as JSON, to travel through the task queue."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives


def message_to_payload(message: EmailMessage) -> dict[str, Any]:
    """A JSON-ready copy of `message`, with an id that makes its delivery idempotent."""
    alternatives = getattr(message, "alternatives", [])
    attachments = []
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):
            raise ValueError("MIME attachments cannot go through the task queue; pass content")
        filename, content, mimetype = attachment
        raw = content.encode() if isinstance(content, str) else content
        attachments.append([filename, base64.b64encode(raw).decode("ascii"), mimetype])
    return {
        "id": uuid.uuid4().hex,
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "content_subtype": message.content_subtype,
        "alternatives": [[str(content), mimetype] for content, mimetype in alternatives],
        "attachments": attachments,
    }


def payload_to_message(payload: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload["cc"],
        bcc=payload["bcc"],
        reply_to=payload["reply_to"],
        headers=payload["headers"],
    )
    message.content_subtype = payload["content_subtype"]
    for content, mimetype in payload["alternatives"]:
        message.attach_alternative(content, mimetype)
    for filename, encoded, mimetype in payload["attachments"]:
        message.attach(filename, base64.b64decode(encoded), mimetype)
    return message
