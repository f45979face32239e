"""The one place that talks to django-tenants' connection API, typed."""

from __future__ import annotations

from typing import cast

from django.db import DEFAULT_DB_ALIAS, connections
from django_tenants.postgresql_backend.base import DatabaseWrapper
from django_tenants.utils import schema_context, tenant_context

__all__ = ["schema_context", "tenant_connection", "tenant_context"]


def tenant_connection() -> DatabaseWrapper:
    return cast(DatabaseWrapper, connections[DEFAULT_DB_ALIAS])
