"""What the billing tests share: delivering webhook events the way Stripe does (signed, to the
apex), Stripe objects as events carry them, and snapshots of an account to prove that something
changed nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core import mail
from django.test import Client

from billing import services
from billing.models import BillingAccount, BillingChange, WebhookEvent
from tenants.models import Tenant
from tests.billing.fake_stripe import FAKE, event_payload, signature_for

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

WEBHOOK = "/billing/stripe/webhook/"
# The account's fields that Stripe decides (and billing's own bookkeeping of them).
ACCOUNT_FIELDS = (
    "stripe_customer_id",
    "subscription_id",
    "subscription_status",
    "plan_code",
    "seats",
    "current_period_end",
    "cancel_at_period_end",
    "ended_at",
    "past_due_since",
    "read_only_notified_at",
    "suspended_at",
    "synced_at",
)


def apex() -> Client:
    """Stripe's side of the webhook: no session, the apex host."""
    return Client(HTTP_HOST="localhost")


def deliver(
    payload: bytes, *, signature: str | None = None, client: Client | None = None
) -> _MonkeyPatchedWSGIResponse:
    """POST one delivery to the webhook as Stripe does; `signature` "" sends no header."""
    headers: dict[str, str] = {}
    if signature != "":
        headers["Stripe-Signature"] = signature if signature is not None else signature_for(payload)
    return (client or apex()).post(
        WEBHOOK, data=payload, content_type="application/json", headers=headers
    )


def customer_of(tenant: Tenant) -> str:
    """Give the tenant its Stripe customer (through Strata, as checkout does) and forget the
    requests that took, so tests count only their own."""
    customer_id = services.ensure_customer(tenant)
    FAKE.requests.clear()
    return customer_id


def account_of(tenant: Tenant) -> BillingAccount:
    return BillingAccount.objects.get(tenant=tenant)


def snapshot(tenant: Tenant) -> dict[str, Any] | None:
    """The account's Stripe-decided fields, or None when the tenant has no account."""
    row: dict[str, Any] | None = (
        BillingAccount.objects.filter(tenant=tenant).values(*ACCOUNT_FIELDS).first()
    )
    return row


def billing_rows() -> tuple[int, int]:
    """How many events and account changes billing has recorded."""
    return WebhookEvent.objects.count(), BillingChange.objects.count()


def mail_subjects() -> list[str]:
    return [str(message.subject) for message in mail.outbox]


# --- Stripe objects as event payloads carry them (snapshots at the time of the event) ----------


def subscription_event(event_type: str, sub: dict[str, Any], **changes: Any) -> bytes:
    """An event about `sub` whose snapshot differs from it by `changes` (a stale copy)."""
    obj = {**sub, **changes}
    return event_payload(event_type, obj)


def invoice_event(
    event_type: str, customer_id: str, *, subscription_id: str = "", status: str = "paid"
) -> bytes:
    obj: dict[str, Any] = {
        "id": FAKE.new_id("in"),
        "object": "invoice",
        "customer": customer_id,
        "subscription": subscription_id or None,
        "status": status,
        "metadata": {},
    }
    return event_payload(event_type, obj)


def checkout_event(
    customer_id: str, *, tenant: Tenant, subscription_id: str = "", claimed: str | None = None
) -> bytes:
    """checkout.session.completed; `claimed` is the tenant its metadata names (by default the
    tenant itself)."""
    public_id = claimed if claimed is not None else str(tenant.public_id)
    obj = {
        "id": FAKE.new_id("cs"),
        "object": "checkout.session",
        "customer": customer_id,
        "subscription": subscription_id or None,
        "mode": "subscription",
        "client_reference_id": public_id,
        "metadata": {"strata_tenant": public_id, "strata_plan": "pro"},
    }
    return event_payload("checkout.session.completed", obj)
