"""Custom domains: added by admins, routed only after a DNS TXT record proves control."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.domains import custom_domain_add, custom_domain_clean, verification_record
from tenants.models import Domain, Tenant
from tests import dns
from tests.conftest import ClientFactory


@pytest.fixture(autouse=True)
def _empty_dns() -> Iterator[None]:
    dns.clear()
    yield
    dns.clear()


def _actions(tenant: Tenant) -> list[str]:
    with tenant_context(tenant):
        return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def test_a_domain_routes_only_after_its_txt_record_is_found(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings_page = client_on(tenant, admin)
    visitor = client_on(None)

    added = settings_page.post("/settings/domains/", {"domain": " Tasks.Acme-Corp.TEST. "})

    assert added["Location"] == "/settings/domains/"
    domain = Domain.objects.get(domain="tasks.acme-corp.test")
    assert (domain.tenant_id, domain.verified_at, domain.is_primary) == (tenant.pk, None, False)
    name, value = verification_record(domain)
    page = settings_page.get("/settings/domains/").content.decode()
    assert name in page
    assert value in page
    assert visitor.get("/accounts/login/", HTTP_HOST="tasks.acme-corp.test").status_code == 400

    not_yet = settings_page.post(f"/settings/domains/{domain.pk}/verify/", follow=True)
    assert "No TXT record" in not_yet.content.decode()
    dns.publish(name, "strata-verify=someone-elses-token")
    settings_page.post(f"/settings/domains/{domain.pk}/verify/")
    domain.refresh_from_db()
    assert domain.verified_at is None

    dns.publish(name, value)
    with django_capture_on_commit_callbacks(execute=True):
        settings_page.post(f"/settings/domains/{domain.pk}/verify/")

    assert Domain.objects.get(pk=domain.pk).verified_at is not None
    arrived = visitor.get("/accounts/login/", HTTP_HOST="tasks.acme-corp.test")
    assert arrived.status_code == 200
    assert "Sign in to Acme Inc" in arrived.content.decode()
    assert _actions(tenant)[-2:] == [AuditAction.DOMAIN_ADDED, AuditAction.DOMAIN_VERIFIED]

    with django_capture_on_commit_callbacks(execute=True):
        settings_page.post(f"/settings/domains/{domain.pk}/remove/")

    assert not Domain.objects.filter(domain="tasks.acme-corp.test").exists()
    assert visitor.get("/accounts/login/", HTTP_HOST="tasks.acme-corp.test").status_code == 400
    assert _actions(tenant)[-1] == AuditAction.DOMAIN_REMOVED


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a domain"),
        ("not a domain", "is not a domain name"),
        ("evil.com'--", "is not a domain name"),
        ("tasks\n.example.com", "is not a domain name"),  # "$" matched before the newline
        ("localhost", "is not a domain name"),
        ("-bad.example.com", "is not a domain name"),
        ("a" * 64 + ".example.com", "is not a domain name"),
        ("tasks.example.123", "is not a domain name"),
        ("bücher.example", r"ASCII \(punycode\) form"),
        ("xn--bcher-kva.example", None),
        ("globex.localhost", "are Strata's"),
        ("deep.acme.localhost", "are Strata's"),
        ("acme.localhost", "are Strata's"),
    ],
)
def test_only_real_domain_names_outside_strata_are_accepted(
    db: None, tenant: Tenant, typed: str, message: str | None
) -> None:
    if message is None:
        assert custom_domain_clean(typed) == typed
        return
    with pytest.raises(ValidationError, match=message):
        custom_domain_clean(typed)


def test_a_name_that_cannot_be_one_is_refused_before_any_query(tenant: Tenant) -> None:
    """Found by the fuzzer: a NUL character reached PostgreSQL (a DataError, a 500 on any
    caller without a form in front)."""
    with pytest.raises(ValidationError, match="is not a domain name"):
        custom_domain_add(tenant, "tasks.example.com\x00")

    assert not Domain.objects.exclude(verification_token="").exists()


def test_a_domain_of_another_workspace_or_too_many_are_refused(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = custom_domain_add(other_tenant, "tasks.globex.test")
    Domain.objects.filter(pk=theirs.pk).update(verified_at=timezone.now())
    with pytest.raises(ValidationError, match="already in use"):
        custom_domain_add(tenant, "tasks.globex.test")
    for n in range(5):
        custom_domain_add(tenant, f"d{n}.acme-corp.test")
    with pytest.raises(ValidationError, match="5 custom domains"):
        custom_domain_add(tenant, "d6.acme-corp.test")


def test_bad_input_in_the_form_is_a_field_error(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    response = client_on(tenant, admin).post("/settings/domains/", {"domain": "tasks.localhost"})

    assert response.status_code == 400
    assert "are Strata&#x27;s" in response.content.decode()
    assert not Domain.objects.filter(domain="tasks.localhost").exists()


def test_members_outsiders_and_other_workspaces_ids_get_nothing(
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    member: User,
    outsider: User,
    admin: User,
) -> None:
    theirs = custom_domain_add(other_tenant, "tasks.globex.test")
    dns.publish(*verification_record(theirs))

    assert client_on(tenant, member).get("/settings/domains/").status_code == 403
    assert client_on(tenant, outsider).get("/settings/domains/").status_code == 403
    acme_admin = client_on(tenant, admin)
    assert acme_admin.post(f"/settings/domains/{theirs.pk}/verify/").status_code == 404
    assert acme_admin.post(f"/settings/domains/{theirs.pk}/remove/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.verified_at is None
    assert "tasks.globex.test" not in acme_admin.get("/settings/domains/").content.decode()


def test_the_workspace_subdomain_cannot_be_removed(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    own = Domain.objects.get(tenant=tenant, is_primary=True)

    response = client_on(tenant, admin).post(f"/settings/domains/{own.pk}/remove/", follow=True)

    assert "cannot be removed" in response.content.decode()
    assert Domain.objects.filter(pk=own.pk).exists()


def test_a_domain_someone_else_left_unverified_goes_to_whoever_proves_it(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    squatter = custom_domain_add(other_tenant, "tasks.acme-corp.test")  # never verified

    with pytest.raises(
        ValidationError, match="waiting for verification by another workspace"
    ) as told:
        custom_domain_add(tenant, "tasks.acme-corp.test")

    record = re.search(r"value (strata-verify=\w+)", str(told.value))
    assert record
    dns.publish("_strata-verify.tasks.acme-corp.test", record.group(1))
    owned = custom_domain_add(tenant, "tasks.acme-corp.test")

    assert owned.tenant_id == tenant.pk
    assert owned.verified_at is not None
    assert not Domain.objects.filter(pk=squatter.pk).exists()
