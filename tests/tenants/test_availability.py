"""Which errors mean a server is unreachable (503), told apart from errors of a server that
answered (still a 500: a bug or a query to fix), with errors raised by the real clients."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
import redis
from django.db import OperationalError, connection, transaction

from tenants.availability import Service, unreachable_service
from tests.servers import _free_port


def _error_of(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("no error")


def test_a_refused_database_connection_is_the_database_being_unreachable() -> None:
    url = f"postgres://postgres@127.0.0.1:{_free_port()}/postgres"
    error = _error_of(lambda: psycopg.connect(url, connect_timeout=2))
    assert unreachable_service(error) == Service.DATABASE


@pytest.mark.django_db
def test_a_statement_timeout_is_not_an_outage() -> None:
    def slow_query() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(1)")

    error = _error_of(slow_query)
    assert isinstance(error, OperationalError)  # what Django raises, as for an outage
    assert unreachable_service(error) is None


def test_a_refused_redis_connection_is_redis_being_unreachable() -> None:
    client = redis.Redis(port=_free_port(), socket_connect_timeout=2)
    assert unreachable_service(_error_of(client.ping)) == Service.REDIS


def test_other_errors_are_not_outages() -> None:
    assert unreachable_service(_error_of(lambda: 1 / 0)) is None
