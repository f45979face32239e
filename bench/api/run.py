"""API benchmark: Strata's tenant task list against the plain single-tenant baseline.

`make bench` runs it (uv run --frozen python bench/api/run.py, from the repository root). It
creates one throwaway database per variant on DATABASE_URL's server: the baseline's (bench/api/
taskapp, plain Django as in bench/routing) and Strata's (migrate_fleet, a tenant provisioned by
tenant_provision and filled through Strata's services, a real API key). It serves both under
gunicorn, checks that they answer the same page, times GET /api/v1/tasks/?page_size=50 with wrk
in interleaved rounds, counts SQL statements and Redis commands per request in a separate pass,
times the stages of one request in-process, drops the databases and stops the servers (also on
failure) and rewrites the API section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
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

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: bench.* must import
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - needs ROOT on sys.path first
from bench import serving as shared  # noqa: E402
from bench.api import counting, dataset, phases  # noqa: E402
from bench.api.seed import SEED_MARKER  # noqa: E402
from bench.common import (  # noqa: E402
    DOC,
    BenchError,
    bullet,
    database_url,
    numbered,
    paragraph,
    plural,
    positive,
    run,
    say,
    tail,
    write_section,
)
from bench.serving import GunicornServer, Reply, Sample, ensure_wrk  # noqa: E402

HEADING = "API"
DATABASE_PREFIX = "strata_bench_api"
# A Redis database of this benchmark's own: tests use 15 and 13, bench/routing 14.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
# Strata's settings read it: far above what two workers can serve in a minute, so the throttle
# counts every request in Redis and never refuses one.
API_RATE = "100000000"
HOST = phases.HOST
PATH = f"{phases.PATH}?{phases.QUERY}"

WORKERS = 2
CONNECTIONS = 8
WRK_THREADS = 1
FIRST_WARMUP_SECONDS = 3
WARMUP_SECONDS = 1
# PostgreSQL (15+) publishes an idle backend's statistics 10 s after its last transaction.
STATS_SETTLE_SECONDS = 11.5
STATS_POLL_SECONDS = 2.0
# Server-side transactions per request may differ from the counted statements by this much
# (autovacuum also commits in the benchmark databases) before the run reports a mismatch.
STATS_TOLERANCE = 0.05
TASK_FIELDS = {
    "id", "reference", "project", "number", "title", "description", "status", "priority",
    "assignee", "due_date", "labels", "version", "created_at", "updated_at",
}  # fmt: skip


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


PLAIN = Variant("plain", "Plain Django (baseline)", "bench.api.settings_plain", tenant=False)
STRATA = Variant("strata", "Strata", "bench.api.settings_strata", tenant=True)
VARIANTS = (PLAIN, STRATA)


@dataclass(frozen=True)
class Config:
    server_url: str
    redis_url: str
    rounds: int
    duration: int
    count_requests: int
    phase_requests: int
    # Off in --quick: waiting for PostgreSQL's statistics takes longer than the rest.
    cross_check: bool
    wrk: str


@dataclass(frozen=True)
class Counted:
    sql: list[int]
    statements: Counter[str]
    redis: list[int]
    commands: Counter[str]
    # The statements of the first counted request in full.
    texts: list[str]
    # Transactions PostgreSQL ended in the variant's database per counted request (None when
    # the cross-check was skipped).
    server_side: float | None


# --- Environment, databases, Redis -----------------------------------------------------------


def child_env(
    config: Config, variant: Variant, *, api_key: str = "", count: bool = False
) -> dict[str, str]:
    settings = {
        "DJANGO_SETTINGS_MODULE": variant.settings,
        "DATABASE_URL": database_url(config.server_url, variant.database),
    }
    if variant.tenant:
        settings.update(REDIS_URL=config.redis_url, STRATA_API_REQUESTS_PER_MINUTE=API_RATE)
    if count:
        settings[counting.COUNT_VARIABLE] = "1"
    if api_key:
        settings[phases.API_KEY_VARIABLE] = api_key
    return common.clean_env(**settings)


def python(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    return run([sys.executable, *args], timeout=timeout, env=env)


def build_databases(config: Config, admin: common.Connection) -> str:
    """Both databases, migrated and seeded; Strata's API key."""
    api_key = ""
    for variant in VARIANTS:
        common.create_database(admin, variant.database)
        env = child_env(config, variant)
        if variant.tenant:
            say(f"  {variant.database}: migrate_fleet, provision acme, seed through the services")
            python(env, "-m", "django", "migrate_fleet", "--skip-pool", "-v", "0")
        else:
            say(f"  {variant.database}: migrate, seed")
            python(env, "-m", "django", "migrate", "--noinput", "-v", "0")
        output = python(env, "-m", "bench.api.seed", variant.key)
        line = next((ln for ln in output.splitlines() if ln.startswith(SEED_MARKER)), None)
        if line is None:
            raise BenchError(f"the {variant.key} seed printed no result:\n{tail(output)}")
        seeded: dict[str, str] = json.loads(line.removeprefix(SEED_MARKER))
        if variant.tenant:
            api_key = seeded["api_key"]
        # Fresh statistics for the planner in both, and nothing left for autovacuum to do while
        # the counting pass compares statements with PostgreSQL's transaction count.
        with psycopg.connect(
            database_url(config.server_url, variant.database), autocommit=True, connect_timeout=5
        ) as connection:
            connection.execute("VACUUM (ANALYZE)")
    if not api_key:
        raise BenchError("Strata's seed returned no API key")
    return api_key


