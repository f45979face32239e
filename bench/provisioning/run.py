"""Provisioning benchmark: signup-to-usable time of a new tenant, Strata's warm pool and cold
blueprint paths against stock django-tenants, with Strata's apps and with four times the
migrations.

`make bench` runs it (uv run --frozen python bench/provisioning/run.py, from the repository
root). One worker process per app set (bench/provisioning/worker.py, its own settings module
and its own throwaway database) provisions tenants when asked; rounds alternate between the
app sets and, inside a round, each tenant goes through the three paths in a rotating order.
It drops the databases (also on failure) and rewrites the Provisioning section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import signal
import statistics
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
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: bench.* must import
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench import common  # noqa: E402 - needs ROOT on sys.path first
from bench.common import (  # noqa: E402
    BenchError,
    bullet,
    met,
    numbered,
    paragraph,
    positive,
    say,
    tail,
)

HEADING = "Provisioning"
DATABASE_PREFIX = "strata_bench_provisioning"
WORKER = Path(__file__).with_name("worker.py")
WARM, COLD, STOCK = "warm", "cold", "stock"
VARIANTS = (WARM, COLD, STOCK)
VARIANT_TITLES = {
    WARM: "Strata, warm pool",
    COLD: "Strata, cold (blueprint)",
    STOCK: "Stock django-tenants",
}
WARMUP_TENANTS = 2
BREAKDOWN_SAMPLES = 10
# A worker answers a round within this many seconds per tenant, or the run fails.
SECONDS_PER_TENANT = 30

TARGET_WARM_P95_MS = 20.0
TARGET_WARM_SPEEDUP = 10.0
TARGET_COLD_RATIO = 0.5
TARGET_GROWTH = 1.2


@dataclass(frozen=True)
class AppSet:
    key: str
    title: str
    settings: str

    @property
    def database(self) -> str:
        return f"{DATABASE_PREFIX}_{self.key}"


APP_SETS = (
    AppSet("1x", "Strata's apps", "bench.provisioning.settings_1x"),
    AppSet("4x", "Strata's apps + synthapp", "bench.provisioning.settings_4x"),
)
ONE, FOUR = APP_SETS


@dataclass
class Results:
    timings: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    rounds: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # median per round
    migrations: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)
    # Per app set: kind of blueprint statement -> (how many, median ms replaying them).
    by_kind: dict[str, dict[str, tuple[int, float]]] = field(default_factory=dict)

    def p50(self, app_set: AppSet, variant: str) -> float:
        return statistics.median(self.timings[(app_set.key, variant)])

    def p95(self, app_set: AppSet, variant: str) -> float:
        values = sorted(self.timings[(app_set.key, variant)])
        if len(values) < 2:
            return values[0]
        return statistics.quantiles(values, n=20, method="inclusive")[18]


class Worker:
    """One app set's worker process; requests and answers are JSON lines."""

    def __init__(self, app_set: AppSet, server: str, log_dir: Path) -> None:
        self.app_set = app_set
        self.log_path = log_dir / f"worker-{app_set.key}.log"
        env = common.clean_env(
            DJANGO_SETTINGS_MODULE=app_set.settings,
            DATABASE_URL=common.database_url(server, app_set.database),
        )
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
        )

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def receive(self, timeout: float) -> dict[str, Any]:
        _stdin, stdout = self._pipes()
        # One request is outstanding at a time and its answer is one line, so nothing waits in
        # the stream's buffer while select() watches the pipe. A dead worker closes the pipe.
        readable, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if readable else ""
        if not line:
            self.process.poll()
            raise BenchError(
                f"worker {self.app_set.key} did not answer within {timeout:.0f} s "
                f"(exit status {self.process.returncode}):"
                f"\n{self.log_tail()}"
            )
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        stdin, _stdout = self._pipes()
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        return self.receive(timeout)

    def log_tail(self) -> str:
        self._log.flush()
        try:
            return tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError, BenchError):
            if self.process.poll() is None:
                self.ask({"op": "quit"}, timeout=10)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


