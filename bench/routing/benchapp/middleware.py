"""Only in the counting pass (BENCH_COUNT_SQL=1), never while throughput is timed."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

SQL_COUNT_HEADER = "X-Bench-SQL-Count"
SQL_STATEMENTS_HEADER = "X-Bench-SQL"
SQL_SEPARATOR = "; "

_TABLE = re.compile(r'\b(FROM|JOIN)\s+"([^"]+)"')
# Tenant schema names are random per run; the report shows where a schema goes, not its name.
_TENANT_SCHEMA = re.compile(r'"(?!public")[^"]+"')


def describe(sql: str) -> str:
    """`SET search_path = "<tenant>","public"` or `SELECT FROM a JOIN b`: short and stable."""
    words = sql.split()
    if not words:
        return ""
    verb = words[0].upper()
    if verb == "SET":
        return _TENANT_SCHEMA.sub('"<tenant>"', " ".join(words))
    tables = " ".join(f"{keyword} {table}" for keyword, table in _TABLE.findall(sql))
    return f"{verb} {tables}".rstrip()


class SqlCountMiddleware:
    """Count every statement the request sends through Django's cursors, routing included.

    It sits above the routing middleware so that the tenant lookup is counted too. The
    django_tenants backend issues its `SET search_path` on the cursor Django wraps, so execute
    wrappers see it; the runner cross-checks the count against PostgreSQL's own statistics.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        statements: list[str] = []

        def record(
            execute: Callable[..., Any],
            sql: str,
            params: Any,
            many: bool,
            context: Mapping[str, Any],
        ) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            response = self.get_response(request)
        response[SQL_COUNT_HEADER] = str(len(statements))
        response[SQL_STATEMENTS_HEADER] = SQL_SEPARATOR.join(describe(sql) for sql in statements)
        return response