def drop_databases(config: Config) -> None:
    # A connection of its own: the one the run used may be the reason it failed.
    with common.admin_connection(config.server_url) as admin:
        for variant in VARIANTS:
            common.drop_database(admin, variant.database)


def transactions(admin: common.Connection) -> dict[str, int]:
    """Transactions committed or rolled back so far in each benchmark database."""
    return shared.transactions(admin, [variant.database for variant in VARIANTS])


def settled_transactions(admin: common.Connection) -> dict[str, int]:
    """transactions() once PostgreSQL has published every backend's count: after the idle
    interval, and then only when two readings STATS_POLL_SECONDS apart agree."""
    time.sleep(STATS_SETTLE_SECONDS)
    reading = transactions(admin)
    deadline = time.monotonic() + STATS_SETTLE_SECONDS * 3
    while time.monotonic() < deadline:
        time.sleep(STATS_POLL_SECONDS)
        again = transactions(admin)
        if again == reading:
            return reading
        reading = again
    raise BenchError("PostgreSQL's transaction counts of the benchmark databases kept moving")


def clear_redis(url: str) -> None:
    """Forget what Strata put in our Redis database: its cache keys ("strata", "strata-global"
    and tenant keys "<schema>:strata:..."), and Celery's queue of the same name."""
    shared.clear_redis(url, "*strata*")


# --- Servers ---------------------------------------------------------------------------------


class Server(GunicornServer):
    """One variant under gunicorn."""

    def __init__(self, variant: Variant, env: dict[str, str], api_key: str, log_dir: Path) -> None:
        super().__init__(variant.key, env, log_dir, workers=WORKERS)
        self.variant = variant
        # Both variants get the same request, header included; the baseline ignores it.
        self.headers = {"Host": HOST, "Authorization": f"Bearer {api_key}"}

    def get(self) -> Reply:
        return shared.get(self.port, PATH, self.headers, timeout=10)

    def answers(self) -> bool:
        self.get()  # any answer: check_page says whether it is the right one
        return True


@contextlib.contextmanager
def serving(
    config: Config, api_key: str, log_dir: Path, *, count: bool
) -> Iterator[dict[str, Server]]:
    servers = {
        variant.key: Server(variant, child_env(config, variant, count=count), api_key, log_dir)
        for variant in VARIANTS
    }
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait_ready()
            check_page(server)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _expected(row: dataset.TaskRow) -> dict[str, Any]:
    """The fields of a task that do not depend on the variant (ids and times do)."""
    return {
        "reference": f"{dataset.PROJECT_KEY}-{row.number}",
        "number": row.number,
        "title": row.title,
        "description": row.description,
        "status": row.status,
        "priority": row.priority,
        "assigned": row.assignee is not None,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "labels": sorted(row.labels),
        "version": 1,
    }


def check_page(server: Server) -> Reply:
    """One request, which must answer 200 with the first page of the dataset's tasks.

    The tables exist only in the tenant's schema on Strata, so the right rows also prove the
    request was routed to the tenant and the key accepted.
    """
    reply = server.get()
    where = f"{server.variant.key} {PATH}"
    if reply.status != 200:
        raise BenchError(f"{where} answered {reply.status}: {reply.body[:500]!r}")
    data = json.loads(reply.body)
    problems: list[str] = []
    if data.get("count") != dataset.TASKS:
        problems.append(f"count {data.get('count')}, not {dataset.TASKS}")
    results = data.get("results") or []
    if len(results) != dataset.PAGE_SIZE:
        problems.append(f"{len(results)} results, not {dataset.PAGE_SIZE}")
    for task, row in zip(results, dataset.task_rows(), strict=False):
        if set(task) != TASK_FIELDS:
            problems.append(f"fields {sorted(task)}")
            break
        seen = {key: task[key] for key in _expected(row) if key in task}
        seen["assigned"] = task["assignee"] is not None
        if seen != _expected(row):
            problems.append(f"task {row.number}: {seen} is not {_expected(row)}")
            break
    if problems:
        raise BenchError(f"{where} answered an unexpected page: {'; '.join(problems)}")
    return reply


# --- Load ------------------------------------------------------------------------------------


def load(config: Config, server: Server, seconds: int, connections: int = CONNECTIONS) -> Sample:
    """wrk at fixed concurrency for `seconds`; BenchError unless every response was a 200."""
    return shared.load(
        config.wrk,
        server,
        PATH,
        server.headers,
        seconds=seconds,
        connections=connections,
        threads=WRK_THREADS,
    )


def measure_throughput(
    config: Config, api_key: str, log_dir: Path
) -> tuple[dict[str, list[Sample]], dict[str, int]]:
    """Samples per variant, and the size of each variant's page in bytes."""
    samples: dict[str, list[Sample]] = {variant.key: [] for variant in VARIANTS}
    with serving(config, api_key, log_dir, count=False) as servers:
        sizes = {key: len(check_page(server).body) for key, server in servers.items()}
        say(f"Warming up both servers ({FIRST_WARMUP_SECONDS} s each)")
        for variant in VARIANTS:
            load(config, servers[variant.key], FIRST_WARMUP_SECONDS)
        for number in range(1, config.rounds + 1):
            # Each round starts with the other variant: neither is always first.
            shift = (number - 1) % len(VARIANTS)
            order = VARIANTS[shift:] + VARIANTS[:shift]
            for position, variant in enumerate(order, 1):
                say(
                    f"  round {number}/{config.rounds} [{position}/{len(order)}] {variant.key:<6}",
                    end="",
                )
                server = servers[variant.key]
                check_page(server)
                load(config, server, WARMUP_SECONDS)
                sample = load(config, server, config.duration)
                samples[variant.key].append(sample)
                say(
                    f" {sample.rps:8.1f} req/s   p50 {sample.p50_ms:6.2f} ms"
                    f"   p99 {sample.p99_ms:6.2f} ms"
                )
    return samples, sizes