@contextlib.contextmanager
def workers(server: str, log_dir: Path) -> Iterator[dict[str, Worker]]:
    started: dict[str, Worker] = {}
    try:
        for app_set in APP_SETS:
            started[app_set.key] = Worker(app_set, server, log_dir)
        yield started
    finally:
        for worker in started.values():
            worker.stop()


def split(total: int, parts: int) -> list[int]:
    """`total` tenants over `parts` rounds, as evenly as whole numbers allow."""
    return [total // parts + (1 if number < total % parts else 0) for number in range(parts)]


def measure(config: argparse.Namespace, server: str, log_dir: Path) -> Results:
    results = Results()
    with workers(server, log_dir) as running:
        for app_set in APP_SETS:
            say(f"  {app_set.database}: migrate_fleet (public, template, blueprint)")
            ready = running[app_set.key].receive(timeout=600)
            results.migrations[app_set.key] = int(ready["migrations"])
            results.tables[app_set.key] = int(ready["tenant_tables"])
            say(
                f"    ready in {ready['setup_seconds']:.1f} s: {ready['migrations']} migrations, "
                f"{ready['tenant_tables']} tables in a tenant schema"
            )
        for app_set in APP_SETS:
            say(f"  warm-up: {WARMUP_TENANTS} tenants per path with {app_set.title}")
            running[app_set.key].ask(
                {"op": "round", "round": 0, "tenants": WARMUP_TENANTS, "label": "w"},
                timeout=SECONDS_PER_TENANT * WARMUP_TENANTS * len(VARIANTS),
            )
        for key in [(a.key, v) for a in APP_SETS for v in VARIANTS]:
            results.timings[key] = []
            results.rounds[key] = []
        sizes = split(config.tenants, config.rounds)
        for number, size in enumerate(sizes, start=1):
            # Alternate which app set goes first, so neither always meets a fresher machine.
            order = APP_SETS if number % 2 else APP_SETS[::-1]
            for app_set in order:
                answer = running[app_set.key].ask(
                    {"op": "round", "round": number, "tenants": size, "label": "r"},
                    timeout=SECONDS_PER_TENANT * size * len(VARIANTS),
                )
                medians = []
                for variant in VARIANTS:
                    values = [float(value) for value in answer["timings"][variant]]
                    results.timings[(app_set.key, variant)] += values
                    results.rounds[(app_set.key, variant)].append(statistics.median(values))
                    medians.append(f"{variant} {statistics.median(values):7.1f}")
                say(
                    f"  round {number}/{len(sizes)} {app_set.key}: {size} tenants per path, "
                    f"median ms: {', '.join(medians)}"
                )
        for app_set in APP_SETS:
            say(f"  breakdown of the cold path with {app_set.title}")
            answer = running[app_set.key].ask(
                {"op": "breakdown", "samples": BREAKDOWN_SAMPLES},
                timeout=SECONDS_PER_TENANT * BREAKDOWN_SAMPLES * 3,
            )
            found = answer["breakdown"]
            results.by_kind[app_set.key] = {
                kind: (int(count), float(ms)) for kind, (count, ms) in found.pop("by_kind").items()
            }
            results.breakdown[app_set.key] = {name: float(value) for name, value in found.items()}
    return results


# --- Report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool


def verdicts(results: Results) -> list[Verdict]:
    out: list[Verdict] = []
    for app_set in APP_SETS:
        warm_p95 = results.p95(app_set, WARM)
        out.append(
            Verdict(
                f"Warm pool p95 <= {TARGET_WARM_P95_MS:.0f} ms ({app_set.title})",
                f"{warm_p95:.1f} ms",
                warm_p95 <= TARGET_WARM_P95_MS,
            )
        )
        speedup = results.p50(app_set, STOCK) / results.p50(app_set, WARM)
        speedup_p95 = results.p95(app_set, STOCK) / results.p95(app_set, WARM)
        out.append(
            Verdict(
                f"Warm pool >= {TARGET_WARM_SPEEDUP:.0f}x faster than stock, p50 and p95 "
                f"({app_set.title})",
                f"{speedup:.1f}x at p50, {speedup_p95:.1f}x at p95",
                min(speedup, speedup_p95) >= TARGET_WARM_SPEEDUP,
            )
        )
        cold = results.p50(app_set, COLD) / results.p50(app_set, STOCK)
        cold_p95 = results.p95(app_set, COLD) / results.p95(app_set, STOCK)
        out.append(
            Verdict(
                f"Cold path <= {TARGET_COLD_RATIO}x stock's time, p50 and p95 ({app_set.title})",
                f"{cold:.3f}x at p50, {cold_p95:.3f}x at p95",
                max(cold, cold_p95) <= TARGET_COLD_RATIO,
            )
        )
    for variant in (WARM, COLD):
        growth = results.p50(FOUR, variant) / results.p50(ONE, variant)
        per_round = ", ".join(
            f"{four / one:.2f}x"
            for one, four in zip(
                results.rounds[(ONE.key, variant)], results.rounds[(FOUR.key, variant)], strict=True
            )
        )
        out.append(
            Verdict(
                f"{VARIANT_TITLES[variant]}: 4x the migrations costs <= {TARGET_GROWTH}x the time "
                "(p50, 4x set / 1x set)",
                f"{growth:.2f}x (per round: {per_round})",
                growth <= TARGET_GROWTH,
            )
        )
    return out


def results_table(results: Results) -> list[str]:
    lines = [
        (
            "| Path | App set | Migrations | p50 ms | p95 ms | p50 vs stock | p95 vs stock "
            "| p50 per round (ms) |"
        ),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for app_set in APP_SETS:
        stock50, stock95 = results.p50(app_set, STOCK), results.p95(app_set, STOCK)
        for variant in VARIANTS:
            p50, p95 = results.p50(app_set, variant), results.p95(app_set, variant)
            rounds = " / ".join(f"{value:.1f}" for value in results.rounds[(app_set.key, variant)])
            lines.append(
                f"| {VARIANT_TITLES[variant]} | {app_set.key} | "
                f"{results.migrations[app_set.key]} | {p50:.1f} | {p95:.1f} | "
                f"{p50 / stock50:.3f}x | {p95 / stock95:.3f}x | {rounds} |"
            )
    return lines


def growth_table(results: Results) -> list[str]:
    lines = ["| Path | p50 1x | p50 4x | 4x / 1x | p95 1x | p95 4x | 4x / 1x |"]
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for variant in VARIANTS:
        a50, b50 = results.p50(ONE, variant), results.p50(FOUR, variant)
        a95, b95 = results.p95(ONE, variant), results.p95(FOUR, variant)
        lines.append(
            f"| {VARIANT_TITLES[variant]} | {a50:.1f} | {b50:.1f} | {b50 / a50:.2f}x "
            f"| {a95:.1f} | {b95:.1f} | {b95 / a95:.2f}x |"
        )
    return lines


def breakdown_table(results: Results) -> list[str]:
    lines = [
        (
            "| App set | Cold p50 ms | load blueprint row ms | replay DDL ms | commit ms "
            "| rest ms | blueprint statements | blueprint KiB | stock `migrate_schemas` alone ms |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for app_set in APP_SETS:
        part = results.breakdown[app_set.key]
        cold = results.p50(app_set, COLD)
        rest = cold - part["load_blueprint_ms"] - part["replay_ms"] - part["commit_ms"]
        lines.append(
            f"| {app_set.key} | {cold:.1f} | {part['load_blueprint_ms']:.1f} | "
            f"{part['replay_ms']:.1f} | {part['commit_ms']:.1f} | {rest:.1f} | "
            f"{part['blueprint_statements']:.0f} | {part['blueprint_kib']:.0f} | "
            f"{part['migrate_schemas_ms']:.0f} |"
        )
    return lines


KINDS = ("tables", "key indexes", "other indexes", "foreign keys", "checks", "migration records")


def kinds_table(results: Results) -> list[str]:
    lines = [
        "| Statements of the blueprint | 1x: how many | 1x: ms | 4x: how many | 4x: ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        one = results.by_kind[ONE.key].get(kind, (0, 0.0))
        four = results.by_kind[FOUR.key].get(kind, (0, 0.0))
        lines.append(f"| {kind} | {one[0]} | {one[1]:.1f} | {four[0]} | {four[1]:.1f} |")
    return lines


def render_section(
    *,
    config: argparse.Namespace,
    results: Results,
    when: datetime,
    versions: str,
    elapsed: float,
) -> str:
    own = results.migrations[ONE.key]
    four = results.migrations[FOUR.key]
    out = [f"## {HEADING}", ""]
    out += paragraph(
        "Signup-to-usable time of a new tenant: from calling the provisioning code until the "
        "tenant row, its primary domain, the owner's membership and a schema at the migration "
        "head all exist and are committed. Three paths:"
    )
    out.append("")
    out += numbered(
        1,
        "**Strata, warm pool**: `tenants.services.tenant_provision(slug=…, name=…, "
        "owner_email=…)` (no owner password, so no hashing) with a spare schema waiting; "
        "the spare is made untimed just before (`tenants.pool.pool_refill(1)`).",
    )
    out += numbered(
        2,
        "**Strata, cold**: the same call with the pool empty, so that it replays the "
        "blueprint (the template's captured DDL and rows) into a new schema.",
    )
    out += numbered(
        3,
        "**Stock django-tenants**: what `Tenant.save()` does with `auto_create_schema`: the "
        "tenant row, then `TenantMixin.create_schema(check_if_exists=True, verbosity=0)` "
        "(`CREATE SCHEMA` and `migrate_schemas` for it), then the owner, the primary Domain "
        "and the Membership rows, in autocommit as a stock project would. Same models and "
        "apps as Strata.",
    )
    out.append("")
    out += paragraph(
        f"Each path runs with Strata's own apps ({own} migrations recorded in a tenant schema) "
        "and with a synthetic tenant app added (`bench/provisioning/synthapp`, 111 migrations "
        "of the kind real apps accumulate: 2 models, then added fields, widened columns, "
        f"renames and two indexes), {four} migrations, {four / own:.2f}x Strata's own. The "
        f"tenant schema grows from {results.tables[ONE.key]} to {results.tables[FOUR.key]} "
        "tables."
    )
    out.append("")
    out += paragraph(
        f"Measured {when:%Y-%m-%d %H:%M} UTC by `bench/provisioning/run.py`; the whole run "
        f"took {elapsed / 60:.1f} minutes."
    )
    out += ["", "### Setup", ""]
    out += bullet(f"Machine: {common.machine()}. PostgreSQL shares it.")
    out += bullet(f"Versions: {versions}.")
    out += bullet(
        "One worker process per app set (`bench/provisioning/worker.py`), each with its own "
        "settings module (`settings_1x`, `settings_4x`: Strata's base settings with the pool "
        "size 0, so that no claim enqueues a refill, local-memory caches, eager Celery, "
        "warnings-only logging) and its own fresh database, set up with "
        "`migrate_fleet` (public, the template, the blueprint)."
    )
    out += bullet(
        f"{config.tenants} tenants per path and app set, in {config.rounds} rounds after "
        f"{WARMUP_TENANTS} untimed warm-up tenants per path. Rounds alternate which app set "
        "goes first; within a round, tenant i goes through the three paths in an order "
        "rotated by i. Each timing is one call, measured with `time.perf_counter()` in the "
        "worker; before it (untimed) the pool holds exactly one spare for the warm path and "
        "none for the others, and the database connection is open (stock's `migrate_schemas` "
        "closes it after each run). After it (untimed) the worker reads the rows back and "
        "checks that the schema has recorded exactly the code's migrations."
    )
    out += bullet(
        "p95 is the 19th of the 20-quantiles over all of a path's tenants. Each tenant has "
        "its own new owner account."
    )
    out += ["", "### Results", ""]
    out += results_table(results)
    out += ["", "### Four times the migrations", ""]
    out += growth_table(results)
    out += ["", "### Targets", "", "| Target | Measured | Result |", "| --- | --- | --- |"]
    out += [f"| {v.target} | {v.measured} | {met(v.met)} |" for v in verdicts(results)]
    out += ["", "### Where the cold path's time goes", ""]
    out += paragraph(
        f"Timed separately after the rounds, median of {BREAKDOWN_SAMPLES}: loading the "
        "blueprint's row (`current_blueprint()`), replaying it into a new schema in a "
        "transaction that is then rolled back, and committing such a transaction (the replay "
        "alone); the rest of the cold p50 is validation, the owner, the tenant, domain and "
        "membership rows and the audit row. For "
        "comparison, stock's `CREATE SCHEMA` plus `migrate_schemas` for one schema alone."
    )
    out.append("")
    out += breakdown_table(results)
    out.append("")
    out += paragraph(
        "The same replay statement by statement (rolled back; median over the samples of the "
        "time per kind of statement). Only the migration records grow with the number of "
        "migrations; the rest grows with the final schema:"
    )
    out.append("")
    out += kinds_table(results)
    out += ["", "### Reproduce", "", "```", "make bench", "```", ""]
    out += paragraph(
        "runs `uv run --frozen python bench/provisioning/run.py` (after the routing benchmark) "
        "from the repository root. It needs PostgreSQL (the server of `DATABASE_URL`, by "
        f"default `{common.DEFAULT_SERVER_URL}`, where it creates and finally drops "
        f"`{DATABASE_PREFIX}_1x` and `_4x`); no Redis. `--tenants` and `--rounds` change the "
        "sample, `--quick` is a smoke test, `--no-doc` leaves this file alone. "
        "`bench/provisioning/make_synthapp.py` regenerates the synthetic app."
    )
    out.append("")
    return "\n".join(out)


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--tenants", type=positive, default=40, help="tenants per path and app set (default 40)"
    )
    parser.add_argument("--rounds", type=positive, default=5, help="rounds (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 6 tenants in 2 rounds, docs untouched"
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="print the results, leave docs/ untouched"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.tenants, args.rounds, args.no_doc = 6, 2, True
    args.rounds = min(args.rounds, args.tenants)
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    # A SIGTERM (a CI timeout, kill) still stops the workers and drops the databases.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    server = common.server_url()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-provisioning-") as log_dir,
            common.admin_connection(server) as admin,
        ):
            try:
                say("Creating the benchmark databases")
                for app_set in APP_SETS:
                    common.create_database(admin, app_set.database)
                versions = ", ".join(
                    [
                        f"Python {common.python_version()}",
                        f"Django {version('django')}",
                        f"django-tenants {version('django-tenants')}",
                        f"psycopg {version('psycopg')}",
                        f"PostgreSQL server {common.server_version(admin)}",
                    ]
                )
                say(f"Provisioning {args.tenants} tenants per path and app set")
                results = measure(args, server, Path(log_dir))
            finally:
                say("Dropping the benchmark databases")
                with common.admin_connection(server) as cleanup:
                    for app_set in APP_SETS:
                        common.drop_database(cleanup, app_set.database)
    except (BenchError, psycopg.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    section = render_section(
        config=args,
        results=results,
        when=datetime.now(UTC),
        versions=versions,
        elapsed=time.monotonic() - started,
    )
    say("")
    say(section)
    if not args.no_doc:
        common.write_section(HEADING, section)
        say(f"Wrote the {HEADING} section of {common.DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
