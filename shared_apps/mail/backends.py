from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from shared_apps.mail.messages import message_to_payload
from shared_apps.mail.tasks import send_email


class TaskEmailBackend(BaseEmailBackend):
    """Django's EMAIL_BACKEND: every message becomes a send_email task, enqueued after commit.

    So mail from anywhere (our views, Django's password reset, later allauth) is retried when the
    mail server has a bad moment, is not sent for work that rolled back, and never delays the
    request that wrote it.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        payloads = [message_to_payload(message) for message in email_messages]
        for payload in payloads:
            transaction.on_commit(partial(send_email.delay, payload))
        return len(payloads)
