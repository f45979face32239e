"""One identity across workspaces: hop tokens and the workspace switcher."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory

from shared_apps.accounts.hops import HOP_TTL_SECONDS, hop_token_issue, hop_token_redeem
from shared_apps.accounts.models import User
from shared_apps.accounts.services import browser_of
from tenants.models import Tenant
from tests.conftest import ClientFactory

# The test client's requests, as the token binding sees them (127.0.0.1, no user agent).
BROWSER = browser_of(RequestFactory().get("/"))


def _hop_path(location: str, host: str) -> str:
    url = urlsplit(location)
    assert url.netloc == host
    assert url.path == "/accounts/hop/"
    return f"{url.path}?{url.query}"


def test_a_person_on_the_apex_opens_a_workspace_without_the_password(
    client_on: ClientFactory, tenant: Tenant, both: User
) -> None:
    apex = client_on(None, both)

    response = apex.post(f"/accounts/workspaces/{tenant.slug}/open/")

    assert response.status_code == 302
    path = _hop_path(response["Location"], "acme.localhost")
    workspace = client_on(tenant)  # a browser with no session on acme yet
    arrived = workspace.get(path)
    assert arrived.status_code == 302
    assert arrived["Location"] == "/"
    assert both.email in workspace.get("/").content.decode()


def test_a_hop_token_works_once(client_on: ClientFactory, tenant: Tenant, both: User) -> None:
    token = hop_token_issue(user=both, tenant=tenant, browser=BROWSER)
    first, second = client_on(tenant), client_on(tenant)

    assert first.get(f"/accounts/hop/?token={token}").status_code == 302
    reused = second.get(f"/accounts/hop/?token={token}")

    assert reused.status_code == 403
    assert "This link has expired" in reused.content.decode()
    assert second.get("/").status_code == 302  # not signed in


def test_a_hop_token_sent_to_another_browser_signs_no_one_in(
    client_on: ClientFactory, tenant: Tenant, both: User
) -> None:
    # Someone who passes their own link to another person must not sign that person in as
    # themselves: the token works only where it was asked for.
    apex = client_on(None, both)
    apex.defaults["HTTP_USER_AGENT"] = "Bea's browser"
    path = _hop_path(
        apex.post(f"/accounts/workspaces/{tenant.slug}/open/")["Location"], "acme.localhost"
    )
    victim = client_on(tenant)
    victim.defaults["HTTP_USER_AGENT"] = "Someone else's browser"

    assert victim.get(path).status_code == 403
    assert victim.get("/").status_code == 302


def test_an_expired_hop_token_is_refused(
    client_on: ClientFactory, tenant: Tenant, both: User
) -> None:
    token = hop_token_issue(
        user=both, tenant=tenant, browser=BROWSER, now=time.time() - HOP_TTL_SECONDS - 1
    )

    response = client_on(tenant).get(f"/accounts/hop/?token={token}")

    assert response.status_code == 403


def test_a_hop_token_for_another_tenant_is_refused(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    token = hop_token_issue(user=both, tenant=other_tenant, browser=BROWSER)
    acme = client_on(tenant)

    response = acme.get(f"/accounts/hop/?token={token}")

    assert response.status_code == 403
    assert acme.get("/").status_code == 302
    assert (
        hop_token_redeem(token=token, tenant=other_tenant, browser=BROWSER) is None
    )  # and it is spent


@pytest.mark.parametrize("token", ["", "made-up", "x" * 500])
def test_a_made_up_hop_token_is_refused(
    client_on: ClientFactory, tenant: Tenant, token: str
) -> None:
    assert client_on(tenant).get(f"/accounts/hop/?token={token}").status_code == 403


def test_a_member_removed_after_the_token_was_issued_gets_nothing(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    token = hop_token_issue(user=member, tenant=tenant, browser=BROWSER)
    tenant.memberships.filter(user=member).delete()

    assert client_on(tenant).get(f"/accounts/hop/?token={token}").status_code == 403


def test_no_token_is_issued_for_a_workspace_one_does_not_belong_to(
    client_on: ClientFactory, tenant: Tenant, outsider: User
) -> None:
    response = client_on(None, outsider).post(f"/accounts/workspaces/{tenant.slug}/open/")

    assert response.status_code == 404  # the same as for a workspace that does not exist
    assert client_on(None, outsider).post("/accounts/workspaces/nosuch/open/").status_code == 404
    with pytest.raises(PermissionError):
        hop_token_issue(user=outsider, tenant=tenant, browser=BROWSER)


def test_opening_a_workspace_takes_a_post(
    client_on: ClientFactory, tenant: Tenant, both: User
) -> None:
    assert client_on(None, both).get(f"/accounts/workspaces/{tenant.slug}/open/").status_code == 405


def test_the_switcher_lists_the_other_workspaces_and_hops_there(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    acme = client_on(tenant, both)

    page = acme.get("/accounts/switch/").content.decode()
    assert other_tenant.name in page
    response = acme.post(f"/accounts/switch/{other_tenant.slug}/")

    path = _hop_path(response["Location"], "globex.localhost")
    globex = client_on(other_tenant)
    assert globex.get(path).status_code == 302
    assert globex.get("/").status_code == 200


def test_the_switchers_hop_buttons_take_a_post(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    response = client_on(tenant, both).get(f"/accounts/switch/{other_tenant.slug}/")

    assert response.status_code == 405


def test_the_switcher_gives_outsiders_nothing(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, member: User, outsider: User
) -> None:
    # A member of acme cannot hop into globex, which they do not belong to...
    assert (
        client_on(tenant, member).post(f"/accounts/switch/{other_tenant.slug}/").status_code == 404
    )
    # ...and an outsider cannot use acme's switcher at all.
    assert client_on(tenant, outsider).get("/accounts/switch/").status_code == 403
