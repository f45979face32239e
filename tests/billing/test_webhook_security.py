"""POST /billing/stripe/webhook/: only Stripe's deliveries count. A delivery whose signature,
timestamp or body is not Stripe's is answered 400 and leaves nothing behind: no stored event, no
change to any account, no request to Stripe."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import SubscriptionStatus, WebhookEvent, WebhookEventStatus
from billing.stripe_client import WEBHOOK_TOLERANCE_SECONDS
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe, event_payload, signature_for
from tests.billing.support import (
    billing_rows,
    customer_of,
    deliver,
    snapshot,
    subscription_event,
)

NOW = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[None]:
    """A clock that stands still, so "299 seconds old" is exactly that when it is checked."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def paid_in_stripe(tenant: Tenant, fake_stripe: FakeStripe) -> bytes:
    """Stripe holds an active Pro subscription for Acme that Strata does not know of yet; the
    payload is a genuine event about it. Processing it would change Acme's account."""
    customer_id = customer_of(tenant)
    sub = fake_stripe.add_subscription(customer_id, plan="pro", quantity=5)
    return subscription_event("customer.subscription.created", sub)


def _tampered(payload: bytes) -> tuple[bytes, str]:
    """Signed as one body, delivered with another (the plan changed on the way)."""
    signature = signature_for(payload)
    event = json.loads(payload)
    event["data"]["object"]["items"]["data"][0]["price"]["id"] = "price_test_business"
    return json.dumps(event).encode(), signature


def _stale(payload: bytes) -> tuple[bytes, str]:
    return payload, signature_for(payload, timestamp=int(time.time()) - 301)


def _wrong_secret(payload: bytes) -> tuple[bytes, str]:
    return payload, signature_for(payload, secret="whsec_someone_else")


def _no_header(payload: bytes) -> tuple[bytes, str]:
    return payload, ""


def _garbage_header(payload: bytes) -> tuple[bytes, str]:
    return payload, "t=abc,v1=not-hex"


def _replayed_signature_of_another_event(payload: bytes) -> tuple[bytes, str]:
    other = event_payload("invoice.paid", {"id": "in_1", "object": "invoice", "customer": "x"})
    return payload, signature_for(other)


Forgery = Callable[[bytes], tuple[bytes, str]]


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "forge",
    [
        _wrong_secret,
        _tampered,
        _stale,
        _no_header,
        _garbage_header,
        _replayed_signature_of_another_event,
    ],
)
def test_a_delivery_that_is_not_stripes_is_refused_and_leaves_nothing(
    forge: Forgery, tenant: Tenant, paid_in_stripe: bytes, fake_stripe: FakeStripe
) -> None:
    before = snapshot(tenant)
    payload, signature = forge(paid_in_stripe)

    response = deliver(payload, signature=signature)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert billing_rows() == (0, 0)
    assert snapshot(tenant) == before
    assert fake_stripe.requests == []
    # The genuine delivery of the same event does change the account: the refusal was the
    # signature's doing, not the event's.
    assert deliver(paid_in_stripe).status_code == 200
    assert snapshot(tenant) != before


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "body",
    [
        b"this is not json",
        b"",
        b'{"id": "evt_1", "object": "event"',
        "\N{SNOWMAN}".encode("utf-16"),
    ],
    ids=["text", "empty", "truncated", "not-utf8"],
)
def test_a_signed_body_that_is_not_json_is_refused_and_stores_nothing(
    body: bytes, tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    signature = (
        signature_for(body) if body.isascii() else _signature_over_bytes(body, int(time.time()))
    )

    response = deliver(body, signature=signature)

    assert response.status_code == 400
    assert billing_rows() == (0, 0)
    assert fake_stripe.requests == []


def _signature_over_bytes(body: bytes, timestamp: int) -> str:
    """A valid signature over bytes that are not text (signature_for wants text)."""
    import hashlib
    import hmac

    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(b"whsec_strata_test", signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@pytest.mark.usefixtures("frozen")
def test_a_signed_json_body_that_is_not_an_event_is_refused(tenant: Tenant) -> None:
    body = json.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid"}).encode()

    response = deliver(body)

    assert response.status_code == 400
    assert billing_rows() == (0, 0)


@pytest.mark.usefixtures("frozen")
def test_the_tolerance_is_300_seconds(tenant: Tenant, paid_in_stripe: bytes) -> None:
    assert WEBHOOK_TOLERANCE_SECONDS == 300
    now = int(time.time())

    too_old = deliver(paid_in_stripe, signature=signature_for(paid_in_stripe, timestamp=now - 301))
    just_in_time = deliver(
        paid_in_stripe, signature=signature_for(paid_in_stripe, timestamp=now - 299)
    )

    assert too_old.status_code == 400
    assert just_in_time.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEventStatus.PROCESSED, 1)
    after = snapshot(tenant)
    assert after is not None
    assert (after["plan_code"], after["subscription_status"]) == ("pro", SubscriptionStatus.ACTIVE)


def test_a_body_larger_than_any_stripe_event_is_refused(tenant: Tenant) -> None:
    body = b"{" + b" " * (1024 * 1024) + b"}"

    response = deliver(body)

    assert response.status_code == 400
    assert billing_rows() == (0, 0)


def test_the_webhook_takes_only_posts(tenant: Tenant) -> None:
    from tests.billing.support import WEBHOOK, apex

    assert apex().get(WEBHOOK).status_code == 405
    assert billing_rows() == (0, 0)
