"""django-tenants commands that would bypass Strata's services say what to use instead."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenants.models import Tenant


@pytest.mark.parametrize(
    ("command", "pointer"),
    [
        ("delete_tenant", "manage.py tenant archive"),
        ("clone_tenant", "manage.py create_tenant"),
        ("rename_schema", "manage.py tenant rename"),
        ("create_domain", "verified by DNS"),
        ("delete_domain", "removed by workspace admins"),
        ("create_missing_schemas", "migrate_fleet"),
        ("create_tenant_superuser", "createsuperuser"),
    ],
)
def test_a_bypassing_command_refuses_and_names_the_way(
    tenant: Tenant, command: str, pointer: str
) -> None:
    with pytest.raises(CommandError, match=pointer):
        call_command(command, "--schema", tenant.schema_name)

    assert Tenant.objects.filter(pk=tenant.pk).exists()
