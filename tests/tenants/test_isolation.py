"""What one tenant holds (sessions, cache entries) means nothing on another tenant's host."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache

from shared_apps.accounts.models import User
from tenants.context import schema_context, tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory


def _session_cookie(client_on: ClientFactory, tenant: Tenant | None, user: User) -> str:
    client = client_on(tenant, user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_session_from_one_tenant_is_rejected_on_another_even_for_a_member_of_both(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    cookie = _session_cookie(client_on, tenant, both)
    acme = client_on(tenant)
    acme.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert acme.get("/").status_code == 200  # the cookie works where it was issued

    globex = client_on(other_tenant)
    globex.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = globex.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_apex_session_is_not_a_tenant_session(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    cookie = _session_cookie(client_on, None, owner)
    client = client_on(tenant)
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie

    response = client.get("/")

    assert response.status_code == 302


def test_a_tenant_session_is_not_an_apex_session(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    cookie = _session_cookie(client_on, tenant, owner)
    client = client_on(None)
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie

    response = client.get("/accounts/")

    assert response.status_code == 302


def test_a_session_is_refused_outside_its_schema_even_if_its_row_got_there(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    cookie = _session_cookie(client_on, tenant, both)
    with tenant_context(tenant):
        row = Session.objects.get(session_key=cookie)
    with tenant_context(other_tenant):
        Session.objects.create(
            session_key=cookie, session_data=row.session_data, expire_date=row.expire_date
        )
    globex = client_on(other_tenant)
    globex.cookies[settings.SESSION_COOKIE_NAME] = cookie

    response = globex.get("/")

    assert response.status_code == 302  # the schema stamp says Acme, this is Globex


def test_the_csrf_cookie_belongs_to_the_host_that_set_it(
    client_on: ClientFactory, tenant: Tenant
) -> None:
    response = client_on(tenant).get("/accounts/login/")

    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie.value
    assert cookie["domain"] == ""  # no Domain attribute (the session cookie: see test_login)


def test_a_cache_key_written_in_one_tenant_is_not_readable_in_another(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant_context(tenant):
        cache.set("report", "acme's numbers")
        assert cache.get("report") == "acme's numbers"

    with tenant_context(other_tenant):
        assert cache.get("report") is None
        cache.set("report", "globex's numbers")

    with schema_context("public"):
        assert cache.get("report") is None
    with tenant_context(tenant):
        assert cache.get("report") == "acme's numbers"
