"""Sentry, when SENTRY_DSN is set: errors from requests and tasks, tagged with their tenant."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import Transport

from tenants.observability import log_fields

# The log context fields that become Sentry tags (searchable); the rest stay out of events.
TAGGED_FIELDS = ("tenant", "tenant_schema", "request_id", "task", "task_id")


def tag_with_log_context(event: Any, hint: Any) -> Any:
    """before_send: the tenant and request of the request or task that raised."""
    fields = log_fields()
    tags = event.setdefault("tags", {})
    for name in TAGGED_FIELDS:
        value = fields.get(name)
        if value:
            tags.setdefault(name, str(value))
    if fields.get("user_id"):
        event.setdefault("user", {}).setdefault("id", str(fields["user_id"]))
    return event


def sentry_init(
    *,
    dsn: str,
    environment: str,
    traces_sample_rate: float,
    transport: type[Transport] | None = None,
) -> None:
    """Start reporting; `transport` replaces the network for tests."""
    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        # The SDK's defaults send no email addresses, IPs or cookies; ids find the person.
        # Frames' local variables and request bodies may hold what a person typed (passwords,
        # an API key being checked): neither is sent.
        include_local_variables=False,
        max_request_body_size="never",
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(event_level=None),  # exceptions, not every error line
        ],
        before_send=tag_with_log_context,
        **options,
    )
