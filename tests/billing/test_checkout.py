"""The billing page's ways to pay: owners go to Stripe Checkout (for the members the workspace
has) and the Customer Portal; nobody else starts either, and coming back from Checkout reads the
subscription from Stripe at once."""

from __future__ import annotations

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from billing.models import BillingAccount, BillingChange, SubscriptionStatus
from billing.standing import State, standing_for
from shared_apps.accounts.models import User
from tenants.models import Membership, Tenant
from tests.billing.fake_stripe import FakeStripe
from tests.billing.support import account_of, customer_of
from tests.conftest import ClientFactory

PAGE = "/settings/billing/"
CHECKOUT = "/settings/billing/checkout/"
PORTAL = "/settings/billing/portal/"


def test_an_owner_is_sent_to_checkout_for_the_plan_and_the_members_of_the_workspace(
    client_on: ClientFactory, tenant: Tenant, owner: User, fake_stripe: FakeStripe
) -> None:
    members = Membership.objects.filter(tenant=tenant).count()
    assert members == 5  # Alice, Adam, Mia, Vic and Bea

    response = client_on(tenant, owner).post(CHECKOUT, {"plan": "pro"})

    assert response.status_code == 302
    (session,) = fake_stripe.checkout_sessions.values()
    assert response["Location"] == session["url"]
    assert response["Location"].startswith("https://checkout.stripe.test/c/pay/cs_")
    account = account_of(tenant)
    assert account.stripe_customer_id
    params = session["params"]
    assert params["mode"] == "subscription"
    assert params["customer"] == account.stripe_customer_id
    assert params["line_items[0][price]"] == "price_test_pro"
    assert params["line_items[0][quantity]"] == str(members)
    assert params["client_reference_id"] == str(tenant.public_id)
    assert params["metadata[strata_tenant]"] == str(tenant.public_id)
    assert params["success_url"] == f"http://acme.localhost{PAGE}?checkout=done"
    assert params["cancel_url"] == f"http://acme.localhost{PAGE}"
    # Acme is in its trial (created at the session's start): Stripe is told when it ends.
    trial_ends = standing_for(tenant).trial_ends_at
    assert trial_ends is not None
    assert params["subscription_data[trial_end]"] == str(int(trial_ends.timestamp()))
    (post,) = fake_stripe.requests_to("post", "/v1/checkout/sessions")
    assert post.idempotency_key.startswith(f"strata-checkout-{tenant.public_id}-")


def test_the_same_checkout_form_posted_twice_gets_the_same_checkout(
    client_on: ClientFactory, tenant: Tenant, owner: User, fake_stripe: FakeStripe
) -> None:
    client = client_on(tenant, owner)

    first = client.post(CHECKOUT, {"plan": "business", "attempt": "a1b2"})
    second = client.post(CHECKOUT, {"plan": "business", "attempt": "a1b2"})

    assert first["Location"] == second["Location"]
    (session,) = fake_stripe.checkout_sessions.values()
    assert session["params"]["line_items[0][price]"] == "price_test_business"
    assert len(fake_stripe.customers) == 1


@pytest.mark.parametrize("persona", ["admin", "member", "viewer"])
def test_only_owners_start_checkout_or_open_the_portal(
    persona: str,
    request: pytest.FixtureRequest,
    client_on: ClientFactory,
    tenant: Tenant,
    fake_stripe: FakeStripe,
) -> None:
    client = client_on(tenant, request.getfixturevalue(persona))

    assert client.post(CHECKOUT, {"plan": "pro"}).status_code == 403
    assert client.post(PORTAL).status_code == 403

    assert fake_stripe.requests == []
    assert not BillingAccount.objects.filter(tenant=tenant).exists()


