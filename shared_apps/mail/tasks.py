from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone

from shared_apps.mail.messages import payload_to_message
from shared_apps.mail.models import OutboundEmail
from tenants.background import TransientTaskError, effect_once, platform_task

logger = logging.getLogger("strata.mail")

OUTBOX_RETENTION = timedelta(days=30)


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
