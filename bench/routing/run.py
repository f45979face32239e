"""Routing benchmark: one JSON API served by plain Django, stock django-tenants and Strata.

`make bench` runs it (uv run --frozen python bench/routing/run.py, from the repository root).
It creates one throwaway database per variant on DATABASE_URL's server, serves the bench app
three ways under gunicorn, times every (variant, endpoint) pair with wrk in interleaved rounds,
counts SQL per request in a separate pass, drops the databases (also on failure) and rewrites
the Routing section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: bench.* must import
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - needs ROOT on sys.path first
from bench import serving as shared  # noqa: E402
from bench.common import (  # noqa: E402
    DOC,
    BenchError,
    bullet,
    database_url,
    drop_database,
    numbered,
    paragraph,
    plural,
    positive,
    run,
    say,
    write_section,
)
from bench.routing import search_path_cost  # noqa: E402
from bench.serving import GunicornServer, Reply, Sample, ensure_wrk  # noqa: E402

DEFAULT_SERVER_URL = common.DEFAULT_SERVER_URL
# A Redis database of the benchmark's own: the test suite uses 15.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
DATABASE_PREFIX = "strata_bench_routing"
TENANT_SLUG = "acme"
# A tenant's host for stock and Strata, an allowed host for plain: every variant gets the same.
HOST = "acme.localhost"
# As many rows as bench_seed creates, in the bench app's table.
ITEM_ROWS = 20
ITEM_TABLE = "benchapp_item"

WORKERS = 2
CONNECTIONS = 8
WRK_THREADS = 1
FIRST_WARMUP_SECONDS = 3
WARMUP_SECONDS = 1
COUNT_REQUESTS = 100
# PostgreSQL (15+) publishes an idle backend's statistics 10 s after its last transaction.
STATS_SETTLE_SECONDS = 11.5
# Server-side transactions per request may differ from the counted statements by this much
# (autovacuum also commits in the benchmark databases) before the run reports a mismatch.
STATS_TOLERANCE = 0.05

# The same names as bench/routing/benchapp/middleware.py: this script does not import Django.
SQL_COUNT_HEADER = "X-Bench-SQL-Count"
SQL_STATEMENTS_HEADER = "X-Bench-SQL"

TARGET_LIST_RATIO = 0.95
TARGET_NODB_RATIO = 0.90
TARGET_LIST_EXTRA_SQL = 1
TARGET_NODB_EXTRA_SQL = 0

# Variables that Strata's settings (or this benchmark) read: reset for every child process, so a
# developer's shell cannot change what is measured.
_OWN_VARIABLES = ("DJANGO_", "DATABASE_", "REDIS_", "STRATA_", "BENCH_")


@dataclass(frozen=True)
class Variant:
    key: str
    title: str
    settings: str
    # Served from a tenant schema: built with migrate_fleet and Strata's provisioning.
    tenant: bool

    @property
    def database(self) -> str:
        return f"{DATABASE_PREFIX}_{self.key}"


@dataclass(frozen=True)
class Endpoint:
    key: str
    title: str
    path: str


VARIANTS = (
    Variant("plain", "Plain Django", "bench.routing.settings_plain", tenant=False),
    Variant("stock", "Stock django-tenants", "bench.routing.settings_stock", tenant=True),
    Variant("strata", "Strata", "bench.routing.settings_strata", tenant=True),
)
PLAIN, STOCK, STRATA = VARIANTS
ENDPOINTS = (
    Endpoint("nodb", "No-database JSON view", "/ping/"),
    Endpoint("list", f"DRF ListAPIView, one query, {ITEM_ROWS} rows", "/api/items/"),
)
NODB, LIST = ENDPOINTS
Pair = tuple[Variant, Endpoint]


@dataclass(frozen=True)
class Config:
    server_url: str
    redis_url: str
    rounds: int
    duration: int
    wrk: str


@dataclass(frozen=True)
class SqlCount:
    counts: list[int]
    # Each distinct statement list (as the counting middleware describes it) and how often.
    statements: Counter[str]
    # Transactions PostgreSQL ended in the variant's database, per counted request.
    server_side: float

    @property
    def mean(self) -> float:
        return statistics.fmean(self.counts)

    @property
    def most(self) -> int:
        return max(self.counts)


# --- Tools and environment -------------------------------------------------------------------


def child_env(
    config: Config, variant: Variant, *, settings: str | None = None, count_sql: bool = False
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_VARIABLES)}
    env.update(
        DJANGO_SETTINGS_MODULE=settings or variant.settings,
        DATABASE_URL=database_url(config.server_url, variant.database),
        DJANGO_SECRET_KEY=common.THROWAWAY_DJANGO_KEY,
        REDIS_URL=config.redis_url,
    )
    if count_sql:
        env["BENCH_COUNT_SQL"] = "1"
    return env


# --- Databases and Redis ---------------------------------------------------------------------


def admin_connection(config: Config) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(config.server_url, autocommit=True, connect_timeout=5)


def drop_databases(config: Config) -> None:
    # A connection of its own: the one the run used may be the reason it failed.
    with admin_connection(config) as admin:
        for variant in VARIANTS:
            drop_database(admin, variant.database)


def manage(env: dict[str, str], *args: str) -> None:
    run([sys.executable, "-m", "django", *args], timeout=300, env=env)


def build_databases(config: Config, admin: psycopg.Connection[tuple[Any, ...]]) -> None:
    for variant in VARIANTS:
        say(f"  {variant.database}: create, migrate, seed {ITEM_ROWS} rows")
        drop_database(admin, variant.database)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(variant.database)))
        if variant.tenant:
            # Built with Strata's settings and provisioning service whichever variant serves
            # it: both tenancy variants install the same apps, so their schemas are identical.
            env = child_env(config, variant, settings=STRATA.settings)
            manage(env, "migrate_fleet", "--skip-pool", "-v", "0")
            manage(env, "bench_seed", "--tenant", TENANT_SLUG)
        else:
            env = child_env(config, variant)
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "bench_seed")


def transactions(admin: psycopg.Connection[tuple[Any, ...]]) -> dict[str, int]:
    """Transactions committed or rolled back so far in each benchmark database."""
    return shared.transactions(admin, [variant.database for variant in VARIANTS])


def clear_redis(url: str) -> None:
    """Forget what Strata's caches ("strata" and "strata-global" prefixes) hold in our db."""
    shared.clear_redis(url, "strata*")


