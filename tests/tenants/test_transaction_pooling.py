"""Strata refuses a database reached through a pooler that hands sessions to other clients
between transactions (tenants.connections): told apart from a direct connection and from
session pooling against real PgBouncers (tests/pgbouncer.py)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

from tenants.connections import (
    exit_if_pooled_per_transaction,
    pooled_per_transaction,
    transaction_pooling_refusal,
)
from tests.pgbouncer import PgBouncer, PoolMode, start_pgbouncer


@pytest.fixture
def bouncer(request: pytest.FixtureRequest) -> Iterator[PgBouncer]:
    mode, size = request.param
    pgbouncer = start_pgbouncer(pool_mode=mode, pool_size=size)
    yield pgbouncer
    pgbouncer.stop()


def _through(bouncer: PgBouncer) -> BaseDatabaseWrapper:
    return bouncer.database_wrapper()


def test_a_direct_connection_is_not_pooled_per_transaction(db: None) -> None:
    assert not pooled_per_transaction(connection)
    assert transaction_pooling_refusal(connection) is None


@pytest.mark.parametrize("bouncer", [("session", 20)], indirect=True)
def test_pgbouncer_in_session_mode_is_not_pooled_per_transaction(
    db: None, bouncer: PgBouncer
) -> None:
    assert not pooled_per_transaction(_through(bouncer))


@pytest.mark.parametrize("bouncer", [("session", 1)], indirect=True)
def test_a_session_pool_without_a_spare_backend_cannot_be_told_and_says_so(
    db: None, bouncer: PgBouncer, caplog: pytest.LogCaptureFixture
) -> None:
    """The second connection waits for a backend that only the first one's end would free:
    the check gives up after a few seconds instead of waiting for PgBouncer's two minutes,
    and a process starting up only reports it."""
    exit_if_pooled_per_transaction(logging.getLogger("test"), _through(bouncer))

    assert "could not check the database for transaction pooling: TimeoutError" in caplog.text


MODES: list[tuple[PoolMode, int]] = [("transaction", 20), ("transaction", 1), ("statement", 20)]


@pytest.mark.parametrize(
    "bouncer", MODES, indirect=True, ids=[f"{mode}-{size}" for mode, size in MODES]
)
def test_pgbouncer_pooling_per_transaction_or_statement_is_detected(
    db: None, bouncer: PgBouncer
) -> None:
    """With one server connection, the first client waits for it instead of keeping its own:
    detected too."""
    assert pooled_per_transaction(_through(bouncer))


@pytest.mark.parametrize("bouncer", [("transaction", 20)], indirect=True)
def test_the_refusal_names_where_and_the_fix(db: None, bouncer: PgBouncer) -> None:
    refusal = transaction_pooling_refusal(_through(bouncer))

    assert refusal is not None
    assert f"at DATABASE_URL 127.0.0.1:{bouncer.port}" in refusal
    assert "Set pool_mode = session for this database" in refusal
    with pytest.raises(SystemExit) as exited:
        exit_if_pooled_per_transaction(logging.getLogger("test"), _through(bouncer))
    assert exited.value.code == 1


def test_an_unreachable_database_is_only_reported_at_start_up(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    """A process still starts when the database is down, as before; /readyz says so."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT="1")  # nothing listens on port 1
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="down")

    exit_if_pooled_per_transaction(logging.getLogger("test"), wrapper)

    assert "could not check the database for transaction pooling" in caplog.text
