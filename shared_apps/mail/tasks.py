from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from shared_apps.mail.messages import payload_to_message
from shared_apps.mail.models import OutboundEmail
from tenants.background import TransientTaskError, effect_once, platform_task

logger = logging.getLogger("strata.mail")

OUTBOX_RETENTION = timedelta(days=30)
# A message still unsent this long after it was written lost its send task: the broker was down
# when the work committed, or lost its queue. Longer than a normal delivery takes, retries
# included for a short hiccup; the sweep runs every 10 minutes (CELERY_BEAT_SCHEDULE) and
# gives up after REQUEUE_LIMIT tries, about an hour, leaving the row for an operator to see.
REQUEUE_AFTER = timedelta(minutes=15)
REQUEUE_LIMIT = 6
REQUEUE_BATCH = 500


# A mail server can be away for a while: up to twelve attempts over roughly half an hour to an
# hour (each wait at most 15 minutes, under the broker's visibility timeout).
@platform_task(name="mail.send_email", max_retries=12, retry_backoff_max=900)
def send_email(email_id: str) -> bool:
    """Deliver one outbox message, at most once however often this task runs; True if sent.

    (A crash after the mail server accepted the message but before this commits would send it
    again on the next delivery; that is the one window effect_once cannot close for SMTP.)
    """
    with effect_once(f"email:{email_id}") as first_time:
        if not first_time:
            logger.info("email %s already sent, not sending again", email_id)
            return False
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        connection = get_connection(settings.STRATA_EMAIL_DELIVERY_BACKEND, fail_silently=False)
        try:
            connection.send_messages([payload_to_message(email.payload)])
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:  # greylisting, a full queue: try again later
                raise TransientTaskError(f"mail server said {exc.smtp_code}") from exc
            raise
        email.sent_at = timezone.now()
        email.payload = {}  # delivered: the content (links, tokens) is not kept
        email.save(update_fields=["sent_at", "payload"])
    logger.info("email %s sent to %d recipients", email_id, email.recipient_count)
    return True


@platform_task(name="mail.purge_outbox")
def purge_outbox() -> int:
    """Forget outbox rows older than the retention period, sent or not."""
    count, _ = OutboundEmail.objects.filter(
        created_at__lt=timezone.now() - OUTBOX_RETENTION
    ).delete()
    return count


@platform_task(name="mail.requeue_unsent")
def requeue_unsent() -> int:
    """Queue again the messages still unsent REQUEUE_AFTER after they were written; how many.

    Their work committed, so the mail is owed; only its task is missing. Delivery stays at most
    once however many tasks a message gets (send_email's effect_once), so a message whose own
    task is merely slow costs a spare task, not a second email.
    """
    waiting = list(
        OutboundEmail.objects.filter(
            sent_at__isnull=True,
            created_at__lt=timezone.now() - REQUEUE_AFTER,
            requeued__lt=REQUEUE_LIMIT,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:REQUEUE_BATCH]
    )
    OutboundEmail.objects.filter(pk__in=waiting).update(requeued=F("requeued") + 1)
    for email_id in waiting:
        send_email.delay(str(email_id))
    if waiting:
        logger.warning("queued %d unsent emails again (their send task was lost)", len(waiting))
    return len(waiting)
