"""An owner on the Free plan meets the project limit, follows the upgrade path to the billing
page, sees usage against the plan, and sets off to Stripe Checkout (caught at the browser's
network edge: Stripe cannot be reached from here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, Route, expect

from billing.models import BillingAccount
from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_email_mark_verified
from tenant_apps.projects.models import Project
from tenant_apps.projects.services import Actor, project_create
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.pool import schema_drop
from tenants.services import tenant_provision
from tests.browser.conftest import Database, screenshot, sign_in
from tests.conftest import PASSWORD
from tests.servers import LiveServer

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class FreeWorkspace:
    slug: str
    owner_email: str

    @property
    def host(self) -> str:
        return f"{self.slug}.localhost"


@pytest.fixture
def free_workspace(database: Database) -> Iterator[FreeWorkspace]:
    """A workspace whose trial is over (so it is on Free) with the 3 projects Free allows."""
    slug = f"freeco-{uuid.uuid4().hex[:6]}"
    found = FreeWorkspace(slug=slug, owner_email=f"owner-{slug}@freeco.test")

    def create() -> None:
        owner = User.objects.create_user(
            email=found.owner_email, password=PASSWORD, full_name="Fran Owner"
        )
        user_email_mark_verified(user=owner)
        tenant = tenant_provision(slug=slug, name="Freeco", owner_email=found.owner_email).tenant
        BillingAccount.objects.update_or_create(tenant=tenant, defaults={"trial_ends_at": None})
        with tenant_context(tenant):
            for index, name in enumerate(["Website", "Hiring", "Offsite"], start=1):
                project_create(name=name, key=f"P{index}", actor=Actor(user=owner))

    def forget() -> None:
        for tenant in Tenant.objects.filter(slug=slug):
            schema_drop(tenant.schema_name)
            tenant.delete()
        User.objects.filter(email=found.owner_email).delete()

    database(create)
    yield found
    database(forget)


def test_an_owner_on_free_meets_the_project_limit_and_finds_the_upgrade(
    app_server: LiveServer, page: Page, database: Database, free_workspace: FreeWorkspace
) -> None:
    sign_in(page, app_server, free_workspace.host, free_workspace.owner_email)

    # A fourth project: refused with the limit named and the way up.
    page.goto(app_server.url(free_workspace.host, "/projects/new/"))
    page.get_by_label("Name").fill("Fourth")
    page.get_by_label("Key").fill("FOUR")
    page.get_by_role("button", name="Create project").click()
    refusal = page.get_by_text("Your Free plan includes 3 projects")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("Upgrade to Pro")
    screenshot(page, "billing-project-limit")

    def fourth_exists() -> bool:
        tenant = Tenant.objects.get(slug=free_workspace.slug)
        with tenant_context(tenant):
            return Project.objects.filter(key="FOUR").exists()

    assert not database(fourth_exists)

    # The billing page: the plan, usage against its limits, the ways to pay.
    page.get_by_role("link", name="Billing", exact=True).first.click()
    expect(page.get_by_role("heading", name="Free plan")).to_be_visible()
    projects = page.get_by_test_id("usage-projects")
    expect(projects).to_contain_text("3")
    expect(projects).to_contain_text("of 3")
    expect(page.get_by_test_id("usage-seats")).to_contain_text("1")
    expect(page.get_by_test_id("usage-storage")).to_contain_text("of 100 MB")
    screenshot(page, "billing-page-free")

    # Upgrading leads to Stripe Checkout, for this workspace's customer and the Pro price.
    checkout_urls: list[str] = []

    def stripe_checkout(route: Route) -> None:
        checkout_urls.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Stripe Checkout</h1>")

    page.route("https://checkout.stripe.test/**", stripe_checkout)
    page.get_by_test_id("checkout-pro").click()
    expect(page.get_by_role("heading", name="Stripe Checkout")).to_be_visible()
    assert len(checkout_urls) == 1

    def customer_id() -> str | None:
        tenant = Tenant.objects.get(slug=free_workspace.slug)
        return BillingAccount.objects.get(tenant=tenant).stripe_customer_id

    assert (database(customer_id) or "").startswith("cus_")
