"""Tenant schemas without migrations on the request path.

Migrations run in exactly one place for new schemas: the *template* schema, which the fleet
migration keeps at head. From it we capture a **blueprint**: the DDL of every table, index and
constraint, and the rows the template holds (the migration records), as plain SQL without any
schema name. A new schema is the blueprint replayed inside it, in the caller's transaction: a
few dozen statements instead of the Python of every migration.

What a blueprint cannot express (views, functions, triggers, standalone sequences, types) is
refused when it is captured, naming the object, so that a migration adding one fails loudly in
the fleet run instead of producing incomplete tenants. `schema_signature` describes a schema's
structure without its name; tests compare a replayed schema with a migrated one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

from tenants.connections import note_schema
from tenants.context import tenant_connection

TEMPLATE_SCHEMA = "strata_template"


class BlueprintError(RuntimeError):
    """The template holds something a blueprint cannot reproduce."""


class ProvisioningNotReadyError(RuntimeError):
    """No blueprint matches the code's migrations: the fleet migration has not run yet."""


@lru_cache(maxsize=1)
def expected_migrations() -> frozenset[tuple[str, str]]:
    """Every (app, migration) a schema at head has recorded: the graph's nodes, plus the
    migrations a squashed one replaces (Django records both)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    replaced = {name for migration in loader.replacements.values() for name in migration.replaces}
    return frozenset(set(loader.graph.nodes) | replaced)


def migrations_fingerprint(applied: frozenset[tuple[str, str]] | None = None) -> str:
    """A short digest of a set of applied migrations (by default: the code's head)."""
    names = sorted(f"{app}.{name}" for app, name in (applied or expected_migrations()))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:32]


def _fetch(query: str | sql.Composed, params: Any = None) -> list[tuple[Any, ...]]:
    with tenant_connection().cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def applied_migrations(schema: str) -> frozenset[tuple[str, str]]:
    rows = _fetch(
        sql.SQL("SELECT app, name FROM {}.django_migrations").format(sql.Identifier(schema))
    )
    return frozenset((app, name) for app, name in rows)


def schema_exists(schema: str) -> bool:
    return bool(_fetch("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]))


# --- Capture -----------------------------------------------------------------------------------

_UNSUPPORTED = """
SELECT kind, name FROM (
    SELECT 'view' AS kind, c.relname AS name FROM pg_class c
     WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind IN ('v', 'm', 'f', 'p')
    UNION ALL
    SELECT 'sequence', c.relname FROM pg_class c
     WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind = 'S'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')
    UNION ALL
    SELECT 'function', p.proname FROM pg_proc p WHERE p.pronamespace = %(ns)s::regnamespace
    UNION ALL
    SELECT 'trigger', t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = %(ns)s::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT 'type', t.typname FROM pg_type t
     WHERE t.typnamespace = %(ns)s::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
    UNION ALL
    SELECT 'column default', c.relname || '.' || a.attname FROM pg_attrdef ad
      JOIN pg_class c ON c.oid = ad.adrelid
      JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
     WHERE c.relnamespace = %(ns)s::regnamespace
       AND pg_get_expr(ad.adbin, ad.adrelid) LIKE '%%nextval(%%'
) found ORDER BY kind, name
"""

_TABLES = """
SELECT c.oid, c.relname FROM pg_class c
 WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' ORDER BY c.relname
"""

_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
       pg_get_expr(ad.adbin, ad.adrelid), a.attgenerated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum
"""

# Primary keys, unique, check and exclusion constraints first, foreign keys once every table
# exists; then the indexes that no constraint owns.
_CONSTRAINTS = """
SELECT c.relname, con.conname, pg_get_constraintdef(con.oid), con.contype = 'f'
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
 WHERE c.relnamespace = %s::regnamespace AND con.contype IN ('p', 'u', 'c', 'x', 'f')
 ORDER BY con.contype = 'f', c.relname, con.conname
"""

_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace = %s::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
 ORDER BY 1
"""


def _indexes(schema: str) -> list[str]:
    # pg_get_indexdef always names the table with its schema; a blueprint names none.
    qualified = re.compile(rf" ON (ONLY )?{re.escape(sql.Identifier(schema).as_string(None))}\.")
    if schema == sql.Identifier(schema).as_string(None).strip('"'):
        qualified = re.compile(rf" ON (ONLY )?(?:{re.escape(schema)}|\"{re.escape(schema)}\")\.")
    return [qualified.sub(r" ON \1", row[0], count=1) for row in _fetch(_INDEXES, [schema])]


@dataclass(frozen=True)
class Blueprint:
    fingerprint: str
    statements: tuple[str, ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.statements).encode()).hexdigest()[:16]


def _column_sql(row: tuple[Any, ...]) -> str:
    name, type_sql, not_null, identity, default, generated, collation = row
    parts = [sql.Identifier(name).as_string(None), type_sql]
    if collation:
        parts.append(f"COLLATE {sql.Identifier(collation).as_string(None)}")
    if generated == "s":
        parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
    elif default is not None:
        parts.append(f"DEFAULT {default}")
    if identity:
        parts.append(
            "GENERATED ALWAYS AS IDENTITY"
            if identity == "a"
            else "GENERATED BY DEFAULT AS IDENTITY"
        )
    if not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def _rows_sql(table: str, schema: str) -> list[str]:
    """INSERTs (and identity restarts) reproducing the template's rows of `table`."""
    rows = _fetch(
        sql.SQL("SELECT to_jsonb(t) FROM {}.{} t").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
    )
    if not rows:
        return []
    # Django's driver setup hands jsonb back as text.
    records = [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in rows]
    payload = json.dumps(records, sort_keys=True)
    statements = [
        sql.SQL(
            "INSERT INTO {table} OVERRIDING SYSTEM VALUE "
            "SELECT * FROM jsonb_populate_recordset(NULL::{table}, {rows})"
        )
        .format(table=sql.Identifier(table), rows=sql.Literal(payload))
        .as_string(None)
    ]
    for (column,) in _fetch(
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass "
        "AND a.attidentity <> '' AND NOT a.attisdropped",
        [sql.Identifier(schema, table).as_string(None)],
    ):
        statements.append(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({table}, {column}), "
                "(SELECT max({ident}) FROM {tbl}))"
            )
            .format(
                table=sql.Literal(sql.Identifier(table).as_string(None)),
                column=sql.Literal(column),
                ident=sql.Identifier(column),
                tbl=sql.Identifier(table),
            )
            .as_string(None)
        )
    return statements