def count_requests(server: Server, requests: int) -> Counted:
    sql: list[int] = []
    statements: Counter[str] = Counter()
    commands_per_request: list[int] = []
    commands: Counter[str] = Counter()
    texts: list[str] = []
    for _ in range(requests):
        reply = check_page(server)
        count = reply.headers.get(counting.SQL_COUNT_HEADER)
        redis_count = reply.headers.get(counting.REDIS_COUNT_HEADER)
        if count is None or redis_count is None:
            raise BenchError(f"{server.variant.key}: no {counting.SQL_COUNT_HEADER} header")
        sql.append(int(count))
        statements[reply.headers.get(counting.SQL_STATEMENTS_HEADER, "")] += 1
        commands_per_request.append(int(redis_count))
        commands[reply.headers.get(counting.REDIS_COMMANDS_HEADER, "")] += 1
        if not texts:
            text = reply.headers.get(counting.SQL_TEXT_HEADER, "")
            texts = text.split(counting.TEXT_SEPARATOR) if text else []
    return Counted(sql, statements, commands_per_request, commands, texts, None)


def measure_counts(
    config: Config, admin: common.Connection, api_key: str, log_dir: Path
) -> dict[str, Counted]:
    """SQL statements and Redis commands per request, SQL checked against PostgreSQL.

    Each variant has its own database, so its transaction count in pg_stat_database covers its
    requests only: in autocommit every statement, SET included, is one transaction.
    """
    results: dict[str, Counted] = {}
    with serving(config, api_key, log_dir, count=True) as servers:
        for variant in VARIANTS:
            # Concurrent requests, so that both workers connect to the database now and not
            # during the counted requests.
            load(config, servers[variant.key], WARMUP_SECONDS, connections=4)
        before: dict[str, int] = {}
        if config.cross_check:
            say(
                "  waiting for PostgreSQL's statistics to settle "
                f"(at least {STATS_SETTLE_SECONDS:.0f} s)"
            )
            before = settled_transactions(admin)
        for variant in VARIANTS:
            say(f"  {variant.key:<6} {config.count_requests} requests", end="")
            results[variant.key] = count_requests(servers[variant.key], config.count_requests)
            say(
                f", {statistics.fmean(results[variant.key].sql):.2f} SQL statements and "
                f"{statistics.fmean(results[variant.key].redis):.2f} Redis commands each"
            )
        if config.cross_check:
            after = settled_transactions(admin)
            for variant in VARIANTS:
                done = results[variant.key]
                server_side = (
                    after[variant.database] - before[variant.database]
                ) / config.count_requests
                results[variant.key] = Counted(
                    done.sql, done.statements, done.redis, done.commands, done.texts, server_side
                )
    return results


PHASE_BATCHES = 10


