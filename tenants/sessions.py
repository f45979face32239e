"""Sessions that belong to one schema.

Sessions already live apart (each schema's own table, schema-prefixed cache keys). The stamp
makes that a rule instead of a consequence of where tables happen to be: a session is valid
only in the schema that created it, even if a lookup ever fell through the search_path to
another schema's table.

The cache is only a copy: while Redis is down, sessions are read from the database and people
stay signed in. Deleting one (signing out) still needs Redis, or its cached copy could come
back with Redis: that fails closed (a 503, tenants.availability).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db, db

from tenants.availability import REDIS_ERRORS
from tenants.context import tenant_connection

logger = logging.getLogger(__name__)

SCHEMA_KEY = "_strata_schema"


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = super().load()
        except REDIS_ERRORS:  # reading the cached copy (or refilling it) failed
            logger.warning("session cache unavailable; reading sessions from the database")
            data = db.SessionStore.load(self)
        if data and data.get(SCHEMA_KEY) != tenant_connection().schema_name:
            # Someone else's session: behave exactly as for an unknown key.
            self._session_key = None
            return {}
        return data

    def exists(self, session_key: str) -> bool:
        try:
            return bool(super().exists(session_key))
        except REDIS_ERRORS:
            return bool(db.SessionStore.exists(self, session_key))

    def save(self, must_create: bool = False) -> None:
        self[SCHEMA_KEY] = tenant_connection().schema_name
        super().save(must_create)
