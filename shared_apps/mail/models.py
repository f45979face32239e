from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models.functions import Now


class OutboundEmail(models.Model):
    """A message on its way out: a transactional outbox.

    Written in the sender's transaction, so mail for work that rolled back never exists. The
    send task is given only the id, so the content (reset links, invitation tokens) never sits
    in the broker, in logs or in failure records; it is erased once delivered.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    origin_schema = models.CharField(max_length=63)
    subject = models.CharField(max_length=255)
    recipient_count = models.PositiveIntegerField()
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Times the sweep (tasks.requeue_unsent) queued this message again; bounded.
    requeued = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["created_at"], name="mail_outboundemail_created"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.recipient_count} recipients)"
