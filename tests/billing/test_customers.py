"""A tenant's Stripe customer is created once, whatever the network does: the library retries
with the same Idempotency-Key, so an answer lost after Stripe did the work yields the same
customer, never a second one."""

from __future__ import annotations

import pytest
from pytest_django import Settings

from billing import services
from billing.stripe_client import StripeUnavailableError
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe
from tests.billing.support import account_of, snapshot

CUSTOMERS = "/v1/customers"


@pytest.mark.parametrize("kind", ["500", "timeout", "lost"])
def test_a_failed_customer_creation_is_retried_with_the_same_key_and_makes_one_customer(
    kind: str, tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    fake_stripe.fail("post", CUSTOMERS, kind)

    customer_id = services.ensure_customer(tenant)

    posts = fake_stripe.requests_to("post", CUSTOMERS)
    assert len(posts) == 2  # the failed request and the library's retry
    assert {post.idempotency_key for post in posts} == {f"strata-customer-{tenant.public_id}"}
    assert list(fake_stripe.customers) == [customer_id]
    customer = fake_stripe.customers[customer_id]
    assert (customer["name"], customer["email"]) == ("Acme Inc", "alice@acme.test")
    assert customer["metadata"]["strata_tenant"] == str(tenant.public_id)
    assert account_of(tenant).stripe_customer_id == customer_id

    fake_stripe.requests.clear()
    assert services.ensure_customer(tenant) == customer_id
    assert fake_stripe.requests == []


def test_answers_lost_beyond_the_retries_store_nothing_and_the_next_try_gets_the_same_customer(
    tenant: Tenant, fake_stripe: FakeStripe, settings: Settings
) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    fake_stripe.fail("post", CUSTOMERS, "lost")  # Stripe makes the customer; the answer is lost
    fake_stripe.fail("post", CUSTOMERS, "timeout")  # and the retry times out

    with pytest.raises(StripeUnavailableError, match="could not create the customer"):
        services.ensure_customer(tenant)

    # Stripe made the customer, Strata never heard of it: nothing is stored...
    assert len(fake_stripe.customers) == 1
    assert snapshot(tenant) is None
    # ...and the next attempt (the user clicking again) is given that same customer.
    customer_id = services.ensure_customer(tenant)
    assert list(fake_stripe.customers) == [customer_id]
    assert account_of(tenant).stripe_customer_id == customer_id
    keys = {post.idempotency_key for post in fake_stripe.requests_to("post", CUSTOMERS)}
    assert keys == {f"strata-customer-{tenant.public_id}"}
    assert len(fake_stripe.requests_to("post", CUSTOMERS)) == 3


def test_each_tenant_has_a_customer_of_its_own(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    acme = services.ensure_customer(tenant)
    globex = services.ensure_customer(other_tenant)

    assert acme != globex
    assert set(fake_stripe.customers) == {acme, globex}
    assert fake_stripe.customers[globex]["metadata"]["strata_tenant"] == str(other_tenant.public_id)
    keys = [post.idempotency_key for post in fake_stripe.requests_to("post", CUSTOMERS)]
    assert keys == [
        f"strata-customer-{tenant.public_id}",
        f"strata-customer-{other_tenant.public_id}",
    ]
