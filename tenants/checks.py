"""`manage.py check --database default` (and migrate_fleet) refuse a database reached through a
pooler that shares sessions between transactions (tenants.connections)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from django.core import checks
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DEFAULT_DB_ALIAS

from tenants.connections import transaction_pooling_refusal


@register(Tags.database)
def session_per_connection(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    # Database checks run only when asked for (check --database, migrate): they connect.
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    try:
        refusal = transaction_pooling_refusal()
    except (psycopg.Error, TimeoutError) as error:
        return [
            checks.Warning(
                f"could not check the database for transaction pooling: {error!r}",
                id="tenants.W001",
            )
        ]
    return [] if refusal is None else [Error(refusal, id="tenants.E001")]
