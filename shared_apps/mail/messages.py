"""Email messages as JSON, to wait in the outbox."""

from __future__ import annotations

import base64
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives


def message_to_payload(message: EmailMessage) -> dict[str, Any]:
    """A JSON-ready copy of `message`: everything needed to send it as it was written."""
    attachments = []
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):
            raise ValueError(
                "Attach content (filename, content, mimetype), not MIME objects: the message "
                "is stored as JSON until it is sent"
            )
        filename, content, mimetype = attachment
        raw = content.encode() if isinstance(content, str) else content
        attachments.append([filename, base64.b64encode(raw).decode("ascii"), mimetype])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "encoding": message.encoding,
        "content_subtype": message.content_subtype,
        "mixed_subtype": message.mixed_subtype,
        "alternative_subtype": getattr(message, "alternative_subtype", "alternative"),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
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
    message.encoding = payload["encoding"]
    message.content_subtype = payload["content_subtype"]
    message.mixed_subtype = payload["mixed_subtype"]
    message.alternative_subtype = payload["alternative_subtype"]
    for content, mimetype in payload["alternatives"]:
        message.attach_alternative(content, mimetype)
    for filename, encoded, mimetype in payload["attachments"]:
        message.attach(filename, base64.b64decode(encoded), mimetype)
    return message
