from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from shared_apps.mail.messages import message_to_payload
from shared_apps.mail.models import OutboundEmail
from shared_apps.mail.tasks import send_email
from tenants.context import schema_context, tenant_connection


def _enqueuer(email_id: str) -> Callable[[], None]:
    # A named function, not a partial: Django names it in its log line when the enqueue fails.
    def enqueue_send_email() -> None:
        send_email.delay(email_id)

    return enqueue_send_email


class TaskEmailBackend(BaseEmailBackend):
    """Django's EMAIL_BACKEND: each message goes into the outbox, and a send_email task for it
    is enqueued when the transaction commits.

    So mail from anywhere (our views, Django's password reset, later allauth) is retried when the
    mail server has a bad moment, does not exist for work that rolled back, and never delays the
    request that wrote it.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        origin = tenant_connection().schema_name
        for message in email_messages:
            try:
                with schema_context("public"):
                    email = OutboundEmail.objects.create(
                        origin_schema=origin,
                        subject=str(message.subject)[:255],
                        recipient_count=len(message.recipients()),
                        payload=message_to_payload(message),
                    )
            except Exception:
                if self.fail_silently:
                    continue
                raise
            # Robust: with the broker down the work has committed all the same, and the request
            # must not fail for it; the message stays in the outbox, unsent, and is logged.
            transaction.on_commit(_enqueuer(str(email.pk)), robust=True)
            queued += 1
        return queued
