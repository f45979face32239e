"""Everything Strata says to Stripe, and the only module that imports `stripe`.

Callers get plain dataclasses and two kinds of error (StripeUnavailableError,
WebhookRejectedError), never a stripe object: what Stripe's API looks like stays in this file.
Writes carry an idempotency key, and the library retries failed requests (network errors, 409,
5xx) with the same key, so a retried request can never do its work twice.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.utils.module_loading import import_string

# Stripe signs each delivery with a timestamp; older than this and it is refused (a replay).
WEBHOOK_TOLERANCE_SECONDS = 300


class StripeUnavailableError(Exception):
    """Stripe could not be reached or refused the request; the message says which."""


class WebhookRejectedError(Exception):
    """A webhook delivery whose signature, timestamp or body is not Stripe's."""


def billing_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


@functools.cache
def _client(api_key: str, http_client_path: str, retries: int, timeout: int) -> stripe.StripeClient:
    http_client = (
        import_string(http_client_path)()
        if http_client_path
        else stripe.RequestsClient(timeout=timeout)
    )
    return stripe.StripeClient(api_key, http_client=http_client, max_network_retries=retries)


def _stripe() -> stripe.StripeClient:
    if not billing_enabled():
        raise StripeUnavailableError("Billing is off: STRIPE_SECRET_KEY is not set.")
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_HTTP_CLIENT,
        settings.STRIPE_MAX_NETWORK_RETRIES,
        settings.STRIPE_TIMEOUT,
    )


def _call(what: str, request: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return request(*args, **kwargs)
    except stripe.StripeError as exc:
        message = exc.user_message or str(exc) or type(exc).__name__
        raise StripeUnavailableError(f"Stripe could not {what}: {message}") from exc


def _plain(obj: Any) -> dict[str, Any]:
    """A stripe object as a plain dict (they stopped being dicts in stripe 12)."""
    plain: dict[str, Any] = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return plain


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    status: str
    price_id: str
    quantity: int | None
    item_id: str
    created: datetime
    current_period_end: datetime | None
    cancel_at_period_end: bool
    ended_at: datetime | None


def _subscription(data: Any) -> Subscription:
    items = data["items"]["data"]
    item = items[0] if items else None
    return Subscription(
        id=data["id"],
        customer_id=str(data["customer"]),
        status=data["status"],
        price_id=item["price"]["id"] if item else "",
        quantity=item.get("quantity") if item else None,
        item_id=item["id"] if item else "",
        created=_timestamp(data["created"]) or datetime.now(tz=UTC),
        current_period_end=_timestamp(item.get("current_period_end") if item else None),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        ended_at=_timestamp(data.get("ended_at")),
    )


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str
    status: str
    total_cents: int
    currency: str
    created: datetime
    hosted_invoice_url: str
    pdf_url: str

    @property
    def total(self) -> str:
        symbol = "$" if self.currency == "usd" else f"{self.currency.upper()} "
        return f"{symbol}{self.total_cents / 100:,.2f}"


def create_customer(
    *, name: str, email: str, metadata: dict[str, str], idempotency_key: str
) -> str:
    """A new Stripe customer's id. The same key always yields the same customer."""
    customer = _call(
        "create the customer",
        _stripe().v1.customers.create,
        params={"name": name, "email": email, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    )
    return str(_plain(customer)["id"])


def create_checkout_session(
    *,
    customer_id: str,
    price_id: str,
    quantity: int,
    client_reference_id: str,
    metadata: dict[str, str],
    success_url: str,
    cancel_url: str,
    trial_end: datetime | None,
    idempotency_key: str,
) -> str:
    """Start a Stripe Checkout for a subscription; the URL to send the customer to."""
    subscription_data: dict[str, Any] = {"metadata": metadata}
    if trial_end is not None:
        subscription_data["trial_end"] = int(trial_end.timestamp())
    session = _call(
        "start checkout",
        _stripe().v1.checkout.sessions.create,
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": client_reference_id,
            "line_items": [{"price": price_id, "quantity": quantity}],
            "subscription_data": subscription_data,
            "metadata": metadata,
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options={"idempotency_key": idempotency_key},
    )
    return str(_plain(session)["url"])


def create_portal_session(*, customer_id: str, return_url: str) -> str:
    """A Stripe Customer Portal session (plan changes, cancellation, cards); its URL."""
    session = _call(
        "open the customer portal",
        _stripe().v1.billing_portal.sessions.create,
        params={"customer": customer_id, "return_url": return_url},
    )
    return str(_plain(session)["url"])


def subscriptions_of(customer_id: str, *, retries: int | None = None) -> list[Subscription]:
    """Every subscription of the customer, canceled ones included, as Stripe has them now."""
    options: dict[str, Any] = {}
    if retries is not None:
        options["max_network_retries"] = retries
    found: list[Subscription] = []
    page = _call(
        "read the subscriptions",
        _stripe().v1.subscriptions.list,
        params={"customer": customer_id, "status": "all", "limit": 100},
        options=options,
    )
    for data in _call("read the subscriptions", page.auto_paging_iter):
        found.append(_subscription(_plain(data)))
    return found


def set_subscription_quantity(
    subscription: Subscription, *, quantity: int, idempotency_key: str
) -> None:
    """Bill `quantity` seats from now on (prorated)."""
    _call(
        "change the number of seats",
        _stripe().v1.subscriptions.update,
        subscription.id,
        params={
            "items": [{"id": subscription.item_id, "quantity": quantity}],
            "proration_behavior": "create_prorations",
        },
        options={"idempotency_key": idempotency_key},
    )


def cancel_subscription(subscription: Subscription, *, idempotency_key: str) -> None:
    """End the subscription now: the customer is not charged again."""
    _call(
        "cancel the subscription",
        _stripe().v1.subscriptions.cancel,
        subscription.id,
        options={"idempotency_key": idempotency_key},
    )


def invoices_of(customer_id: str, *, limit: int = 12) -> list[Invoice]:
    page = _call(
        "read the invoices",
        _stripe().v1.invoices.list,
        params={"customer": customer_id, "limit": limit},
    )
    return [
        Invoice(
            id=data["id"],
            number=data.get("number") or "",
            status=data.get("status") or "",
            total_cents=int(data.get("total") or 0),
            currency=str(data.get("currency") or "usd"),
            created=_timestamp(data["created"]) or datetime.now(tz=UTC),
            hosted_invoice_url=data.get("hosted_invoice_url") or "",
            pdf_url=data.get("invoice_pdf") or "",
        )
        for data in _plain(page)["data"]
    ]


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created: datetime
    livemode: bool
    customer_id: str
    payload: dict[str, Any]


def verify_event(payload: bytes, signature: str) -> Event:
    """The event in a webhook delivery, once Stripe's library has checked its signature and
    timestamp against STRIPE_WEBHOOK_SECRET. WebhookRejectedError otherwise."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRejectedError("STRIPE_WEBHOOK_SECRET is not set")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejectedError(f"signature: {exc.user_message or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejectedError(f"body is not a Stripe event: {exc}") from exc
    data = event.to_dict()
    try:
        obj = data["data"]["object"]
        customer = obj.get("customer") if obj.get("object") != "customer" else obj.get("id")
        return Event(
            id=str(data["id"]),
            type=str(data["type"]),
            created=_timestamp(data["created"]) or datetime.now(tz=UTC),
            livemode=bool(data.get("livemode")),
            customer_id=str(customer or ""),
            payload=data,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise WebhookRejectedError(f"body is not a Stripe event: missing {exc}") from exc
