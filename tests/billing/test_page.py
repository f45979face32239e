"""The billing page: plan, usage against limits and invoices for admins and owners; owners
alone get the ways to pay; nobody else sees any of it."""

from __future__ import annotations

import pytest
from pytest_django import Settings

from billing import services
from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe
from tests.conftest import ClientFactory

pytestmark = pytest.mark.django_db

PAGE = "/settings/billing/"


def test_the_owner_sees_plan_usage_invoices_and_the_ways_to_pay(
    tenant: Tenant, owner: User, client_on: ClientFactory, fake_stripe: FakeStripe
) -> None:
    customer = services.ensure_customer(tenant)
    fake_stripe.add_invoice(customer, total=4800, status="paid")
    page = client_on(tenant, owner).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Business plan" in html  # the session's workspaces are in their trial
    assert 'data-testid="trial-ends"' in html
    for limit in ("seats", "projects", "storage"):
        assert f'data-testid="usage-{limit}"' in html
    assert "$48.00" in html
    assert 'data-testid="checkout-pro"' in html


def test_an_admin_sees_the_page_but_cannot_pay(
    tenant: Tenant, admin: User, client_on: ClientFactory
) -> None:
    html = client_on(tenant, admin).get(PAGE).content.decode()
    assert 'data-testid="billing-usage"' in html
    assert 'data-testid="checkout-pro"' not in html
    assert "Only the workspace’s owners can change its plan." in html


@pytest.mark.parametrize("who", ["member", "viewer", "outsider", "staff"])
def test_nobody_else_sees_the_page(
    tenant: Tenant,
    who: str,
    request: pytest.FixtureRequest,
    client_on: ClientFactory,
    fake_stripe: FakeStripe,
) -> None:
    user: User = request.getfixturevalue(who)
    answer = client_on(tenant, user).get(PAGE)
    assert answer.status_code == 403
    assert "usage-projects" not in answer.content.decode()
    assert fake_stripe.requests == []


def test_invoices_that_stripe_cannot_give_do_not_break_the_page(
    tenant: Tenant, owner: User, client_on: ClientFactory, fake_stripe: FakeStripe
) -> None:
    services.ensure_customer(tenant)
    fake_stripe.fail("get", "/v1/invoices", "500", times=10)
    page = client_on(tenant, owner).get(PAGE)
    assert page.status_code == 200
    assert "Invoices cannot be read from Stripe right now" in page.content.decode()


def test_without_billing_the_page_says_so_and_asks_stripe_nothing(
    tenant: Tenant,
    owner: User,
    client_on: ClientFactory,
    fake_stripe: FakeStripe,
    settings: Settings,
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRATA_DEFAULT_PLAN = "free"
    html = client_on(tenant, owner).get(PAGE).content.decode()
    assert "Free plan" in html
    assert "Not set up on this server" in html
    assert 'data-testid="checkout-pro"' not in html
    assert fake_stripe.requests == []
