"""A workspace billing suspended comes back when an owner pays, from the apex (its own host
shows only the suspended page)."""

from __future__ import annotations

import time

import pytest

from billing import services
from billing.models import BillingAccount
from shared_apps.accounts.models import User
from tenants.models import Tenant, TenantStatus
from tests.billing.fake_stripe import FakeStripe
from tests.conftest import ClientFactory

pytestmark = pytest.mark.django_db

DAY = 86400


def _suspended_by_billing(tenant: Tenant, fake_stripe: FakeStripe) -> str:
    customer = services.ensure_customer(tenant)
    ended = int(time.time()) - 40 * DAY
    fake_stripe.add_subscription(customer, status="canceled", created=ended - DAY, ended_at=ended)
    services.sync_account(services.account_for(tenant), source="test")
    report = services.enforce()
    assert report.suspended == 1
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.SUSPENDED
    assert "Billing" in tenant.status_reason
    return customer


def test_an_owner_pays_on_the_apex_and_the_suspended_workspace_opens_at_once(
    tenant: Tenant, owner: User, client_on: ClientFactory, fake_stripe: FakeStripe
) -> None:
    customer = _suspended_by_billing(tenant, fake_stripe)
    suspended_page = client_on(tenant).get("/").content.decode()
    assert f"/billing/restore/{tenant.slug}/" in suspended_page

    apex = client_on(None, owner)
    page = apex.get(f"/billing/restore/{tenant.slug}/")
    assert page.status_code == 200
    assert 'data-testid="restore-pro"' in page.content.decode()

    started = apex.post(f"/billing/restore/{tenant.slug}/", {"plan": "pro"})
    assert started.status_code == 302
    assert started["Location"].startswith("https://checkout.stripe.test/")
    (session,) = fake_stripe.checkout_sessions.values()
    assert session["customer"] == customer
    assert session["success_url"].endswith(f"/billing/restore/{tenant.slug}/?checkout=done")

    # The customer paid in Checkout: Stripe has an active subscription now.
    fake_stripe.add_subscription(customer, plan="pro", status="active", quantity=4)
    back = apex.get(f"/billing/restore/{tenant.slug}/?checkout=done")
    assert back.status_code == 302
    assert back["Location"].startswith(f"http://{tenant.slug}.localhost")
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    account = BillingAccount.objects.get(tenant=tenant)
    assert account.suspended_at is None
    assert account.plan_code == "pro"


@pytest.mark.parametrize("who", ["admin", "outsider", "both"])
def test_only_owners_see_the_restore_page(
    tenant: Tenant,
    who: str,
    request: pytest.FixtureRequest,
    client_on: ClientFactory,
    fake_stripe: FakeStripe,
) -> None:
    _suspended_by_billing(tenant, fake_stripe)
    user: User = request.getfixturevalue(who)
    apex = client_on(None, user)
    assert apex.get(f"/billing/restore/{tenant.slug}/").status_code == 404
    assert apex.post(f"/billing/restore/{tenant.slug}/", {"plan": "pro"}).status_code == 404
    assert fake_stripe.checkout_sessions == {}


def test_signed_out_visitors_are_sent_to_sign_in(tenant: Tenant, client_on: ClientFactory) -> None:
    answer = client_on(None).get(f"/billing/restore/{tenant.slug}/")
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]


def test_a_workspace_an_operator_suspended_is_not_restored_by_paying(
    tenant: Tenant, owner: User, client_on: ClientFactory, fake_stripe: FakeStripe
) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.SUSPENDED)
    apex = client_on(None, owner)
    page = apex.get(f"/billing/restore/{tenant.slug}/").content.decode()
    assert "contact support" in page
    refused = apex.post(f"/billing/restore/{tenant.slug}/", {"plan": "pro"})
    assert refused.status_code == 400
    assert fake_stripe.checkout_sessions == {}
