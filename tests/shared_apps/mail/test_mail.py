from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from django.db import transaction
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from shared_apps.mail.messages import message_to_payload
from shared_apps.mail.models import OutboundEmail
from shared_apps.mail.tasks import REQUEUE_AFTER, REQUEUE_LIMIT, requeue_unsent, send_email
from tenants.context import tenant_context
from tenants.models import TaskFailure, Tenant


def test_mail_waits_in_the_outbox_until_commit_then_a_task_sends_it(
    tenant: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_mail("Hello", "Body", "from@strata.test", ["to@example.com"])
        assert mail.outbox == []  # nothing before the commit
        assert OutboundEmail.objects.get().payload["body"] == "Body"

    assert len(callbacks) == 1
    assert [(m.subject, m.to) for m in mail.outbox] == [("Hello", ["to@example.com"])]
    sent = OutboundEmail.objects.get()
    assert sent.sent_at is not None
    assert sent.payload == {}  # delivered: the content is not kept
    assert sent.origin_schema == tenant.schema_name


def test_mail_for_work_that_rolled_back_never_exists(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    def work_that_fails() -> None:
        with transaction.atomic():
            send_mail("Hello", "Body", "from@strata.test", ["to@example.com"])
            raise RuntimeError("the work failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        work_that_fails()

    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_a_message_is_delivered_once_however_often_its_task_runs(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Once", "Body", "from@strata.test", ["to@example.com"])
    email_id = str(OutboundEmail.objects.get().pk)

    assert send_email.delay(email_id).get() is False  # a redelivery, say

    assert len(mail.outbox) == 1


def test_html_alternatives_attachments_and_headers_survive_the_outbox(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    message = EmailMultiAlternatives(
        "Report", "Plain", "from@strata.test", ["to@example.com"],
        cc=["cc@example.com"], bcc=["bcc@example.com"], reply_to=["reply@example.com"],
        headers={"X-Strata": "yes"},
    )  # fmt: skip
    message.encoding = "iso-8859-1"
    message.attach_alternative("<p>Rich</p>", "text/html")
    message.attach("report.csv", "a,b\n1,2\n", "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        message.send()

    delivered = mail.outbox[0]
    assert isinstance(delivered, EmailMultiAlternatives)
    assert (delivered.cc, delivered.bcc, delivered.reply_to) == (
        ["cc@example.com"], ["bcc@example.com"], ["reply@example.com"],
    )  # fmt: skip
    assert delivered.extra_headers == {"X-Strata": "yes"}
    assert delivered.encoding == "iso-8859-1"
    assert delivered.alternatives[0][0] == "<p>Rich</p>"
    assert delivered.attachments[0][0] == "report.csv"


def test_a_message_that_cannot_be_sent_leaves_no_content_in_the_failure_record(
    db: None,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.STRATA_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens: refused

    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Reset", "http://acme.localhost/reset/secret-token/", None, ["x@example.com"])

    failure = TaskFailure.objects.get(task_name="mail.send_email")
    assert "ConnectionRefusedError" in failure.error
    assert "secret-token" not in failure.arguments + failure.error + failure.traceback
    assert OutboundEmail.objects.get().sent_at is None  # still in the outbox, unsent


def test_mail_whose_task_was_lost_is_queued_again_and_sent_once(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # The work commits but its send task never reaches the broker (it was down), as for the
    # invitation in tests/reliability/test_faults.py.
    with django_capture_on_commit_callbacks(execute=False):
        send_mail("Owed", "Body", "from@strata.test", ["to@example.com"])
    with django_capture_on_commit_callbacks(execute=False):
        send_mail("Fresh", "Body", "from@strata.test", ["fresh@example.com"])
    OutboundEmail.objects.filter(subject="Owed").update(
        created_at=timezone.now() - REQUEUE_AFTER - timedelta(minutes=1)
    )

    assert requeue_unsent() == 1  # the fresh one may still have its task on the way
    assert [(m.subject, m.to) for m in mail.outbox] == [("Owed", ["to@example.com"])]
    assert requeue_unsent() == 0  # sent: nothing owed any more

    assert OutboundEmail.objects.get(subject="Owed").sent_at is not None
    assert len(mail.outbox) == 1


def test_the_sweep_gives_up_on_a_message_after_its_tries(db: None, settings: Settings) -> None:
    settings.STRATA_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens: refused
    email = OutboundEmail.objects.create(
        origin_schema="public",
        subject="Never",
        recipient_count=1,
        payload=message_to_payload(EmailMessage("Never", "Body", to=["to@example.com"])),
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - REQUEUE_AFTER - timedelta(minutes=1)
    )

    tries = [requeue_unsent() for _ in range(REQUEUE_LIMIT + 2)]

    assert tries == [1] * REQUEUE_LIMIT + [0, 0]
    email.refresh_from_db()
    assert (email.sent_at, email.requeued) == (None, REQUEUE_LIMIT)
