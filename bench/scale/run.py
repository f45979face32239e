"""Scale benchmark: 10,000 tenants on one database.

`make bench` runs it (uv run --frozen python bench/scale/run.py, from the repository root). It
builds a database with 10 tenants, measures routing (plain Django, stock django-tenants, Strata)
with requests spread over them, grows the database to 10,000 tenants through Strata's
provisioning service (two processes, with progress), measures again with requests spread over
all 10,000 and over 10 of them, then measures what a PostgreSQL backend holds after visiting
thousands of schemas and how the connection settings bound it under load. It drops its databases
(also on failure) and rewrites the Scale section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import FrameType

import psutil  # type: ignore[import-untyped]  # psutil ships no types
import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: bench.* must import
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - needs ROOT on sys.path first
from bench import serving as shared  # noqa: E402
from bench.common import (  # noqa: E402
    BenchError,
    bullet,
    database_url,
    drop_database,
    met,
    paragraph,
    positive,
    run,
    say,
    tail,
    write_section,
)
from bench.serving import GunicornServer, Sample, ensure_wrk  # noqa: E402
from config import gunicorn as gunicorn_config  # noqa: E402

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
PLAIN_DATABASE = "strata_bench_scale_plain"
SCALE_DATABASE = "strata_bench_scale"
SMALL_DATABASE = "strata_bench_scale_small"
# Left on the database by a run that made its tenants, for --reuse: "<grown> tenants in <s> s".
GROWN = re.compile(r"^strata-bench-scale: (\d+) tenants grown in (\d+) s$")
SMALL = 10
WORKERS = 2
CONNECTIONS = 8
WARMUP_SECONDS = 1
# Before the rounds of a phase over many hosts, every server sees (nearly) each host once.
WARM_SECONDS = 15
GROW_PROCESSES = 2
PROGRESS_SECONDS = 5.0
MEMORY_CONNECTIONS = 4
MEMORY_SAMPLE_SECONDS = 2.0
# The shortest pool lifetime Strata's settings accept (DATABASE_POOL_MAX_LIFETIME).
SHORT_LIFETIME = 60
# Strata's default DATABASE_SCHEMAS_PER_CONNECTION (config/settings/base.py).
SCHEMA_BUDGET = 200
TARGET_P95_RATIO = 1.20  # routing at 10,000 tenants against 10, p95
TARGET_RSS_RATIO = 1.20
_OWN_VARIABLES = common.OWN_VARIABLES


@dataclass(frozen=True)
class Variant:
    key: str
    title: str
    settings: str
    database: str


@dataclass(frozen=True)
class Endpoint:
    key: str
    title: str
    path: str


PLAIN = Variant("plain", "Plain Django", "bench.routing.settings_plain", PLAIN_DATABASE)
STOCK = Variant("stock", "Stock django-tenants", "bench.routing.settings_stock", SCALE_DATABASE)
STRATA = Variant("strata", "Strata", "bench.routing.settings_strata", SCALE_DATABASE)
VARIANTS = (PLAIN, STOCK, STRATA)
NODB = Endpoint("nodb", "no-database view", "/ping/")
LIST = Endpoint("list", "list view, one table", "/api/items/")
ENDPOINTS = (NODB, LIST)
WORKSPACE_PATH = "/api/workspace/"


@dataclass(frozen=True)
class Config:
    server_url: str
    redis_url: str
    tenants: int
    rounds: int
    duration: int
    memory_seconds: int
    checkpoints: tuple[int, ...]
    wrk: str
    work: Path


@dataclass
class Phase:
    """One set of servers under one spread of hosts."""

    key: str
    title: str
    tenants: int
    hosts: int
    database: str
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)
    rss_mib: dict[str, float] = field(default_factory=dict)
    # The machine's 1-minute load average when the phase's timing began and ended.
    load: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class MemoryRun:
    key: str
    title: str
    variant: Variant
    env: dict[str, str]
    sample: Sample | None = None
    peak_kib: int = 0
    end_kib: int = 0
    backends: int = 0
    series: tuple[tuple[float, int], ...] = ()


# --- Children, databases ---------------------------------------------------------------------


def child_env(
    config: Config, variant: Variant, database: str | None = None, **extra: str
) -> dict[str, str]:
    """The variant's environment; tenant variants serve `database` when given."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_VARIABLES)}
    if variant is PLAIN or database is None:
        database = variant.database
    env.update(
        DJANGO_SETTINGS_MODULE=variant.settings,
        DATABASE_URL=database_url(config.server_url, database),
        DJANGO_SECRET_KEY=common.THROWAWAY_DJANGO_KEY,
        REDIS_URL=config.redis_url,
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> None:
    run([sys.executable, "-m", "django", *args], timeout=timeout, env=env)


def drop_databases(config: Config, *, keep: bool = False) -> None:
    with common.admin_connection(config.server_url) as admin:
        drop_database(admin, PLAIN_DATABASE)
        drop_database(admin, SMALL_DATABASE)
        if keep:
            say(f"kept {SCALE_DATABASE} (--keep): drop it when done")
        else:
            drop_database(admin, SCALE_DATABASE)


def build(config: Config) -> None:
    """The plain database and the one with SMALL tenants."""
    with common.admin_connection(config.server_url) as admin:
        common.create_database(admin, PLAIN_DATABASE)
        common.create_database(admin, SMALL_DATABASE)
    say(f"  {PLAIN_DATABASE}: migrate, 20 rows")
    plain = child_env(config, PLAIN)
    manage(plain, "migrate", "--noinput", "-v", "0")
    manage(plain, "bench_seed")
    say(f"  {SMALL_DATABASE}: migrate_fleet (public, template, blueprint), {SMALL} tenants")
    manage(child_env(config, STRATA, SMALL_DATABASE), "migrate_fleet", "--skip-pool", "-v", "0")
    grow(config, 1, SMALL, SMALL_DATABASE)


def grown_before(config: Config) -> float | None:
    """The seconds an earlier run took to make this run's tenants in SCALE_DATABASE, if it
    left them (--keep) and they are all there; else None."""
    with common.admin_connection(config.server_url) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [SCALE_DATABASE],
        ).fetchone()
    found = GROWN.match(str(row[0])) if row and row[0] else None
    if found is None or count_tenants(config) != config.tenants:
        return None
    return float(found[2]) * config.tenants / int(found[1])


