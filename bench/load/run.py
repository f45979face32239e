"""Load benchmark: many workspaces on one production-configured server, one of them noisy.

`make bench` runs it (uv run --frozen python bench/load/run.py, from the repository root). It
creates a throwaway database on DATABASE_URL's server, migrates it with migrate_fleet, makes the
workspaces through Strata's provisioning and services (bench/load/seed.py: each on an active Pro
subscription, with a project, tasks, labels, members, a read-and-write API key and a member's
signed-in session) and serves it the way production does: gunicorn with config/gunicorn.py
(gthread) and config.settings.prod behind a pretend TLS ingress, pooled connections, JSON
request logs. locust (bench/load/locustfile.py) sends each quiet workspace a fixed-rate mix of
API reads, API writes and page views, while the noisy workspace sends task lists at ten times
its plan's rate in every other window. Then the same again, shorter, on a server whose
workspaces have no budget of their own. It judges every recorded request, drops the database
(also on failure) and rewrites the Load section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: bench.* must import
    sys.path.insert(0, str(ROOT))

import psutil  # type: ignore[import-untyped]  # noqa: E402 - psutil ships no types
import psycopg  # noqa: E402
import redis  # noqa: E402

from bench import common  # noqa: E402 - needs ROOT on sys.path first
from bench import serving as shared  # noqa: E402
from bench.common import BenchError, database_url, run, say, tail  # noqa: E402
from bench.load import mix, probe, report  # noqa: E402
from bench.load.results import (  # noqa: E402
    RunResult,
    Window,
    read_records,
    read_server_log,
)
from bench.load.seed import NOISY_SLUG  # noqa: E402
from bench.serving import GunicornServer  # noqa: E402

HEADING = report.HEADING
DATABASE = "strata_bench_load"
# Redis databases of this benchmark's own (tests use 15, 13, 8 and 7; bench/routing 14,
# bench/api 12, bench/scale 9): the cache and sessions here, Celery's broker in BROKER_DB.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
BROKER_DB = 10
BASE_DOMAIN = "load.test"
LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"

# The production server: config/gunicorn.py's gthread workers, sized as the chart's default.
WEB_CONCURRENCY = 2
GUNICORN_THREADS = 4
# Billing on, with an offline key: every workspace's plan comes from its account (an active Pro
# subscription), as in production. Nothing on the load's paths calls Stripe.
STRIPE_SETTINGS = {
    "STRIPE_SECRET_KEY": "sk_test_bench_load_offline",
    "STRIPE_WEBHOOK_SECRET": "whsec_bench_load",
    "STRIPE_PRICE_PRO": "price_bench_load_pro",
    "STRIPE_PRICE_BUSINESS": "price_bench_load_business",
}
PLAN_RATE_PER_MINUTE = 600  # billing/catalog.py: Pro
NOISY_FACTOR = 10
# Enough users that each waits 0.5 s between requests: the rate holds while answers are slow.
NOISY_USERS = 50
# Strata's settings read it: no workspace budget bites (the anchor run).
NO_BUDGET_RATE = "100000000"
WARMUP_SECONDS = 20.0
SETTLE_SECONDS = 2.0
LOCUST_GRACE_SECONDS = 30
# Every quiet workspace sends this many requests a second (see --rate): the quiet load then takes
# about half of this 2-core machine (gunicorn used ~20 ms of CPU per request of the mix under
# load, the database, Redis and locust ~4 ms more: ~1.1 cores at 48 requests a second).
DEFAULT_RATE = 0.8


@dataclass(frozen=True)
class Variant:
    key: str
    title: str
    windows: int
    window_seconds: int
    # Windows start on the minute, so that the server log's minutes are the windows' (see
    # plan_windows).
    aligned: bool
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    server_url: str
    redis_url: str
    broker_url: str
    quiet: int
    tasks: int
    rate: float
    budget: Variant
    no_budget: Variant | None
    quick: bool

    @property
    def cost_requests(self) -> int:
        return 20 if self.quick else 100

    @property
    def noisy_rate(self) -> float:
        return PLAN_RATE_PER_MINUTE / 60 * NOISY_FACTOR

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (self.budget,) if self.no_budget is None else (self.budget, self.no_budget)


# --- Environment, database, Redis ------------------------------------------------------------


def broker_url_for(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    if parts.path.strip("/") == str(BROKER_DB):
        raise BenchError(
            f"{redis_url} is the broker's Redis database ({BROKER_DB}): choose another"
        )
    return urlunsplit(parts._replace(path=f"/{BROKER_DB}"))


def django_env(config: Config, static_root: Path, **extra: str) -> dict[str, str]:
    """What the production server (and the seed, and collectstatic) run with."""
    return common.clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        DATABASE_URL=database_url(config.server_url, DATABASE),
        REDIS_URL=config.redis_url,
        CELERY_BROKER_URL=config.broker_url,
        STRATA_BASE_DOMAIN=BASE_DOMAIN,
        STRATA_STATIC_ROOT=str(static_root),
        # The ingress adds the client's address to X-Forwarded-For, as in the chart.
        STRATA_TRUSTED_PROXY_COUNT="1",
        # Nothing is provisioned while the load runs: no spare schemas to keep (the seed makes
        # the ones it claims itself).
        STRATA_POOL_SIZE="0",
        WEB_CONCURRENCY=str(WEB_CONCURRENCY),
        GUNICORN_THREADS=str(GUNICORN_THREADS),
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        **STRIPE_SETTINGS,
        **extra,
    )


def python(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    return run([sys.executable, *args], timeout=timeout, env=env)


def stream(env: dict[str, str], *args: str) -> None:
    """Run a set-up command, relaying its progress lines (not its JSON log lines)."""
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    output: list[str] = []
    for line in child.stdout:
        output.append(line.rstrip("\n"))
        if not line.startswith("{"):
            say(f"    {line.rstrip()}")
    if child.wait() != 0:
        lines = "\n".join(output)
        raise BenchError(f"{' '.join(args)} exited with {child.returncode}:\n{tail(lines)}")


def build(config: Config, admin: common.Connection, work: Path) -> dict[str, Any]:
    """The database migrated and seeded, the static files' manifest; the seed's plan."""
    common.create_database(admin, DATABASE)
    env = django_env(config, work / "static")
    say(f"  {DATABASE}: migrate_fleet")
    python(env, "-m", "django", "migrate_fleet", "--skip-pool", "-v", "0")
    say("  collectstatic (the manifest the pages' {% static %} reads, as the image has)")
    python(
        {**env, "DJANGO_SETTINGS_MODULE": "bench.load.settings_collectstatic"},
        "manage.py",
        "collectstatic",
        "--noinput",
        "-v",
        "0",
    )
    say(f"  {config.quiet} quiet workspaces and the noisy one, {config.tasks} tasks each")
    seeded = work / "seed.json"
    stream(
        env,
        "-m",
        "bench.load.seed",
        "--quiet",
        str(config.quiet),
        "--tasks",
        str(config.tasks),
        "--out",
        str(seeded),
    )
    with psycopg.connect(
        database_url(config.server_url, DATABASE), autocommit=True, connect_timeout=5
    ) as connection:
        connection.execute("VACUUM (ANALYZE)")
    plan: dict[str, Any] = json.loads(seeded.read_text())
    for tenant in [*plan["quiet"], plan["noisy"]]:
        if tenant["plan_requests_per_minute"] != PLAN_RATE_PER_MINUTE:
            raise BenchError(
                f"{tenant['slug']} is not on the Pro plan's {PLAN_RATE_PER_MINUTE}/min"
            )
    return plan


# A PostgreSQL advisory lock that one run holds for its whole length ("LOAD" in ASCII).
RUN_LOCK = 0x4C4F4144


def take_run_lock(admin: common.Connection) -> None:
    """One run at a time on a database server: a second one would drop the first one's
    database and empty its Redis databases."""
    row = admin.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK]).fetchone()
    if not (row and row[0]):
        raise BenchError(
            f"another bench/load run is using {DATABASE} on this PostgreSQL server; wait for it"
        )


def drop_database(config: Config) -> None:
    # A connection of its own: the one the run used may be the reason it failed.
    with common.admin_connection(config.server_url) as admin:
        common.drop_database(admin, DATABASE)


def clear_redis(config: Config) -> None:
    """Empty this benchmark's two Redis databases (the cache and sessions; the broker)."""
    for url in (config.redis_url, config.broker_url):
        shared.clear_redis(url, "*")