# --- Servers ---------------------------------------------------------------------------------


def get(port: int, path: str) -> Reply:
    return shared.get(port, path, {"Host": HOST}, timeout=5)


class Server(GunicornServer):
    """One variant under gunicorn."""

    READY = "answer 200"

    def __init__(self, variant: Variant, env: dict[str, str], log_dir: Path) -> None:
        super().__init__(variant.key, env, log_dir, workers=WORKERS)
        self.variant = variant

    def answers(self) -> bool:
        return get(self.port, NODB.path).status == 200


@contextlib.contextmanager
def serving(config: Config, log_dir: Path, *, count_sql: bool) -> Iterator[dict[str, Server]]:
    servers = {
        variant.key: Server(variant, child_env(config, variant, count_sql=count_sql), log_dir)
        for variant in VARIANTS
    }
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait_ready()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def check_endpoint(server: Server, endpoint: Endpoint) -> Reply:
    """One request, which must answer 200 with the expected JSON.

    On stock and Strata the bench table exists only in the tenant's schema, so 20 rows also
    prove the request was routed to the tenant.
    """
    reply = get(server.port, endpoint.path)
    where = f"{server.variant.key} {endpoint.path}"
    if reply.status != 200:
        raise BenchError(f"{where} answered {reply.status}: {reply.body[:500]!r}")
    data = json.loads(reply.body)
    expected = (
        data == {"status": "ok", "service": "bench"}
        if endpoint is NODB
        else isinstance(data, list) and len(data) == ITEM_ROWS
    )
    if not expected:
        raise BenchError(f"{where} answered unexpected JSON: {reply.body[:500]!r}")
    return reply


# --- Load ------------------------------------------------------------------------------------


def load(
    config: Config,
    server: Server,
    endpoint: Endpoint,
    seconds: int,
    connections: int = CONNECTIONS,
) -> Sample:
    """wrk at fixed concurrency for `seconds`; BenchError unless every response was a 200."""
    return shared.load(
        config.wrk,
        server,
        endpoint.path,
        {"Host": HOST},
        seconds=seconds,
        connections=connections,
        threads=WRK_THREADS,
    )


