"""What a delivered event does: it is stored and processed once however often it comes, events
in any order end where Stripe is, an event is routed by its customer (never by what its metadata
claims), and a handler that fails leaves nothing half-done and is retried by the next delivery."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing import services
from billing.models import (
    BillingAccount,
    BillingChange,
    SubscriptionStatus,
    WebhookEvent,
    WebhookEventStatus,
)
from billing.standing import Access, State, standing_of
from shared_apps.mail.models import OutboundEmail
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe, event_payload, signature_for
from tests.billing.support import (
    account_of,
    billing_rows,
    checkout_event,
    customer_of,
    deliver,
    invoice_event,
    mail_subjects,
    snapshot,
    subscription_event,
)

NOW = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)
DAY = 86400


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _subscribed(tenant: Tenant, fake_stripe: FakeStripe, **sub: Any) -> dict[str, Any]:
    """Acme pays for Pro (5 seats) and Strata knows it; the subscription as Stripe holds it."""
    customer_id = customer_of(tenant)
    subscription = fake_stripe.add_subscription(customer_id, **{"quantity": 5, **sub})
    services.sync_account(account_of(tenant), source="test setup")
    fake_stripe.requests.clear()
    return subscription


# --- Idempotency -----------------------------------------------------------------------------


def test_the_same_event_delivered_ten_times_has_one_effect(
    tenant: Tenant,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    sub = _subscribed(tenant, fake_stripe)
    changes_before = BillingChange.objects.count()
    fake_stripe.update_subscription(sub["id"], status="past_due")
    payload = invoice_event(
        "invoice.payment_failed", sub["customer"], subscription_id=sub["id"], status="open"
    )

    with django_capture_on_commit_callbacks(execute=True):
        responses = [deliver(payload) for _ in range(10)]

    assert [r.status_code for r in responses] == [200] * 10
    event = WebhookEvent.objects.get()
    assert {r.json()["received"] for r in responses} == {event.stripe_id}
    assert (event.status, event.attempts, event.error) == (WebhookEventStatus.PROCESSED, 1, "")
    assert event.account == account_of(tenant)
    change = BillingChange.objects.exclude(source="test setup").get()
    assert BillingChange.objects.count() == changes_before + 1
    assert (change.status_before, change.status_after) == ("active", "past_due")
    assert change.source == f"event {event.stripe_id}"
    assert mail_subjects() == ["Payment failed for Acme Inc on Strata"]
    assert mail.outbox[0].to == ["alice@acme.test"]
    # Only the first delivery asked Stripe; the others found the event processed.
    assert len(fake_stripe.requests_to("get", "/v1/subscriptions")) == 1


# --- Order independence --------------------------------------------------------------------------

# Stripe now holds: the Pro subscription Acme had before (canceled) and the Business one it took
# out since, whose latest invoice failed. The events of that history, each with a snapshot of
# its moment, arrive in any order, after the fact.
_PERIOD_END = int(NOW.timestamp()) + 20 * DAY


def _history(tenant: Tenant, fake_stripe: FakeStripe) -> list[bytes]:
    customer_id = customer_of(tenant)
    now = int(time.time())
    fake_stripe.add_subscription(
        customer_id,
        plan="pro",
        status="canceled",
        quantity=3,
        created=now - 90 * DAY,
        ended_at=now - 10 * DAY,
    )
    sub = fake_stripe.add_subscription(
        customer_id,
        plan="business",
        status="past_due",
        quantity=6,
        created=now - 9 * DAY,
        period_end=_PERIOD_END,
    )
    return [
        checkout_event(customer_id, tenant=tenant, subscription_id=sub["id"]),
        subscription_event("customer.subscription.created", sub, status="incomplete"),
        invoice_event("invoice.paid", customer_id, subscription_id=sub["id"]),
        subscription_event("customer.subscription.updated", sub, status="active", quantity=5),
        invoice_event(
            "invoice.payment_failed", customer_id, subscription_id=sub["id"], status="open"
        ),
    ]


def _mirror(tenant: Tenant) -> tuple[Any, ...]:
    account = account_of(tenant)
    return (
        account.plan_code,
        account.subscription_status,
        account.seats,
        account.current_period_end,
        account.subscription_id,
        account.past_due_since,
        account.changes.count(),
    )


class _UndoError(Exception):
    """Raised to roll one order's deliveries back."""


