from __future__ import annotations

from django.core import mail
from django.core.mail import EmailMultiAlternatives, send_mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.mail.messages import message_to_payload
from shared_apps.mail.tasks import send_email
from tenants.models import TaskEffect


def test_mail_is_delivered_by_a_task_after_commit(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_mail("Hello", "Body", "from@strata.test", ["to@example.com"])
        assert mail.outbox == []  # nothing before the commit

    assert len(callbacks) == 1
    assert [(m.subject, m.to) for m in mail.outbox] == [("Hello", ["to@example.com"])]


def test_mail_for_work_that_rolled_back_is_never_sent(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        send_mail("Hello", "Body", "from@strata.test", ["to@example.com"])

    assert mail.outbox == []


def test_a_message_is_delivered_once_however_often_its_task_runs(db: None) -> None:
    payload = message_to_payload(
        EmailMultiAlternatives("Once", "Body", "from@strata.test", ["to@example.com"])
    )

    assert send_email.delay(payload).get() is True
    assert send_email.delay(payload).get() is False  # a redelivery, say

    assert len(mail.outbox) == 1
    assert TaskEffect.objects.get(key=f"email:{payload['id']}").completed_at is not None


def test_html_alternatives_and_attachments_survive_the_queue(db: None) -> None:
    message = EmailMultiAlternatives("Report", "Plain", "from@strata.test", ["to@example.com"])
    message.attach_alternative("<p>Rich</p>", "text/html")
    message.attach("report.csv", "a,b\n1,2\n", "text/csv")

    send_email.delay(message_to_payload(message))

    delivered = mail.outbox[0]
    assert isinstance(delivered, EmailMultiAlternatives)
    assert delivered.alternatives[0][0] == "<p>Rich</p>"
    assert delivered.attachments[0][0] == "report.csv"
    assert delivered.attachments[0][1] in (b"a,b\n1,2\n", "a,b\n1,2\n")