def measure_throughput(config: Config, log_dir: Path) -> dict[Pair, list[Sample]]:
    pairs = [(variant, endpoint) for variant in VARIANTS for endpoint in ENDPOINTS]
    samples: dict[Pair, list[Sample]] = {pair: [] for pair in pairs}
    with serving(config, log_dir, count_sql=False) as servers:
        say(f"Warming up every server and endpoint ({FIRST_WARMUP_SECONDS} s each)")
        for variant, endpoint in pairs:
            check_endpoint(servers[variant.key], endpoint)
            load(config, servers[variant.key], endpoint, FIRST_WARMUP_SECONDS)
        for number in range(1, config.rounds + 1):
            # Each round starts with the next variant: none is always first or last.
            shift = (number - 1) * len(ENDPOINTS) % len(pairs)
            order = pairs[shift:] + pairs[:shift]
            for position, (variant, endpoint) in enumerate(order, 1):
                say(
                    f"  round {number}/{config.rounds} [{position}/{len(order)}] "
                    f"{variant.key:<6} {endpoint.key:<4}",
                    end="",
                )
                server = servers[variant.key]
                check_endpoint(server, endpoint)
                load(config, server, endpoint, WARMUP_SECONDS)
                sample = load(config, server, endpoint, config.duration)
                samples[(variant, endpoint)].append(sample)
                say(
                    f" {sample.rps:8.1f} req/s   p50 {sample.p50_ms:6.2f} ms"
                    f"   p99 {sample.p99_ms:6.2f} ms"
                )
    return samples


def count_requests(server: Server, endpoint: Endpoint) -> tuple[list[int], Counter[str]]:
    counts: list[int] = []
    statements: Counter[str] = Counter()
    for _ in range(COUNT_REQUESTS):
        reply = check_endpoint(server, endpoint)
        count = reply.headers.get(SQL_COUNT_HEADER)
        if count is None:
            raise BenchError(f"{server.variant.key}: no {SQL_COUNT_HEADER} header; counter off?")
        counts.append(int(count))
        statements[reply.headers.get(SQL_STATEMENTS_HEADER, "")] += 1
    return counts, statements


def measure_sql(
    config: Config, admin: psycopg.Connection[tuple[Any, ...]], log_dir: Path
) -> dict[Pair, SqlCount]:
    """Statements per request as Django's execute wrappers see them, checked against PostgreSQL.

    Each variant has its own database, so its transaction count in pg_stat_database covers its
    requests only: in autocommit every statement, SET included, is one transaction.
    """
    results: dict[Pair, SqlCount] = {}
    with serving(config, log_dir, count_sql=True) as servers:
        for variant in VARIANTS:
            for endpoint in ENDPOINTS:
                # Concurrent requests, so that both workers connect to the database now and not
                # during the counted requests.
                load(config, servers[variant.key], endpoint, WARMUP_SECONDS, connections=4)
        say(f"  waiting {STATS_SETTLE_SECONDS:.0f} s for PostgreSQL's statistics to settle")
        time.sleep(STATS_SETTLE_SECONDS)
        before = transactions(admin)
        for endpoint in ENDPOINTS:
            counted: dict[Variant, tuple[list[int], Counter[str]]] = {}
            for variant in VARIANTS:
                say(f"  {variant.key:<6} {endpoint.key:<4} {COUNT_REQUESTS} requests", end="")
                counted[variant] = count_requests(servers[variant.key], endpoint)
                say(f", {statistics.fmean(counted[variant][0]):.2f} statements each")
            time.sleep(STATS_SETTLE_SECONDS)
            after = transactions(admin)
            for variant, (counts, statements) in counted.items():
                server_side = (after[variant.database] - before[variant.database]) / COUNT_REQUESTS
                results[(variant, endpoint)] = SqlCount(counts, statements, server_side)
            before = after
    return results


# --- Report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    when: datetime
    machine: str
    versions: list[tuple[str, str]]