def blueprint_capture(schema: str = TEMPLATE_SCHEMA) -> Blueprint:
    """The blueprint of `schema` (normally the template, migrated to head)."""
    connection = tenant_connection()
    with transaction.atomic():
        connection.set_schema_to_public()
        unsupported = _fetch(_UNSUPPORTED, {"ns": schema})
        if unsupported:
            found = ", ".join(f"{kind} {name}" for kind, name in unsupported)
            raise BlueprintError(
                f"schema {schema} holds what a blueprint cannot copy ({found}); teach "
                "tenants/schemas.py to capture it, or create it outside tenant schemas"
            )
        with connection.cursor() as cursor:
            # Names the definitions print are unqualified when they are in this schema.
            cursor.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))
            statements: list[str] = []
            tables = _fetch(_TABLES, [schema])
            for oid, table in tables:
                columns = ", ".join(_column_sql(row) for row in _fetch(_COLUMNS, [oid]))
                statements.append(
                    f"CREATE TABLE {sql.Identifier(table).as_string(None)} ({columns})"
                )
            foreign_keys: list[str] = []
            for table, name, definition, is_foreign in _fetch(_CONSTRAINTS, [schema]):
                statement = (
                    f"ALTER TABLE {sql.Identifier(table).as_string(None)} ADD CONSTRAINT "
                    f"{sql.Identifier(name).as_string(None)} {definition}"
                )
                (foreign_keys if is_foreign else statements).append(statement)
            statements.extend(_indexes(schema))
            for _oid, table in tables:
                statements.extend(_rows_sql(table, schema))
            statements.extend(foreign_keys)
            cursor.execute("SET LOCAL search_path = public")
        applied = applied_migrations(schema)
    return Blueprint(fingerprint=migrations_fingerprint(applied), statements=tuple(statements))


# --- Replay ------------------------------------------------------------------------------------


def blueprint_replay(blueprint: Blueprint, schema: str) -> None:
    """Create `schema` from `blueprint`, inside the caller's transaction."""
    connection = tenant_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("blueprint_replay() must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("SET LOCAL search_path = {}, public").format(sql.Identifier(schema)))
        # One round trip: the statements are ours, captured from our own template.
        cursor.execute(";\n".join(blueprint.statements))
        cursor.execute("SET LOCAL search_path = public")
    # The connection's idea of its schema must match what PostgreSQL now has.
    connection.set_schema_to_public()
    # Its backend now caches the new schema's tables: that counts against its budget.
    note_schema(schema, connection)


# --- Structure, for comparisons ----------------------------------------------------------------


_CASTS = re.compile(r"::[a-z][a-z ]*(\[\])?")


def _canonical(definition: str) -> str:
    """A constraint's text with casts and grouping left out: PostgreSQL deparses an IN-list
    check as `x = ANY ((ARRAY['a'::varchar])::text[])` when a migration created it and as
    `x = ANY (ARRAY[('a'::varchar)::text])` once that text is replayed; same expression."""
    return re.sub(r"[()\s]", "", _CASTS.sub("", definition))


def schema_signature(schema: str) -> dict[str, list[str]]:
    """The structure of `schema` with its name taken out: tables and columns, constraints,
    indexes, and the migrations it has recorded."""
    with transaction.atomic():
        with tenant_connection().cursor() as cursor:
            cursor.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))
        tables = _fetch(_TABLES, [schema])
        columns = [
            f"{table}: {_column_sql(row)}"
            for oid, table in tables
            for row in _fetch(_COLUMNS, [oid])
        ]
        constraints = [
            f"{t}.{n}: {_canonical(d)}" for t, n, d, _f in _fetch(_CONSTRAINTS, [schema])
        ]
        indexes = _indexes(schema)
        with tenant_connection().cursor() as cursor:
            cursor.execute("SET LOCAL search_path = public")
    migrations = sorted(f"{app}.{name}" for app, name in applied_migrations(schema))
    return {
        "columns": sorted(columns),
        "constraints": sorted(constraints),
        "indexes": sorted(indexes),
        "migrations": migrations,
    }
