"""What the clock decides, with the clock moved (time_machine): a failed payment gives a grace
period with full access and a banner, then the workspace is read-only (reads work, writes get
402) and the owners are told once; paying restores writes at once. A canceled subscription
leaves the workspace read-only, and after the retention period it is suspended, until a new
subscription reactivates it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing import services
from billing.models import SubscriptionStatus
from billing.standing import Access, State, standing_for
from shared_apps.accounts.models import User
from tenant_apps.projects.models import Project
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus
from tests.billing.fake_stripe import FakeStripe
from tests.billing.support import (
    account_of,
    customer_of,
    deliver,
    invoice_event,
    mail_subjects,
    subscription_event,
)
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import PROJECTS, body, send

START = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)
BANNER = 'data-testid="billing-banner"'
UPGRADE_URL = "http://acme.localhost/settings/billing/"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _paying(tenant: Tenant, fake_stripe: FakeStripe) -> dict[str, Any]:
    """Acme pays for Pro; Strata knows. The subscription as Stripe holds it."""
    sub = fake_stripe.add_subscription(customer_of(tenant), plan="pro", quantity=5)
    services.sync_account(account_of(tenant), source="test setup")
    return sub


def _create_project(client: Client, key: str) -> Any:
    return send(client, "POST", PROJECTS, {"name": f"Project {key}", "key": key})


def _projects(tenant: Tenant) -> list[str]:
    with tenant_context(tenant):
        return sorted(Project.objects.values_list("key", flat=True))


def test_a_failed_payment_gives_grace_then_read_only_then_paying_restores_writes_at_once(
    clock: time_machine.Traveller,
    tenant: Tenant,
    owner: User,
    client_on: ClientFactory,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    grace = timedelta(days=settings.STRATA_BILLING_GRACE_DAYS)
    assert grace > timedelta(0)
    sub = _paying(tenant, fake_stripe)
    fake_stripe.update_subscription(sub["id"], status="past_due")
    customer = sub["customer"]
    with django_capture_on_commit_callbacks(execute=True):
        failed = invoice_event("invoice.payment_failed", customer, subscription_id=sub["id"])
        assert deliver(failed).status_code == 200

    # Grace: everything works, with a banner.
    standing = standing_for(tenant)
    assert (standing.state, standing.access) == (State.PAST_DUE, Access.GRACE)
    assert standing.grace_ends_at == START + grace
    client = client_on(tenant, owner)
    assert _create_project(client, "ONE").status_code == 201
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert BANNER in dashboard.content.decode()
    assert "A payment failed." in dashboard.content.decode()
    assert mail_subjects() == ["Payment failed for Acme Inc on Strata"]
    mail.outbox.clear()

    # The last second of grace still writes; nobody is told anything yet.
    clock.shift(grace - timedelta(seconds=1))
    assert _create_project(client, "TWO").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enforce().read_only_notices == 0
    assert mail.outbox == []

    # Grace over: read-only. No event, no task: the clock alone decides.
    clock.shift(timedelta(seconds=2))
    refused = _create_project(client, "THREE")
    assert refused.status_code == 402
    assert body(refused)["code"] == "billing_read_only"
    assert body(refused)["upgrade_url"] == UPGRADE_URL
    page_post = client.post("/projects/new/", {"name": "Three", "key": "THREE"})
    assert page_post.status_code == 402
    assert 'data-testid="read-only"' in page_post.content.decode()
    assert UPGRADE_URL in page_post.content.decode()
    assert client.get(PROJECTS).status_code == 200
    assert client.get("/projects/").status_code == 200
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "read-only" in dashboard.content.decode()
    assert _projects(tenant) == ["ONE", "TWO"]
    # The billing page, the way back, still works.
    assert client.get("/settings/billing/").status_code == 200

    # The owners are told once, however often enforce() runs.
    with django_capture_on_commit_callbacks(execute=True):
        first = services.enforce()
        second = services.enforce()
    assert (first.read_only_notices, second.read_only_notices) == (1, 0)
    assert mail_subjects() == ["Acme Inc on Strata is now read-only"]
    assert mail.outbox[0].to == ["alice@acme.test"]
    assert account_of(tenant).read_only_notified_at == START + grace + timedelta(seconds=1)
    mail.outbox.clear()

    # The card works: Stripe says paid, and writes work on the very next request.
    fake_stripe.update_subscription(sub["id"], status="active")
    with django_capture_on_commit_callbacks(execute=True):
        paid = invoice_event("invoice.paid", customer, subscription_id=sub["id"])
        assert deliver(paid).status_code == 200
    assert _create_project(client, "THREE").status_code == 201
    assert BANNER not in client.get("/").content.decode()
    account = account_of(tenant)
    assert (account.past_due_since, account.read_only_notified_at) == (None, None)
    assert mail_subjects() == ["Acme Inc on Strata is fully back"]


def test_a_member_is_refused_writes_in_a_read_only_workspace_too(
    clock: time_machine.Traveller,
    tenant: Tenant,
    member: User,
    client_on: ClientFactory,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Unpaid (Stripe gave up retrying): read-only at once, with no grace."""
    sub = _paying(tenant, fake_stripe)
    fake_stripe.update_subscription(sub["id"], status="unpaid")
    with django_capture_on_commit_callbacks(execute=True):
        event = subscription_event("customer.subscription.updated", sub, status="unpaid")
        assert deliver(event).status_code == 200

    client = client_on(tenant, member)

    assert standing_for(tenant).access is Access.READ_ONLY
    assert _create_project(client, "NOPE").status_code == 402
    assert client.post("/projects/new/", {"name": "Nope", "key": "NOPE"}).status_code == 402
    assert _projects(tenant) == []
    assert mail_subjects() == ["Acme Inc on Strata is now read-only"]


