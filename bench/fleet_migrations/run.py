"""Fleet migrations benchmark: Strata's `migrate_fleet` against stock django-tenants'
`migrate_schemas` (standard and multiprocessing executors) over 1,000 tenant schemas.

`make bench` runs it (uv run --frozen python bench/fleet_migrations/run.py, from the
repository root). It creates tenants through Strata's provisioning in a throwaway database,
then times each tool as a subprocess, with the peak memory of its whole process tree: a no-op
run (everything at head) and one AddField on a tenant model across every schema, reset between
tools so that each applies the same change. Strata also runs at a quarter of the tenants, to
show that its memory does not grow with the fleet. It drops the database (also on failure) and
rewrites the Fleet migrations section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: bench.* must import
    sys.path.insert(0, str(ROOT))

import psutil  # type: ignore[import-untyped]  # noqa: E402 - psutil ships no types
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench import common  # noqa: E402 - needs ROOT on sys.path first
from bench.common import BenchError, bullet, met, numbered, paragraph, positive, say  # noqa: E402

HEADING = "Fleet migrations"
DATABASE = "strata_bench_fleet"
BEFORE = "bench.fleet_migrations.settings_before"
AFTER = "bench.fleet_migrations.settings_after"
TEMPLATE_SCHEMA = "strata_template"  # tenants.schemas.TEMPLATE_SCHEMA; this script has no Django
ADDED_COLUMN = "pinned"
ADDED_MIGRATION = ("fleetapp", "0002_note_pinned")
NOTE_TABLE = "fleetapp_note"
WORKERS = 2
SAMPLE_SECONDS = 0.05
HEARTBEAT_SECONDS = 15.0
RESET_BATCH = 100
STRATA_NOOP_REPEATS = 3
COMMAND_TIMEOUT = 3600

TARGET_NOOP_SECONDS = 3.0
TARGET_ADDFIELD_SPEEDUP = 2.0
TARGET_MEMORY_GROWTH = 1.10


@dataclass(frozen=True)
class Tool:
    key: str
    title: str
    args: tuple[str, ...]


STRATA = Tool(
    "strata",
    "Strata `migrate_fleet --workers 2`",
    ("manage.py", "migrate_fleet", "--skip-pool", "--workers", str(WORKERS)),
)
STOCK = Tool(
    "stock",
    "Stock `migrate_schemas` (standard executor)",
    ("manage.py", "migrate_schemas", "--noinput", "--executor=standard"),
)
STOCK_MP = Tool(
    "stock-mp",
    "Stock `migrate_schemas --executor=multiprocessing` (2 processes)",
    ("manage.py", "migrate_schemas", "--noinput", "--executor=multiprocessing"),
)
TOOLS = (STRATA, STOCK, STOCK_MP)


@dataclass(frozen=True)
class Measurement:
    tool: Tool
    job: str  # "noop" or "addfield"
    tenants: int
    seconds: float
    peak_rss_mib: float
    peak_processes: int
    # (seconds since start, line) for each line the command printed: Strata's phases.
    lines: tuple[tuple[float, str], ...]

    @property
    def ms_per_tenant(self) -> float:
        return self.seconds * 1000 / self.tenants


def tree_rss(process: Any) -> tuple[int, int]:
    """Resident memory of a process and all its descendants (bytes), and how many there are."""
    total, count = 0, 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += int(member.memory_info().rss)
            count += 1
    return total, count


def measure_command(tool: Tool, job: str, tenants: int, env: dict[str, str]) -> Measurement:
    """Run `tool` to completion; wall time, peak memory of its process tree sampled every
    SAMPLE_SECONDS, and its output lines with their arrival times."""
    say(f"  {tool.key:<8} {job:<8} {tenants:>5} tenants: ", end="")
    lines: list[tuple[float, str]] = []
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *tool.args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    process = psutil.Process(child.pid)
    peak, peak_processes = 0, 0
    next_heartbeat = started + HEARTBEAT_SECONDS
    try:
        while child.poll() is None:
            rss, count = tree_rss(process)
            peak, peak_processes = max(peak, rss), max(peak_processes, count)
            now = time.perf_counter()
            if now > next_heartbeat:
                last = lines[-1][1][:70] if lines else ""
                say(f"\n    ... {now - started:.0f} s: {last}", end="")
                next_heartbeat = now + HEARTBEAT_SECONDS
            if now - started > COMMAND_TIMEOUT:
                raise BenchError(f"{' '.join(tool.args)} did not finish in {COMMAND_TIMEOUT} s")
            time.sleep(SAMPLE_SECONDS)
        seconds = time.perf_counter() - started
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        reader.join(timeout=10)
    if child.returncode != 0:
        output = "\n".join(line for _at, line in lines[-40:])
        raise BenchError(f"{' '.join(tool.args)} exited with {child.returncode}:\n{output}")
    result = Measurement(tool, job, tenants, seconds, peak / 2**20, peak_processes, tuple(lines))
    say(
        f"{seconds:7.1f} s, {result.ms_per_tenant:6.1f} ms/tenant, "
        f"peak {result.peak_rss_mib:5.0f} MiB in {peak_processes} processes"
    )
    return result


# --- The database ----------------------------------------------------------------------------


def env_for(settings: str, server: str) -> dict[str, str]:
    return common.clean_env(
        DJANGO_SETTINGS_MODULE=settings, DATABASE_URL=common.database_url(server, DATABASE)
    )


def stream(args: Sequence[str], env: dict[str, str]) -> None:
    """Run a set-up command, relaying its progress lines."""
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
        say(f"    {line.rstrip()}")
    if child.wait() != 0:
        raise BenchError(f"{' '.join(args)} exited with {child.returncode}")


def populate(server: str, start: int, count: int) -> None:
    say(f"  provisioning tenants {start}..{start + count - 1} (pool, then claims)")
    stream(
        ["manage.py", "fleet_populate", "--start", str(start), "--count", str(count)],
        env_for(BEFORE, server),
    )


def tenant_schemas(bench: common.Connection) -> list[str]:
    rows = bench.execute("SELECT schema_name FROM public.tenants_tenant ORDER BY id").fetchall()
    return [str(row[0]) for row in rows]


def reset_addfield(bench: common.Connection) -> int:
    """Undo migration 0002 in every tenant schema and the template (untimed): drop the column
    and forget the migration, a batch of schemas per transaction."""
    schemas = [*tenant_schemas(bench), TEMPLATE_SCHEMA]
    for first in range(0, len(schemas), RESET_BATCH):
        with bench.transaction():
            for schema in schemas[first : first + RESET_BATCH]:
                bench.execute(
                    sql.SQL(
                        "ALTER TABLE {table} DROP COLUMN IF EXISTS {column}; "
                        "DELETE FROM {migrations} WHERE app = {app} AND name = {name}"
                    ).format(
                        table=sql.Identifier(schema, NOTE_TABLE),
                        column=sql.Identifier(ADDED_COLUMN),
                        migrations=sql.Identifier(schema, "django_migrations"),
                        app=sql.Literal(ADDED_MIGRATION[0]),
                        name=sql.Literal(ADDED_MIGRATION[1]),
                    )
                )
    return len(schemas)


def check_added(bench: common.Connection, expected: int) -> None:
    """Every tenant schema has the column and records the migration."""
    schemas = tenant_schemas(bench)
    row = bench.execute(
        "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = %s "
        "AND a.attname = %s AND NOT a.attisdropped AND n.nspname = ANY(%s)",
        [NOTE_TABLE, ADDED_COLUMN, schemas],
    ).fetchone()
    columns = int(row[0]) if row else 0
    recorded = 0
    for first in range(0, len(schemas), 200):
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT count(*) FROM {} WHERE app = %s AND name = %s").format(
                sql.Identifier(schema, "django_migrations")
            )
            for schema in schemas[first : first + 200]
        )
        params = list(ADDED_MIGRATION) * len(schemas[first : first + 200])
        recorded += sum(int(r[0]) for r in bench.execute(query, params).fetchall())
    if not columns == recorded == expected == len(schemas):
        raise BenchError(
            f"after the AddField: {columns} columns and {recorded} migration records in "
            f"{len(schemas)} schemas, expected {expected}"
        )


# --- The run ---------------------------------------------------------------------------------


def measure(tenants: int, server: str) -> list[Measurement]:
    small = max(1, tenants // 4)
    results: list[Measurement] = []
    after = env_for(AFTER, server)
    say(f"Setting up {DATABASE}: migrate_fleet with fleetapp at 0001 (public, template)")
    stream(["manage.py", "migrate_fleet", "--skip-pool", "--workers", "1"], env_for(BEFORE, server))
    populate(server, 0, small)
    with psycopg.connect(common.database_url(server, DATABASE), autocommit=True) as bench:
        say(f"Strata at {small} tenants: AddField, then a no-op")
        results.append(measure_command(STRATA, "addfield", small, after))
        check_added(bench, small)
        for _ in range(STRATA_NOOP_REPEATS):
            results.append(measure_command(STRATA, "noop", small, after))
        say(f"  reset: 0002 undone in {reset_addfield(bench)} schemas")
        populate(server, small, tenants - small)
        say(f"AddField on {tenants} tenants, reset before each tool")
        for tool in (STOCK, STOCK_MP, STRATA):  # Strata last: it leaves the template at head
            say(f"  reset: 0002 undone in {reset_addfield(bench)} schemas")
            results.append(measure_command(tool, "addfield", tenants, after))
            check_added(bench, tenants)
        say(f"No-op on {tenants} tenants (everything at head)")
        for _ in range(STRATA_NOOP_REPEATS):
            results.append(measure_command(STRATA, "noop", tenants, after))
        for tool in (STOCK, STOCK_MP):
            results.append(measure_command(tool, "noop", tenants, after))
    return results


# --- Report ----------------------------------------------------------------------------------


def pick(results: list[Measurement], tool: Tool, job: str, tenants: int) -> list[Measurement]:
    return [m for m in results if m.tool is tool and m.job == job and m.tenants == tenants]


def typical(runs: list[Measurement]) -> Measurement:
    """The run with the median time (of an odd number; the slower middle one otherwise)."""
    ordered = sorted(runs, key=lambda m: m.seconds)
    return ordered[len(ordered) // 2]


def phases(run: Measurement) -> list[tuple[str, float]]:
    """Strata's phases from the arrival times of its progress lines."""
    marks: dict[str, float] = {}
    for at, line in run.lines:
        if line.startswith("migrating the public schema"):
            marks.setdefault("public", at)
        elif line.startswith("migrating the template schema"):
            marks.setdefault("template", at)
        elif " at head, " in line and "schemas:" in line:
            marks.setdefault("checked", at)
        elif line.startswith("fleet: "):
            marks.setdefault("done", at)
    if len(marks) < 4:
        return []
    return [
        ("Python start-up, Django set-up, command start", marks["public"]),
        ("public schema (`migrate_schemas --shared`)", marks["template"] - marks["public"]),
        (
            "template migrated, blueprint captured, fleet listed and checked",
            marks["checked"] - marks["template"],
        ),
        ("schemas migrated in workers", marks["done"] - marks["checked"]),
        ("exit", run.seconds - marks["done"]),
    ]