class StageTimer:
    """bench/api/phases.py serving one variant in a process of its own, timing on request."""

    def __init__(self, config: Config, variant: Variant, api_key: str, log_dir: Path) -> None:
        self.variant = variant
        self.log_path = log_dir / f"phases-{variant.key}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.api.phases"],
                cwd=ROOT,
                env=child_env(config, variant, api_key=api_key),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
            )

    def _line(self, marker: str, timeout: float) -> str:
        """The next line of output that starts with `marker`, without it."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, remaining))
            if not ready:
                raise BenchError(f"{self.variant.key}: the stage timer said nothing in {timeout} s")
            line = self.process.stdout.readline()
            if not line:
                log = tail(self.log_path.read_text(errors="replace"))
                raise BenchError(f"{self.variant.key}: the stage timer exited:\n{log}")
            if line.startswith(marker):
                return line[len(marker) :].strip()

    def wait_ready(self) -> None:
        self._line(phases.READY_MARKER, timeout=120)

    def batch(self, requests: int) -> list[dict[str, int]]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{requests}\n")
        self.process.stdin.flush()
        samples: list[dict[str, int]] = json.loads(self._line(phases.PHASES_MARKER, timeout=300))
        return samples

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def measure_phases(config: Config, api_key: str, log_dir: Path) -> dict[str, dict[str, float]]:
    """Microseconds per stage of one request, per variant, timed in alternating batches."""
    timers = [StageTimer(config, variant, api_key, log_dir) for variant in VARIANTS]
    samples: dict[str, list[dict[str, int]]] = {variant.key: [] for variant in VARIANTS}
    try:
        for timer in timers:
            timer.wait_ready()
        batch = max(1, config.phase_requests // PHASE_BATCHES)
        for number in range(PHASE_BATCHES):
            shift = number % len(timers)
            for timer in timers[shift:] + timers[:shift]:
                samples[timer.variant.key] += timer.batch(batch)
    finally:
        for timer in timers:
            timer.stop()
    results = {key: phases.summarise(values) for key, values in samples.items()}
    for variant in VARIANTS:
        say(
            f"  {variant.key:<6} {len(samples[variant.key])} requests in-process, "
            f"{results[variant.key][phases.TOTAL]:.0f} µs each"
        )
    return results


# --- Report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    when: datetime
    machine: str
    versions: list[tuple[str, str]]


def describe_environment(config: Config, admin: common.Connection) -> Environment:
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
        ("django-filter", version("django-filter")),
        ("gunicorn", version("gunicorn")),
        ("psycopg", version("psycopg")),
        ("django-redis", version("django-redis")),
        ("redis-py", version("redis")),
        ("PostgreSQL server", common.server_version(admin)),
        ("Redis server", redis_version),
        ("wrk", wrk_version[1] if wrk_version else "unknown"),
    ]
    return Environment(datetime.now(UTC), common.machine(), versions)


@dataclass(frozen=True)
class Results:
    samples: dict[str, list[Sample]]
    sizes: dict[str, int]
    counts: dict[str, Counted]
    stages: dict[str, dict[str, float]]
    # The 1-minute load average when the timed pass started and when it ended.
    load: tuple[float, float]


def median(samples: list[Sample], attribute: str) -> float:
    return statistics.median(float(getattr(sample, attribute)) for sample in samples)


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x"


def per_request(values: list[int]) -> str:
    """`n` when every request sent n, else the mean and the most."""
    if min(values) == max(values):
        return str(values[0])
    return f"{statistics.fmean(values):.2f} (max {max(values)})"


def results_table(results: Results) -> list[str]:
    plain = results.samples[PLAIN.key]
    base = {name: median(plain, name) for name in ("rps", "p50_ms", "p99_ms")}
    lines = [
        (
            "| Variant | req/s | vs plain | p50 ms | vs plain | p99 ms | vs plain | SQL/request "
            "| Redis/request | req/s per round |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for variant in VARIANTS:
        runs = results.samples[variant.key]
        rps, p50, p99 = (median(runs, name) for name in ("rps", "p50_ms", "p99_ms"))
        counted = results.counts[variant.key]
        rounds = " / ".join(f"{sample.rps:.0f}" for sample in runs)
        lines.append(
            f"| {variant.title} | {rps:,.0f} | {ratio(rps, base['rps'])} | {p50:.2f} "
            f"| {ratio(p50, base['p50_ms'])} | {p99:.2f} | {ratio(p99, base['p99_ms'])} "
            f"| {per_request(counted.sql)} | {per_request(counted.redis)} | {rounds} |"
        )
    return lines


def _most_common(counter: Counter[str], total: int) -> str:
    text, seen = counter.most_common(1)[0]
    text = f"`{text}`" if text else "none"
    if seen != total:
        others = "; ".join(f"`{other}` ({n})" for other, n in counter.most_common()[1:] if other)
        text += f" ({seen} of {total} requests; the others: {others or 'none'})"
    return text


def statements_table(results: Results) -> tuple[list[str], list[str]]:
    lines = [
        (
            "| Variant | SQL statements of one request | Redis commands "
            "| PostgreSQL transactions/request |"
        ),
        "| --- | --- | --- | ---: |",
    ]
    mismatches: list[str] = []
    for variant in VARIANTS:
        counted = results.counts[variant.key]
        total = len(counted.sql)
        server_side = "not checked" if counted.server_side is None else f"{counted.server_side:.2f}"
        lines.append(
            f"| {variant.title} | {_most_common(counted.statements, total)} "
            f"| {_most_common(counted.commands, total)} | {server_side} |"
        )
        if (
            counted.server_side is not None
            and abs(counted.server_side - statistics.fmean(counted.sql)) > STATS_TOLERANCE
        ):
            mismatches.append(
                f"{variant.key}: {statistics.fmean(counted.sql):.2f} counted, "
                f"{counted.server_side:.2f} seen by PostgreSQL"
            )
    return lines, mismatches


_STAGE_ROWS = (
    (
        phases.OUTSIDE_VIEW,
        (
            "Outside the view: WSGI request and response, URL resolving, the middleware stack "
            "(Strata: host validation, tenant routing, sessions, CSRF, auth, allauth, "
            "impersonation, messages, clickjacking, view guard)"
        ),
    ),
    (phases.AUTHENTICATION, "DRF authentication (Strata: the API key)"),
    (phases.PERMISSIONS, "DRF permission check"),
    (phases.THROTTLE, "DRF throttle (Strata: the workspace's counter in Redis)"),
    (phases.FILTER, "Filter backends (django-filter, search, ordering)"),
    (phases.PAGE, "The page: COUNT, 50 tasks with project and assignee, their labels"),
    (phases.SERIALIZE, "Serializing 50 tasks"),
    (phases.DRF_REST, "The rest of DRF's dispatch (request wrapper, negotiation, pagination)"),
    (phases.RENDER, "JSON rendering"),
)


def _io(stages: dict[str, float], stage: str) -> float:
    """Microseconds `stage` spent waiting on SQL statements and Redis commands."""
    return stages.get(phases.within(phases.SQL, stage), 0.0) + stages.get(
        phases.within(phases.REDIS, stage), 0.0
    )


def stages_table(results: Results) -> list[str]:
    plain, strata = results.stages[PLAIN.key], results.stages[STRATA.key]
    lines = [
        ("| Stage | Plain µs | of it SQL | Strata µs | of it SQL + Redis | Strata − plain µs |"),
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, title in _STAGE_ROWS:
        lines.append(
            f"| {title} | {plain[key]:.0f} | {_io(plain, key):.0f} | {strata[key]:.0f} "
            f"| {_io(strata, key):.0f} | {strata[key] - plain[key]:+.0f} |"
        )
    plain_io = plain[phases.SQL] + plain[phases.REDIS]
    strata_io = strata[phases.SQL] + strata[phases.REDIS]
    lines.append(
        f"| **Whole request** | **{plain[phases.TOTAL]:.0f}** | **{plain_io:.0f}** "
        f"| **{strata[phases.TOTAL]:.0f}** | **{strata_io:.0f}** "
        f"| **{strata[phases.TOTAL] - plain[phases.TOTAL]:+.0f}** |"
    )
    return lines


_COLUMN = re.compile(r'"(\w+)"\."\w+"')


def _columns(statement: str) -> Counter[str]:
    """Columns per table in a SELECT's list (up to its first FROM)."""
    select_list = statement.split(" FROM ", 1)[0]
    return Counter(_COLUMN.findall(select_list))


