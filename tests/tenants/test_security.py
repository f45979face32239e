"""The Content-Security-Policy on every response, and CSRF origins for custom domains."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from shared_apps.accounts.models import User
from tenants.hosts import primary_host_for_slug
from tenants.models import Domain, Tenant
from tests.conftest import PASSWORD, ClientFactory


def _policy(header: str) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (piece.strip() for piece in header.split(";"))
    }


@pytest.mark.parametrize(
    ("where", "url"),
    [("apex", "/"), ("tenant page", "/projects/"), ("tenant API", "/api/v1/projects/")],
)
def test_every_kind_of_response_carries_the_content_security_policy(
    client_on: ClientFactory, tenant: Tenant, member: User, where: str, url: str
) -> None:
    client = client_on(None) if where == "apex" else client_on(tenant, member)

    response = client.get(url)

    assert response.status_code == 200
    policy = _policy(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_needs_an_inline_script_or_style_element(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    # The pages the policy would break if they had one; the browser journeys see the rest.
    client = client_on(tenant, admin)
    for url in ("/", "/projects/", "/settings/members/", "/settings/billing/", "/api/docs/"):
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html, url


@pytest.fixture
def custom_domain(tenant: Tenant, other_tenant: Tenant) -> str:
    Domain.objects.create(
        domain="tasks.globex.test",
        tenant=other_tenant,
        is_primary=False,
        verified_at=timezone.now(),
    )
    Domain.objects.create(
        domain="tasks.acme-corp.test", tenant=tenant, is_primary=False, verified_at=timezone.now()
    )
    Domain.objects.create(
        domain="pending.acme-corp.test", tenant=tenant, is_primary=False, verified_at=None
    )
    return "tasks.acme-corp.test"


def _sign_in_with_origin(tenant: Tenant, user: User, origin: str) -> int:
    client = Client(HTTP_HOST=primary_host_for_slug(tenant.slug), enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=origin,
    )
    return response.status_code


@pytest.mark.usefixtures("custom_domain")
@pytest.mark.parametrize(
    ("origin", "trusted"),
    [
        ("http://acme.localhost", True),  # the request's own host
        ("http://tasks.acme-corp.test", True),  # a verified custom domain
        ("http://pending.acme-corp.test", False),  # not verified yet
        ("http://tasks.globex.test", False),  # another workspace's verified domain
        ("https://tasks.acme-corp.test", False),  # another scheme is another origin
        ("http://evil.example", False),
        ("null", False),
    ],
)
def test_a_form_post_is_trusted_from_strata_hosts_and_verified_custom_domains_only(
    tenant: Tenant, member: User, origin: str, trusted: bool
) -> None:
    status = _sign_in_with_origin(tenant, member, origin)

    assert (status == 302) is trusted
    assert status in {302, 403}
