"""The pricing page shows the billing catalog: the same plans and limits that are enforced."""

from __future__ import annotations

from pytest_django import Settings

from billing.catalog import PLANS
from tests.conftest import ClientFactory


def test_pricing_lists_every_plan_of_the_catalog_with_its_limits(
    client_on: ClientFactory,
) -> None:
    page = client_on(None).get("/pricing/").content.decode()
    for plan in PLANS:
        assert f'data-testid="plan-{plan.code}"' in page
        for line in plan.limits:
            assert line in page
    assert "3 projects" in page
    assert "Custom domain" in page
    assert "14 days, no card needed" in page


def test_without_billing_pricing_promises_no_trial(
    client_on: ClientFactory, settings: Settings
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    page = client_on(None).get("/pricing/").content.decode()
    assert 'data-testid="trial-note"' not in page