def _as_strata(statement: str) -> str:
    """A baseline statement's description with Strata's table names."""
    return statement.replace("benchtasks_person", "accounts_user").replace(
        "benchtasks_", "projects_"
    )


def same_queries(results: Results) -> str:
    """Whether the baseline's list queries are Strata's, text for text (table names aside)."""
    plain = [_as_strata(text) for text in results.counts[PLAIN.key].texts]
    strata = [text for text in results.counts[STRATA.key].texts if text in plain]
    if plain and strata == plain:
        return (
            f"The baseline's {len(plain)} statements are Strata's list queries text for text, "
            "table names aside: the same COUNT, the same page query (columns, joins, "
            "annotation, ORDER BY, LIMIT) and the same label prefetch."
        )
    differing = [text for text in plain if text not in results.counts[STRATA.key].texts]
    return (
        "**The baseline's queries are not Strata's**: "
        + "; ".join(f"`{text[:300]}`" for text in differing)
        + " has no twin among Strata's statements; bench/api/taskapp has fallen behind "
        "tenant_apps/projects/api.py."
    )


def _describe_io(counted: Counted) -> list[str]:
    """The statement descriptions of the typical request, one by one."""
    typical = counted.statements.most_common(1)[0][0]
    return typical.split(counting.SEPARATOR) if typical else []


def observations(results: Results) -> list[str]:
    """What the figures say, computed from this run's measurements and statements."""
    plain_runs, strata_runs = results.samples[PLAIN.key], results.samples[STRATA.key]
    plain_rps, strata_rps = median(plain_runs, "rps"), median(strata_runs, "rps")
    # Under full load each of the WORKERS workers spends this long per request.
    plain_us, strata_us = WORKERS / plain_rps * 1e6, WORKERS / strata_rps * 1e6
    plain, strata = results.stages[PLAIN.key], results.stages[STRATA.key]

    def delta(key: str) -> float:
        return strata[key] - plain[key]

    view = (phases.FILTER, phases.PAGE, phases.SERIALIZE, phases.DRF_REST, phases.RENDER)
    view_plain = sum(plain[key] for key in view)
    view_delta = sum(delta(key) for key in view)
    per_round = ", ".join(
        f"{s.rps / p.rps:.2f}x" for s, p in zip(strata_runs, plain_runs, strict=True)
    )
    out: list[str] = []
    out += bullet(
        f"Under load a task-list request occupies a gunicorn worker for {plain_us:,.0f} µs on "
        f"the baseline and {strata_us:,.0f} µs on Strata ({strata_us - plain_us:+,.0f} µs, "
        f"{strata_rps / plain_rps:.2f}x the baseline's req/s; per round {per_round})."
    )
    out += bullet(
        f"Served one at a time in-process, Strata's request takes "
        f"{abs(delta(phases.TOTAL)):,.0f} µs {'more' if delta(phases.TOTAL) >= 0 else 'less'}: "
        f"authentication {delta(phases.AUTHENTICATION):+,.0f} µs (of it "
        f"{_io(strata, phases.AUTHENTICATION):,.0f} µs waiting on PostgreSQL for the "
        "`SET search_path`, which goes out before the first query of the request, and the "
        "key's SELECT; the rest is the ORM, the key's hash and the client address), "
        f"the throttle {delta(phases.THROTTLE):+,.0f} µs (of it "
        f"{_io(strata, phases.THROTTLE):,.0f} µs waiting on Redis), the middleware and "
        f"everything else outside the view {delta(phases.OUTSIDE_VIEW):+,.0f} µs, the "
        f"permission check {delta(phases.PERMISSIONS):+,.0f} µs. The view's own work "
        "(filters, page, serialization, rendering), the same code over the same rows in both, "
        f"differs by {view_delta:+,.0f} µs ({view_delta / view_plain:+.0%}): what the "
        "django_tenants database backend and a larger process cost the same work, plus this "
        "measurement's noise on a shared machine."
    )
    page_rows = dataset.task_rows()[: dataset.PAGE_SIZE]
    label_rows = sum(len(row.labels) for row in page_rows)
    assigned = sum(row.assignee is not None for row in page_rows)
    page_python = plain[phases.PAGE] - _io(plain, phases.PAGE)
    out += bullet(
        f"The list itself is what costs, in both: the view's work is {view_plain:,.0f} of the "
        f"baseline's {plain[phases.TOTAL]:,.0f} µs ({view_plain / plain[phases.TOTAL]:.0%}). "
        f"Of the page's {plain[phases.PAGE]:,.0f} µs only {_io(plain, phases.PAGE):,.0f} µs "
        f"is SQL; the other {page_python:,.0f} µs build model instances ({dataset.PAGE_SIZE} "
        f"tasks, {dataset.PAGE_SIZE} projects by `select_related`, {assigned} assignees, "
        f"{label_rows} label rows), and serializing them takes "
        f"{plain[phases.SERIALIZE]:,.0f} µs more. Strata's additions come to "
        f"{delta(phases.TOTAL) / plain[phases.TOTAL]:+.0%} of the baseline's request."
    )
    plain_sql = [_as_strata(statement) for statement in _describe_io(results.counts[PLAIN.key])]
    strata_sql = _describe_io(results.counts[STRATA.key])
    extra = [statement for statement in strata_sql if statement not in plain_sql]
    text = (
        f"Strata sends {len(strata_sql)} SQL statements to the baseline's {len(plain_sql)}; "
        f"the extra ones: {'; '.join(f'`{statement}`' for statement in extra) or 'none'}."
    )
    if len(extra) == 2 and extra[0].startswith("SET search_path") and "apikey" in extra[1]:
        text += (
            " Nothing else reaches the database: a request with an API key loads no session, "
            "user or membership (the key's scope is its permission)."
        )
    out += bullet(text)
    updates = sum(
        n for text, n in results.counts[STRATA.key].statements.items() if "UPDATE" in text
    )
    out += bullet(
        "The key's `last_used_at` is written at most once a minute: "
        + (
            f"{updates} of the {len(results.counts[STRATA.key].sql)} counted requests sent "
            "that UPDATE."
            if updates
            else "none of the counted requests sent that UPDATE."
        )
    )
    out += _findings(results, strata)
    return out


