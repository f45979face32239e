from __future__ import annotations

import pytest

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.conftest import ClientFactory


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "viewer"])
def test_every_member_sees_which_workspace_and_who_they_are(
    client_on: ClientFactory, tenant: Tenant, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)

    response = client_on(tenant, user).get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="dashboard-heading">{tenant.name}<' in page
    assert user.email in page
    assert user.full_name in page


def test_the_dashboard_counts_this_workspaces_members_only(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    page = client_on(tenant, owner).get("/").content.decode()

    # Alice, Adam, Mia, Vic and Bea belong to Acme; Olga (Globex only) is not counted.
    assert '<div class="stat-label">Members</div><div class="stat-value">5</div>' in page


def test_an_outsider_sees_nothing_of_the_dashboard(
    client_on: ClientFactory, tenant: Tenant, outsider: User, owner: User
) -> None:
    response = client_on(tenant, outsider).get("/")

    assert response.status_code == 403
    page = response.content.decode()
    assert owner.email not in page
    assert "stat-value" not in page


def test_a_tenant_page_that_does_not_exist_is_a_404(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = client_on(tenant, member).get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
