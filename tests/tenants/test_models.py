from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from shared_apps.accounts.models import User
from tenants.models import Domain, Membership, Tenant, generate_schema_name
from tenants.roles import Role


def test_generated_schema_names_are_opaque_and_distinct() -> None:
    names = {generate_schema_name() for _ in range(1000)}

    assert len(names) == 1000
    assert all(name.startswith("t_") and len(name) == 22 for name in names)


def test_a_schema_name_cannot_change_once_written(tenant: Tenant) -> None:
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk).update(schema_name="t_somewhere_else")

    tenant.refresh_from_db()
    tenant.schema_name = "public"
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        tenant.save()


def test_saving_other_fields_keeps_working(tenant: Tenant) -> None:
    tenant.name = "Acme Renamed"
    tenant.save()

    tenant.refresh_from_db()
    assert tenant.name == "Acme Renamed"


def test_a_user_has_one_membership_per_tenant(tenant: Tenant, member: User) -> None:
    with pytest.raises(IntegrityError, match="tenants_membership_unique_user_tenant"):
        Membership.objects.create(user=member, tenant=tenant, role=Role.ADMIN)


def test_a_tenant_has_one_primary_domain(tenant: Tenant) -> None:
    Domain.objects.create(domain="second.localhost", tenant=tenant, is_primary=True)

    primaries = list(Domain.objects.filter(tenant=tenant, is_primary=True))
    assert [d.domain for d in primaries] == ["second.localhost"]


def test_the_database_refuses_a_slug_that_is_not_a_dns_label(tenant: Tenant) -> None:
    with pytest.raises(IntegrityError, match="tenants_tenant_slug_is_dns_label"):
        Tenant.objects.filter(pk=tenant.pk).update(slug="Not A Label")


def test_the_database_refuses_an_unknown_status_or_role(tenant: Tenant, member: User) -> None:
    with pytest.raises(IntegrityError, match="tenants_tenant_status_valid"), transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk).update(status="paused")
    with pytest.raises(IntegrityError, match="tenants_membership_role_valid"):
        Membership.objects.filter(user=member, tenant=tenant).update(role="emperor")