def _findings(results: Results, strata: dict[str, float]) -> list[str]:
    """Things the list does that it need not, read off this run's statements and commands."""
    out: list[str] = []
    texts = results.counts[STRATA.key].texts
    page = next((text for text in texts if " JOIN " in text and "LIMIT" in text), "")
    columns = _columns(page)
    if '"accounts_user"."password"' in page:
        out += bullet(
            f"The page's query selects all {columns['accounts_user']} columns of each "
            "assignee's `accounts_user` row, the password hash and email among them, and all "
            f"{columns['projects_project']} of the project, its description included, while "
            "the serializer reads the assignee's `public_id` and the project's `key` and "
            "`public_id`. Restricting `select_related` with `only()` would move less data and "
            "build lighter instances, and keep password hashes out of an API process that "
            "does not need them. The baseline copies the query, so the ratios above do not "
            "depend on it."
        )
    key_query = next((text for text in texts if "api_access_apikey" in text), "")
    if "ORDER BY" in key_query:
        out += bullet(
            "The API key's lookup (`.filter(prefix=...).first()`) sorts by the model's "
            "ordering (`ORDER BY created_at DESC, id DESC LIMIT 1`) although the prefix is "
            "unique; `.get()` would ask for the one row without a sort. With a handful of "
            "keys it costs next to nothing."
        )
    commands = results.counts[STRATA.key].commands.most_common(1)[0][0].split(counting.SEPARATOR)
    if {"SET", "EVAL", "EVALSHA"} & set(commands):
        out += bullet(
            f"The throttle sends {len(commands)} Redis commands per request "
            f"({', '.join(f'`{command}`' for command in commands)}): `cache.add()` (SET NX) "
            "creates the window's counter, then django-redis runs `cache.incr()` as an EVAL of "
            "a Lua script (EXISTS, then INCRBY). One round trip would do: INCR, with EXPIRE "
            "only when it returns 1, in one Lua call or a pipeline: one round trip less, about "
            f"{_io(strata, phases.THROTTLE) / len(commands):,.0f} µs of the throttle's "
            f"{strata[phases.THROTTLE]:,.0f} µs here."
        )
    elif commands and commands[0] != "none":
        out += bullet(
            f"The throttle's {len(commands)} Redis commands per request "
            f"({', '.join(f'`{command}`' for command in commands)}) go out pipelined, in one "
            f"round trip: {_io(strata, phases.THROTTLE):,.0f} µs of the throttle's "
            f"{strata[phases.THROTTLE]:,.0f} µs is waiting on Redis."
        )
    return out