def build_large(config: Config, *, reuse: bool) -> float:
    """SCALE_DATABASE with config.tenants tenants; the seconds making them took."""
    if reuse:
        seconds = grown_before(config)
        if seconds is not None:
            say(f"reusing {SCALE_DATABASE} and its {config.tenants:,} tenants (--reuse)")
            return seconds
    with common.admin_connection(config.server_url) as admin:
        common.create_database(admin, SCALE_DATABASE)
    say(f"  {SCALE_DATABASE}: migrate_fleet (public, template, blueprint)")
    manage(child_env(config, STRATA), "migrate_fleet", "--skip-pool", "-v", "0")
    say(f"making {config.tenants:,} tenants ({GROW_PROCESSES} processes)")
    seconds = grow(config, 1, config.tenants, SCALE_DATABASE)
    with common.admin_connection(database_url(config.server_url, SCALE_DATABASE)) as db:
        db.execute("VACUUM ANALYZE")  # what autovacuum would have done by now
    with common.admin_connection(config.server_url) as admin:
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(SCALE_DATABASE),
                sql.Literal(
                    f"strata-bench-scale: {config.tenants} tenants grown in {seconds:.0f} s"
                ),
            )
        )
    return seconds


def _follow(child: subprocess.Popen[str], done: list[int], index: int) -> None:
    """Keep done[index] at the count the child last reported."""
    assert child.stdout is not None
    for line in child.stdout:
        kind, _, value = line.strip().partition(" ")
        if kind in {"PROGRESS", "DONE"}:
            done[index] = int(value)


def grow(config: Config, first: int, last: int, database: str) -> float:
    """Provision tenants first..last in GROW_PROCESSES children, with a progress line; the
    seconds it took."""
    total = last - first + 1
    share = -(-total // GROW_PROCESSES)
    # Bulk loading: commits do not wait for the WAL flush (this benchmark's sessions only).
    env = child_env(config, STRATA, database, PGOPTIONS="-c synchronous_commit=off")
    started = time.monotonic()
    children: list[tuple[subprocess.Popen[str], Path]] = []
    done = [0] * GROW_PROCESSES
    followers = []
    for index in range(GROW_PROCESSES):
        start = first + index * share
        end = min(last, start + share - 1)
        errors = config.work / f"grow-{index}.log"
        with errors.open("w") as stderr:
            child = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "scale" / "grow.py"),
                 "--first", str(start), "--last", str(end)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )  # fmt: skip
        children.append((child, errors))
        follower = threading.Thread(target=_follow, args=(child, done, index), daemon=True)
        follower.start()
        followers.append(follower)
    try:
        while any(child.poll() is None for child, _ in children):
            time.sleep(PROGRESS_SECONDS)
            made = sum(done)
            rate = made / (time.monotonic() - started)
            left = (total - made) / rate if rate else 0.0
            say(
                f"  tenants {first - 1 + made:,} / {last:,} ({rate:.0f}/s, "
                f"about {left / 60:.1f} min left)"
            )
            for child, errors in children:
                if child.poll() not in (None, 0):
                    raise BenchError(
                        f"grow.py exited with {child.returncode}:\n{tail(errors.read_text())}"
                    )
    finally:
        for child, _ in children:
            if child.poll() is None:
                child.kill()
    for follower in followers:
        follower.join(timeout=10)
    if sum(done) != total:
        raise BenchError(f"grow.py made {sum(done)} tenants, not {total}")
    return time.monotonic() - started


def write_hosts(config: Config, name: str, numbers: Sequence[int]) -> Path:
    path = config.work / f"hosts-{name}.txt"
    path.write_text("".join(f"s{number:05d}.localhost\n" for number in numbers))
    return path


