"""The one place that talks to django-tenants' connection API, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django_tenants.postgresql_backend.base import DatabaseWrapper
from django_tenants.utils import schema_context, tenant_context

if TYPE_CHECKING:
    from tenants.models import Tenant

__all__ = ["current_tenant", "schema_context", "tenant_connection", "tenant_context"]


def tenant_connection() -> DatabaseWrapper:
    return cast(DatabaseWrapper, connections[DEFAULT_DB_ALIAS])


def current_tenant() -> Tenant:
    """The tenant whose schema the connection is in; RuntimeError on the public schema."""
    from tenants.models import Tenant

    tenant = getattr(tenant_connection(), "tenant", None)
    if not isinstance(tenant, Tenant):
        raise RuntimeError("not inside a tenant's schema (use tenant_context(tenant))")
    return tenant
