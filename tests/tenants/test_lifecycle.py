"""A tenant's life after creation: suspend, reactivate, rename, archive, restore, purge."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_redis import get_redis_connection
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants import lifecycle
from tenants.context import tenant_context
from tenants.models import (
    Domain,
    Membership,
    PlatformAction,
    PlatformAuditEntry,
    TaskEffect,
    Tenant,
    TenantStatus,
)
from tenants.schemas import schema_exists
from tenants.services import tenant_provision
from tenants.storage import tenant_media_prefix
from tenants.tasks import forget_expired_redirects, purge_archived
from tests.conftest import PASSWORD, ClientFactory

OPERATOR = lifecycle.Actor(label="test operator")
Committing = DjangoCaptureOnCommitCallbacks


@pytest.fixture
def committing(django_capture_on_commit_callbacks: Committing) -> Committing:
    return django_capture_on_commit_callbacks


@pytest.fixture
def initech(db: None) -> Tenant:
    return tenant_provision(slug="initech", name="Initech", owner_email="bill@initech.test").tenant


def _tenant_log(tenant: Tenant) -> list[str]:
    with tenant_context(tenant):
        return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def _platform_log(tenant: Tenant) -> list[str]:
    entries = PlatformAuditEntry.objects.filter(tenant_ref=tenant.pk).order_by("pk")
    return list(entries.values_list("action", flat=True))


def test_a_suspended_tenant_shows_its_page_and_a_code_to_the_api_then_comes_back(
    client_on: ClientFactory, tenant: Tenant, member: User, committing: Committing
) -> None:
    with committing(execute=True):  # routing hears of the change once it commits
        lifecycle.tenant_suspend(tenant, reason="Invoice 42 unpaid", actor=OPERATOR)

    page = client_on(tenant, member).get("/")
    api = client_on(tenant, member).get("/api/v1/members/")
    assert page.status_code == 403
    assert "This workspace is suspended" in page.content.decode()
    assert api.json()["error"]["code"] == "tenant_suspended"
    tenant.refresh_from_db()
    assert (tenant.status, tenant.status_reason) == (TenantStatus.SUSPENDED, "Invoice 42 unpaid")

    with committing(execute=True):
        lifecycle.tenant_reactivate(tenant, actor=OPERATOR)

    assert client_on(tenant, member).get("/").status_code == 200
    assert _platform_log(tenant) == [
        PlatformAction.TENANT_SUSPENDED,
        PlatformAction.TENANT_REACTIVATED,
    ]
    assert _tenant_log(tenant)[-2:] == [
        AuditAction.WORKSPACE_SUSPENDED,
        AuditAction.WORKSPACE_REACTIVATED,
    ]
    entry = PlatformAuditEntry.objects.filter(tenant_ref=tenant.pk).order_by("pk").first()
    assert entry is not None
    assert (entry.actor_label, entry.details) == ("test operator", {"reason": "Invoice 42 unpaid"})


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_suspension_needs_a_reason(tenant: Tenant, reason: str) -> None:
    with pytest.raises(ValidationError, match="reason"):
        lifecycle.tenant_suspend(tenant, reason=reason, actor=OPERATOR)

    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE


def test_actions_that_do_not_fit_the_state_are_refused(tenant: Tenant) -> None:
    with pytest.raises(ValidationError, match="not suspended"):
        lifecycle.tenant_reactivate(tenant, actor=OPERATOR)
    with pytest.raises(ValidationError, match="not archived"):
        lifecycle.tenant_restore(tenant, actor=OPERATOR)
    with pytest.raises(ValidationError, match="archive it first"):
        lifecycle.tenant_purge(tenant, actor=OPERATOR)
    assert schema_exists(tenant.schema_name)


def test_a_renamed_tenant_answers_on_its_new_host_and_the_old_one_redirects(
    client_on: ClientFactory, initech: Tenant
) -> None:
    owner = User.objects.get(email="bill@initech.test")

    lifecycle.tenant_rename(initech, new_slug="initrode", actor=OPERATOR)

    initech.refresh_from_db()
    assert initech.slug == "initrode"
    assert Domain.objects.get(tenant=initech, is_primary=True).domain == "initrode.localhost"
    assert client_on(initech, owner).get("/").status_code == 200  # on initrode.localhost
    old = client_on(None).get("/members/?page=2", HTTP_HOST="initech.localhost")
    assert old.status_code == 301
    assert old["Location"] == "http://initrode.localhost/members/?page=2"
    # Nobody else can take the old subdomain while it redirects.
    with pytest.raises(ValidationError, match="already taken"):
        tenant_provision(slug="initech", name="Squatter", owner_email="s@squat.test")
    assert _tenant_log(initech)[-1] == AuditAction.WORKSPACE_RENAMED


def test_a_redirect_ends_after_its_period(client_on: ClientFactory, initech: Tenant) -> None:
    lifecycle.tenant_rename(initech, new_slug="initrode", actor=OPERATOR)
    Domain.objects.filter(domain="initech.localhost").update(
        redirect_until=timezone.now() - timedelta(seconds=1)
    )
    caches["global"].clear()

    assert client_on(None).get("/", HTTP_HOST="initech.localhost").status_code == 404
    assert forget_expired_redirects() == 1
    assert not Domain.objects.filter(domain="initech.localhost").exists()


def test_a_tenant_can_go_back_to_its_former_subdomain(initech: Tenant) -> None:
    lifecycle.tenant_rename(initech, new_slug="initrode", actor=OPERATOR)

    lifecycle.tenant_rename(initech, new_slug="initech", actor=OPERATOR)

    domains = Domain.objects.filter(tenant=initech)
    assert {(d.domain, d.is_primary, d.redirect_until is None) for d in domains} == {
        ("initech.localhost", True, True),
        ("initrode.localhost", False, False),
    }


@pytest.mark.parametrize(
    ("new_slug", "message"), [("acme", "already taken"), ("www", "reserved"), ("x_y", "letters")]
)
def test_a_rename_to_an_unusable_subdomain_is_refused(
    initech: Tenant, tenant: Tenant, new_slug: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        lifecycle.tenant_rename(initech, new_slug=new_slug, actor=OPERATOR)

    initech.refresh_from_db()
    assert initech.slug == "initech"


def test_an_archived_tenant_is_closed_then_restored(
    client_on: ClientFactory, initech: Tenant, committing: Committing
) -> None:
    owner = User.objects.get(email="bill@initech.test")

    with committing(execute=True):
        lifecycle.tenant_archive(initech, actor=OPERATOR, reason="Customer left")

    initech.refresh_from_db()
    assert initech.status == TenantStatus.ARCHIVED
    assert initech.purge_after is not None
    assert initech.archived_at is not None
    assert initech.purge_after - initech.archived_at == timedelta(days=30)
    closed = client_on(initech, owner).get("/")
    assert closed.status_code == 403
    assert "archived" in closed.content.decode()

    with committing(execute=True):
        lifecycle.tenant_restore(initech, actor=OPERATOR)

    restored = Tenant.objects.get(pk=initech.pk)
    assert (restored.status, restored.purge_after) == (TenantStatus.ACTIVE, None)
    assert client_on(initech, owner).get("/").status_code == 200


def _leftovers(schema: str, slug: str) -> list[str]:
    """Everything in the database, Redis and storage that still names the tenant."""
    found: list[str] = []
    if schema_exists(schema):
        found.append(f"schema {schema}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json')"
        )
        for table, column in cursor.fetchall():
            if table == "tenants_platformauditentry":
                continue  # the operators' record of what happened, by design
            cursor.execute(
                f'SELECT count(*) FROM public."{table}" '  # noqa: S608 - names from the catalog
                f'WHERE "{column}"::text LIKE %s OR "{column}"::text LIKE %s',
                [f"%{schema}%", f"%{slug}.localhost%"],
            )
            (count,) = cursor.fetchone()
            if count:
                found.append(f"{count} rows in {table}.{column}")
    global_prefix = caches["global"].make_key("")  # "strata-global:1:"
    seen: set[bytes] = set()
    for alias in ("default", "global"):  # one Redis here, perhaps two elsewhere
        for key in get_redis_connection(alias).scan_iter(count=1000):
            if key in seen:
                continue
            seen.add(key)
            name = key.decode(errors="replace")
            if schema not in name and f"{slug}.localhost" not in name:
                continue
            tombstone = name.startswith(global_prefix) and (
                caches["global"].get(name.removeprefix(global_prefix)) == "invalidated"
            )
            if not tombstone:  # routing's 10-second tombstone for a removed host is fine
                found.append(f"redis key {name}")
    prefix = tenant_media_prefix(schema)
    if default_storage.exists(prefix) and any(default_storage.listdir(prefix)):
        found.append(f"files under {prefix}")
    return found


def test_a_purge_leaves_nothing_of_the_tenant_anywhere(
    client_on: ClientFactory, initech: Tenant, outsider: User, committing: Committing
) -> None:
    schema, slug = initech.schema_name, initech.slug
    Membership.objects.create(user=outsider, tenant=initech, role="member")
    # Things a living tenant leaves around: a session, cache entries, a file, task records.
    browser = client_on(initech)
    browser.post("/accounts/login/", {"login": outsider.email, "password": PASSWORD})
    assert browser.get("/").status_code == 200
    with tenant_context(initech):
        cache.set("report", "initech's numbers")
    default_storage.save(f"{tenant_media_prefix(schema)}attachments/plan.txt", ContentFile(b"x"))
    TaskEffect.objects.create(schema_name=schema, key="mail:1")
    lifecycle.tenant_archive(initech, actor=OPERATOR)
    assert _leftovers(schema, slug)  # the scan does find a living tenant

    with committing(execute=True):
        report = lifecycle.tenant_purge(initech, actor=OPERATOR)

    assert _leftovers(schema, slug) == []
    assert not Tenant.objects.filter(slug=slug).exists()
    assert User.objects.filter(pk=outsider.pk).exists()  # people are not the tenant's to delete
    assert report.removed["memberships"] == 2
    assert report.removed["files"] == 1
    assert report.removed["cache_keys"] >= 1
    purged = PlatformAuditEntry.objects.get(action=PlatformAction.TENANT_PURGED)
    assert purged.tenant_label == slug
    assert browser.get("/").status_code == 404


def test_archived_tenants_past_retention_are_purged_by_the_scheduled_task(
    initech: Tenant, tenant: Tenant
) -> None:
    lifecycle.tenant_archive(initech, actor=OPERATOR)
    assert purge_archived() == 0
    Tenant.objects.filter(pk=initech.pk).update(purge_after=timezone.now())

    assert purge_archived() == 1

    assert not schema_exists(initech.schema_name)
    assert Tenant.objects.filter(pk=tenant.pk).exists()


def _run(*args: str) -> str:
    out = StringIO()
    call_command("tenant", *args, stdout=out)
    return out.getvalue()


def test_the_command_line_runs_every_action(initech: Tenant) -> None:
    assert "initech" in _run("list")
    assert "Suspended initech" in _run("suspend", "initech", "--reason", "Abuse report 7")
    assert "Reactivated initech" in _run("reactivate", "initech")
    assert "initrode.localhost" in _run("rename", "initech", "--to", "initrode")
    assert "Archived initrode" in _run("archive", "initrode")
    assert "Restored initrode" in _run("restore", "initrode")
    _run("archive", "initrode")
    assert "schema" in _run("purge", "initrode", "--yes")
    assert not Tenant.objects.filter(pk=initech.pk).exists()
    entry = PlatformAuditEntry.objects.filter(tenant_ref=initech.pk).first()
    assert entry is not None
    assert entry.actor_label.startswith("command line (")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("suspend", "nosuch", "--reason", "x"), "No tenant has the subdomain “nosuch”"),
        (("suspend", "initech", "--reason", " "), "Give a reason"),
        (("purge", "initech"), "add --yes to confirm"),
        (("purge", "initech", "--yes"), "archive it first"),
        (("rename", "initech", "--to", "www"), "reserved"),
        (("reactivate", "initech"), "not suspended"),
    ],
)
def test_the_command_line_names_what_is_wrong(
    initech: Tenant, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        _run(*args)

    initech.refresh_from_db()
    assert (initech.status, initech.slug) == (TenantStatus.ACTIVE, "initech")


def test_the_documented_periods_are_the_defaults() -> None:
    assert (settings.STRATA_RENAME_REDIRECT_DAYS, settings.STRATA_ARCHIVE_RETENTION_DAYS) == (
        90,
        30,
    )


def test_a_tenant_archived_while_suspended_comes_back_suspended(initech: Tenant) -> None:
    lifecycle.tenant_suspend(initech, reason="Unpaid", actor=OPERATOR)
    lifecycle.tenant_archive(initech, actor=OPERATOR)
    with pytest.raises(ValidationError, match="restore it before renaming"):
        lifecycle.tenant_rename(initech, new_slug="initrode", actor=OPERATOR)

    lifecycle.tenant_restore(initech, actor=OPERATOR)

    restored = Tenant.objects.get(pk=initech.pk)
    assert (restored.status, restored.status_reason) == (TenantStatus.SUSPENDED, "Unpaid")
