"""Only in the counting pass (BENCH_API_COUNT=1), never while throughput is timed.

A middleware on top of the whole stack counts what one request sends: SQL statements through
Django's execute wrappers (as bench/routing counts them) and Redis commands through redis-py's
client, and returns both in response headers.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

COUNT_VARIABLE = "BENCH_API_COUNT"
SQL_COUNT_HEADER = "X-Bench-SQL-Count"
SQL_STATEMENTS_HEADER = "X-Bench-SQL"
# The statements in full (placeholders, not values), for the runner's notes on what they fetch.
SQL_TEXT_HEADER = "X-Bench-SQL-Text"
TEXT_SEPARATOR = " ;; "
REDIS_COUNT_HEADER = "X-Bench-Redis-Count"
REDIS_COMMANDS_HEADER = "X-Bench-Redis"
SEPARATOR = "; "
_MIDDLEWARE = "bench.api.counting.CountMiddleware"

# The Redis commands of the request being served (gunicorn's sync workers serve one at a time).
_commands: list[str] = []


def with_counter(stack: list[str]) -> list[str]:
    """`stack`, with the counter on top of it in the counting pass."""
    if os.environ.get(COUNT_VARIABLE) == "1":
        return [_MIDDLEWARE, *stack]
    return list(stack)


def _count_redis_commands() -> None:
    """Record the name of every command redis-py sends (django-redis goes through it)."""
    import redis

    send: Callable[..., Any] = redis.Redis.execute_command
    if getattr(send, "bench_counted", False):
        return

    @functools.wraps(send)
    def counted(self: redis.Redis, *args: Any, **options: Any) -> Any:
        _commands.append(str(args[0]).upper() if args else "?")
        return send(self, *args, **options)

    counted.bench_counted = True  # type: ignore[attr-defined]
    redis.Redis.execute_command = counted  # type: ignore[method-assign]

    # A pipeline queues its commands and sends them in one round trip from execute(), past
    # Redis.execute_command: each queued command is recorded when it goes out.
    flush: Callable[..., Any] = redis.client.Pipeline.execute

    @functools.wraps(flush)
    def counted_flush(self: redis.client.Pipeline, *args: Any, **options: Any) -> Any:
        _commands.extend(str(command[0][0]).upper() for command in self.command_stack)
        return flush(self, *args, **options)

    redis.client.Pipeline.execute = counted_flush  # type: ignore[method-assign]


def _describe(sql: str) -> str:
    """bench/routing's short form (`SELECT FROM a JOIN b`), with the table of an UPDATE."""
    from bench.routing.benchapp.middleware import describe

    words = sql.split()
    if len(words) > 1 and words[0].upper() == "UPDATE":
        table = words[1].strip('"')
        return f"UPDATE {table}"
    return describe(sql)


class CountMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        _count_redis_commands()

    def __call__(self, request: Any) -> Any:
        # Imported here: settings modules import this module before Django is set up.
        from django.db import connection

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

        _commands.clear()
        with connection.execute_wrapper(record):
            response = self.get_response(request)
        response[SQL_COUNT_HEADER] = str(len(statements))
        response[SQL_STATEMENTS_HEADER] = SEPARATOR.join(_describe(sql) for sql in statements)
        response[SQL_TEXT_HEADER] = TEXT_SEPARATOR.join(" ".join(sql.split()) for sql in statements)
        response[REDIS_COUNT_HEADER] = str(len(_commands))
        response[REDIS_COMMANDS_HEADER] = SEPARATOR.join(_commands)
        return response