def test_an_outsider_on_the_workspaces_host_starts_nothing(
    client_on: ClientFactory, tenant: Tenant, outsider: User, fake_stripe: FakeStripe
) -> None:
    client = client_on(tenant, outsider)

    response = client.post(CHECKOUT, {"plan": "pro"})

    assert response.status_code == 403
    assert client_on(tenant, outsider).post(PORTAL).status_code == 403
    assert fake_stripe.requests == []
    assert fake_stripe.customers == {}
    assert not BillingAccount.objects.filter(tenant=tenant).exists()


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("gold", "There is no plan called &#x27;gold&#x27;."),
        ("", "There is no plan called &#x27;&#x27;."),
        ("free", "The Free plan needs no checkout."),
    ],
)
def test_a_plan_that_cannot_be_bought_is_explained_and_stripe_is_not_asked(
    plan: str,
    message: str,
    client_on: ClientFactory,
    tenant: Tenant,
    owner: User,
    fake_stripe: FakeStripe,
) -> None:
    client = client_on(tenant, owner)

    response = client.post(CHECKOUT, {"plan": plan})

    assert (response.status_code, response["Location"]) == (302, PAGE)
    assert message in client.get(PAGE).content.decode()
    assert fake_stripe.requests == []
    assert not BillingAccount.objects.filter(tenant=tenant).exists()


def test_a_workspace_that_pays_already_is_sent_to_the_portal_not_a_second_checkout(
    client_on: ClientFactory,
    tenant: Tenant,
    owner: User,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    customer_id = customer_of(tenant)
    fake_stripe.add_subscription(customer_id, plan="pro", quantity=5)
    client = client_on(tenant, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"{PAGE}?checkout=done")
    fake_stripe.requests.clear()

    response = client.post(CHECKOUT, {"plan": "business"})

    assert (response.status_code, response["Location"]) == (302, PAGE)
    assert "already has a subscription" in client.get(PAGE).content.decode()
    assert fake_stripe.checkout_sessions == {}


def test_stripe_down_at_checkout_is_explained(
    client_on: ClientFactory,
    tenant: Tenant,
    owner: User,
    fake_stripe: FakeStripe,
    settings: Settings,
) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    fake_stripe.fail("post", "/v1/checkout/sessions", "500")
    client = client_on(tenant, owner)

    response = client.post(CHECKOUT, {"plan": "pro"})

    assert (response.status_code, response["Location"]) == (302, PAGE)
    assert "Stripe could not be reached to start checkout" in client.get(PAGE).content.decode()
    assert fake_stripe.checkout_sessions == {}


def test_an_owner_opens_the_customer_portal_of_the_workspaces_customer(
    client_on: ClientFactory, tenant: Tenant, owner: User, fake_stripe: FakeStripe
) -> None:
    customer_id = customer_of(tenant)

    response = client_on(tenant, owner).post(PORTAL)

    assert response.status_code == 302
    (session,) = fake_stripe.portal_sessions.values()
    assert response["Location"] == session["url"]
    assert response["Location"].startswith("https://billing.stripe.test/p/session/")
    assert session["customer"] == customer_id
    assert session["return_url"] == f"http://acme.localhost{PAGE}"
    assert fake_stripe.requests_to("post", "/v1/customers") == []  # the customer it had


def test_back_from_checkout_the_subscription_is_read_from_stripe_at_once(
    client_on: ClientFactory,
    tenant: Tenant,
    owner: User,
    fake_stripe: FakeStripe,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_on(tenant, owner)
    client.post(CHECKOUT, {"plan": "pro"})
    customer_id = account_of(tenant).stripe_customer_id
    assert customer_id is not None
    # The customer paid on Stripe's page; the webhook has not arrived yet.
    fake_stripe.add_subscription(customer_id, plan="pro", quantity=5)

    with django_capture_on_commit_callbacks(execute=True):  # the request's commit
        back = client.get(f"{PAGE}?checkout=done")

    assert (back.status_code, back["Location"]) == (302, PAGE)
    account = account_of(tenant)
    assert (account.plan_code, account.subscription_status, account.seats) == (
        "pro",
        SubscriptionStatus.ACTIVE,
        5,
    )
    assert BillingChange.objects.get(account=account).source == "checkout return"
    page = client.get(PAGE).content.decode()
    assert "Pro plan" in page
    assert 'data-testid="open-portal"' in page
    assert standing_for(tenant).state is State.SUBSCRIBED


def test_the_billing_page_lists_the_invoices_from_stripe(
    client_on: ClientFactory, tenant: Tenant, owner: User, fake_stripe: FakeStripe
) -> None:
    customer_id = customer_of(tenant)
    invoice = fake_stripe.add_invoice(customer_id, total=6000)

    page = client_on(tenant, owner).get(PAGE).content.decode()

    assert invoice["number"] in page
    assert "$60.00" in page
