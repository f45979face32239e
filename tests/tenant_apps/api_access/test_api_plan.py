"""API keys are part of the Pro and Business plans: on Free the settings page offers the upgrade
instead of the form, no key is made, and a key made earlier (on the trial) gets 402 plan_feature
rather than data. Signed-in pages' own use of the API is not API access and keeps working."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shared_apps.accounts.models import User
from tenant_apps.api_access.models import ApiKey, Scope
from tenant_apps.api_access.services import IssuedKey, api_key_create
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.plans import on_plan

PAGE = "/settings/api-keys/"
PROJECTS = "/api/v1/projects/"
MESSAGE = "API keys is not part of your Free plan. Upgrade to Pro on the billing page"


def _issue(tenant: Tenant, owner: User) -> IssuedKey:
    with tenant_context(tenant):
        return api_key_create(
            tenant=tenant, name="script", scope=Scope.READ_WRITE, expires_at=None, actor=owner
        )


def _bearer(tenant: Tenant, key: str) -> Client:
    return Client(HTTP_HOST=primary_host_for_slug(tenant.slug), HTTP_AUTHORIZATION=f"Bearer {key}")


def _keys(tenant: Tenant) -> int:
    with tenant_context(tenant):
        return ApiKey.objects.count()


def test_on_free_the_page_offers_the_upgrade_instead_of_the_form(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    on_plan(tenant, "free")

    page = client_on(tenant, admin).get(PAGE).content.decode()

    assert MESSAGE in page
    assert 'data-testid="plan-limit"' in page
    assert 'href="/settings/billing/"' in page
    assert "Create key</button>" not in page


def test_on_free_creating_a_key_is_refused_and_nothing_is_made(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    on_plan(tenant, "free")

    response = client_on(tenant, admin).post(PAGE, {"name": "CI", "scope": "read"})

    assert response.status_code == 402
    assert MESSAGE in response.content.decode()
    assert _keys(tenant) == 0
    with tenant_context(tenant):
        assert not AuditEntry.objects.filter(action=AuditAction.API_KEY_CREATED).exists()


@pytest.mark.parametrize("plan", ["pro", "business"])
def test_on_paid_plans_a_key_is_made_and_works(
    client_on: ClientFactory, tenant: Tenant, admin: User, plan: str
) -> None:
    on_plan(tenant, plan)
    client = client_on(tenant, admin)
    assert "Create key</button>" in client.get(PAGE).content.decode()

    created = client.post(PAGE, {"name": "CI", "scope": "read"})

    assert created.status_code == 201
    assert _keys(tenant) == 1
    assert 'data-testid="plan-limit"' not in created.content.decode()


def test_on_free_a_key_made_on_the_trial_gets_402_plan_feature(tenant: Tenant, owner: User) -> None:
    issued = _issue(tenant, owner)  # on the Business trial
    on_plan(tenant, "free")
    client = _bearer(tenant, issued.plaintext)

    read = client.get(PROJECTS)
    write = client.post(PROJECTS, json.dumps({"name": "X", "key": "XX"}), "application/json")

    for response in (read, write):
        assert response.status_code == 402, response.content
        data = json.loads(response.content)
        assert (data["code"], data["limit"]) == ("plan_feature", "api_access")
        assert data["detail"].startswith(MESSAGE)
        assert data["upgrade_url"] == "http://acme.localhost/settings/billing/"
    with tenant_context(tenant):
        assert not AuditEntry.objects.filter(action=AuditAction.PROJECT_CREATED).exists()


def test_a_bad_key_is_still_401_on_free(tenant: Tenant) -> None:
    """The plan is looked at only for a real key: a wrong one learns nothing new."""
    on_plan(tenant, "free")

    response = _bearer(tenant, "strata_abcdefghij_" + "x" * 43).get(PROJECTS)

    assert response.status_code == 401


@pytest.mark.parametrize("plan", ["pro", "business"])
def test_on_paid_plans_the_same_key_reads_and_writes(
    tenant: Tenant, owner: User, plan: str
) -> None:
    issued = _issue(tenant, owner)
    on_plan(tenant, plan)
    client = _bearer(tenant, issued.plaintext)

    assert client.get(PROJECTS).status_code == 200
    created = client.post(PROJECTS, json.dumps({"name": "X", "key": "XX"}), "application/json")
    assert created.status_code == 201, created.content


def test_on_free_the_signed_in_api_still_works(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    on_plan(tenant, "free")

    assert client_on(tenant, member).get(PROJECTS).status_code == 200
