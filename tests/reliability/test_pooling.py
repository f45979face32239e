"""Many tenants' requests interleaved on shared database connections never run in another
tenant's schema: through Django's psycopg pool, through persistent connections (CONN_MAX_AGE),
and through PgBouncer in session mode. PgBouncer in transaction mode is refused at start-up.

Real gunicorn servers (config/gunicorn.py: forked workers with threads) serve the test database;
client threads interleave requests across the tenants on keep-alive connections and ask the
test-only probe (tests/reliability/schema_probe.py) which schema PostgreSQL ran each request's
query in and on which backend. These tests commit, so they provision tenants of their own and
destroy them afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from pytest_django import DjangoDbBlocker

from shared_apps.accounts.models import User
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant
from tenants.services import tenant_provision
from tests.pgbouncer import PgBouncer, start_pgbouncer
from tests.reliability.conftest import sized
from tests.reliability.schema_probe import PROBE_PATH
from tests.servers import ROOT, LiveServer, start_live_server, url_of_test_database
from tests.workers import celery_env

PROBER_EMAIL = "prober@pooling.test"
GUNICORN_CONFIG = str(ROOT / "config" / "gunicorn.py")
CLIENT_THREADS = 6


@dataclass(frozen=True)
class Workspace:
    host: str
    schema: str
    session: str  # the prober's session cookie on this host


@pytest.fixture(scope="module")
def workspaces(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[list[Workspace]]:
    """Tenants of their own, committed, each with the prober signed in as its owner."""
    created: list[Tenant] = []
    found: list[Workspace] = []
    with django_db_blocker.unblock():
        try:
            for number in range(sized(20, 50)):
                slug = f"pooling-{number:02d}"
                tenant = tenant_provision(slug=slug, name=slug, owner_email=PROBER_EMAIL).tenant
                created.append(tenant)
                host = primary_host_for_slug(slug)
                client = Client(HTTP_HOST=host)
                with tenant_context(tenant):
                    client.force_login(User.objects.get(email=PROBER_EMAIL))
                session = client.cookies[settings.SESSION_COOKIE_NAME].value
                found.append(Workspace(host=host, schema=tenant.schema_name, session=session))
            yield found
        finally:
            for tenant in created:
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
                Tenant.objects.filter(pk=tenant.pk).delete()
            User.objects.filter(email=PROBER_EMAIL).delete()


# --- Interleaved requests ----------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    mismatches: int = 0
    errors: int = 0
    reconnects: int = 0  # keep-alive connections a recycled worker closed; the request is resent
    schemas_by_backend: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_failure(self, kind: str, detail: str) -> None:
        with self.lock:
            if kind == "mismatch":
                self.mismatches += 1
            else:
                self.errors += 1
            if len(self.examples) < 5:
                self.examples.append(f"{kind}: {detail}")


def _probe(port: int, requests: int, workspaces: list[Workspace], tally: Tally) -> None:
    """One client: `requests` probes on keep-alive connections, each to a random workspace."""
    rng = random.Random()  # noqa: S311  (a shuffle, not a secret)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seen: list[tuple[int, str]] = []
    mine = 0
    for _ in range(requests):
        workspace = rng.choice(workspaces)
        headers = {
            "Host": f"{workspace.host}:{port}",
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={workspace.session}",
            "Accept": "application/json",
        }
        for attempt in (1, 2):
            try:
                conn.request("GET", PROBE_PATH, headers=headers)
                response = conn.getresponse()
                body = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                # gunicorn closes idle keep-alive connections when it recycles a worker
                # (max_requests); like any HTTP client, resend a GET on a fresh connection.
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if attempt == 2:
                    tally.note_failure("error", f"{workspace.host}: {exc!r}")
                    response = None
                    break
                with tally.lock:
                    tally.reconnects += 1
        mine += 1
        if response is None:
            continue
        if response.status != 200:
            tally.note_failure("error", f"{workspace.host}: HTTP {response.status} {body[:200]!r}")
            continue
        answer = json.loads(body)
        if answer["schema"] != workspace.schema or answer["routed_schema"] != workspace.schema:
            tally.note_failure(
                "mismatch", f"{workspace.host} expected {workspace.schema}: {answer}"
            )
        seen.append((int(answer["backend"]), str(answer["schema"])))
    conn.close()
    with tally.lock:
        tally.requests += mine
        for backend, schema in seen:
            tally.schemas_by_backend[backend].add(schema)


def _hammer(name: str, server: LiveServer, workspaces: list[Workspace], total: int) -> Tally:
    tally = Tally()
    shares = [total // CLIENT_THREADS + (i < total % CLIENT_THREADS) for i in range(CLIENT_THREADS)]
    clients = [
        threading.Thread(target=_probe, args=(server.port, share, workspaces, tally))
        for share in shares
    ]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    seconds = time.monotonic() - started
    backends = tally.schemas_by_backend
    shared = sum(1 for schemas in backends.values() if len(schemas) > 1)
    print(  # noqa: T201  (the figures docs/reliability.md records)
        f"\n[pooling] {name}: {tally.requests} requests over {len(workspaces)} tenants from "
        f"{CLIENT_THREADS} clients in {seconds:.1f}s ({tally.requests / seconds:.0f}/s); "
        f"{len(backends)} backends, {shared} of them served several schemas (at most "
        f"{max((len(s) for s in backends.values()), default=0)}); {tally.mismatches} "
        f"mismatches, {tally.errors} errors, {tally.reconnects} keep-alive reconnects"
    )
    return tally


def _assert_isolated_and_shared(tally: Tally, workspaces: list[Workspace], total: int) -> None:
    assert tally.mismatches == 0, tally.examples
    assert tally.errors == 0, tally.examples
    assert tally.requests == total
    # Every tenant was served, and backends really were shared between tenants (each test
    # also bounds how many backends there were).
    served = set().union(*tally.schemas_by_backend.values())
    assert served == {workspace.schema for workspace in workspaces}
    assert max(len(schemas) for schemas in tally.schemas_by_backend.values()) > 1


def _server(name: str, **env: str) -> LiveServer:
    return start_live_server(
        name=f"pooling-{name}",
        config_file=GUNICORN_CONFIG,
        env={
            "STRATA_TEST_SCHEMA_PROBE": "1",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            # Routing from the process's own copy most of the time, as in production.
            "STRATA_ROUTING_LOCAL_TTL": "600",
            "LOG_LEVEL": "warning",
            **env,
        },
    )


@pytest.fixture
def pgbouncer_session() -> Iterator[PgBouncer]:
    bouncer = start_pgbouncer(pool_mode="session", pool_size=10)
    yield bouncer
    bouncer.stop()


REQUESTS = sized(1500, 100_000)


def _served_through(label: str, name: str, workspaces: list[Workspace], **env: str) -> Tally:
    """REQUESTS probes through a live server with `env`; none mismatched, none failed."""
    server = _server(name, **env)
    try:
        tally = _hammer(label, server, workspaces, REQUESTS)
    finally:
        server.stop()
    _assert_isolated_and_shared(tally, workspaces, REQUESTS)
    return tally


def test_every_request_runs_in_its_tenants_schema_through_djangos_pool(
    workspaces: list[Workspace],
) -> None:
    # Two connections per worker for four threads: every request borrows one another tenant
    # used a moment ago.
    tally = _served_through(
        "Django's psycopg pool",
        "django-pool",
        workspaces,
        DATABASE_POOL="true",
        DATABASE_POOL_MIN_SIZE="1",
        DATABASE_POOL_MAX_SIZE="2",
    )
    assert len(tally.schemas_by_backend) < len(workspaces)


def test_every_request_runs_in_its_tenants_schema_through_persistent_connections(
    workspaces: list[Workspace],
) -> None:
    # One connection per thread, kept for ten minutes, serving whichever tenant comes next.
    tally = _served_through(
        "CONN_MAX_AGE=600",
        "persistent",
        workspaces,
        DATABASE_POOL="false",
        DATABASE_CONN_MAX_AGE="600",
    )
    assert len(tally.schemas_by_backend) < len(workspaces)


def test_every_request_runs_in_its_tenants_schema_through_pgbouncer_in_session_mode(
    workspaces: list[Workspace], pgbouncer_session: PgBouncer
) -> None:
    # Django's pool in front of PgBouncer, each connection retired after 5 schemas: PgBouncer
    # hands its server connections to the clients that replace them, again and again.
    tally = _served_through(
        "PgBouncer session mode",
        "pgbouncer-session",
        workspaces,
        DATABASE_URL=pgbouncer_session.database_url,
        DATABASE_POOL="true",
        DATABASE_POOL_MIN_SIZE="1",
        DATABASE_POOL_MAX_SIZE="2",
        DATABASE_SCHEMAS_PER_CONNECTION="5",
    )
    clients, servers = pgbouncer_session.client_logins(), pgbouncer_session.server_connections()
    print(f"[pooling] PgBouncer: {clients} client connections on {servers} server connections")  # noqa: T201
    assert clients > servers
    # Server connections outlive the clients retired after 5 schemas: far more schemas each.
    assert len(tally.schemas_by_backend) <= 10
    assert max(len(s) for s in tally.schemas_by_backend.values()) > 5


# --- Transaction pooling is refused --------------------------------------------------------------

REFUSAL = "Set pool_mode = session for this database, or connect to PostgreSQL directly."


@dataclass(frozen=True)
class Exited:
    status: int
    output: str


def _run_to_exit(command: list[str], env: dict[str, str], timeout: float = 60) -> Exited:
    """Run a process that should stop by itself; kill its whole group if it does not."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"{command[2:4]} kept running:\n{output.decode(errors='replace')}")
    return Exited(status=process.returncode, output=output.decode(errors="replace"))