def broker_messages(config: Config) -> int:
    """Keys in the broker's database: 0 means nothing was ever enqueued."""
    client = redis.Redis.from_url(config.broker_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        return int(client.dbsize())
    finally:
        client.close()


# --- The server ------------------------------------------------------------------------------


class ProductionServer(GunicornServer):
    """gunicorn as the image runs it: `--config config/gunicorn.py config.wsgi:application`,
    bound to 127.0.0.1 instead of the container's 0.0.0.0."""

    READY = "answer /readyz with 200 (database, Redis and migrations ready)"

    def start(self) -> None:
        args = [
            sys.executable, "-m", "gunicorn",
            "--config", "config/gunicorn.py",
            "--bind", f"127.0.0.1:{self.port}",
            "config.wsgi:application",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def answers(self) -> bool:
        reply = shared.get(
            self.port, "/readyz", {"Host": BASE_DOMAIN, "X-Forwarded-Proto": "https"}, timeout=5
        )
        return reply.status == 200


@contextlib.contextmanager
def serving(config: Config, variant: Variant, work: Path) -> Iterator[ProductionServer]:
    env = django_env(config, work / "static", **variant.extra_env)
    server = ProductionServer(variant.key, env, work, workers=WEB_CONCURRENCY)
    try:
        server.start()
        server.wait_ready()
        yield server
    finally:
        server.stop()


# --- CPU -------------------------------------------------------------------------------------


class Meters:
    """Cumulative CPU seconds of the processes the load runs on, read at window boundaries."""

    def __init__(self, server: ProductionServer, admin: common.Connection) -> None:
        assert server.process is not None
        self.gunicorn = psutil.Process(server.process.pid)
        self.locust: Any = None  # set once locust runs
        self.admin = admin
        self.redis = next(
            (p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"), None
        )
        self.postgres: dict[int, float] = {}
        # Core-seconds each used per window, by window number (follow() fills it).
        self.cpu: dict[int, dict[str, float]] = {}
        self.ticks = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _cpu(process: Any, *, children: bool = False) -> float:
        try:
            times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return 0.0
        total = float(times.user + times.system)
        if children:  # workers that exited (recycled), reaped by this process
            total += float(times.children_user + times.children_system)
        return total

    def _postgres(self) -> float:
        """CPU of the PostgreSQL backends serving the benchmark's database, added up as they
        come and go (each pooled connection is one backend)."""
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [DATABASE]
        ).fetchall()
        for (pid,) in rows:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                self.postgres[int(pid)] = self._cpu(psutil.Process(int(pid)))
        return sum(self.postgres.values())

    def _machine(self) -> float:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return (sum(fields[:8]) - idle) / self.ticks

    def server(self) -> float:
        """gunicorn's master and workers, those that exited included."""
        total = self._cpu(self.gunicorn, children=True)
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(self._cpu(child) for child in self.gunicorn.children(recursive=True))
        return total

    def workers(self) -> frozenset[int]:
        with contextlib.suppress(psutil.NoSuchProcess):
            return frozenset(child.pid for child in self.gunicorn.children())
        return frozenset()

    def read(self) -> dict[str, float]:
        return {
            "gunicorn": self.server(),
            "locust": self._cpu(self.locust) if self.locust is not None else 0.0,
            "postgres": self._postgres(),
            "redis": self._cpu(self.redis) if self.redis is not None else 0.0,
            "machine": self._machine(),
        }


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


# --- A load run ------------------------------------------------------------------------------


def plan_windows(variant: Variant, now: float, warmup: float) -> list[Window]:
    """Quiet and noisy windows in turn, starting with a quiet one after the warm-up. Aligned:
    each starts on the minute, so that a noisy window is exactly one minute of the server log's
    per-minute counts of the noisy workspace's answers."""
    first = now + warmup
    if variant.aligned:
        first = math.ceil(first / 60) * 60
    kinds = (mix.QUIET_WINDOW, mix.NOISY_WINDOW)
    return [
        Window(
            number=number + 1,
            kind=kinds[number % 2],
            start=first + number * variant.window_seconds,
            end=first + (number + 1) * variant.window_seconds,
        )
        for number in range(variant.windows)
    ]


def clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


def load_run(
    config: Config,
    variant: Variant,
    plan: dict[str, Any],
    admin: common.Connection,
    work: Path,
) -> RunResult:
    """One server, one locust run through its windows; the records judged. The main run also
    costs each request of the mix afterwards, one at a time."""
    records_path = work / f"records-{variant.key}.json"
    costs: list[probe.Cost] = []
    with serving(config, variant, work) as server:
        client = probe.Client(server.port, plan)
        meters = Meters(server, admin)
        try:
            probe.check_requests(client, plan, config.tasks)
            windows = plan_windows(
                variant, time.time(), WARMUP_SECONDS / (2 if config.quick else 1)
            )
            load = (os.getloadavg()[0], 0.0)
            drive(
                config,
                variant=variant,
                plan=plan,
                server=server,
                meters=meters,
                windows=windows,
                records_path=records_path,
                work=work,
            )
            load = (load[0], os.getloadavg()[0])
            if variant is config.budget:
                say(f"  {variant.key}: what each request costs the server, one at a time")
                settle(meters)
                costs = probe.measure_costs(
                    client,
                    plan=plan,
                    meter=meters,
                    clock=time.perf_counter,
                    requests=config.cost_requests,
                    progress=lambda cost: say(
                        f"    {cost.name}: {cost.cpu_ms:.2f} ms of CPU, answered in "
                        f"{cost.wall_ms:.2f} ms"
                    ),
                )
        finally:
            client.close()
        queued = broker_messages(config)
        if queued:
            raise BenchError(
                f"the load enqueued Celery tasks ({queued} keys in the broker's database): "
                "this benchmark runs no worker; start one with the server"
            )
    records, checks = read_records(records_path)
    result = RunResult(
        key=variant.key,
        windows=windows,
        settle=SETTLE_SECONDS,
        records=records,
        checks=checks,
        cpu=meters.cpu,
        server=read_server_log(server.log_path, NOISY_SLUG, WEB_CONCURRENCY),
        costs=costs,
        load=load,
    )
    summarise(result)
    return result


IDLE_CORES = 0.05
IDLE_TIMEOUT_SECONDS = 60.0


def settle(meters: Meters) -> None:
    """Wait until the server is idle: requests locust sent before it stopped may still wait in
    gunicorn's queues, and their CPU would count as the costed requests'."""
    deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
    before = meters.server()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = meters.server()
        if now - before < IDLE_CORES:
            return
        before = now
    raise BenchError(f"the server was still busy {IDLE_TIMEOUT_SECONDS:.0f} s after the load")


def drive(
    config: Config,
    *,
    variant: Variant,
    plan: dict[str, Any],
    server: ProductionServer,
    meters: Meters,
    windows: list[Window],
    records_path: Path,
    work: Path,
) -> None:
    """locust through the warm-up and the windows; its records at `records_path`."""
    locust_plan = {
        **plan,
        "base_url": f"http://127.0.0.1:{server.port}",
        "quiet_rate": config.rate,
        "noisy_rate": config.noisy_rate,
        "noisy_users": NOISY_USERS,
        "noisy_windows": [
            [window.start, window.end] for window in windows if window.kind == mix.NOISY_WINDOW
        ],
        "records": str(records_path),
    }
    plan_path = work / f"locust-{variant.key}.json"
    plan_path.write_text(json.dumps(locust_plan))
    users = config.quiet + NOISY_USERS
    run_time = math.ceil(windows[-1].end - time.time()) + LOCUST_GRACE_SECONDS
    log_path = work / f"locust-{variant.key}.log"
    say(
        f"  {variant.key}: locust, {config.quiet} quiet users at {config.rate:g} req/s and "
        f"{NOISY_USERS} noisy ones at {config.noisy_rate / NOISY_USERS:g} req/s; warm-up "
        f"until {clock(windows[0].start)} UTC, then {variant.windows} x "
        f"{variant.window_seconds} s"
    )
    command = [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless",
        "--users", str(users),
        "--spawn-rate", str(users),
        "--run-time", f"{run_time}s",
        "--stop-timeout", "0",
        "--exit-code-on-error", "0",
        "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        locust = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**common.clean_env(), "BENCH_LOAD_PLAN": str(plan_path)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        meters.locust = psutil.Process(locust.pid)
        follow(windows, meters, locust, log_path)
    finally:
        # SIGTERM: locust stops its users and fires test_stop, which writes the records.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(locust.pid, signal.SIGTERM)
        try:
            locust.wait(timeout=LOCUST_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(locust.pid, signal.SIGKILL)
            locust.wait(timeout=10)
    if not records_path.exists():
        raise BenchError(f"locust wrote no records:\n{tail(log_path.read_text(errors='replace'))}")


def follow(
    windows: list[Window], meters: Meters, locust: subprocess.Popen[bytes], log_path: Path
) -> None:
    """Wait out the windows, reading the CPU meters at each boundary and saying how it went."""
    wait_until(windows[0].start, locust, log_path)
    before = meters.read()
    for window in windows:
        wait_until(window.end, locust, log_path)
        after = meters.read()
        meters.cpu[window.number] = used = spent(before, after)
        before = after
        say(
            f"    window {window.number}/{len(windows)} {window.kind:<5} {clock(window.start)}-"
            f"{clock(window.end)}: cores used by gunicorn {used['gunicorn'] / window.seconds:.2f}, "
            f"locust {used['locust'] / window.seconds:.2f}, PostgreSQL "
            f"{used['postgres'] / window.seconds:.2f}, the whole machine "
            f"{used['machine'] / window.seconds:.2f} of {os.cpu_count()}"
        )


def wait_until(at: float, locust: subprocess.Popen[bytes], log_path: Path) -> None:
    while (left := at - time.time()) > 0:
        if locust.poll() is not None:
            raise BenchError(
                f"locust exited early with {locust.returncode}:\n"
                f"{tail(log_path.read_text(errors='replace'))}"
            )
        time.sleep(min(left, 1.0))


def summarise(result: RunResult) -> None:
    quiet = result.quiet_latency(mix.QUIET_WINDOW)
    noisy = result.quiet_latency(mix.NOISY_WINDOW)
    statuses = result.noisy_statuses()
    say(
        f"  {result.key}: quiet workspaces {result.rate(mix.QUIET, mix.QUIET_WINDOW):.1f} req/s, "
        f"success {result.success_rate():.3%}; their p95 {quiet.p95:.1f} ms in quiet windows, "
        f"{noisy.p95:.1f} ms in noisy ones ({noisy.p95 / quiet.p95:.2f}x); the noisy workspace "
        f"{result.rate(mix.NOISY, mix.NOISY_WINDOW):.1f} req/s: "
        + ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
    )
    during = result.quiet_latency_in_burst(during=True)
    after = result.quiet_latency_in_burst(during=False)
    spans = [end - window.start for window in result.windows
             if (end := result.burst_ends().get(window.number)) is not None]  # fmt: skip
    say(
        f"  quiet p95 in noisy windows while the noisy budget was spent "
        f"({', '.join(f'{span:.1f}' for span in spans)} s): {during.p95:.1f} ms "
        f"({during.count} requests); after: {after.p95:.1f} ms ({after.count}); "
        f"gunicorn workers restarted: "
        f"{len(result.server.restarts) if result.server else '?'}"
    )
    if result.server is not None and result.server.warnings:
        say(f"  the server logged {len(result.server.warnings)} warnings or errors, the first:")
        for line in result.server.warnings[:5]:
            say(f"    {line}")
    failures = result.failures()
    if failures:
        say("  quiet failures: " + "; ".join(f"{what} x {n}" for what, n in failures.items()))


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--tenants", type=common.positive, default=60, help="quiet workspaces (default 60)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"requests a second from each quiet workspace (default {DEFAULT_RATE:g})",
    )
    parser.add_argument(
        "--windows",
        type=common.positive,
        default=6,
        help="windows of the main run, quiet and noisy in turn (default 6 of 60 s)",
    )
    parser.add_argument(
        "--anchor-windows",
        type=int,
        default=4,
        help="windows of the run without budgets (default 4 of 30 s; 0 skips it)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 5 workspaces, 15 s windows, docs untouched",
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="print the results, leave docs/ untouched"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="copy the run's records, plans and server and locust logs to this directory",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.no_doc = True
    return args


def make_config(args: argparse.Namespace) -> Config:
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    if args.quick:
        budget = Variant("budget", "Strata", 4, 12, aligned=False)
        no_budget: Variant | None = Variant(
            "no-budget", "No workspace budget", 2, 12, aligned=False,
            extra_env={"STRATA_API_REQUESTS_PER_MINUTE": NO_BUDGET_RATE},
        )  # fmt: skip
    else:
        budget = Variant("budget", "Strata", args.windows, 60, aligned=True)
        no_budget = Variant(
            "no-budget", "No workspace budget", args.anchor_windows, 30, aligned=False,
            extra_env={"STRATA_API_REQUESTS_PER_MINUTE": NO_BUDGET_RATE},
        )  # fmt: skip
        if args.anchor_windows < 1:
            no_budget = None
    return Config(
        server_url=common.server_url(),
        redis_url=redis_url,
        broker_url=broker_url_for(redis_url),
        quiet=5 if args.quick else args.tenants,
        tasks=10 if args.quick else 60,
        rate=args.rate,
        budget=budget,
        no_budget=no_budget,
        quick=args.quick,
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    # A SIGTERM (a CI timeout, kill) still stops the servers and drops the database.
    raise SystemExit(128 + signum)


def describe_environment(config: Config, admin: common.Connection) -> report.Environment:
    client = redis.Redis.from_url(config.redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        redis_version = str(client.info("server")["redis_version"])
    finally:
        client.close()
    versions = [
        ("Python", common.python_version()),
        ("Django", version("django")),
        ("django-tenants", version("django-tenants")),
        ("Django REST framework", version("djangorestframework")),
        ("gunicorn", version("gunicorn")),
        ("psycopg", version("psycopg")),
        ("django-redis", version("django-redis")),
        ("redis-py", version("redis")),
        ("locust", version("locust")),
        ("PostgreSQL server", common.server_version(admin)),
        ("Redis server", redis_version),
    ]
    return report.Environment(datetime.now(UTC), common.machine(), os.cpu_count() or 1, versions)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    runs: dict[str, RunResult] = {}
    try:
        config = make_config(args)
        with (
            tempfile.TemporaryDirectory(prefix="bench-load-") as work,
            common.admin_connection(config.server_url) as admin,
        ):
            take_run_lock(admin)
            try:
                say("Building the benchmark database")
                clear_redis(config)
                plan = build(config, admin, Path(work))
                environment = describe_environment(config, admin)
                for variant in config.variants:
                    say(f"Load run: {variant.title}")
                    runs[variant.key] = load_run(config, variant, plan, admin, Path(work))
            finally:
                if args.keep is not None:
                    shutil.copytree(work, args.keep, dirs_exist_ok=True)
                    say(f"Kept the records and logs in {args.keep}")
                say("Dropping the benchmark database")
                drop_database(config)
                with contextlib.suppress(redis.RedisError):
                    clear_redis(config)
    except (BenchError, psycopg.Error, redis.RedisError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    section = report.render_section(
        config=report.Shape(
            quiet=config.quiet,
            tasks=config.tasks,
            rate=config.rate,
            noisy_rate=config.noisy_rate,
            noisy_users=NOISY_USERS,
            plan_rate=PLAN_RATE_PER_MINUTE,
            plan_burst=int(plan["noisy"]["plan_burst"]),
            workers=WEB_CONCURRENCY,
            threads=GUNICORN_THREADS,
            settle=SETTLE_SECONDS,
            warmup=WARMUP_SECONDS,
            redis_url=DEFAULT_REDIS_URL,
            database=DATABASE,
            no_budget_rate=NO_BUDGET_RATE,
            cost_requests=config.cost_requests,
        ),
        environment=environment,
        runs=runs,
        elapsed=time.monotonic() - started,
        quick=args.quick,
    )
    say("")
    say(section)
    if not args.no_doc:
        common.write_section(HEADING, section)
        say(f"Wrote the {HEADING} section of {common.DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
