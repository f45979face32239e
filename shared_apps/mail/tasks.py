from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import get_connection

from shared_apps.mail.messages import payload_to_message
from tenants.background import effect_once, platform_task

logger = logging.getLogger("strata.mail")


@platform_task(name="mail.send_email")
def send_email(payload: dict[str, Any]) -> bool:
    """Deliver one message, at most once however often this task runs; True if it was sent."""
    with effect_once(f"email:{payload['id']}") as first_time:
        if not first_time:
            logger.info("email %s already sent, not sending again", payload["id"])
            return False
        connection = get_connection(settings.STRATA_EMAIL_DELIVERY_BACKEND, fail_silently=False)
        connection.send_messages([payload_to_message(payload)])
    logger.info("email %s sent to %d recipients", payload["id"], len(payload["to"]))
    return True