def setup_lines(config: Config, environment: Environment, results: Results) -> list[str]:
    versions = ", ".join(f"{name} {value}" for name, value in environment.versions)
    out: list[str] = []
    out += bullet(
        f"Machine: {environment.machine}. The load generator, both gunicorn workers, "
        "PostgreSQL and Redis share it."
    )
    out += bullet(
        "The machine is shared with other work: the 1-minute load average was "
        f"{results.load[0]:.1f} when the timed pass started and {results.load[1]:.1f} when it "
        "ended (the benchmark's own processes included)."
    )
    out += bullet(f"Versions: {versions}.")
    out += bullet(
        f"Server: gunicorn with {WORKERS} sync workers on 127.0.0.1 (each response closes its "
        "connection), started and stopped by the runner; `DEBUG = False`; persistent database "
        "connections (`CONN_MAX_AGE = 600`, `CONN_HEALTH_CHECKS = False`) in both variants. "
        "Production settings (`config.settings.prod`) would add what 127.0.0.1 cannot use "
        "(HTTPS redirect, HSTS, secure cookies) and take connections from a pool."
    )
    out += bullet(
        f"Data: one project, {dataset.TASKS} tasks, {len(dataset.LABELS)} labels (zero to two "
        f"a task), {len(dataset.PEOPLE)} people (one task in five unassigned), from "
        "`bench/api/dataset.py` in both variants."
    )
    out += bullet(
        f"Load: wrk, {plural(WRK_THREADS, 'thread')}, {CONNECTIONS} connections (as "
        f"bench/routing), {config.duration} s per measurement after a {WARMUP_SECONDS} s "
        f"warm-up (and {FIRST_WARMUP_SECONDS} s per variant before the first round). "
        f"{plural(config.rounds, 'round')}, each measuring both variants and starting with "
        "the other one than the round before, so that drift of the machine spreads over "
        "both; the table gives the median over rounds. The run fails if any timed response "
        "is not a 200 (a wrk script counts statuses) or any socket error occurs. With "
        f"{CONNECTIONS} connections on {WORKERS} sync workers a request mostly waits for the "
        f"ones ahead of it, so p50 is about {CONNECTIONS // WORKERS} times a worker's time per "
        "request."
    )
    cross_check = (
        "Cross-check: the transactions PostgreSQL committed in each variant's own database "
        "during the counted requests (`pg_stat_database`), divided by the number of requests; "
        "in autocommit each statement is one transaction."
        if config.cross_check
        else "The PostgreSQL cross-check was skipped (`--quick`)."
    )
    out += bullet(
        "SQL and Redis per request: a separate pass after the timed one serves both variants "
        "again with a bench-only middleware on top of the stack that counts statements "
        "through `connection.execute_wrapper` and Redis commands through redis-py's "
        "`execute_command`, and returns both in response headers; the figures cover "
        f"{config.count_requests} requests per variant after a warm-up. {cross_check}"
    )
    out += bullet(
        "Stages: a last pass calls each variant's WSGI handler in one process, one request "
        f"at a time ({config.phase_requests} requests after {phases.WARMUP_REQUESTS} to warm "
        "up), with timers around DRF's dispatch, authentication, permission and throttle "
        "checks, filter backends, the page, serialization and JSON rendering, every SQL "
        "statement and every Redis command; the means are over the fastest "
        f"{phases.KEPT_SHARE:.0%} of the requests. No gunicorn and no concurrency here, so "
        "these are one request's costs, not the loaded figures above."
    )
    return out


