"""API keys: admins issue them on the settings page (the key is shown once), scripts send them
as Bearer tokens, and a key works only on its own workspace, within its scope, until it expires
or is revoked."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shared_apps.accounts.models import User
from tenant_apps.api_access.models import ApiKey, Scope
from tenant_apps.api_access.services import IssuedKey, api_key_create, api_key_revoke
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.projects.models import Project
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant
from tests.conftest import ClientFactory

PAGE = "/settings/api-keys/"
KEY = re.compile(r"strata_[a-z0-9]{10}_[A-Za-z0-9_-]{43}")


def _issue(
    tenant: Tenant, owner: User, scope: str = Scope.READ, expires_at: datetime | None = None
) -> IssuedKey:
    with tenant_context(tenant):
        return api_key_create(
            tenant=tenant,
            name=f"{scope} script",
            scope=scope,
            expires_at=expires_at,
            actor=owner,
        )


def _bearer(tenant: Tenant, key: str) -> Client:
    """A client with no session at all, only the key."""
    return Client(HTTP_HOST=primary_host_for_slug(tenant.slug), HTTP_AUTHORIZATION=f"Bearer {key}")


def test_an_admin_creates_a_key_and_sees_it_once(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    client = client_on(tenant, admin)

    created = client.post(PAGE, {"name": "CI pipeline", "scope": "read", "expires_in": "30"})

    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    shown = KEY.findall(created.content.decode())
    assert len(set(shown)) == 1
    plaintext = shown[0]
    with tenant_context(tenant):
        key = ApiKey.objects.get()
        stored = [str(value) for value in ApiKey.objects.values().get().values()]
        assert (key.name, key.scope, key.created_by_id) == ("CI pipeline", "read", admin.pk)
        assert key.expires_at is not None
        assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
        entry = AuditEntry.objects.get(action=AuditAction.API_KEY_CREATED)
    # Only the prefix and a hash are kept: the key itself is in no column.
    assert not any(plaintext in value for value in stored)
    assert plaintext.startswith(key.display_prefix)
    assert (entry.actor_id, entry.details["scope"]) == (admin.pk, "read")
    assert plaintext not in str(entry.details)
    # Later, the page names the key by its prefix only.
    listed = client.get(PAGE).content.decode()
    assert key.display_prefix in listed
    assert plaintext not in listed
    assert "CI pipeline" in listed


def test_the_form_explains_bad_input_and_creates_nothing(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    client = client_on(tenant, owner)

    blank = client.post(PAGE, {"name": "  ", "scope": "read", "expires_in": ""})
    bad_scope = client.post(PAGE, {"name": "CI", "scope": "admin", "expires_in": ""})
    bad_expiry = client.post(PAGE, {"name": "CI", "scope": "read", "expires_in": "7"})

    assert blank.status_code == 400
    assert "Name the key" in blank.content.decode() or "required" in blank.content.decode()
    assert bad_scope.status_code == 400
    assert "valid choice" in bad_scope.content.decode()
    assert bad_expiry.status_code == 400
    with tenant_context(tenant):
        assert not ApiKey.objects.exists()


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider"])
def test_only_admins_manage_keys(
    client_on: ClientFactory,
    tenant: Tenant,
    owner: User,
    persona: str,
    request: pytest.FixtureRequest,
) -> None:
    issued = _issue(tenant, owner)
    person = request.getfixturevalue(persona)

    # A client each: a non-member's session is ended by the first refusal.
    page = client_on(tenant, person).get(PAGE)
    created = client_on(tenant, person).post(
        PAGE, {"name": "Mine", "scope": "read_write", "expires_in": ""}
    )
    revoked = client_on(tenant, person).post(f"{PAGE}{issued.key.public_id}/revoke/")

    assert (page.status_code, created.status_code, revoked.status_code) == (403, 403, 403)
    assert issued.key.display_prefix.encode() not in page.content
    with tenant_context(tenant):
        assert ApiKey.objects.get().revoked_at is None
        assert ApiKey.objects.count() == 1


def test_a_read_key_reads_and_a_read_write_key_writes_in_its_own_name(
    tenant: Tenant, owner: User
) -> None:
    reader = _bearer(tenant, _issue(tenant, owner, Scope.READ).plaintext)
    writer_key = _issue(tenant, owner, Scope.READ_WRITE)
    writer = _bearer(tenant, writer_key.plaintext)
    body = {"name": "Integrations", "key": "INT"}

    refused = reader.post("/api/v1/projects/", body, content_type="application/json")
    created = writer.post("/api/v1/projects/", body, content_type="application/json")
    listed = reader.get("/api/v1/projects/")

    assert refused.status_code == 403
    assert created.status_code == 201, created.content
    assert listed.status_code == 200
    assert [p["key"] for p in listed.json()["results"]] == ["INT"]
    with tenant_context(tenant):
        project = Project.objects.get()
        entry = AuditEntry.objects.get(action=AuditAction.PROJECT_CREATED)
    assert project.created_by_id is None
    assert entry.actor_id is None
    assert entry.actor_label == str(writer_key.key)
    assert writer_key.key.display_prefix in entry.actor_label


def test_no_key_manages_the_workspace(tenant: Tenant, owner: User) -> None:
    writer = _bearer(tenant, _issue(tenant, owner, Scope.READ_WRITE).plaintext)

    # Pages are for people: a key is no session, so they send it to sign in.
    page = writer.get(PAGE)
    members = writer.get("/api/v1/members/")

    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]
    assert members.status_code == 200  # reading the member list is reading the workspace


def test_a_key_of_acme_means_nothing_on_globex(
    tenant: Tenant, other_tenant: Tenant, owner: User, outsider: User
) -> None:
    acme_key = _issue(tenant, owner, Scope.READ_WRITE)
    with tenant_context(other_tenant):
        Project.objects.create(name="Globex secret", key="GLX")
        # Even the row itself, copied into Globex's schema, opens nothing there: the stored
        # hash is bound to the schema it was issued in.
        ApiKey.objects.create(
            name="copied",
            prefix=acme_key.key.prefix,
            secret_hash=acme_key.key.secret_hash,
            scope=Scope.READ_WRITE,
        )

    on_globex = _bearer(other_tenant, acme_key.plaintext)
    listed = on_globex.get("/api/v1/projects/")
    written = on_globex.post(
        "/api/v1/projects/", {"name": "x", "key": "XX"}, content_type="application/json"
    )

    assert listed.status_code == 401
    assert written.status_code == 401
    assert "not valid for this workspace" in listed.json()["detail"]
    assert b"Globex secret" not in listed.content
    assert listed["WWW-Authenticate"].startswith("Bearer")
    with tenant_context(other_tenant):
        assert list(Project.objects.values_list("key", flat=True)) == ["GLX"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer", "Authorization: Bearer <key>"),
        ("Bearer not-a-key", "not a Strata API key"),
        ("Bearer strata_aaaaaaaaaa_" + "A" * 43, "not valid for this workspace"),
        ("Bearer a b", "Authorization: Bearer <key>"),
    ],
)
def test_malformed_and_unknown_keys_get_401_saying_why(
    tenant: Tenant, header: str, message: str
) -> None:
    client = Client(HTTP_HOST=primary_host_for_slug(tenant.slug), HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/projects/")

    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_revoked_and_expired_keys_stop_working(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    revoked = _issue(tenant, owner)
    expiring = _issue(tenant, owner, expires_at=timezone.now() + timedelta(hours=1))
    assert _bearer(tenant, revoked.plaintext).get("/api/v1/projects/").status_code == 200

    page = client_on(tenant, owner).post(f"{PAGE}{revoked.key.public_id}/revoke/", follow=True)
    with tenant_context(tenant):
        ApiKey.objects.filter(pk=expiring.key.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        entry = AuditEntry.objects.get(action=AuditAction.API_KEY_REVOKED)

    after_revoke = _bearer(tenant, revoked.plaintext).get("/api/v1/projects/")
    after_expiry = _bearer(tenant, expiring.plaintext).get("/api/v1/projects/")
    assert "is revoked" in page.content.decode()
    assert (entry.actor_id, entry.details["prefix"]) == (owner.pk, revoked.key.display_prefix)
    assert after_revoke.status_code == 401
    assert "was revoked" in after_revoke.json()["detail"]
    assert after_expiry.status_code == 401
    assert "expired on" in after_expiry.json()["detail"]


def test_revoking_twice_says_so(tenant: Tenant, owner: User) -> None:
    issued = _issue(tenant, owner)
    with tenant_context(tenant):
        api_key_revoke(key=issued.key, actor=owner)
        with pytest.raises(Exception, match="revoked already"):
            api_key_revoke(key=issued.key, actor=owner)
        assert AuditEntry.objects.filter(action=AuditAction.API_KEY_REVOKED).count() == 1


def test_last_use_is_recorded_without_a_write_per_request(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    issued = _issue(tenant, owner)
    client = _bearer(tenant, issued.plaintext)

    client.get("/api/v1/labels/")
    with tenant_context(tenant):
        first = ApiKey.objects.get().last_used_at
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/labels/")
    with tenant_context(tenant):
        second = ApiKey.objects.get()

    assert first is not None
    assert second.last_used_at == first  # within a minute: not written again
    assert second.last_used_ip == "127.0.0.1"
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    shown = client_on(tenant, owner).get(PAGE).content.decode()
    assert "ago" in shown  # the page says when it was last used


def test_keys_are_not_exported_with_the_workspace(tenant: Tenant, owner: User) -> None:
    from tenants.transfer import _tenant_models

    _issue(tenant, owner)

    assert ApiKey not in _tenant_models()
