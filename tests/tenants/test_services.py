from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.signals import post_save
from pytest_django import DjangoDbBlocker

from shared_apps.accounts.models import User
from tenants.models import SCHEMA_PREFIX, Domain, Membership, SpareSchema, Tenant
from tenants.pool import pool_refill, schema_claim
from tenants.roles import Role
from tenants.services import tenant_provision


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%%'")
        return {row[0] for row in cursor.fetchall()}


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_provisioning_creates_schema_domain_and_owner(db: None) -> None:
    result = tenant_provision(
        slug=" Initech ", name="  Initech   LLC ", owner_email="Bill@Initech.test"
    )

    tenant = result.tenant
    assert tenant.slug == "initech"
    assert tenant.name == "Initech LLC"
    assert re.fullmatch(rf"{SCHEMA_PREFIX}[0-9a-f]{{20}}", tenant.schema_name)
    assert tenant.schema_name in _schemas()
    assert {"django_migrations", "django_session"} <= _tables(tenant.schema_name)
    domain = Domain.objects.get(tenant=tenant)
    assert (domain.domain, domain.is_primary) == ("initech.localhost", True)
    membership = Membership.objects.get(tenant=tenant)
    assert membership.role == Role.OWNER
    assert membership.user.email == "bill@initech.test"
    assert result.owner_created


def test_an_existing_user_becomes_the_owner(db: None, outsider: User) -> None:
    result = tenant_provision(slug="initech", name="Initech", owner_email=outsider.email.upper())

    assert result.owner.pk == outsider.pk
    assert not result.owner_created


def test_schema_names_never_come_from_user_input(db: None) -> None:
    tenant = tenant_provision(slug="acme-two", name="Acme", owner_email="a@b.test").tenant

    assert "acme" not in tenant.schema_name
    assert tenant.schema_name.startswith(SCHEMA_PREFIX)


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("acme", "“acme” is already taken"),
        ("ACME", "“acme” is already taken"),
        ("www", "“www” is reserved"),
        ("no_underscores", "Use only lowercase letters"),
        ("x'; drop schema public cascade; --", "Use only lowercase letters"),
    ],
)
def test_a_bad_slug_creates_nothing(tenant: Tenant, slug: str, message: str) -> None:
    before = (_schemas(), Tenant.objects.count(), User.objects.count())

    with pytest.raises(ValidationError, match=re.escape(message)):
        tenant_provision(slug=slug, name="Whatever", owner_email="new@person.test")

    assert (_schemas(), Tenant.objects.count(), User.objects.count()) == before


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("   ", "ok@person.test", "Give the workspace a name."),
        ("x" * 101, "ok@person.test", "at most 100 characters"),
        ("Fine", "not-an-email", "Enter a valid owner email address."),
    ],
)
def test_bad_names_and_emails_are_refused(db: None, name: str, email: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        tenant_provision(slug="fresh", name=name, owner_email=email)

    assert not Tenant.objects.filter(slug="fresh").exists()


@pytest.fixture
def failing_at_the_last_step() -> Iterator[None]:
    """Make provisioning fail once the schema exists and the rows are written (the worst
    moment): the owner's membership is the last thing provisioning saves."""

    def explode(sender: type[Membership], **kwargs: Any) -> None:
        raise RuntimeError("disk full (simulated at the last step)")

    post_save.connect(explode, sender=Membership, dispatch_uid="test-explode")
    yield
    post_save.disconnect(sender=Membership, dispatch_uid="test-explode")


@pytest.mark.parametrize("pool", ["empty", "full"])
@pytest.mark.usefixtures("failing_at_the_last_step")
def test_a_failed_provisioning_leaves_no_schema_and_no_rows(db: None, pool: str) -> None:
    if pool == "full":
        pool_refill(1)
    spares = list(SpareSchema.objects.values_list("schema_name", flat=True))
    before = (_schemas(), Tenant.objects.count(), Domain.objects.count(), User.objects.count())

    with pytest.raises(RuntimeError, match="disk full"):
        tenant_provision(slug="doomed", name="Doomed", owner_email="doomed@owner.test")

    after = (_schemas(), Tenant.objects.count(), Domain.objects.count(), User.objects.count())
    assert after == before  # a blueprint schema is gone with the rollback...
    # ...and a claimed spare is back in the pool.
    assert list(SpareSchema.objects.values_list("schema_name", flat=True)) == spares
    assert not User.objects.filter(email="doomed@owner.test").exists()


def test_claiming_a_schema_refuses_to_run_outside_a_transaction(
    django_db_blocker: DjangoDbBlocker,
) -> None:
    # No `db` fixture: this test runs in autocommit, where a failure could not be rolled back.
    with django_db_blocker.unblock():
        before = _schemas()
    with django_db_blocker.unblock(), pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        schema_claim()

    with django_db_blocker.unblock():
        assert _schemas() == before


def test_a_slug_whose_host_is_already_a_custom_domain_is_refused(tenant: Tenant) -> None:
    # The slug itself is free; its host <slug>.<base> is not.
    Domain.objects.create(domain="taken-host.localhost", tenant=tenant, is_primary=False)
    before = (_schemas(), Tenant.objects.count())

    with pytest.raises(ValidationError, match="already taken"):
        tenant_provision(slug="taken-host", name="Late", owner_email="late@owner.test")

    assert (_schemas(), Tenant.objects.count()) == before