@pytest.fixture
def pgbouncer_per_transaction() -> Iterator[PgBouncer]:
    # Statement mode is told apart as well (tests/tenants/test_transaction_pooling.py).
    bouncer = start_pgbouncer(pool_mode="transaction", pool_size=10)
    yield bouncer
    bouncer.stop()


def _env(database_url: str) -> dict[str, str]:
    return celery_env(DATABASE_URL=database_url)


def test_gunicorn_refuses_to_start_behind_transaction_pooling(
    pgbouncer_per_transaction: PgBouncer,
) -> None:
    exited = _run_to_exit(
        [
            sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG,
            "--bind", "127.0.0.1:0", "config.wsgi:application",
        ],
        _env(pgbouncer_per_transaction.database_url),
    )  # fmt: skip

    assert exited.status != 0
    assert REFUSAL in exited.output
    assert f"127.0.0.1:{pgbouncer_per_transaction.port}" in exited.output
    assert "Booting worker" not in exited.output  # refused before forking any


def test_a_celery_worker_refuses_to_start_behind_transaction_pooling(
    pgbouncer_per_transaction: PgBouncer, tmp_path: Path
) -> None:
    exited = _run_to_exit(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
            "--loglevel", "INFO", "--queues", "pooling-refusal", "--without-gossip",
            "--without-mingle",
        ],
        _env(pgbouncer_per_transaction.database_url),
    )  # fmt: skip

    assert exited.status != 0
    assert REFUSAL in exited.output
    assert " ready." not in exited.output


def test_check_and_migrate_fleet_refuse_transaction_pooling(
    pgbouncer_per_transaction: PgBouncer,
) -> None:
    env = _env(pgbouncer_per_transaction.database_url)

    check = _run_to_exit([sys.executable, "manage.py", "check", "--database", "default"], env)
    migrate = _run_to_exit([sys.executable, "manage.py", "migrate_fleet", "--workers", "1"], env)

    for exited in (check, migrate):
        assert exited.status != 0
        assert "(tenants.E001)" in exited.output
        assert REFUSAL in exited.output
    assert "fleet:" not in migrate.output  # nothing was migrated


def test_check_passes_directly_and_behind_session_pooling(pgbouncer_session: PgBouncer) -> None:
    for database_url in (url_of_test_database(), pgbouncer_session.database_url):
        exited = _run_to_exit(
            [sys.executable, "manage.py", "check", "--database", "default"], _env(database_url)
        )
        assert exited.status == 0, exited.output
        assert "tenants.E001" not in exited.output