def render_section(
    *, config: Config, environment: Environment, results: Results, elapsed: float, quick: bool
) -> str:
    statement_lines, mismatches = statements_table(results)
    out = [f"## {HEADING}", ""]
    out += paragraph(
        "What a real API read costs on Strata against the same read on plain single-tenant "
        f"Django: `GET {PATH}`, the first page of a project's tasks (50 of {dataset.TASKS}, "
        "each with its project's key, assignee and labels), served two ways under the same "
        "server and the same load."
    )
    out.append("")
    out += numbered(
        1,
        "**Plain Django (baseline)**: the plain single-tenant variant of bench/routing (no "
        "django-tenants, `django.db.backends.postgresql`, tables in `public`, "
        "`SecurityMiddleware` and `CommonMiddleware` only, DRF without authentication, "
        "permissions or throttling) serving `bench/api/taskapp`: a copy of the task list of "
        "`tenant_apps/projects/api.py` (the same queryset with `select_related` of project "
        "and assignee, `prefetch_related` of labels and the priority-rank annotation; the "
        "same filter backends, FilterSet, search and ordering fields and default ordering; "
        "the same serializer fields; the same pagination) over column-for-column copies of "
        "Strata's tables with the same constraints and indexes.",
    )
    out += numbered(
        2,
        "**Strata**: the real project, `config.settings.base` with `DEBUG = False`, Redis for "
        "both cache aliases and the whole middleware stack, serving "
        "`tenant_apps.projects.api.TaskViewSet` from the schema of the tenant `acme` "
        "(`tenants.services.tenant_provision`, filled through `project_create`, "
        "`label_create` and `task_create`), authenticated by a real read-scoped API key "
        "(`Authorization: Bearer strata_...`, made by `api_key_create`).",
    )
    out.append("")
    out += paragraph("What Strata does that the baseline does not, on every request:")
    out.append("")
    out += bullet(
        "Middleware: besides `SecurityMiddleware` and `CommonMiddleware`, which both run, "
        "`HealthCheckMiddleware`, `HostValidationMiddleware`, WhiteNoise, "
        "`TenantRoutingMiddleware` (host to tenant from its in-process cache, with Redis "
        "behind it and its change log read every 5 s), sessions, CSRF, authentication, "
        "allauth's `AccountMiddleware`, `ImpersonationMiddleware`, messages, clickjacking and "
        "`TenantViewGuardMiddleware`."
    )
    out += bullet(
        "`SET search_path` to the tenant's schema before its first query (the routing "
        "benchmark measures what that costs)."
    )
    out += bullet(
        "Authentication: the API key's row by its prefix, a SHA-256 of the presented key "
        "compared in constant time, and the client address through allauth; `last_used_at` "
        "is written at most once a minute per key, so the load pays that UPDATE about once a "
        "minute."
    )
    out += bullet(
        "Permission: `IsTenantMember` checks the key's schema and scope (no query). Throttle: "
        "`TenantPlanThrottle` counts the request in the workspace's per-minute window in Redis "
        f"(`STRATA_API_REQUESTS_PER_MINUTE={API_RATE}` in the environment, so it counts every "
        "request and refuses none)."
    )
    out.append("")
    out += paragraph(
        "The request is the same for both, byte for byte: both get the `Host` and the "
        "`Authorization` header, which the baseline ignores. Before timing, the runner checks "
        f"that both answer 200 with the same {dataset.PAGE_SIZE} tasks (reference, title, "
        "description, status, priority, due date, labels, assignee or none, version) and the "
        "same fields; their "
        f"pages were {results.sizes[PLAIN.key]:,} and {results.sizes[STRATA.key]:,} bytes."
    )
    out.append("")
    out += paragraph(
        f"Measured {environment.when:%Y-%m-%d %H:%M} UTC by `bench/api/run.py`; the whole "
        f"run took {elapsed / 60:.1f} minutes."
        + (" **A `--quick` smoke run: too short to go by.**" if quick else "")
    )
    out += ["", "### Goal", ""]
    out += paragraph(
        "The issue asks for the task list's p50, p99 and req/s against the plain single-tenant "
        "baseline, reported here; it sets no number to meet, so this section judges nothing "
        "met or missed. It says what tenancy, API-key authentication, throttling and the full "
        "middleware stack cost on a realistic read, and where that goes."
    )
    out += ["", "### Setup", ""]
    out += setup_lines(config, environment, results)
    out += ["", f"### Task list (`GET {PATH}`)", ""]
    out += results_table(results)
    out.append("")
    out += paragraph(
        "Ratios are against the baseline: above 1 means faster for req/s, slower for latency. "
        "SQL/request counts every statement, `SET search_path` included."
    )
    out += ["", "### SQL and Redis per request", "", *statement_lines, ""]
    if config.cross_check and mismatches:
        out += paragraph(
            f"**The cross-check disagreed** (by more than {STATS_TOLERANCE} per request): "
            + "; ".join(mismatches)
            + "."
        )
    elif config.cross_check:
        out += paragraph(
            "PostgreSQL's count agrees with the execute wrapper's for both variants (within "
            f"{STATS_TOLERANCE} per request)."
        )
    out += paragraph(same_queries(results))
    out.append("")
    out += ["### Where the time goes", ""]
    out += stages_table(results)
    out.append("")
    out += paragraph(
        "Microseconds per request, one request at a time in one process (see Setup); the "
        "stages add up to the whole request. SQL and Redis time is booked to the stage that "
        "sent the statement or command."
    )
    out += ["", "### Notes", ""]
    out += observations(results)
    out += ["", "### Reproduce", "", "```", "make bench", "```", ""]
    out += paragraph(
        "runs `uv run --frozen python bench/api/run.py` (after the routing benchmark) from the "
        "repository root. It needs PostgreSQL (the server of `DATABASE_URL`, by default "
        f"`{common.DEFAULT_SERVER_URL}`, where it creates and finally drops "
        f"`{DATABASE_PREFIX}_*`), Redis at `{DEFAULT_REDIS_URL}` (`BENCH_REDIS_URL` overrides "
        "it) and wrk, which it installs with apt-get when missing. `--rounds` and `--duration` "
        "shorten a trial run; `--quick` is a smoke test of a few seconds of load that leaves "
        "this file alone, as does `--no-doc`."
    )
    out.append("")
    return "\n".join(out)


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=positive, default=7, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--duration", type=positive, default=10, help="seconds per measurement (default 10)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 1 round of 2 s, fewer counted requests, no PostgreSQL cross-check, "
        "docs untouched",
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="print the results, leave docs/ untouched"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.no_doc = 1, 2, True
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    # A SIGTERM (a CI timeout, kill) still stops the servers and drops the databases.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    try:
        config = Config(
            server_url=common.server_url(),
            redis_url=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
            rounds=args.rounds,
            duration=args.duration,
            count_requests=20 if args.quick else 100,
            phase_requests=100 if args.quick else 1000,
            cross_check=not args.quick,
            wrk=ensure_wrk(),
        )
        with (
            tempfile.TemporaryDirectory(prefix="bench-api-") as log_dir,
            common.admin_connection(config.server_url) as admin,
        ):
            try:
                say("Creating the benchmark databases")
                clear_redis(config.redis_url)
                api_key = build_databases(config, admin)
                environment = describe_environment(config, admin)
                say(
                    f"Timing: {config.rounds} rounds x {len(VARIANTS)} variants x "
                    f"{config.duration} s"
                )
                load_before = os.getloadavg()[0]
                samples, sizes = measure_throughput(config, api_key, Path(log_dir))
                load_after = os.getloadavg()[0]
                say("Counting SQL statements and Redis commands per request")
                counts = measure_counts(config, admin, api_key, Path(log_dir))
                say("Timing the stages of one request")
                stages = measure_phases(config, api_key, Path(log_dir))
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
        results=Results(samples, sizes, counts, stages, (load_before, load_after)),
        elapsed=time.monotonic() - started,
        quick=args.quick,
    )
    say("")
    say(section)
    if not args.no_doc:
        write_section(HEADING, section)
        say(f"Wrote the {HEADING} section of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
