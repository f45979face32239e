"""With Redis unreachable, in-process: what degrades to the database keeps working, and what
Redis guards (sign-in rate limits, password resets, MFA codes, workspace hops, signing out)
fails closed with the 503 that says so, never a 500. test_faults.py stops a real Redis under a
live server; this sweeps the account routes it does not reach, with every cache alias pointed
at a port where nothing listens."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings as django_settings
from django.http.response import HttpResponseBase
from django.test import Client
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant

NOTHING_LISTENS = "redis://127.0.0.1:1/0"


def _signed_in(tenant: Tenant, user: User) -> Client:
    client = Client(HTTP_HOST=primary_host_for_slug(tenant.slug), raise_request_exception=False)
    with tenant_context(tenant):
        client.force_login(user)
    return client


def _stop_redis(settings: Settings) -> None:
    """Every cache alias on a port where nothing listens: each Redis call is refused."""
    caches = copy.deepcopy(django_settings.CACHES)
    for alias in caches.values():
        alias["LOCATION"] = NOTHING_LISTENS
    settings.CACHES = caches


def _is_closed(response: HttpResponseBase) -> bool:
    return response.status_code == 503 and bool(response["Retry-After"])


def test_pages_and_sessions_work_without_redis_and_sign_in_fails_closed(
    tenant: Tenant, member: User, settings: Settings
) -> None:
    member.set_password("a-long-password-1")
    member.save()
    client = _signed_in(tenant, member)  # signed in while Redis was up
    _stop_redis(settings)

    assert client.get("/").status_code == 200  # the session, read from the database
    assert client.get("/projects/").status_code == 200
    anonymous = Client(HTTP_HOST=primary_host_for_slug(tenant.slug), raise_request_exception=False)
    assert anonymous.get("/accounts/login/").status_code == 200
    sign_in = anonymous.post(
        "/accounts/login/", {"login": member.email, "password": "a-long-password-1"}
    )

    assert _is_closed(sign_in), sign_in.status_code
    assert "briefly unavailable" in sign_in.content.decode()
    assert anonymous.get("/").status_code == 302  # not signed in


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"),
    [
        # Fail closed: each would spend or forget something only Redis holds.
        ("post", "/accounts/password/reset/", {"email": "mia@acme.test"}, 503),
        ("get", "/accounts/hop/?token=abc", {}, 503),
        ("post", "/accounts/logout/", {}, 503),
        # No sign-in is waiting for a second factor: back to the sign-in page, Redis or not.
        ("post", "/accounts/2fa/authenticate/", {"code": "123456"}, 302),
    ],
)
def test_what_redis_guards_fails_closed_never_a_500(
    tenant: Tenant,
    member: User,
    settings: Settings,
    method: str,
    path: str,
    data: dict[str, str],
    expected: int,
) -> None:
    client = _signed_in(tenant, member)  # signed in while Redis was up
    _stop_redis(settings)

    response = getattr(client, method)(path, data)

    assert response.status_code == expected
    if expected == 503:
        assert _is_closed(response)
        assert "briefly unavailable" in response.content.decode()