@pytest.mark.usefixtures("frozen")
def test_every_order_of_a_subscriptions_events_ends_in_the_same_state(
    tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    events = _history(tenant, fake_stripe)
    finals: set[tuple[Any, ...]] = set()
    orders = list(itertools.permutations(events))
    assert len(orders) == 120

    for order in orders:
        try:
            with transaction.atomic():
                for payload in order:
                    # What the webhook view does with a delivery, minus HTTP (600 deliveries).
                    event = services.receive_webhook(payload, signature_for(payload))
                    assert event.status == WebhookEventStatus.PROCESSED, event.error
                finals.add(_mirror(tenant))
                raise _UndoError  # the next order starts from the same account
        except _UndoError:
            pass

    (final,) = finals
    business = [s for s in fake_stripe.subscriptions.values() if s["status"] == "past_due"]
    assert final == (
        "business",
        SubscriptionStatus.PAST_DUE,
        6,
        datetime.fromtimestamp(_PERIOD_END, tz=UTC),
        business[0]["id"],
        NOW,
        1,  # one change: trial -> past due, whichever event came first
    )


def test_stale_snapshots_in_events_do_not_win_over_what_stripe_holds(
    tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    customer_id = customer_of(tenant)
    now = int(time.time())
    old = fake_stripe.add_subscription(
        customer_id, plan="pro", status="canceled", created=now - 60 * DAY, ended_at=now - DAY
    )
    current = fake_stripe.add_subscription(
        customer_id, plan="business", status="active", quantity=7, created=now - DAY
    )
    late = [
        # The old subscription's end, delivered after the new one began.
        subscription_event("customer.subscription.deleted", old),
        # The current subscription as it was before it was paid, and a snapshot that says it
        # was canceled on a smaller plan.
        subscription_event("customer.subscription.updated", current, status="past_due"),
        subscription_event(
            "customer.subscription.deleted",
            current,
            status="canceled",
            ended_at=now,
            items={"object": "list", "data": [], "has_more": False, "url": "/x"},
        ),
        invoice_event(
            "invoice.payment_failed", customer_id, subscription_id=current["id"], status="open"
        ),
    ]

    for payload in late:
        assert deliver(payload).status_code == 200
        account = account_of(tenant)
        assert (account.plan_code, account.subscription_status, account.seats) == (
            "business",
            SubscriptionStatus.ACTIVE,
            7,
        )
        assert account.subscription_id == current["id"]
        assert account.past_due_since is None
    standing = standing_of(
        {"subscription_status": account.subscription_status, "plan_code": account.plan_code},
        now=datetime.now(tz=UTC),
    )
    assert (standing.state, standing.access) == (State.SUBSCRIBED, Access.FULL)


def test_a_newer_subscription_that_never_started_does_not_displace_the_live_one(
    tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    """An upgrade whose checkout was abandoned leaves a newer, incomplete subscription; the
    older paid one still decides the plan."""
    customer_id = customer_of(tenant)
    now = int(time.time())
    live = fake_stripe.add_subscription(customer_id, plan="pro", quantity=5, created=now - 30 * DAY)
    abandoned = fake_stripe.add_subscription(
        customer_id, plan="business", status="incomplete_expired", created=now - DAY
    )

    response = deliver(subscription_event("customer.subscription.updated", abandoned))

    assert response.status_code == 200
    account = account_of(tenant)
    assert (account.subscription_id, account.plan_code, account.subscription_status) == (
        live["id"],
        "pro",
        SubscriptionStatus.ACTIVE,
    )


# --- Routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["checkout", "subscription"])
def test_an_event_changes_the_tenant_of_its_customer_whatever_its_metadata_claims(
    kind: str, tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    acme_customer = customer_of(tenant)
    globex_customer = customer_of(other_tenant)
    fake_stripe.add_subscription(acme_customer, plan="pro", status="past_due", quantity=5)
    globex_sub = fake_stripe.add_subscription(globex_customer, plan="business", quantity=2)
    acme_before = snapshot(tenant)
    claims_acme = str(tenant.public_id)
    if kind == "checkout":
        payload = checkout_event(globex_customer, tenant=other_tenant, claimed=claims_acme)
    else:
        payload = subscription_event(
            "customer.subscription.updated", globex_sub, metadata={"strata_tenant": claims_acme}
        )

    response = deliver(payload)

    assert response.status_code == 200
    assert snapshot(tenant) == acme_before
    globex = account_of(other_tenant)
    assert (globex.plan_code, globex.subscription_status, globex.seats) == ("business", "active", 2)
    event = WebhookEvent.objects.get()
    assert event.account == globex
    assert [c.account for c in BillingChange.objects.all()] == [globex]
    # Only Globex's customer was read from Stripe.
    reads = fake_stripe.requests_to("get", "/v1/subscriptions")
    assert [r.params["customer"] for r in reads] == [globex_customer]


def test_an_event_about_a_customer_strata_did_not_create_is_acknowledged_and_ignored(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    customer_of(tenant)
    before = (snapshot(tenant), snapshot(other_tenant))
    # A customer someone made in the Stripe dashboard, with a live subscription, and metadata
    # that names Acme.
    stranger = fake_stripe.add_customer(name="Stranger")
    sub = fake_stripe.add_subscription(
        stranger["id"], plan="business", metadata={"strata_tenant": str(tenant.public_id)}
    )

    response = deliver(subscription_event("customer.subscription.created", sub))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.account, event.outcome) == (
        WebhookEventStatus.PROCESSED,
        None,
        "ignored: customer is not one of Strata's",
    )
    assert (snapshot(tenant), snapshot(other_tenant)) == before
    assert BillingChange.objects.count() == 0
    assert fake_stripe.requests == []


def test_an_event_of_a_type_strata_does_not_handle_is_acknowledged_and_ignored(
    tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    customer_id = customer_of(tenant)
    fake_stripe.add_subscription(customer_id, plan="pro")
    before = snapshot(tenant)

    response = deliver(event_payload("customer.updated", fake_stripe.customers[customer_id]))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.PROCESSED
    assert event.outcome == "ignored: not a type Strata handles"
    assert event.customer_id == customer_id
    assert snapshot(tenant) == before
    assert fake_stripe.requests == []


# --- Handler failure -----------------------------------------------------------------------------


def test_stripe_failing_the_read_answers_500_and_the_next_delivery_processes_the_event(
    tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    customer_id = customer_of(tenant)
    fake_stripe.add_subscription(customer_id, plan="pro", quantity=5)
    payload = invoice_event("invoice.paid", customer_id)
    before = snapshot(tenant)
    fake_stripe.fail("get", "/v1/subscriptions", "500")

    failed = deliver(payload)

    assert failed.status_code == 500
    assert failed.json()["code"] == "processing_failed"
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEventStatus.FAILED, 1)
    assert event.error.startswith("StripeUnavailableError: Stripe could not read the subscriptions")
    assert event.processed_at is None
    assert snapshot(tenant) == before
    assert BillingChange.objects.count() == 0
    # Inline, the read is not retried: Stripe's next delivery is the retry.
    assert len(fake_stripe.requests_to("get", "/v1/subscriptions")) == 1

    again = deliver(payload)

    assert again.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.error) == (WebhookEventStatus.PROCESSED, 2, "")
    assert event.processed_at is not None
    account = account_of(tenant)
    assert (account.plan_code, account.subscription_status, account.seats) == ("pro", "active", 5)
    assert BillingChange.objects.count() == 1
    assert WebhookEvent.objects.count() == 1


_REFUSE_CHANGES = """
CREATE FUNCTION public.test_refuse_billing_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'test trigger: no billing change may be written';
END $$;
CREATE TRIGGER test_refuse_billing_change BEFORE INSERT ON public.billing_billingchange
    FOR EACH ROW EXECUTE FUNCTION public.test_refuse_billing_change();
"""


def test_a_failure_mid_handler_rolls_back_what_the_handler_wrote_and_a_redelivery_succeeds(
    tenant: Tenant,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    sub = _subscribed(tenant, fake_stripe)
    fake_stripe.update_subscription(sub["id"], status="past_due", quantity=6)
    payload = invoice_event(
        "invoice.payment_failed", sub["customer"], subscription_id=sub["id"], status="open"
    )
    before = snapshot(tenant)
    changes_before = BillingChange.objects.count()
    emails_before = OutboundEmail.objects.count()
    # The database refuses the history row, which the handler writes after it has updated the
    # account (the trigger is part of the test's transaction, and goes with it).
    with connection.cursor() as cursor:
        cursor.execute(_REFUSE_CHANGES)

    with django_capture_on_commit_callbacks(execute=True):
        failed = deliver(payload)

    assert failed.status_code == 500
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEventStatus.FAILED, 1)
    assert "test trigger: no billing change may be written" in event.error
    assert snapshot(tenant) == before  # the account's UPDATE was rolled back too
    assert BillingChange.objects.count() == changes_before
    assert OutboundEmail.objects.count() == emails_before
    assert mail.outbox == []
    # The subscription was read: the failure came after, inside the handler.
    assert len(fake_stripe.requests_to("get", "/v1/subscriptions")) == 1

    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER test_refuse_billing_change ON public.billing_billingchange")
    with django_capture_on_commit_callbacks(execute=True):
        again = deliver(payload)

    assert again.status_code == 200
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == (WebhookEventStatus.PROCESSED, 2, "")
    account = account_of(tenant)
    assert (account.subscription_status, account.seats) == ("past_due", 6)
    assert account.past_due_since is not None
    assert BillingChange.objects.count() == changes_before + 1
    assert mail_subjects() == ["Payment failed for Acme Inc on Strata"]
    assert billing_rows()[0] == 1


def test_a_processed_event_is_not_processed_again_even_if_stripe_changed_since(
    tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    """A repeat of a processed event answers 200 without reading Stripe (the next event, or the
    reconciliation, brings the newer state)."""
    sub = _subscribed(tenant, fake_stripe)
    payload = subscription_event("customer.subscription.updated", sub)
    assert deliver(payload).status_code == 200
    fake_stripe.update_subscription(sub["id"], quantity=9)
    reads = len(fake_stripe.requests_to("get", "/v1/subscriptions"))

    assert deliver(payload).status_code == 200

    assert len(fake_stripe.requests_to("get", "/v1/subscriptions")) == reads
    assert WebhookEvent.objects.get().attempts == 1
    assert BillingAccount.objects.get(tenant=tenant).seats == 5