def run_table(results: list[Measurement], job: str, tenants: int) -> list[str]:
    lines = [
        (
            "| Tool | Runs | Wall s | ms per tenant | vs Strata | Peak RSS, whole tree (MiB) "
            "| Processes |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    strata = typical(pick(results, STRATA, job, tenants))
    for tool in TOOLS:
        runs = pick(results, tool, job, tenants)
        if not runs:
            continue
        run = typical(runs)
        spread = f" ({' / '.join(f'{m.seconds:.2f}' for m in runs)})" if len(runs) > 1 else ""
        lines.append(
            f"| {tool.title} | {len(runs)} | {run.seconds:.2f}{spread} | "
            f"{run.ms_per_tenant:.1f} | {run.seconds / strata.seconds:.1f}x | "
            f"{max(m.peak_rss_mib for m in runs):.0f} | {run.peak_processes} |"
        )
    return lines


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool


def verdicts(results: list[Measurement], tenants: int, small: int) -> list[Verdict]:
    noop = typical(pick(results, STRATA, "noop", tenants))
    add = typical(pick(results, STRATA, "addfield", tenants))
    stock_best = min(
        (typical(pick(results, tool, "addfield", tenants)) for tool in (STOCK, STOCK_MP)),
        key=lambda m: m.seconds,
    )
    speedup = stock_best.seconds / add.seconds
    out = [
        Verdict(
            f"Strata no-op <= {TARGET_NOOP_SECONDS:.0f} s in total for {tenants} tenants",
            f"{noop.seconds:.2f} s (median of {STRATA_NOOP_REPEATS} runs)",
            noop.seconds <= TARGET_NOOP_SECONDS,
        ),
        Verdict(
            f"AddField >= {TARGET_ADDFIELD_SPEEDUP:.0f}x faster than the better stock executor",
            f"{speedup:.1f}x ({add.seconds:.1f} s against {stock_best.seconds:.1f} s, "
            f"{stock_best.tool.key})",
            speedup >= TARGET_ADDFIELD_SPEEDUP,
        ),
    ]
    for job in ("noop", "addfield"):
        at_small = max(m.peak_rss_mib for m in pick(results, STRATA, job, small))
        at_full = max(m.peak_rss_mib for m in pick(results, STRATA, job, tenants))
        out.append(
            Verdict(
                f"Strata peak memory flat in tenant count ({job}: {tenants} tenants within "
                f"{TARGET_MEMORY_GROWTH}x of {small})",
                f"{at_small:.0f} MiB at {small}, {at_full:.0f} MiB at {tenants} "
                f"({at_full / at_small:.2f}x)",
                at_full / at_small <= TARGET_MEMORY_GROWTH,
            )
        )
    return out


def phase_table(results: list[Measurement], tenants: int) -> list[str]:
    lines = ["| Phase of a Strata run | no-op s | AddField s |", "| --- | ---: | ---: |"]
    noop = phases(typical(pick(results, STRATA, "noop", tenants)))
    add = phases(typical(pick(results, STRATA, "addfield", tenants)))
    if not noop or not add:
        return ["(Strata's progress lines were not recognised; no phase breakdown.)"]
    for (name, noop_s), (_name, add_s) in zip(noop, add, strict=True):
        lines.append(f"| {name} | {noop_s:.2f} | {add_s:.2f} |")
    return lines


def render_section(
    *,
    results: list[Measurement],
    tenants: int,
    when: datetime,
    versions: str,
    elapsed: float,
) -> str:
    small = max(1, tenants // 4)
    out = [f"## {HEADING}", ""]
    out += paragraph(
        f"Migrating {tenants} tenant schemas with three tools, each run as its own command "
        "in a subprocess of the runner:"
    )
    out.append("")
    for number, tool in enumerate(TOOLS, start=1):
        out += numbered(number, f"{tool.title}: `python {' '.join(tool.args)}`.")
    out.append("")
    out += paragraph(
        "Two jobs: a **no-op** (every schema already at head) and **one AddField** on a tenant "
        "model in every schema (`bench/fleet_migrations/fleetapp`, migration 0002 adds a "
        "`BooleanField(default=False)` to a small table). Both stock commands and Strata's "
        "also migrate the public schema first; Strata also migrates its template schema and "
        "captures the blueprint."
    )
    out.append("")
    out += paragraph(
        f"Measured {when:%Y-%m-%d %H:%M} UTC by `bench/fleet_migrations/run.py`; the whole run "
        f"took {elapsed / 60:.1f} minutes."
    )
    out += ["", "### Setup", ""]
    out += bullet(f"Machine: {common.machine()}. PostgreSQL shares it.")
    out += bullet(f"Versions: {versions}.")
    out += bullet(
        f"One throwaway database, `{DATABASE}`. Tenants are made by Strata's provisioning "
        "(`tenant_provision`: spares replayed from the blueprint with `pool_refill`, then "
        "claimed), with settings where fleetapp's migrations stop at 0001 "
        "(`settings_before`); every measured command runs with `settings_after`, where 0002 "
        "is pending. Strata's settings otherwise, with the pool size 0, local-memory caches, "
        "eager Celery and `TENANT_MULTIPROCESSING_MAX_PROCESSES = 2`."
    )
    out += bullet(
        "Before each AddField run (untimed) every tenant schema and the template get the "
        "column dropped and the migration record deleted, so each tool applies the same "
        "change to every schema; afterwards the runner checks that every tenant schema has the "
        "column and the record. AddField runs go stock, multiprocessing, Strata (Strata last, "
        "because it alone also brings the template to head); then the no-op runs."
    )
    out += bullet(
        "Wall time: from starting the command to its exit, Python start-up included. Memory: "
        f"the resident set of the command's whole process tree (parent and workers), summed, "
        f"sampled every {SAMPLE_SECONDS * 1000:.0f} ms with psutil; the peak is reported. "
        "Workers forked from the parent share pages, so the sum overstates what the machine "
        "spends, the same way for every tool."
    )
    out += bullet(
        f"Strata also runs at {small} tenants in the same run (AddField once, no-op "
        f"{STRATA_NOOP_REPEATS} times) before the other tenants are made, to compare its peak "
        f"memory at {small} and {tenants}. Strata's no-op runs {STRATA_NOOP_REPEATS} times at "
        "each size (median reported, all shown); each stock run once, as they take minutes. "
        "Command output is read through a pipe in every case."
    )
    for job, title in (("noop", "No-op"), ("addfield", "One AddField")):
        out += ["", f"### {title}, {tenants} tenants", ""]
        out += run_table(results, job, tenants)
    out += ["", f"### Strata at {small} and {tenants} tenants", ""]
    out += ["| Job | Tenants | Wall s | ms per tenant | Peak RSS (MiB) |"]
    out += ["| --- | ---: | ---: | ---: | ---: |"]
    for job in ("noop", "addfield"):
        for count in (small, tenants):
            runs = pick(results, STRATA, job, count)
            run = typical(runs)
            out.append(
                f"| {job} | {count} | {run.seconds:.2f} | {run.ms_per_tenant:.2f} | "
                f"{max(m.peak_rss_mib for m in runs):.0f} |"
            )
    out.append("")
    out += paragraph(
        f"The {small}-tenant runs come straight after those tenants were created, and PostgreSQL "
        "may still be busy with them (autovacuum, checkpoints); their wall times can be slower "
        f"than the {tenants}-tenant ones for that reason, which this run does not separate. The "
        "comparison this table is for is memory."
    )
    out += ["", "### Targets", "", "| Target | Measured | Result |", "| --- | --- | --- |"]
    out += [
        f"| {v.target} | {v.measured} | {met(v.met)} |" for v in verdicts(results, tenants, small)
    ]
    out += ["", "### Where Strata's time goes", ""]
    out += paragraph(
        "From the arrival times of `migrate_fleet`'s own progress lines, in the median run "
        f"at {tenants} tenants:"
    )
    out.append("")
    out += phase_table(results, tenants)
    out += ["", "### Reproduce", "", "```", "make bench", "```", ""]
    out += paragraph(
        "runs `uv run --frozen python bench/fleet_migrations/run.py` (after the routing and "
        "provisioning benchmarks) from the repository root. It needs PostgreSQL (the server "
        f"of `DATABASE_URL`, by default `{common.DEFAULT_SERVER_URL}`, where it creates and "
        f"finally drops `{DATABASE}`); no Redis. `--tenants` changes the fleet size (Strata "
        "also runs at a quarter of it), `--quick` is a smoke test with 40 tenants, `--no-doc` "
        "leaves this file alone."
    )
    out.append("")
    return "\n".join(out)


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--tenants", type=positive, default=1000, help="tenant schemas (default 1000)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 40 tenants, docs untouched"
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="print the results, leave docs/ untouched"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.tenants, args.no_doc = 40, True
    args.tenants = max(args.tenants, 4)
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    # A SIGTERM (a CI timeout, kill) still drops the database.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    server = common.server_url()
    try:
        with common.admin_connection(server) as admin:
            try:
                common.create_database(admin, DATABASE)
                versions = ", ".join(
                    [
                        f"Python {common.python_version()}",
                        f"Django {version('django')}",
                        f"django-tenants {version('django-tenants')}",
                        f"psycopg {version('psycopg')}",
                        f"psutil {version('psutil')}",
                        f"PostgreSQL server {common.server_version(admin)}",
                    ]
                )
                results = measure(args.tenants, server)
            finally:
                say(f"Dropping {DATABASE}")
                with common.admin_connection(server) as cleanup:
                    common.drop_database(cleanup, DATABASE)
    except (BenchError, psycopg.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    section = render_section(
        results=results,
        tenants=args.tenants,
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