def test_a_canceled_workspace_is_read_only_then_suspended_after_retention_until_it_pays_again(
    clock: time_machine.Traveller,
    tenant: Tenant,
    owner: User,
    client_on: ClientFactory,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    retention = timedelta(days=settings.STRATA_BILLING_RETENTION_DAYS)
    sub = _paying(tenant, fake_stripe)
    customer = sub["customer"]
    fake_stripe.update_subscription(sub["id"], status="canceled", ended_at=int(time.time()))
    with django_capture_on_commit_callbacks(execute=True):
        ended = subscription_event("customer.subscription.deleted", sub)
        assert deliver(ended).status_code == 200

    standing = standing_for(tenant)
    assert (standing.state, standing.access) == (State.CANCELED, Access.READ_ONLY)
    assert standing.suspends_at == START + retention
    client = client_on(tenant, owner)
    assert _create_project(client, "ONE").status_code == 402
    assert client.get(PROJECTS).status_code == 200
    assert mail_subjects() == ["The subscription of Acme Inc on Strata has ended"]

    # Within retention, the workspace stays (read-only).
    clock.shift(retention - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enforce().suspended == 0
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE

    # Past it, enforce() suspends it, once.
    clock.shift(timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        report = services.enforce()
        again = services.enforce()
    assert (report.suspended, again.suspended) == (1, 0)
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.SUSPENDED
    assert "billing" in tenant.status_reason.lower()
    assert "was not renewed within" in tenant.status_reason
    assert account_of(tenant).suspended_at == START + retention + timedelta(minutes=1)
    assert client_on(tenant, owner).get("/").status_code != 200

    # A new subscription (taken out in the portal or on the apex) reactivates it at once.
    clock.shift(timedelta(days=3))
    new = fake_stripe.add_subscription(customer, plan="business", quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(subscription_event("customer.subscription.created", new)).status_code == 200
    tenant.refresh_from_db()
    assert (tenant.status, tenant.status_reason) == (TenantStatus.ACTIVE, "")
    account = account_of(tenant)
    assert account.suspended_at is None
    assert (account.plan_code, account.subscription_status) == (
        "business",
        SubscriptionStatus.ACTIVE,
    )
    client = client_on(tenant, owner)
    assert client.get("/").status_code == 200
    assert _create_project(client, "BACK").status_code == 201


def test_a_workspace_an_operator_suspended_is_not_reactivated_by_billing(
    clock: time_machine.Traveller,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from tenants import lifecycle

    sub = _paying(tenant, fake_stripe)
    lifecycle.tenant_suspend(
        tenant, reason="Abuse report", actor=lifecycle.Actor(label="test operator")
    )
    fake_stripe.update_subscription(sub["id"], quantity=6)

    with django_capture_on_commit_callbacks(execute=True):
        event = subscription_event("customer.subscription.updated", sub)
        assert deliver(event).status_code == 200

    tenant.refresh_from_db()
    assert (tenant.status, tenant.status_reason) == (TenantStatus.SUSPENDED, "Abuse report")
    assert account_of(tenant).seats == 6
