"""Reconciliation: webhooks Strata missed are made up for by reading every customer from Stripe.
A customer Stripe cannot be read for is reported; the others are still fixed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import Settings

from billing import services
from billing.models import BillingAccount, BillingChange, SubscriptionStatus
from billing.tasks import reconcile as reconcile_task
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe
from tests.billing.support import account_of, customer_of, snapshot


def _two_customers_that_drifted(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> tuple[str, str]:
    """Acme paid for Pro and then a payment failed; Globex subscribed to Business. Strata got
    none of the webhooks. Acme's account is the older of the two."""
    acme = customer_of(tenant)
    globex = customer_of(other_tenant)
    assert account_of(tenant).pk < account_of(other_tenant).pk
    fake_stripe.add_subscription(acme, plan="pro", status="past_due", quantity=5)
    fake_stripe.add_subscription(globex, plan="business", quantity=2)  # Olga and Bea
    return acme, globex


def test_reconcile_makes_up_for_missed_webhooks(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    _two_customers_that_drifted(tenant, other_tenant, fake_stripe)

    report = services.reconcile(run="t")

    assert (report.checked, report.changed, report.seats_fixed, report.failed) == (2, 2, 0, [])
    acme, globex = account_of(tenant), account_of(other_tenant)
    assert (acme.plan_code, acme.subscription_status, acme.seats) == ("pro", "past_due", 5)
    assert acme.past_due_since is not None
    assert (globex.plan_code, globex.subscription_status, globex.seats) == ("business", "active", 2)
    assert set(BillingChange.objects.values_list("source", flat=True)) == {"reconcile t"}
    # Nothing drifted since: a second run changes nothing.
    again = services.reconcile(run="t2")
    assert (again.checked, again.changed, again.failed) == (2, 0, [])
    assert BillingChange.objects.count() == 2


def test_reconcile_brings_the_billed_seats_in_line_with_the_members(
    tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    sub = fake_stripe.add_subscription(customer_of(tenant), plan="pro", quantity=3)

    report = services.reconcile(run="t")

    assert report.seats_fixed == 1
    assert sub["items"]["data"][0]["quantity"] == 5
    (update,) = fake_stripe.requests_to("post", f"/v1/subscriptions/{sub['id']}")
    assert update.params["items[0][quantity]"] == "5"
    assert update.idempotency_key == f"strata-seats-{sub['id']}-reconcile-t"
    assert account_of(tenant).seats == 5


def test_a_customer_stripe_cannot_be_read_for_is_reported_and_the_others_are_fixed(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe, settings: Settings
) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    _two_customers_that_drifted(tenant, other_tenant, fake_stripe)
    acme_before = snapshot(tenant)
    fake_stripe.fail("get", "/v1/subscriptions", "500")  # the first read: Acme's

    report = services.reconcile(run="t")

    assert (report.checked, report.changed) == (2, 1)
    (failure,) = report.failed
    assert failure.startswith("acme: Stripe could not read the subscriptions")
    assert snapshot(tenant) == acme_before
    globex = account_of(other_tenant)
    assert (globex.plan_code, globex.subscription_status) == ("business", "active")


def test_a_subscription_on_a_price_that_is_not_strata_s_is_reported_not_applied(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    acme, globex = customer_of(tenant), customer_of(other_tenant)
    fake_stripe.add_subscription(acme, price_id="price_someone_elses")
    fake_stripe.add_subscription(globex, plan="pro", quantity=2)
    acme_before = snapshot(tenant)

    report = services.reconcile(run="t")

    (failure,) = report.failed
    assert failure.startswith("acme: subscription ")
    assert "price_someone_elses" in failure
    assert snapshot(tenant) == acme_before
    assert account_of(other_tenant).plan_code == "pro"


def test_the_hourly_task_reconciles(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    _two_customers_that_drifted(tenant, other_tenant, fake_stripe)

    result = reconcile_task.delay().get()

    assert result == {"checked": 2, "changed": 2, "failed": 0}
    assert account_of(tenant).subscription_status == SubscriptionStatus.PAST_DUE


def test_the_command_reconciles_with_progress(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    _two_customers_that_drifted(tenant, other_tenant, fake_stripe)
    out = StringIO()

    call_command("billing_reconcile", stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert lines[:2] == ["[1/2] acme", "[2/2] globex"]
    assert "2 workspaces" in lines[-1]
    assert "2 changed" in lines[-1]
    assert "0 failed" in lines[-1]
    assert account_of(other_tenant).plan_code == "business"


def test_the_command_reports_what_failed_and_exits_non_zero(
    tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe, settings: Settings
) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    _two_customers_that_drifted(tenant, other_tenant, fake_stripe)
    fake_stripe.fail("get", "/v1/subscriptions", "500")
    err = StringIO()

    with pytest.raises(CommandError, match="1 workspaces could not be reconciled"):
        call_command("billing_reconcile", stdout=StringIO(), stderr=err)

    assert err.getvalue().startswith("failed: acme: Stripe could not read")
    assert account_of(other_tenant).plan_code == "business"


def test_the_command_refuses_when_billing_is_off(tenant: Tenant, settings: Settings) -> None:
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(CommandError, match="billing is off"):
        call_command("billing_reconcile", stdout=StringIO())

    assert not BillingAccount.objects.exists()
