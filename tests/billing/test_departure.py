"""A workspace that is archived has left: its subscription ends and it is charged no more."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from billing import services
from billing.models import BillingAccount, SubscriptionStatus
from tenants import lifecycle
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


def test_archiving_a_paying_workspace_cancels_its_subscription(
    tenant: Tenant, fake_stripe: FakeStripe, django_capture_on_commit_callbacks: Capture
) -> None:
    customer = services.ensure_customer(tenant)
    sub = fake_stripe.add_subscription(customer, plan="pro", status="active", quantity=4)
    services.sync_account(services.account_for(tenant), source="test")

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.tenant_archive(tenant, actor=lifecycle.Actor(label="test"), reason="Left us")

    assert fake_stripe.subscriptions[sub["id"]]["status"] == "canceled"
    (cancel,) = fake_stripe.requests_to("delete", f"/v1/subscriptions/{sub['id']}")
    assert cancel.idempotency_key.startswith(f"strata-cancel-{sub['id']}-")
    account = BillingAccount.objects.get(tenant=tenant)
    assert account.subscription_status == SubscriptionStatus.CANCELED


def test_archiving_a_workspace_without_a_subscription_asks_stripe_nothing(
    tenant: Tenant, fake_stripe: FakeStripe, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.tenant_archive(tenant, actor=lifecycle.Actor(label="test"), reason="Left us")
    assert fake_stripe.requests == []
