"""The workspace settings a plan decides: a custom domain is a Business feature (the page says
so on other plans, and adding one is refused), and a read-only workspace may still take its
data away (the export), while its other writes get 402."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import cast

import pytest
from django.http import StreamingHttpResponse

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Project
from tenants.context import tenant_context
from tenants.models import Domain, Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.plans import on_plan, read_only

DOMAINS = "/settings/domains/"


@pytest.mark.parametrize(("plan", "upgrade"), [("free", "Business"), ("pro", "Business")])
def test_without_custom_domains_the_page_says_which_plan_has_them(
    client_on: ClientFactory, tenant: Tenant, admin: User, plan: str, upgrade: str
) -> None:
    on_plan(tenant, plan)

    page = client_on(tenant, admin).get(DOMAINS).content.decode()

    name = plan.capitalize()
    assert f"Custom domain is not part of your {name} plan. Upgrade to {upgrade}" in page
    assert 'data-testid="plan-limit"' in page
    assert 'href="/settings/billing/"' in page


def test_on_pro_adding_a_domain_is_refused_on_the_form(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    on_plan(tenant, "pro")

    response = client_on(tenant, admin).post(DOMAINS, {"domain": "tasks.acme-corp.test"})

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        'class="field-error">Custom domain is not part of your Pro plan. Upgrade to Business'
        in (page)
    )
    assert not Domain.objects.filter(domain="tasks.acme-corp.test").exists()
    assert not Domain.objects.filter(tenant=tenant, is_primary=False).exists()


def test_on_business_a_domain_is_added(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    on_plan(tenant, "business")
    client = client_on(tenant, admin)
    assert 'data-testid="plan-limit"' not in client.get(DOMAINS).content.decode()

    response = client.post(DOMAINS, {"domain": "tasks.acme-corp.test"})

    assert response.status_code == 302
    assert Domain.objects.get(domain="tasks.acme-corp.test").tenant_id == tenant.pk


def test_a_read_only_workspace_still_exports_its_data(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    read_only(tenant)
    client = client_on(tenant, admin)

    exported = client.post("/settings/export/")
    refused = client.post("/projects/new/", {"name": "Web", "key": "WEB"})

    assert exported.status_code == 200
    streamed = cast(StreamingHttpResponse, exported)
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(cast(Iterator[bytes], streamed.streaming_content)))
    )
    assert "manifest.json" in archive.namelist()
    assert refused.status_code == 402
    assert "This workspace is read-only" in refused.content.decode()
    with tenant_context(tenant):
        assert not Project.objects.exists()
