"""Billing off (no STRIPE_SECRET_KEY): every workspace is on the default plan with full access,
whatever its account says, and nothing asks Stripe anything."""

from __future__ import annotations

import time

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from billing import services
from billing.catalog import default_plan
from billing.models import WebhookEvent, WebhookEventStatus
from billing.standing import Access, State, standing_for
from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe, signature_for
from tests.billing.support import (
    account_of,
    billing_rows,
    customer_of,
    deliver,
    invoice_event,
    snapshot,
)
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import PROJECTS, send

PAGE = "/settings/billing/"
DAY = 86400


@pytest.fixture
def canceled_long_ago(tenant: Tenant, fake_stripe: FakeStripe) -> str:
    """Acme's subscription ended long ago (while billing was on): read-only, due for
    suspension. Its customer id."""
    customer_id = customer_of(tenant)
    ended = int(time.time()) - 60 * DAY
    fake_stripe.add_subscription(
        customer_id, plan="pro", status="canceled", created=ended - DAY, ended_at=ended
    )
    services.sync_account(account_of(tenant), source="test setup")
    assert standing_for(tenant).access is Access.READ_ONLY
    fake_stripe.requests.clear()
    return customer_id


@pytest.fixture
def billing_off(settings: Settings) -> None:
    settings.STRIPE_SECRET_KEY = ""


@pytest.mark.usefixtures("canceled_long_ago", "billing_off")
def test_every_workspace_is_on_the_default_plan_with_full_access(
    tenant: Tenant,
    other_tenant: Tenant,
    owner: User,
    client_on: ClientFactory,
    fake_stripe: FakeStripe,
) -> None:
    for workspace in (tenant, other_tenant):
        standing = standing_for(workspace)
        assert (standing.plan, standing.state, standing.access) == (
            default_plan(),
            State.BILLING_OFF,
            Access.FULL,
        )
    client = client_on(tenant, owner)
    assert send(client, "POST", PROJECTS, {"name": "Web", "key": "WEB"}).status_code == 201
    assert services.enforce().suspended == 0
    assert fake_stripe.requests == []


@pytest.mark.usefixtures("canceled_long_ago", "billing_off")
def test_the_billing_page_and_its_buttons_ask_stripe_nothing(
    tenant: Tenant, owner: User, client_on: ClientFactory, fake_stripe: FakeStripe
) -> None:
    client = client_on(tenant, owner)
    before = snapshot(tenant)

    page = client.get(PAGE)
    back = client.get(f"{PAGE}?checkout=done")
    checkout = client.post("/settings/billing/checkout/", {"plan": "pro"})
    portal = client.post("/settings/billing/portal/")

    assert page.status_code == 200
    assert "Not set up on this server" in page.content.decode()
    assert 'data-testid="checkout-pro"' not in page.content.decode()
    assert back.status_code == 200
    assert (checkout.status_code, checkout["Location"]) == (302, PAGE)
    assert (portal.status_code, portal["Location"]) == (302, PAGE)
    assert "Billing is not set up on this server." in client.get(PAGE).content.decode()
    assert fake_stripe.requests == []
    assert snapshot(tenant) == before


@pytest.mark.usefixtures("billing_off")
def test_a_workspace_with_no_account_visits_billing_and_nothing_is_asked_or_stored(
    tenant: Tenant, owner: User, client_on: ClientFactory, fake_stripe: FakeStripe
) -> None:
    assert client_on(tenant, owner).get(PAGE).status_code == 200

    assert fake_stripe.requests == []
    assert fake_stripe.customers == {}


def test_with_no_webhook_secret_every_delivery_is_refused(
    tenant: Tenant, canceled_long_ago: str, settings: Settings, billing_off: None
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    before = snapshot(tenant)
    rows_before = billing_rows()
    payload = invoice_event("invoice.paid", canceled_long_ago)

    # Signed with the secret the server used to have, and with the empty one.
    for secret in ("whsec_strata_test", ""):
        response = deliver(payload, signature=signature_for(payload, secret=secret))
        assert response.status_code == 400

    assert billing_rows() == rows_before
    assert WebhookEvent.objects.count() == 0
    assert snapshot(tenant) == before


def test_an_event_that_arrives_while_the_key_is_missing_is_kept_for_when_billing_is_back(
    tenant: Tenant,
    canceled_long_ago: str,
    settings: Settings,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Only the secret key missing (the webhook secret still set): Strata cannot read Stripe, so
    the event fails (Stripe delivers it again) and is processed once the key is back."""
    fake_stripe.add_subscription(canceled_long_ago, plan="business", quantity=5)
    payload = invoice_event("invoice.paid", canceled_long_ago)
    before = snapshot(tenant)
    settings.STRIPE_SECRET_KEY = ""

    failed = deliver(payload)

    assert failed.status_code == 500
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.FAILED
    assert "STRIPE_SECRET_KEY is not set" in event.error
    assert snapshot(tenant) == before
    assert fake_stripe.requests == []

    settings.STRIPE_SECRET_KEY = "sk_test_strata_fake"
    assert deliver(payload).status_code == 200
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEventStatus.PROCESSED, 2)
    assert account_of(tenant).plan_code == "business"