def count_tenants(config: Config) -> int:
    with psycopg.connect(database_url(config.server_url, SCALE_DATABASE)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM tenants_tenant t JOIN pg_namespace n ON n.nspname = t.schema_name"
        ).fetchone()
    return int(row[0]) if row else 0


# --- Servers and load ------------------------------------------------------------------------


class Server(GunicornServer):
    READY = "answer 200"

    def __init__(self, variant: Variant, env: dict[str, str], log_dir: Path) -> None:
        super().__init__(variant.key, env, log_dir, workers=WORKERS)
        self.variant = variant

    def answers(self) -> bool:
        reply = shared.get(self.port, "/ping/", {"Host": "s00001.localhost"}, timeout=5)
        return reply.status == 200

    def worker_rss_mib(self) -> float:
        """The largest resident set among the gunicorn workers."""
        assert self.process is not None
        workers = psutil.Process(self.process.pid).children()
        if not workers:
            raise BenchError(f"gunicorn for {self.key} has no workers")
        return float(max(worker.memory_info().rss for worker in workers)) / 2**20


@contextlib.contextmanager
def serving(
    config: Config, variants: Sequence[Variant], database: str | None = None, **extra: str
) -> Iterator[dict[str, Server]]:
    servers = {
        v.key: Server(v, child_env(config, v, database, **extra), config.work) for v in variants
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


def load(
    config: Config, server: Server, path: str, hosts: Path, *, seconds: int, connections: int
) -> Sample:
    """wrk for `seconds`, each request to the next host of `hosts`; every response a 200."""
    return shared.load(
        config.wrk,
        server,
        path,
        {},
        seconds=seconds,
        connections=connections,
        threads=1,
        script_args=(str(hosts), path),
    )


def warm(server: Server, hosts: Path, path: str) -> None:
    """One request to every host of the spread, so that no phase times first visits only."""
    for host in hosts.read_text().split():
        reply = shared.get(server.port, path, {"Host": host}, timeout=10)
        if reply.status != 200:
            raise BenchError(f"{server.key} {host}{path} answered {reply.status}")


def measure_phase(config: Config, phase: Phase, hosts: Path) -> None:
    say(f"{phase.title}: {config.rounds} rounds of {config.duration} s per pair")
    with serving(config, VARIANTS, phase.database) as servers:
        for server in servers.values():
            if phase.hosts <= SMALL:
                warm(server, hosts, LIST.path)
            else:  # a running service has seen its tenants before: time that, not first visits
                load(
                    config, server, NODB.path, hosts,
                    seconds=WARM_SECONDS, connections=CONNECTIONS,
                )  # fmt: skip
        pairs = [(variant, endpoint) for variant in VARIANTS for endpoint in ENDPOINTS]
        load_before = os.getloadavg()[0]
        for number in range(config.rounds):
            shift = number % len(pairs)
            for variant, endpoint in pairs[shift:] + pairs[:shift]:
                server = servers[variant.key]
                load(
                    config, server, endpoint.path, hosts,
                    seconds=WARMUP_SECONDS, connections=CONNECTIONS,
                )  # fmt: skip
                sample = load(
                    config, server, endpoint.path, hosts,
                    seconds=config.duration, connections=CONNECTIONS,
                )  # fmt: skip
                phase.samples.setdefault((variant.key, endpoint.key), []).append(sample)
                say(
                    f"  round {number + 1} {variant.key:6} {endpoint.key:4} "
                    f"{sample.rps:7.0f} req/s  p50 {sample.p50_ms:5.2f} ms  "
                    f"p95 {sample.p95_ms:5.2f} ms"
                )
        phase.load = (load_before, os.getloadavg()[0])
        for key, server in servers.items():
            phase.rss_mib[key] = server.worker_rss_mib()
        say("  worker RSS: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in phase.rss_mib.items()))


# --- Backend memory --------------------------------------------------------------------------


def memory_curve(config: Config) -> list[tuple[int, int, int, int]]:
    """(schemas visited, context bytes, catalog cache bytes, anonymous KiB) at the checkpoints."""
    say(f"backend memory: one connection visits {config.checkpoints[-1]:,} tenants")
    output = run(
        [sys.executable, str(ROOT / "bench" / "scale" / "backend_memory.py"),
         "--checkpoints", ",".join(str(n) for n in config.checkpoints)],
        timeout=1800, env=child_env(config, STRATA, DATABASE_SCHEMAS_PER_CONNECTION="0"),
    )  # fmt: skip
    points = []
    for line in output.splitlines():
        if line.startswith("MEMORY "):
            visited, contexts, caches, anonymous = (int(v) for v in line.split()[1:])
            points.append((visited, contexts, caches, anonymous))
            say(f"  after {visited:>6,} schemas: {contexts / 2**20:7.1f} MiB in memory contexts")
    if len(points) != len(config.checkpoints) + 1:
        raise BenchError(f"backend_memory.py reported {len(points)} points:\n{output}")
    return points


def backend_memory_kib(admin: common.Connection) -> dict[int, int]:
    """Anonymous memory of every client backend of the scale database, by pid (from /proc:
    the PostgreSQL server must run on this machine)."""
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
        [SCALE_DATABASE],
    ).fetchall()
    sizes: dict[int, int] = {}
    for (pid,) in rows:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except FileNotFoundError:
            continue  # gone between the query and the read
        except PermissionError:
            raise BenchError(
                "cannot read /proc/<pid>/smaps_rollup of PostgreSQL's backends: run the "
                "benchmark as root or as the postgres user, on the database server's machine"
            ) from None
        found = re.search(r"^Anonymous:\s+(\d+) kB", text, re.MULTILINE)
        if found:
            sizes[int(pid)] = int(found[1])
    return sizes


def memory_runs(config: Config, hosts: Path) -> list[MemoryRun]:
    pooled = {"DATABASE_POOL": "true", "DATABASE_POOL_MIN_SIZE": "1", "DATABASE_POOL_MAX_SIZE": "1"}
    runs = [
        MemoryRun(
            "stock", "Stock django-tenants, persistent connections (CONN_MAX_AGE 600 s)", STOCK, {}
        ),
        MemoryRun(
            "unbounded",
            "Strata, pooled, no schema budget, lifetime 1 h",
            STRATA,
            {
                **pooled,
                "DATABASE_POOL_MAX_LIFETIME": "3600",
                "DATABASE_SCHEMAS_PER_CONNECTION": "0",
            },
        ),
        MemoryRun(
            "lifetime",
            f"Strata, pooled, no schema budget, lifetime {SHORT_LIFETIME} s",
            STRATA,
            {
                **pooled,
                "DATABASE_POOL_MAX_LIFETIME": str(SHORT_LIFETIME),
                "DATABASE_SCHEMAS_PER_CONNECTION": "0",
            },
        ),
        MemoryRun(
            "budget",
            f"Strata's defaults: pooled, {SCHEMA_BUDGET} schemas per connection, lifetime 30 min",
            STRATA,
            {**pooled, "DATABASE_SCHEMAS_PER_CONNECTION": str(SCHEMA_BUDGET)},
        ),
    ]
    results = []
    with common.admin_connection(config.server_url) as admin:
        for spec in runs:
            say(f"backend memory under load: {spec.title}, {config.memory_seconds} s")
            with serving(config, [spec.variant], **spec.env) as servers:
                server = servers[spec.variant.key]
                series: list[tuple[float, int]] = []
                seen: set[int] = set()
                outcome: dict[str, Sample | BaseException] = {}

                def drive(
                    server: Server = server, outcome: dict[str, Sample | BaseException] = outcome
                ) -> None:
                    try:
                        outcome["sample"] = load(
                            config, server, WORKSPACE_PATH, hosts,
                            seconds=config.memory_seconds, connections=MEMORY_CONNECTIONS,
                        )  # fmt: skip
                    except BaseException as failure:  # reported on the main thread
                        outcome["error"] = failure

                driver = threading.Thread(target=drive)
                started = time.monotonic()
                driver.start()
                while driver.is_alive():
                    sizes = backend_memory_kib(admin)
                    seen.update(sizes)
                    series.append((time.monotonic() - started, max(sizes.values(), default=0)))
                    driver.join(MEMORY_SAMPLE_SECONDS)
                error = outcome.get("error")
                if isinstance(error, BaseException):
                    raise error
                sample = outcome["sample"]
                assert isinstance(sample, Sample)
                peak = max(size for _, size in series)
                result = MemoryRun(
                    spec.key, spec.title, spec.variant, spec.env, sample, peak,
                    series[-1][1], len(seen), tuple(series),
                )  # fmt: skip
                results.append(result)
                say(
                    f"  {sample.rps:.0f} req/s, p95 {sample.p95_ms:.2f} ms; largest backend "
                    f"{peak / 1024:.0f} MiB (at the end {series[-1][1] / 1024:.0f} MiB); "
                    f"{len(seen)} backends seen"
                )
    return results


# --- The document ----------------------------------------------------------------------------


def median(samples: list[Sample], attribute: str) -> float:
    return float(statistics.median(float(getattr(sample, attribute)) for sample in samples))


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


@dataclass(frozen=True)
class Environment:
    when: datetime
    machine: str
    versions: list[tuple[str, str]]
    build_seconds: float
    grow_seconds: float
    tenants: int
    reused: str


def describe(
    config: Config, grow_seconds: float, build_seconds: float, *, reused: bool
) -> Environment:
    with common.admin_connection(config.server_url) as admin:
        postgres = common.server_version(admin)
    client = redis.Redis.from_url(config.redis_url, socket_timeout=5)
    try:
        redis_version = str(client.info("server")["redis_version"])
    finally:
        client.close()
    versions = [
        ("Python", common.python_version()),
        ("Django", version("django")),
        ("django-tenants", version("django-tenants")),
        ("gunicorn", version("gunicorn")),
        ("psycopg", version("psycopg")),
        ("psycopg-pool", version("psycopg-pool")),
        ("PostgreSQL server", postgres),
        ("Redis server", redis_version),
    ]
    return Environment(
        datetime.now(UTC), common.machine(), versions, build_seconds, grow_seconds,
        count_tenants(config),
        " (in the run that made the database, kept with --keep and reused here)" if reused else "",
    )  # fmt: skip


def routing_table(phases: list[Phase], endpoint: Endpoint) -> list[str]:
    small, large, hot = phases
    lines = [
        (
            f"| Variant | p50 ms, {small.tenants} | p50 ms, {large.tenants:,} | p95 ms, "
            f"{small.tenants} | p95 ms, {large.tenants:,} | p95 {large.tenants:,} / "
            f"{small.tenants} | p95 ms, {hot.hosts} of {hot.tenants:,} | req/s, {small.tenants} "
            f"| req/s, {large.tenants:,} |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for variant in VARIANTS:
        pair = (variant.key, endpoint.key)
        s, m, h = small.samples[pair], large.samples[pair], hot.samples[pair]
        lines.append(
            f"| {variant.title} | {median(s, 'p50_ms'):.2f} | {median(m, 'p50_ms'):.2f} | "
            f"{median(s, 'p95_ms'):.2f} | {median(m, 'p95_ms'):.2f} | "
            f"{ratio(median(m, 'p95_ms'), median(s, 'p95_ms'))} | {median(h, 'p95_ms'):.2f} | "
            f"{median(s, 'rps'):,.0f} | {median(m, 'rps'):,.0f} |"
        )
    return lines


def render(
    *,
    config: Config,
    env: Environment,
    phases: list[Phase],
    curve: list[tuple[int, int, int, int]],
    runs: list[MemoryRun],
    took: float,
) -> str:
    small, large, hot = phases
    out: list[str] = ["## Scale", ""]
    out += paragraph(
        f"What changes when one database holds {env.tenants:,} tenants instead of "
        f"{small.tenants}: routing latency, the web workers' memory, and the memory of the "
        "PostgreSQL backends that serve them. Schema-per-tenant systems are known to degrade in "
        "the low thousands of schemas, mostly through PostgreSQL's per-connection catalog "
        "caches; this section measures where Strata stands and what keeps it there."
    )
    out += [""]
    out += paragraph(
        f"Measured {env.when:%Y-%m-%d %H:%M} UTC by `bench/scale/run.py`; the whole run took "
        f"{took / 60:.1f} minutes, of which making the {env.tenants:,} tenants took "
        f"{env.grow_seconds / 60:.1f}{env.reused}."
    )
    out += ["", "### Setup", ""]
    out += bullet(
        f"Machine: {env.machine}. The load generator (wrk), the gunicorn workers, PostgreSQL and "
        "Redis share it."
    )
    out += bullet("Versions: " + ", ".join(f"{name} {value}" for name, value in env.versions) + ".")
    out += bullet(
        f"Tenants: `{SCALE_DATABASE}` is set up with `migrate_fleet` and then filled through "
        "`tenants.services.tenant_provision` (each tenant's schema replayed from the blueprint, "
        "its primary domain, owner and membership, all or nothing) by `bench/scale/grow.py` in "
        f"{GROW_PROCESSES} processes, each printing progress; every tenant then gets 20 bench "
        "items, a project with 5 tasks, 2 labels and an assignee. Each tenant schema has "
        "Strata's tables and the bench app's. Growing took "
        f"{env.grow_seconds:.0f} s for {env.tenants:,} tenants "
        f"({env.tenants / env.grow_seconds:.0f} tenants/s); most of a tenant's time is "
        "PostgreSQL syncing each new index file to disk (`DataFileImmediateSync`). The loader's "
        "connections keep to Strata's schema budget like any request: in an earlier run "
        "(2026-11-24) without it, its two backends reached 750 MB each and provisioning slowed "
        "from 13 to 5 tenants/s by the 4,600th tenant."
    )
    out += bullet(
        "Variants: those of the Routing section (the same bench app, settings and middleware; "
        "plain Django serves its own single-tenant database, stock django-tenants and Strata "
        f"serve `{SMALL_DATABASE}` ({SMALL} tenants, made the same way) and `{SCALE_DATABASE}`), "
        f"under gunicorn with {WORKERS} sync workers each, "
        "persistent connections (`CONN_MAX_AGE` 600 s). Strata's routing keeps host routes in "
        "each process (up to 10 min while Redis's change log, read every 5 s, does not name "
        "them) and in Redis; stock looks the domain up in the database on every "
        "request."
    )
    out += bullet(
        f"Load: wrk, 1 thread, {CONNECTIONS} connections; every request goes to the next host of "
        "a list (a Lua script), so that requests spread evenly over the phase's tenants: all "
        f"{small.tenants} tenants, then all {large.tenants:,} (in a shuffled order), then "
        f"{hot.hosts} of the {hot.tenants:,} (busy tenants among many idle ones). Each phase "
        f"starts fresh servers; {config.rounds} rounds of {config.duration} s per (variant, "
        f"endpoint) after {WARMUP_SECONDS} s of warm-up, each round starting one pair later; "
        "medians over rounds. Every response must be a 200. Plain Django is in every phase as "
        "a check on the machine's drift: it has no tenants, so any change in its figures "
        "between phases is the machine, not the tenant count."
    )
    out += bullet(
        "The machine is shared with other work; its 1-minute load average (2 cores; the "
        "benchmark's own processes included) when each phase's timing began and ended: "
        + "; ".join(f"{p.title} {p.load[0]:.1f} and {p.load[1]:.1f}" for p in phases)
        + "."
    )
    out += bullet(
        "Worker RSS: the resident set of the larger of each server's two gunicorn workers, read "
        "with psutil at the end of the phase."
    )
    out += ["", "### Routing at 10 and 10,000 tenants", ""]
    for endpoint in ENDPOINTS:
        out += [f"{endpoint.title.capitalize()} (`GET {endpoint.path}`):", ""]
        out += routing_table(phases, endpoint)
        out += [""]
    out += ["### Web worker memory", ""]
    out += [
        (
            f"| Variant | RSS MiB, {small.tenants} tenants | RSS MiB, {large.tenants:,} tenants "
            f"| {large.tenants:,} / {small.tenants} | RSS MiB, {hot.hosts} of {hot.tenants:,} |"
        ),
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for variant in VARIANTS:
        a, b, c = (phase.rss_mib[variant.key] for phase in phases)
        out.append(f"| {variant.title} | {a:.1f} | {b:.1f} | {ratio(b, a)} | {c:.1f} |")
    out += ["", "### PostgreSQL backend memory across schemas", ""]
    out += paragraph(
        "One connection visits tenant after tenant and runs what the bench app's workspace view "
        "reads from the tenant's tables (`GET /api/workspace/`: the projects count, the 10 "
        "latest tasks with their project, assignee and labels: 4 tenant tables, 9 of their "
        "indexes). The backend reports its own memory (`pg_backend_memory_contexts`); "
        "`CacheMemoryContext` and its children are the catalog caches; anonymous memory is read "
        "from /proc for the same backend."
    )
    out += [""]
    out += [
        "| Schemas visited | Memory contexts MiB | of it catalog caches MiB | Anonymous MiB |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for visited, contexts, caches, anonymous in curve:
        anon = f"{anonymous / 1024:.1f}" if anonymous >= 0 else "n/a"
        out.append(f"| {visited:,} | {contexts / 2**20:.1f} | {caches / 2**20:.1f} | {anon} |")
    first, last = curve[1], curve[-1]
    per_schema = (last[1] - first[1]) / max(last[0] - first[0], 1) / 1024
    out += [""]
    out += paragraph(
        f"Each schema visited adds about {per_schema:.0f} KiB to the backend, and nothing is "
        "given back while the connection lives: PostgreSQL keeps a catalog entry for every "
        "relation, column, index and type a backend has used. A connection that serves "
        f"{env.tenants:,} tenants this way holds {last[1] / 2**20:.0f} MiB; a pool of 10 per web "
        "process, times the processes, is where schema-per-tenant systems run out of memory."
    )
    out += ["", "### Bounding it under load", ""]
    out += paragraph(
        f"The workspace view served across all {env.tenants:,} tenants for "
        f"{config.memory_seconds} s per configuration ({MEMORY_CONNECTIONS} wrk connections, "
        f"{WORKERS} gunicorn workers, one database connection each); every "
        f"{MEMORY_SAMPLE_SECONDS:.0f} s the runner reads the anonymous memory of every backend "
        "of the database from /proc."
    )
    out += [""]
    out += [
        (
            "| Configuration | req/s | p50 ms | p95 ms | Largest backend, peak MiB | Largest "
            "backend at the end MiB | Backends opened |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in runs:
        assert result.sample is not None
        out.append(
            f"| {result.title} | {result.sample.rps:,.0f} | {result.sample.p50_ms:.2f} | "
            f"{result.sample.p95_ms:.2f} | {result.peak_kib / 1024:.0f} | "
            f"{result.end_kib / 1024:.0f} | {result.backends} |"
        )
    out += [""]
    out += [
        "The largest backend's memory over time (MiB, one column per configuration):",
        "",
        "| s | " + " | ".join(result.key for result in runs) + " |",
        "| ---: | " + " | ".join("---:" for _ in runs) + " |",
    ]
    steps = min(len(result.series) for result in runs)
    for index in range(0, steps, max(1, steps // 12)):
        cells = " | ".join(f"{result.series[index][1] / 1024:.0f}" for result in runs)
        out.append(f"| {runs[0].series[index][0]:.0f} | {cells} |")
    out += ["", "### Targets", ""]
    out += verdict_lines(phases, runs)
    out += ["", "### What the numbers mean", ""]
    out += meaning(env, phases, runs, per_schema)
    out += ["", "### Reproduce", "", "```", "make bench", "```", ""]
    out += paragraph(
        "runs `uv run --frozen python bench/scale/run.py` (after the other benchmarks) from the "
        "repository root. It needs PostgreSQL on this machine (the server of `DATABASE_URL`, by "
        "default `postgres://postgres@127.0.0.1:5432/postgres`, where it creates and finally "
        f"drops `{SCALE_DATABASE}`, `{SMALL_DATABASE}` and `{PLAIN_DATABASE}`; backend memory "
        "is read from /proc, "
        f"so the server must be local and readable), Redis at `{DEFAULT_REDIS_URL}` "
        "(`BENCH_REDIS_URL` overrides it) and wrk, which it installs with apt-get when missing. "
        "`--tenants` changes the fleet size, `--quick` is a smoke test with 300 tenants and "
        "short runs that leaves this file alone, as does `--no-doc`; `--keep` leaves the big "
        "database in place and `--reuse` measures it again without making its tenants anew."
    )
    return "\n".join(out) + "\n"


def verdict_lines(phases: list[Phase], runs: list[MemoryRun]) -> list[str]:
    small, large, _ = phases
    lines = ["| Target | Measured | Result |", "| --- | --- | --- |"]
    for endpoint in ENDPOINTS:
        pair = (STRATA.key, endpoint.key)
        a, b = median(small.samples[pair], "p95_ms"), median(large.samples[pair], "p95_ms")
        lines.append(
            f"| Strata routing p95 at {large.tenants:,} tenants within "
            f"{TARGET_P95_RATIO:.2f}x of {small.tenants} ({endpoint.title}) | "
            f"{a:.2f} ms and {b:.2f} ms ({b / a:.2f}x) | {met(b / a <= TARGET_P95_RATIO)} |"
        )
    a, b = small.rss_mib[STRATA.key], large.rss_mib[STRATA.key]
    lines.append(
        f"| Strata web worker RSS at {large.tenants:,} tenants within {TARGET_RSS_RATIO:.2f}x of "
        f"{small.tenants} | {a:.0f} MiB and {b:.0f} MiB ({b / a:.2f}x) | "
        f"{met(b / a <= TARGET_RSS_RATIO)} |"
    )
    by_key = {result.key: result for result in runs}
    bounded, unbounded = by_key["budget"], by_key["unbounded"]
    lines.append(
        "| PostgreSQL backend memory bounded under load across every tenant (Strata's defaults: "
        "the largest backend's peak at most half of the unbounded one's) | "
        f"{bounded.peak_kib / 1024:.0f} MiB against {unbounded.peak_kib / 1024:.0f} MiB | "
        f"{met(bounded.peak_kib * 2 <= unbounded.peak_kib)} |"
    )
    return lines


def meaning(
    env: Environment, phases: list[Phase], runs: list[MemoryRun], per_schema: float
) -> list[str]:
    small, large, hot = phases
    by_key = {result.key: result for result in runs}
    out: list[str] = []
    pair = (STOCK.key, LIST.key)
    out += bullet(
        "Routing: Strata routes from a per-process cache backed by Redis, so the number of "
        "tenants changes what a request costs only through what it touches. A process keeps "
        "its copy of a host's route for up to 10 minutes while Redis's change log (read once "
        "per 5 s) does not name the host, so after the warm-up pass the no-database view "
        f"reads no route from Redis even with every request to another of {large.tenants:,} "
        "tenants. (With copies kept 5 s only, as before 2026-11-24, every request there paid a "
        "Redis round trip and the view ran at about half its 10-tenant rate; with Redis "
        "keeping routes for 60 s instead of an hour, most came from PostgreSQL, ~700 req/s.) "
        "On the list view every request also visits a schema its connection has not cached, "
        "and the schema budget replaces the connection every "
        f"{SCHEMA_BUDGET} schemas (about 7 ms). That is the list view's shortfall against its "
        "target: a first visit makes PostgreSQL build the catalog entries of the table and its "
        "indexes in that backend (the per-schema memory below is what they weigh), whichever "
        "variant serves it, and no cache in Strata can skip it. What would shrink it: a larger "
        "schema budget where memory allows (fewer reconnects, more schemas cached per backend), "
        "or sending a tenant's requests to connections that have served it before (affinity by "
        "schema), which neither Django's pool nor PgBouncer offers. Stock django-tenants "
        "looks the domain up in PostgreSQL on every request at any size, and its persistent "
        "connections keep growing their catalog caches (list view p95 "
        f"{median(small.samples[pair], 'p95_ms'):.2f} ms at {small.tenants}, "
        f"{median(large.samples[pair], 'p95_ms'):.2f} ms at {large.tenants:,})."
    )
    out += bullet(
        f"The {hot.hosts}-of-{hot.tenants:,} phase separates how many tenants exist from how "
        "many are busy: there, Strata serves from its in-process cache as at "
        f"{small.tenants} tenants, and the catalog caches stay small."
    )
    a, b = small.rss_mib[STRATA.key], large.rss_mib[STRATA.key]
    out += bullet(
        f"Worker memory: Strata's workers grew from {a:.0f} to {b:.0f} MiB between "
        f"{small.tenants} and {large.tenants:,} tenants: the in-process routes (one entry per "
        "host seen, capped at 20,000 entries) and Django's per-connection state. Gunicorn "
        f"recycles each worker after {gunicorn_config.max_requests:,} requests in production "
        "(`config/gunicorn.py`), which bounds whatever else accumulates."
    )
    unbounded, lifetime, budget = by_key["unbounded"], by_key["lifetime"], by_key["budget"]
    out += bullet(
        f"Backend memory: about {per_schema:.0f} KiB per schema visited. With no bound, the "
        f"largest backend reached {unbounded.peak_kib / 1024:.0f} MiB within "
        f"{len(unbounded.series) * MEMORY_SAMPLE_SECONDS:.0f} s and would keep growing to the "
        f"{env.tenants:,}-schema figure above. A lifetime in seconds bounds it only as far as "
        f"the traffic is slow: with a {SHORT_LIFETIME} s lifetime (the shortest the settings "
        f"accept) a backend still reached {lifetime.peak_kib / 1024:.0f} MiB: at this rate a "
        "connection visits that many schemas before its lifetime is up. Strata therefore also "
        f"retires a connection once it has served {SCHEMA_BUDGET} distinct tenant schemas "
        "(`DATABASE_SCHEMAS_PER_CONNECTION`, `tenants/connections.py`): the largest backend "
        f"peaked at {budget.peak_kib / 1024:.0f} MiB, whatever the rate, for "
        f"{budget.backends} backends opened in {len(budget.series) * MEMORY_SAMPLE_SECONDS:.0f}"
        f" s, a new connection (about 7 ms) every {SCHEMA_BUDGET} tenant visits. Per web "
        "process the bound is `DATABASE_POOL_MAX_SIZE` x (base + "
        f"{SCHEMA_BUDGET} x the per-schema figure); lower the budget "
        "for more processes per database server, raise it when few tenants are busy."
    )
    return out


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=positive, default=10_000)
    parser.add_argument("--rounds", type=positive, default=3)
    parser.add_argument("--duration", type=positive, default=6, help="seconds per measurement")
    parser.add_argument("--memory-seconds", type=positive, default=90)
    parser.add_argument("--quick", action="store_true", help="smoke test; leaves docs alone")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help=f"leave {SCALE_DATABASE} in place afterwards"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"use the tenants a --keep run left in {SCALE_DATABASE} instead of making them",
    )
    return parser.parse_args(argv)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.tenants, args.rounds, args.duration, args.memory_seconds = 300, 1, 2, 8
        args.no_doc = True
    if args.tenants <= SMALL:
        raise SystemExit(f"--tenants must be more than {SMALL}")
    checkpoints = tuple(n for n in (1, 10, 100, 500, 1000, 2000, 5000, 10_000) if n < args.tenants)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="strata-bench-scale-") as work:
        config = Config(
            server_url=common.server_url(),
            redis_url=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
            tenants=args.tenants,
            rounds=args.rounds,
            duration=args.duration,
            memory_seconds=args.memory_seconds,
            checkpoints=(*checkpoints, args.tenants),
            wrk=ensure_wrk(),
            work=Path(work),
        )
        try:
            shared.clear_redis(config.redis_url, "strata*")
            say(f"building {PLAIN_DATABASE} and {SMALL_DATABASE} ({SMALL} tenants)")
            build_started = time.monotonic()
            build(config)
            build_seconds = time.monotonic() - build_started
            small_hosts = write_hosts(config, "small", range(1, SMALL + 1))
            phases = [
                Phase("small", f"{SMALL} tenants", SMALL, SMALL, SMALL_DATABASE),
                Phase(
                    "large", f"{args.tenants:,} tenants", args.tenants, args.tenants,
                    SCALE_DATABASE,
                ),
                Phase(
                    "hot", f"{SMALL} of {args.tenants:,} tenants", args.tenants, SMALL,
                    SCALE_DATABASE,
                ),
            ]  # fmt: skip
            measure_phase(config, phases[0], small_hosts)
            reused = args.reuse and grown_before(config) is not None
            grow_seconds = build_large(config, reuse=args.reuse)
            numbers = list(range(1, args.tenants + 1))
            random.Random(20261124).shuffle(numbers)  # noqa: S311 - an order, not a secret
            all_hosts = write_hosts(config, "all", numbers)
            shared.clear_redis(config.redis_url, "strata*")
            measure_phase(config, phases[1], all_hosts)
            measure_phase(config, phases[2], small_hosts)
            curve = memory_curve(config)
            runs = memory_runs(config, all_hosts)
            env = describe(config, grow_seconds, build_seconds, reused=reused)
        except (BenchError, KeyboardInterrupt, http.client.HTTPException, OSError) as error:
            say(f"scale benchmark failed: {error}")
            return 1
        finally:
            drop_databases(config, keep=args.keep)
    took = time.monotonic() - started
    section = render(config=config, env=env, phases=phases, curve=curve, runs=runs, took=took)
    if args.no_doc:
        say(section)
    else:
        write_section("Scale", section)
        say(f"wrote the Scale section of {common.DOC.relative_to(ROOT)}")
    say(f"scale benchmark took {took / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
