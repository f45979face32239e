"""Operators see each tenant's plan and billing standing in the console's tenant list."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from billing import services
from tenants.models import Tenant
from tests.billing.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db


def _plan_cell(html: str, slug: str) -> str:
    row = re.search(rf'data-testid="tenant-{slug}">(.*?)</tr>', html, re.S)
    assert row is not None
    return row.group(1)


def test_the_tenant_list_shows_each_plan_from_billing(
    console: Client, tenant: Tenant, other_tenant: Tenant, fake_stripe: FakeStripe
) -> None:
    customer = services.ensure_customer(other_tenant)
    fake_stripe.add_subscription(customer, plan="pro", status="past_due")
    services.sync_account(services.account_for(other_tenant), source="test")

    html = console.get("/operator/").content.decode()
    acme = _plan_cell(html, tenant.slug)
    assert "Business" in acme
    assert "Trial" in acme
    globex = _plan_cell(html, other_tenant.slug)
    assert "Pro" in globex
    assert "Past due" in globex
