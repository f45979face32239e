"""Stripe delivers concurrently: deliveries of one event racing each other, and events about one
subscription racing each other, each on its own thread with its own database connection, have
one effect between them.

These tests commit (the threads cannot see a transaction that is never committed), so they set
up Acme's account themselves and remove everything they committed afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.db import connections
from pytest_django import DjangoDbBlocker

from billing import services
from billing.models import BillingAccount, BillingChange, WebhookEvent, WebhookEventStatus
from billing.standing import forget_cached_account
from shared_apps.mail.models import OutboundEmail
from tenants.models import Tenant
from tests.billing.fake_stripe import FAKE, FakeStripe
from tests.billing.support import deliver, invoice_event, subscription_event
from tests.conftest import World

THREADS = 10


@dataclass(frozen=True)
class Committed:
    tenant: Tenant
    account_id: int
    subscription: dict[str, Any]


@pytest.fixture
def committed(
    world: World, django_db_blocker: DjangoDbBlocker, fake_stripe: FakeStripe
) -> Iterator[Committed]:
    """Acme pays for Pro, committed; afterwards its account, events and mail are removed."""
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(pk=world.tenant_id)
        assert not BillingAccount.objects.filter(tenant=tenant).exists()
        mail_before = set(OutboundEmail.objects.values_list("pk", flat=True))
        customer_id = services.ensure_customer(tenant)
        sub = fake_stripe.add_subscription(customer_id, plan="pro", quantity=5)
        account = services.account_for(tenant)
        services.sync_account(account, source="test setup")
        fake_stripe.requests.clear()
    try:
        yield Committed(tenant, account.pk, sub)
    finally:
        with django_db_blocker.unblock():
            WebhookEvent.objects.filter(customer_id=customer_id).delete()
            BillingAccount.objects.filter(pk=account.pk).delete()  # and its changes
            OutboundEmail.objects.exclude(pk__in=mail_before).delete()
            forget_cached_account(tenant.pk)


def _race(payloads: list[bytes]) -> list[int]:
    """Deliver each payload from a thread of its own, all released at once; the statuses."""
    start = threading.Barrier(len(payloads))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(payload: bytes) -> None:
        try:
            start.wait(10)
            statuses.append(deliver(payload).status_code)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return statuses


def test_ten_concurrent_deliveries_of_one_event_have_one_effect(
    committed: Committed, django_db_blocker: DjangoDbBlocker
) -> None:
    sub = committed.subscription
    FAKE.update_subscription(sub["id"], status="past_due")
    payload = invoice_event(
        "invoice.payment_failed", sub["customer"], subscription_id=sub["id"], status="open"
    )

    with django_db_blocker.unblock():
        statuses = _race([payload] * THREADS)

        assert statuses == [200] * THREADS
        event = WebhookEvent.objects.get(customer_id=sub["customer"])
        assert (event.status, event.attempts) == (WebhookEventStatus.PROCESSED, 1)
        changes = BillingChange.objects.filter(account_id=committed.account_id)
        assert [(c.status_before, c.status_after) for c in changes] == [
            ("active", "past_due"),
            ("", "active"),  # the set-up's
        ]
        account = BillingAccount.objects.get(pk=committed.account_id)
        assert account.subscription_status == "past_due"
    assert [m.subject for m in mail.outbox] == ["Payment failed for Acme Inc on Strata"]
    assert len(FAKE.requests_to("get", "/v1/subscriptions")) == 1


def test_ten_different_events_about_one_subscription_racing_make_one_change(
    committed: Committed, django_db_blocker: DjangoDbBlocker
) -> None:
    """Each event reads Stripe; the account's row lock lets only the first see a change."""
    sub = committed.subscription
    FAKE.update_subscription(sub["id"], status="past_due")
    payloads = [
        invoice_event(
            "invoice.payment_failed", sub["customer"], subscription_id=sub["id"], status="open"
        )
        for _ in range(THREADS // 2)
    ] + [
        subscription_event("customer.subscription.updated", sub, status="past_due")
        for _ in range(THREADS - THREADS // 2)
    ]

    with django_db_blocker.unblock():
        statuses = _race(payloads)

        assert statuses == [200] * THREADS
        events = WebhookEvent.objects.filter(customer_id=sub["customer"])
        assert len(events) == THREADS
        assert {(e.status, e.attempts) for e in events} == {(WebhookEventStatus.PROCESSED, 1)}
        changes = BillingChange.objects.filter(account_id=committed.account_id)
        assert [(c.status_before, c.status_after) for c in changes] == [
            ("active", "past_due"),
            ("", "active"),
        ]
    assert [m.subject for m in mail.outbox] == ["Payment failed for Acme Inc on Strata"]
