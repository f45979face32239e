"""Sessions that belong to one schema.

Sessions already live apart (each schema's own table, schema-prefixed cache keys). The stamp
makes that a rule instead of a consequence of where tables happen to be: a session is valid
only in the schema that created it, even if a lookup ever fell through the search_path to
another schema's table.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import cached_db

from tenants.context import tenant_connection

SCHEMA_KEY = "_strata_schema"


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        data: dict[str, Any] = super().load()
        if data and data.get(SCHEMA_KEY) != tenant_connection().schema_name:
            # Someone else's session: behave exactly as for an unknown key.
            self._session_key = None
            return {}
        return data

    def save(self, must_create: bool = False) -> None:
        self[SCHEMA_KEY] = tenant_connection().schema_name
        super().save(must_create)