def describe_environment(config: Config, admin: psycopg.Connection[tuple[Any, ...]]) -> Environment:
    machine = common.machine()
    client = redis.Redis.from_url(config.redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        redis_version = str(client.info("server")["redis_version"])
    finally:
        client.close()
    wrk_banner = subprocess.run(
        [config.wrk, "-v"], capture_output=True, text=True, timeout=10, check=False
    ).stdout
    wrk_version = re.search(r"wrk (\S+)", wrk_banner)
    versions = [
        ("Python", common.python_version()),
        ("Django", version("django")),
        ("django-tenants", version("django-tenants")),
        ("Django REST framework", version("djangorestframework")),
        ("gunicorn", version("gunicorn")),
        ("psycopg", version("psycopg")),
        ("django-redis", version("django-redis")),
        ("PostgreSQL server", common.server_version(admin)),
        ("Redis server", redis_version),
        ("wrk", wrk_version[1] if wrk_version else "unknown"),
    ]
    return Environment(datetime.now(UTC), machine, versions)


def median(samples: list[Sample], attribute: str) -> float:
    return statistics.median(float(getattr(sample, attribute)) for sample in samples)


def sql_cell(count: SqlCount) -> str:
    if min(count.counts) == count.most:
        return str(count.most)
    return f"{count.mean:.2f} (max {count.most})"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x"


def endpoint_table(
    endpoint: Endpoint, samples: dict[Pair, list[Sample]], sql_counts: dict[Pair, SqlCount]
) -> list[str]:
    plain = samples[(PLAIN, endpoint)]
    base = {name: median(plain, name) for name in ("rps", "p50_ms", "p99_ms")}
    lines = [
        (
            "| Variant | req/s | vs plain | p50 ms | vs plain | p99 ms | vs plain | SQL/request "
            "| req/s per round |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for variant in VARIANTS:
        runs = samples[(variant, endpoint)]
        rps, p50, p99 = (median(runs, name) for name in ("rps", "p50_ms", "p99_ms"))
        rounds = " / ".join(f"{sample.rps:.0f}" for sample in runs)
        lines.append(
            f"| {variant.title} | {rps:,.0f} | {ratio(rps, base['rps'])} | {p50:.2f} "
            f"| {ratio(p50, base['p50_ms'])} | {p99:.2f} | {ratio(p99, base['p99_ms'])} "
            f"| {sql_cell(sql_counts[(variant, endpoint)])} | {rounds} |"
        )
    return lines


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool


def verdicts(samples: dict[Pair, list[Sample]], sql_counts: dict[Pair, SqlCount]) -> list[Verdict]:
    def speed(endpoint: Endpoint, target: float, view: str) -> Verdict:
        plain, strata = samples[(PLAIN, endpoint)], samples[(STRATA, endpoint)]
        value = median(strata, "rps") / median(plain, "rps")
        # Rounds are interleaved, so each round's own ratio shows how much the figure moves.
        per_round = ", ".join(f"{s.rps / p.rps:.2f}x" for s, p in zip(strata, plain, strict=True))
        return Verdict(
            f"Strata >= {target}x plain req/s on the {view}",
            f"{value:.3f}x (per round: {per_round})",
            value >= target,
        )

    def extra_sql(endpoint: Endpoint, allowed: int, target: str) -> Verdict:
        plain, strata = sql_counts[(PLAIN, endpoint)].most, sql_counts[(STRATA, endpoint)].most
        return Verdict(
            target,
            f"plain {plain}, Strata {strata} (the most any counted request sent)",
            strata - plain <= allowed,
        )

    return [
        speed(LIST, TARGET_LIST_RATIO, "list view"),
        speed(NODB, TARGET_NODB_RATIO, "no-database view"),
        extra_sql(
            LIST,
            TARGET_LIST_EXTRA_SQL,
            "At most one SQL statement per request more than plain (list view)",
        ),
        extra_sql(
            NODB,
            TARGET_NODB_EXTRA_SQL,
            "No SQL statement more than plain on the view that touches no table",
        ),
    ]


def statements_table(sql_counts: dict[Pair, SqlCount]) -> tuple[list[str], list[str]]:
    """The statements of a typical request per pair, and any disagreement with PostgreSQL."""
    lines = [
        (
            "| Variant | Endpoint | Statements of one request (Django execute wrapper) "
            "| PostgreSQL transactions/request |"
        ),
        "| --- | --- | --- | ---: |",
    ]
    mismatches: list[str] = []
    for endpoint in ENDPOINTS:
        for variant in VARIANTS:
            count = sql_counts[(variant, endpoint)]
            common, seen = count.statements.most_common(1)[0]
            text = f"`{common}`" if common else "none"
            if seen != len(count.counts):
                text += f" ({seen} of {len(count.counts)} requests)"
            lines.append(f"| {variant.title} | {endpoint.key} | {text} | {count.server_side:.2f} |")
            if abs(count.server_side - count.mean) > STATS_TOLERANCE:
                mismatches.append(
                    f"{variant.key} {endpoint.key}: {count.mean:.2f} counted, "
                    f"{count.server_side:.2f} seen by PostgreSQL"
                )
    return lines, mismatches


def render_section(
    *,
    config: Config,
    environment: Environment,
    samples: dict[Pair, list[Sample]],
    sql_counts: dict[Pair, SqlCount],
    set_cost: search_path_cost.SearchPathCost,
    elapsed: float,
) -> str:
    versions = ", ".join(f"{name} {value}" for name, value in environment.versions)
    statement_lines, mismatches = statements_table(sql_counts)
    stock_ratios = ", ".join(
        f"{ratio(median(samples[(STOCK, e)], 'rps'), median(samples[(PLAIN, e)], 'rps'))} on "
        f"{e.key}"
        for e in ENDPOINTS
    )
    out = ["## Routing", ""]
    out += paragraph(
        "What choosing the tenant from the Host header costs per request: one small JSON API "
        "served three ways under the same server and the same load."
    )
    out.append("")
    out += numbered(
        1,
        "**Plain Django**: no django-tenants at all (`django.db.backends.postgresql`), "
        "table in `public`.",
    )
    out += numbered(
        2,
        "**Stock django-tenants**: `TenantMainMiddleware` and the `django_tenants` backend "
        "with stock defaults (`TENANT_LIMIT_SET_CALLS` unset, so a `SET search_path` before "
        "every cursor, and a Domain lookup in the database on every request); table in a "
        "tenant schema.",
    )
    out += numbered(
        3,
        "**Strata**: `tenants.middleware.TenantRoutingMiddleware` with Strata's tenancy, "
        "database and cache settings (`TENANT_LIMIT_SET_CALLS = True`, host routes cached "
        "in-process and in Redis through the `global` cache alias); table in the schema of a "
        "tenant created by `tenants.services.tenant_provision`.",
    )
    out.append("")
    out += paragraph(
        f"Measured {environment.when:%Y-%m-%d %H:%M} UTC by `bench/routing/run.py`; the whole "
        f"run took {elapsed / 60:.1f} minutes."
    )
    out += ["", "### Setup", ""]
    out += bullet(
        f"Machine: {environment.machine}. The load generator, both gunicorn workers, "
        "PostgreSQL and Redis share it."
    )
    out += bullet(f"Versions: {versions}.")
    out += bullet(
        f"Server: gunicorn with {WORKERS} sync workers on 127.0.0.1 (each response closes its "
        "connection), started and stopped by the runner; `DEBUG = False`; persistent database "
        "connections (`CONN_MAX_AGE = 600`, `CONN_HEALTH_CHECKS = False`) in every variant."
    )
    out += bullet(
        "`CONN_HEALTH_CHECKS` is off in every variant, as in Strata's own settings: with it on, "
        "each request that touches the database would send one more statement, a `SELECT 1` "
        "that Django issues on the raw psycopg cursor, which execute wrappers never see (the "
        "PostgreSQL cross-check below would)."
    )
    out += bullet(
        "Same app, middleware and DRF settings everywhere: `SecurityMiddleware` and "
        "`CommonMiddleware`, with only the routing middleware added on top for stock and "
        "Strata; DRF without authentication, permissions or pagination, JSON renderer only. "
        f"Every request carries `Host: {HOST}`."
    )
    out += bullet(
        f"Load: wrk, {plural(WRK_THREADS, 'thread')}, {CONNECTIONS} connections, "
        f"{config.duration} s per measurement after a {WARMUP_SECONDS} s warm-up (and "
        f"{FIRST_WARMUP_SECONDS} s per pair before the first round). "
        f"{plural(config.rounds, 'round')}, each measuring every (variant, endpoint) pair once "
        "and starting with the next variant, so that drift of the machine spreads over all of "
        "them; the tables give the median over rounds. The run fails if any timed response is "
        "not a 200 (a wrk script counts statuses) or any socket error occurs."
    )
    out += bullet(
        "SQL per request: a separate pass after the timed one serves each variant again with a "
        "bench-only middleware on top of the stack that counts statements through "
        "`connection.execute_wrapper` and returns the count in a response header; the figure "
        f"covers {COUNT_REQUESTS} requests per pair after a warm-up. The django_tenants "
        "backend issues its `SET search_path` on the cursor Django wraps, so the wrapper counts "
        "it (the statement lists below show it). Cross-check: each variant has its own "
        "database, and the transactions PostgreSQL committed in it during the counted requests "
        "(`pg_stat_database`) are divided by the number of requests; in autocommit each "
        "statement is one transaction, so this also catches a statement that bypassed "
        "Django's cursor."
    )
    out.append("")
    for endpoint in ENDPOINTS:
        out += [f"### {endpoint.title} (`GET {endpoint.path}`)", ""]
        out += endpoint_table(endpoint, samples, sql_counts)
        out.append("")
    out += paragraph(
        "Ratios are against plain Django: above 1 means faster for req/s, slower for latency. "
        "SQL/request counts every statement, `SET search_path` included."
    )
    out += ["", "### Targets", "", "| Target | Measured | Result |", "| --- | --- | --- |"]
    out += [
        f"| {v.target} | {v.measured} | {'met' if v.met else '**not met**'} |"
        for v in verdicts(samples, sql_counts)
    ]
    out.append("")
    out += paragraph(
        f"For reference, stock django-tenants measured {stock_ratios}; the issue expected "
        "about 0.33x on nodb and 0.67x on list."
    )
    out += ["", "### What the one extra statement costs", ""]
    out += set_cost_lines(samples, set_cost)
    out += ["", "### SQL per request, statement by statement", "", *statement_lines, ""]
    if mismatches:
        out += paragraph(
            f"**The cross-check disagreed** (by more than {STATS_TOLERANCE} per request): "
            + "; ".join(mismatches)
            + "."
        )
    else:
        out += paragraph(
            "PostgreSQL's count agrees with the execute wrapper's for every pair (within "
            f"{STATS_TOLERANCE} per request)."
        )
    out += ["", "### Reproduce", "", "```", "make bench", "```", ""]
    out += paragraph(
        "runs `uv run --frozen python bench/routing/run.py` from the repository root. It needs "
        "PostgreSQL (the server of `DATABASE_URL`, by default "
        f"`{DEFAULT_SERVER_URL}`, where it creates and finally drops `{DATABASE_PREFIX}_*`), "
        f"Redis at `{DEFAULT_REDIS_URL}` (`BENCH_REDIS_URL` overrides it) and wrk, which it "
        "installs with apt-get when missing. `--rounds` and `--duration` shorten a trial run; "
        "`--no-doc` leaves this file alone."
    )
    out.append("")
    return "\n".join(out)


def set_cost_lines(
    samples: dict[Pair, list[Sample]], cost: search_path_cost.SearchPathCost
) -> list[str]:
    """The one extra statement's cost against the list view's budget per request."""
    plain_rps = median(samples[(PLAIN, LIST)], "rps")
    strata_rps = median(samples[(STRATA, LIST)], "rps")
    # Under full load each of the WORKERS workers spends this long per request.
    plain_us = WORKERS / plain_rps * 1e6
    strata_us = WORKERS / strata_rps * 1e6
    nodb_plain_us = WORKERS / median(samples[(PLAIN, NODB)], "rps") * 1e6
    nodb_strata_us = WORKERS / median(samples[(STRATA, NODB)], "rps") * 1e6
    out = paragraph(
        "Strata's one extra statement is the `SET search_path` before the first query of each "
        "request that queries at all: the architecture sets the path once per request and "
        "never trusts what a reused connection had. Timed at the driver (psycopg, one "
        f"connection, sequential, median of {search_path_cost.BATCHES} batches of "
        f"{search_path_cost.BATCH}) against the Strata database's tenant table:"
    )
    out.append("")
    out += [
        "| What is sent | µs per request | extra over the query alone |",
        "| --- | ---: | ---: |",
        f"| the list query alone | {cost.select_us:.0f} | |",
        (
            f"| `SET search_path`, then the query (Strata) | {cost.set_then_select_us:.0f} | "
            f"{cost.set_us:+.0f} |"
        ),
        (
            f"| both in one round trip (psycopg pipeline mode) | {cost.pipelined_us:.0f} | "
            f"{cost.pipelined_set_us:+.0f} |"
        ),
        "",
    ]
    ratios = [
        strata.rps / plain.rps
        for plain, strata in zip(samples[(PLAIN, LIST)], samples[(STRATA, LIST)], strict=True)
    ]
    met = strata_rps / plain_rps >= TARGET_LIST_RATIO
    verdict = (
        f"This run met the {TARGET_LIST_RATIO}x target ({strata_rps / plain_rps:.3f}x)"
        if met
        else f"This run missed the {TARGET_LIST_RATIO}x target ({strata_rps / plain_rps:.3f}x)"
    )
    out += paragraph(
        f"Under load a list request costs plain Django {plain_us:.0f} µs of a worker and Strata "
        f"{strata_us:.0f} µs ({strata_us - plain_us:+.0f}); the no-database view puts the "
        f"middleware's share at {nodb_strata_us - nodb_plain_us:+.0f} µs. The SET alone is "
        f"{cost.set_us / plain_us:.1%} of plain's list request, about the whole distance between "
        f"parity and {TARGET_LIST_RATIO}x. {verdict}, but the list ratio moved between "
        f"{min(ratios):.2f}x and {max(ratios):.2f}x from round to round on this shared 2-core "
        f"machine, so single runs land on either side of {TARGET_LIST_RATIO}x."
    )
    out.append("")
    out += paragraph(
        f"Sending the SET in the same round trip as the first query would cut it to about "
        f"{cost.pipelined_set_us:.0f} µs; Strata does not, because the statement would then leave "
        "Django's cursor (execute wrappers, query logs and PostgreSQL's transaction count would "
        "stop seeing it) and the backend would have to handle aborted pipelines. Keeping the "
        "path across requests when the connection already has it would remove the SET for "
        "repeat visits to the same tenant, but that is the trust in a reused connection the "
        "architecture rules out."
    )
    return out


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=positive, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--duration", type=positive, default=8, help="seconds per measurement (default 8)"
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="print the results, leave docs/ untouched"
    )
    return parser.parse_args(argv)


def _terminate(signum: int, frame: FrameType | None) -> None:
    # A SIGTERM (a CI timeout, kill) still stops the servers and drops the databases.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    try:
        config = Config(
            server_url=os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL,
            redis_url=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
            rounds=args.rounds,
            duration=args.duration,
            wrk=ensure_wrk(),
        )
        with (
            tempfile.TemporaryDirectory(prefix="bench-routing-") as log_dir,
            admin_connection(config) as admin,
        ):
            try:
                say("Creating the benchmark databases")
                clear_redis(config.redis_url)
                build_databases(config, admin)
                environment = describe_environment(config, admin)
                say(
                    f"Timing: {config.rounds} rounds x {len(VARIANTS) * len(ENDPOINTS)} pairs x "
                    f"{config.duration} s"
                )
                samples = measure_throughput(config, Path(log_dir))
                say("Counting SQL statements per request")
                sql_counts = measure_sql(config, admin, Path(log_dir))
                say("Timing one SET search_path at the driver")
                set_cost = search_path_cost.measure(
                    database_url(config.server_url, STRATA.database), TENANT_SLUG, ITEM_TABLE
                )
            finally:
                say("Dropping the benchmark databases")
                drop_databases(config)
                with contextlib.suppress(redis.RedisError):
                    clear_redis(config.redis_url)
    except (BenchError, psycopg.Error, redis.RedisError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    section = render_section(
        config=config,
        environment=environment,
        samples=samples,
        sql_counts=sql_counts,
        set_cost=set_cost,
        elapsed=time.monotonic() - started,
    )
    say("")
    say(section)
    if not args.no_doc:
        write_section("Routing", section)
        say(f"Wrote the Routing section of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
