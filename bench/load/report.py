"""The Load section of docs/performance.md, from the runs' results (no Django, no I/O)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import common
from bench.common import bullet, met, numbered, paragraph, plural
from bench.load import mix
from bench.load.probe import REFUSAL, Cost
from bench.load.results import (
    RESTART_SECONDS,
    Latency,
    RunResult,
    latency,
    percentile,
)
from config import gunicorn as gunicorn_config

HEADING = "Load"
BUDGET = "budget"
NO_BUDGET = "no-budget"
TARGET_SUCCESS = 0.999
TARGET_P95_RATIO = 1.20
TARGET_TENANTS = 50
TARGET_SECONDS = 300
CORES = ("gunicorn", "locust", "postgres", "redis", "machine")


@dataclass(frozen=True)
class Environment:
    when: datetime
    machine: str
    cores: int
    versions: list[tuple[str, str]]


@dataclass(frozen=True)
class Shape:
    """How the load was made, for the Setup list."""

    quiet: int
    tasks: int
    rate: float
    noisy_rate: float
    noisy_users: int
    plan_rate: int
    # Requests the plan's bucket takes at once (tenant_apps.api_access.throttling).
    plan_burst: int
    workers: int
    threads: int
    settle: float
    warmup: float
    redis_url: str
    database: str
    no_budget_rate: str
    # Requests per endpoint when costing them one at a time (five times as many refusals).
    cost_requests: int


# --- Formatting ------------------------------------------------------------------------------


def ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def ratio(value: float, base: float) -> float:
    if math.isnan(value) or math.isnan(base) or not base:
        return math.nan
    return value / base


def times(value: float, base: float) -> str:
    found = ratio(value, base)
    return "–" if math.isnan(found) else f"{found:.2f}x"


def triple(found: Latency) -> str:
    return f"{ms(found.p50)} / {ms(found.p95)} / {ms(found.p99)}"


def clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


def run_title(key: str) -> str:
    return {BUDGET: "Strata", NO_BUDGET: "No workspace budget"}.get(key, key)


# --- Tables ----------------------------------------------------------------------------------


def _quiet_success(result: RunResult, kind: str) -> float:
    found = [record for window, record in result.in_windows(mix.QUIET) if window.kind == kind]
    return sum(1 for record in found if record.succeeded()) / len(found) if found else math.nan


def overview_table(runs: dict[str, RunResult]) -> list[str]:
    lines = [
        (
            "| Run | Windows | Quiet req/s | Noisy req/s sent | of it 200/s | Total req/s "
            "| Quiet success | Quiet p50 / p95 / p99 ms | p95 vs quiet windows "
            "| Cores: gunicorn / locust / PostgreSQL / Redis / machine |"
        ),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, result in runs.items():
        base = result.quiet_latency(mix.QUIET_WINDOW).p95
        for kind in (mix.QUIET_WINDOW, mix.NOISY_WINDOW):
            seconds = result.seconds(kind)
            if not seconds:
                continue
            found = result.quiet_latency(kind)
            allowed = sum(
                1
                for window, record in result.in_windows(mix.NOISY)
                if window.kind == kind and record.status == 200
            )
            count = sum(1 for window in result.windows if window.kind == kind)
            cores = " / ".join(f"{result.cores(kind, name):.2f}" for name in CORES)
            lines.append(
                f"| {run_title(key)} | {count} x {kind}, {seconds:.0f} s "
                f"| {result.rate(mix.QUIET, kind):.1f} | {result.rate(mix.NOISY, kind):.1f} "
                f"| {allowed / seconds:.1f} | {result.total_rate(kind):.1f} "
                f"| {_quiet_success(result, kind):.3%} | {triple(found)} "
                f"| {times(found.p95, base)} | {cores} |"
            )
    return lines


def endpoint_table(runs: dict[str, RunResult]) -> list[str]:
    budget = runs[BUDGET]
    anchor = runs.get(NO_BUDGET)
    header = (
        "| Endpoint | Kind | Share | Requests | Quiet windows p50 / p95 / p99 ms "
        "| Noisy windows p95 ms |"
    )
    rule = "| --- | --- | ---: | ---: | ---: | ---: |"
    if anchor is not None:
        header += " No budget: quiet windows p95 ms | No budget: noisy windows p95 ms |"
        rule += " ---: | ---: |"
    lines = [header, rule]
    rows: list[mix.Endpoint | None] = [*mix.ENDPOINTS, None]
    for endpoint in rows:
        name = None if endpoint is None else endpoint.name
        quiet = budget.quiet_latency(mix.QUIET_WINDOW, name)
        noisy = budget.quiet_latency(mix.NOISY_WINDOW, name)
        if endpoint is None:
            label, kind, share = "**All quiet requests**", "", "100%"
        else:
            label, kind = f"`{endpoint.name}`", endpoint.kind
            share = f"{mix.CYCLE.count(endpoint) / len(mix.CYCLE):.0%}"
        line = (
            f"| {label} | {kind} | {share} | {quiet.count + noisy.count:,} | {triple(quiet)} "
            f"| {ms(noisy.p95)} ({times(noisy.p95, quiet.p95)}) |"
        )
        if anchor is not None:
            a_quiet = anchor.quiet_latency(mix.QUIET_WINDOW, name)
            a_noisy = anchor.quiet_latency(mix.NOISY_WINDOW, name)
            line += f" {ms(a_quiet.p95)} | {ms(a_noisy.p95)} ({times(a_noisy.p95, a_quiet.p95)}) |"
        lines.append(line)
    return lines


def noisy_table(result: RunResult) -> list[str]:
    lines = [
        (
            "| Minute (UTC) | 200 | 429 | Other | First 429 at (s) | 200 p50 / p95 ms "
            "| 429 p50 / p95 ms |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    if result.server is None:
        return ["(No server log.)"]
    firsts = result.server.first_refusals(result.windows)
    for minute, statuses in result.server.noisy_minutes(result.windows):
        other = sum(count for status, count in statuses.items() if status not in {200, 429})
        sent = [r for _, r in result.in_windows(mix.NOISY) if int(r.start // 60) == minute]
        allowed = latency(record.ms for record in sent if record.status == 200)
        refused = latency(record.ms for record in sent if record.status == 429)
        first = firsts.get(minute, math.nan) - minute * 60
        lines.append(
            f"| {datetime.fromtimestamp(minute * 60, UTC):%H:%M} | {statuses[200]:,} "
            f"| {statuses[429]:,} | {other} | {'–' if math.isnan(first) else f'{first:.1f}'} "
            f"| {ms(allowed.p50)} / {ms(allowed.p95)} | {ms(refused.p50)} / {ms(refused.p95)} |"
        )
    return lines


def noisy_most(result: RunResult) -> int:
    """The most 200s the noisy workspace got in one minute of the server's clock."""
    if result.server is None:
        return 0
    return max((found[200] for _, found in result.server.noisy_minutes(result.windows)), default=0)


def costs_table(costs: list[Cost]) -> list[str]:
    lines = [
        "| Request | Share of the quiet mix | Server CPU ms | Answered in ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for cost in costs:
        endpoint = mix.BY_NAME.get(cost.name)
        share = f"{mix.CYCLE.count(endpoint) / len(mix.CYCLE):.0%}" if endpoint is not None else "–"
        lines.append(f"| `{cost.name}` | {share} | {cost.cpu_ms:.2f} | {cost.wall_ms:.2f} |")
    mean = mix_cpu_ms(costs)
    lines.append(f"| **The quiet mix, weighted** | 100% | **{mean:.2f}** | – |")
    return lines


def mix_cpu_ms(costs: list[Cost]) -> float:
    """Server CPU per request of the quiet mix, from the one-at-a-time costs."""
    by_name = {cost.name: cost.cpu_ms for cost in costs}
    found = [by_name.get(endpoint.name, math.nan) for endpoint in mix.CYCLE]
    return sum(found) / len(found)


def cost_of(costs: list[Cost], name: str) -> float:
    return next((cost.cpu_ms for cost in costs if cost.name == name), math.nan)


def windows_table(result: RunResult) -> list[str]:
    lines = [
        (
            "| Window | Kind | UTC | Quiet requests | Quiet p95 ms | Noisy sent / 200 "
            "| Noisy burst spent after (s) | Quiet p95 until then / after ms "
            "| Cores: gunicorn / machine | Worker restarts |"
        ),
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ends = result.burst_ends()
    for window in result.windows:
        found = result.window_latency(window)
        noisy = [record for w, record in result.in_windows(mix.NOISY) if w is window]
        allowed = sum(1 for record in noisy if record.status == 200)
        end = ends.get(window.number)
        if end is None:
            burst = split = "–"
        else:
            burst = f"{end - window.start:.1f}"
            quiet = [r for w, r in result.in_windows(mix.QUIET) if w is window and r.succeeded()]
            during = sorted(r.ms for r in quiet if r.start < end)
            after = sorted(r.ms for r in quiet if r.start >= end)
            split = f"{ms(percentile(during, 0.95))} / {ms(percentile(after, 0.95))}"
        used = result.cpu.get(window.number, {})
        cores = (
            f"{used.get('gunicorn', 0.0) / window.seconds:.2f} / "
            f"{used.get('machine', 0.0) / window.seconds:.2f}"
        )
        restarts = (
            sum(1 for at in result.server.restarts if window.start <= at < window.end)
            if result.server is not None
            else 0
        )
        lines.append(
            f"| {window.number} | {window.kind} | {clock(window.start)}–{clock(window.end)} "
            f"| {found.count:,} | {ms(found.p95)} | {len(noisy):,} / {allowed:,} | {burst} "
            f"| {split} | {cores} | {restarts} |"
        )
    return lines


# --- Targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool


def worst_endpoint(result: RunResult) -> tuple[float, str]:
    return max(
        (
            (
                ratio(
                    result.quiet_latency(mix.NOISY_WINDOW, endpoint.name).p95,
                    result.quiet_latency(mix.QUIET_WINDOW, endpoint.name).p95,
                ),
                endpoint.name,
            )
            for endpoint in mix.ENDPOINTS
        ),
        key=lambda pair: -math.inf if math.isnan(pair[0]) else pair[0],
    )


def verdicts(shape: Shape, runs: dict[str, RunResult]) -> list[Verdict]:
    budget = runs[BUDGET]
    quiet = budget.quiet_latency(mix.QUIET_WINDOW)
    noisy = budget.quiet_latency(mix.NOISY_WINDOW)
    statuses = budget.noisy_statuses()
    seconds = sum(window.seconds for window in budget.windows)
    worst, worst_name = worst_endpoint(budget)
    most = noisy_most(budget)
    without = budget.checks.get("without_retry_after", 0)
    bad_bodies = budget.checks.get("bad_bodies", 0)
    return [
        Verdict(
            f"At least {TARGET_TENANTS} workspaces",
            f"{shape.quiet} quiet and 1 noisy, each on the Pro plan",
            shape.quiet + 1 >= TARGET_TENANTS,
        ),
        Verdict(
            f"At least {TARGET_SECONDS // 60} minutes of API reads, API writes and page views",
            f"{seconds / 60:.0f} minutes in windows (plus the warm-up)",
            seconds >= TARGET_SECONDS,
        ),
        Verdict(
            f"Quiet workspaces' success >= {TARGET_SUCCESS:.1%}",
            f"{budget.success_rate():.3%} of {len(budget.quiet_records()):,} requests",
            budget.success_rate() >= TARGET_SUCCESS,
        ),
        Verdict(
            f"The noisy workspace, at {shape.noisy_rate / (shape.plan_rate / 60):.0f}x its rate, "
            "gets 429 with Retry-After past its budget",
            f"{statuses[429]:,} x 429 and {statuses[200]:,} x 200; at most {most:,} x 200 in a "
            f"minute (its budget: {shape.plan_rate:,} a minute after a burst of "
            f"{shape.plan_burst:,}); {without} refusals without Retry-After, "
            f"{bad_bodies} of {budget.checks.get('bodies_checked', 0)} bodies checked not DRF's",
            statuses[429] > 0
            and most <= shape.plan_rate + shape.plan_burst
            and without == 0
            and bad_bodies == 0
            and sum(count for status, count in statuses.items() if status not in {200, 429}) == 0,
        ),
        Verdict(
            f"The other workspaces' p95 in noisy windows <= {TARGET_P95_RATIO:.2f}x quiet windows",
            f"{ms(noisy.p95)} ms against {ms(quiet.p95)} ms ({times(noisy.p95, quiet.p95)})",
            noisy.p95 <= TARGET_P95_RATIO * quiet.p95,
        ),
        Verdict(
            f"... and each endpoint's p95 <= {TARGET_P95_RATIO:.2f}x",
            f"the worst: `{worst_name}`, {worst:.2f}x",
            worst <= TARGET_P95_RATIO,
        ),
    ]


# --- What it means ---------------------------------------------------------------------------


def _delta_cores(result: RunResult, name: str) -> float:
    return result.cores(mix.NOISY_WINDOW, name) - result.cores(mix.QUIET_WINDOW, name)


def meaning(
    shape: Shape, environment: Environment, runs: dict[str, RunResult], *, p95_met: bool
) -> list[str]:
    budget = runs[BUDGET]
    anchor = runs.get(NO_BUDGET)
    costs = budget.costs
    quiet = budget.quiet_latency(mix.QUIET_WINDOW)
    noisy = budget.quiet_latency(mix.NOISY_WINDOW)
    during = budget.quiet_latency_in_burst(during=True)
    after = budget.quiet_latency_in_burst(during=False)
    spans = [
        end - window.start
        for window in budget.windows
        if (end := budget.burst_ends().get(window.number)) is not None
    ]
    span = sum(spans) / len(spans) if spans else math.nan
    list_cost = cost_of(costs, mix.LIST.name)
    refusal_cost = cost_of(costs, REFUSAL)
    allowed_rate = shape.plan_rate / 60
    refused_rate = budget.rate(mix.NOISY, mix.NOISY_WINDOW) - allowed_rate
    predicted = (allowed_rate * list_cost + refused_rate * refusal_cost) / 1000
    out: list[str] = []
    number = itertools.count(1)
    out += numbered(
        next(number),
        "**The quiet load.** One request of the quiet mix costs the server "
        f"{mix_cpu_ms(costs):.1f} ms of CPU on average, one at a time (the board page "
        f"{cost_of(costs, mix.BOARD.name):.1f} ms, a task list {list_cost:.1f} ms); "
        f"{budget.rate(mix.QUIET, mix.QUIET_WINDOW):.0f} requests a second kept gunicorn's "
        f"workers at {budget.cores(mix.QUIET_WINDOW, 'gunicorn'):.2f} cores in the quiet windows "
        f"and the whole machine at {budget.cores(mix.QUIET_WINDOW, 'machine'):.2f} of "
        f"{environment.cores} (everything on it counted, the benchmark's own processes and "
        "anything else running). Each gunicorn worker is one process, so one core at most: "
        f"{shape.workers} workers at "
        f"{budget.cores(mix.QUIET_WINDOW, 'gunicorn') / shape.workers:.0%} busy each.",
    )
    out += numbered(
        next(number),
        "**What the noisy workspace adds.** Its budget's "
        f"{allowed_rate:.0f} task lists a second (about {allowed_rate * list_cost / 1000:.2f} "
        f"cores) and {refused_rate:.0f} refusals a second at {refusal_cost:.2f} ms each (about "
        f"{refused_rate * refusal_cost / 1000:.2f} cores): {predicted:.2f} cores by the one-at-a-"
        f"time costs; gunicorn used {_delta_cores(budget, 'gunicorn'):+.2f} cores more in the "
        f"noisy windows than in the quiet ones, locust {_delta_cores(budget, 'locust'):+.2f} "
        f"(it sends {budget.rate(mix.NOISY, mix.NOISY_WINDOW):.0f} requests a second more), "
        f"PostgreSQL {_delta_cores(budget, 'postgres'):+.2f}. A refusal costs "
        f"{ratio(refusal_cost, list_cost):.0%} of a task list: the key is not looked up and "
        "nothing is counted (a workspace this process has refused is refused before "
        "authentication while the bucket it saw would still refuse it, see docs/api.md), so "
        "what remains is the HTTP request, "
        "the middleware stack, the error response and its log line.",
    )
    out += numbered(
        next(number),
        "**Where the noisy windows' latency goes.** The budget is a token bucket: the noisy "
        f"workspace gets a burst of {shape.plan_burst:,} requests at the start of each noisy "
        f"window (spent after {span:.1f} s on average), then its rate, "
        f"{shape.plan_rate / 60:.0f} task lists a second, evenly, and 429 for the rest of "
        f"the {shape.noisy_rate:.0f} a second it sends. While the burst lasts, the quiet "
        f"workspaces' p95 is {ms(during.p95)} ms ({times(during.p95, quiet.p95)} the quiet "
        f"windows', {during.count:,} requests); for the rest of the window "
        f"{ms(after.p95)} ms ({times(after.p95, quiet.p95)}, {after.count:,} requests). Over "
        f"the whole noisy windows: {ms(noisy.p95)} ms ({times(noisy.p95, quiet.p95)}).",
    )
    if anchor is not None:
        a_quiet = anchor.quiet_latency(mix.QUIET_WINDOW)
        a_noisy = anchor.quiet_latency(mix.NOISY_WINDOW)
        out += numbered(
            next(number),
            "**Without a budget per workspace** (the anchor run, what stock django-tenants with "
            "DRF's per-user and per-address throttles gives a workspace with several keys or "
            "members) every request of the noisy workspace is served: it got "
            f"{anchor.rate(mix.NOISY, mix.NOISY_WINDOW):.0f} task lists a second (of "
            f"{shape.noisy_rate:.0f} sent at the open rate, less when answers came back slower "
            f"than its {shape.noisy_users} users' pacing), gunicorn rose to "
            f"{anchor.cores(mix.NOISY_WINDOW, 'gunicorn'):.2f} cores and the quiet workspaces' "
            f"p95 went from {ms(a_quiet.p95)} to {ms(a_noisy.p95)} ms "
            f"({times(a_noisy.p95, a_quiet.p95)}), against {times(noisy.p95, quiet.p95)} with "
            "Strata's budget.",
        )
    restarts_quiet = restarts_noisy = 0
    if budget.server is not None:
        restarts_quiet = budget.server.restarts_in(budget.windows, mix.QUIET_WINDOW)
        restarts_noisy = budget.server.restarts_in(budget.windows, mix.NOISY_WINDOW)
    past_quiet = budget.quiet_latency(mix.QUIET_WINDOW, past_restarts=True)
    past_noisy = budget.quiet_latency(mix.NOISY_WINDOW, past_restarts=True)
    out += numbered(
        next(number),
        "**Worker recycling.** config/gunicorn.py replaces a worker after "
        f"{gunicorn_config.max_requests:,} requests (with jitter), refusals counted too; the "
        "new worker is a fork of the master, which loaded the application once (preload_app): "
        f"{plural(restarts_quiet, 'restart')} in the quiet windows, {restarts_noisy} in the "
        "noisy ones. "
        f"{budget.restart_share(mix.QUIET_WINDOW):.0%} and "
        f"{budget.restart_share(mix.NOISY_WINDOW):.0%} of the quiet requests were sent within "
        f"{RESTART_SECONDS:.0f} s of a restart; leaving those out, the quiet p95 is "
        f"{ms(past_quiet.p95)} ms in the quiet windows and {ms(past_noisy.p95)} ms in the "
        f"noisy ones ({times(past_noisy.p95, past_quiet.p95)}).",
    )
    out += numbered(
        next(number),
        f"**The load generator** used {budget.cores(mix.QUIET_WINDOW, 'locust'):.2f} cores in "
        f"the quiet windows and {budget.cores(mix.NOISY_WINDOW, 'locust'):.2f} in the noisy "
        "ones, on the same two cores as the server: part of what the noisy workspace costs "
        "this machine is its own client.",
    )
    out.append("")
    if p95_met:
        out += paragraph(
            "The noisy workspace's refusals and its budget's task lists fit in the headroom the "
            "quiet load leaves, so the other workspaces' p95 stays within the target."
        )
    else:
        out += shortfall(shape, budget, anchor, span=span, list_cost=list_cost)
    return out


def shortfall(
    shape: Shape, budget: RunResult, anchor: RunResult | None, *, span: float, list_cost: float
) -> list[str]:
    """Why the other workspaces' p95 rose past the target, from what this run measured, and
    what would change it."""
    quiet = budget.quiet_latency(mix.QUIET_WINDOW).p95
    during = ratio(budget.quiet_latency_in_burst(during=True).p95, quiet)
    after = ratio(budget.quiet_latency_in_burst(during=False).p95, quiet)
    restarts_quiet = budget.restart_share(mix.QUIET_WINDOW)
    restarts_noisy = budget.restart_share(mix.NOISY_WINDOW)
    out = paragraph("**Where the shortfall comes from, and what would fix it.**")
    out.append("")
    if during > TARGET_P95_RATIO:
        out += bullet(
            f"The noisy workspace's burst ({during:.2f}x while it lasts): {shape.plan_burst:,} "
            f"task lists at once, about {shape.plan_burst * list_cost / 1000:.1f} CPU-seconds "
            f"in {span:.1f} s. A smaller burst would spread them; it would also refuse clients "
            "that send a page of parallel requests, which is what the burst is for. Headroom "
            "absorbs it: a deployment with idle capacity across its web pods; two busy cores "
            "have little."
        )
    if after > TARGET_P95_RATIO:
        out += bullet(
            f"Past the burst ({after:.2f}x): the noisy workspace's rate of task lists and its "
            "refusals, and their client on the same cores. A refusal is already the cheapest "
            "request the server answers; what remains is gunicorn's HTTP handling, the "
            "middleware stack and the log line. Headroom again: the quiet load and the noisy "
            "workspace's rate together are what this machine has."
        )
    if restarts_noisy > restarts_quiet:
        out += bullet(
            f"Worker recycling: {restarts_noisy:.0%} of the quiet requests in the noisy windows "
            f"came within {RESTART_SECONDS:.0f} s of a worker restart, against "
            f"{restarts_quiet:.0%} in the quiet ones, since the noisy workspace's requests "
            "count towards each worker's budget too; a larger `GUNICORN_MAX_REQUESTS` would "
            "make restarts rarer."
        )
    worst, worst_name = worst_endpoint(budget)
    if worst > TARGET_P95_RATIO:
        out += bullet(
            f"Per endpoint (the worst, `{worst_name}`, {worst:.2f}x): the short API reads rise "
            "the most, the board page (the quiet mix's longest request) the least. They share "
            f"the {shape.workers} gunicorn processes with the noisy workspace's "
            f"{budget.rate(mix.NOISY, mix.NOISY_WINDOW):.0f} requests a second, and each "
            "process's threads take turns on one interpreter, so a read of a few milliseconds "
            "waits behind task lists and refusals it would not meet in a quiet window. Not taken "
            "apart further here. What would separate them: more processes with fewer threads "
            "each, API and page traffic on web pods of their own, or headroom."
        )
    if anchor is not None:
        mine = budget.quiet_latency(mix.QUIET_WINDOW).p95
        theirs = anchor.quiet_latency(mix.QUIET_WINDOW).p95
        out += bullet(
            f"For scale: the same quiet load had a p95 of {ms(mine)} ms in this run's quiet "
            f"windows and {ms(theirs)} ms in the anchor run's ({times(mine, theirs)}); "
            "between runs of the same load on this machine, p95 moves by as much as the margins "
            "above."
        )
    return out


def failures_paragraph(runs: dict[str, RunResult]) -> list[str]:
    """What failed for the quiet workspaces, and what the server logged as a warning or error."""
    parts = []
    for key, result in runs.items():
        failed = result.failures()
        warnings = len(result.server.warnings) if result.server is not None else 0
        what = (
            "no quiet request failed"
            if not failed
            else "quiet requests failed: "
            + "; ".join(f"`{name}` x {count}" for name, count in failed.most_common())
        )
        parts.append(
            f"{run_title(key)}: {what}; the server logged {plural(warnings, 'warning')} or "
            "errors (5xx answers, tracebacks, gunicorn's complaints)"
        )
    return paragraph(". ".join(parts) + ".")


# --- The section -----------------------------------------------------------------------------


def setup_lines(shape: Shape, environment: Environment, runs: dict[str, RunResult]) -> list[str]:
    budget = runs[BUDGET]
    versions = ", ".join(f"{name} {value}" for name, value in environment.versions)
    window_seconds = budget.windows[0].seconds if budget.windows else 0
    out: list[str] = []
    out += bullet(
        f"Machine: {environment.machine}. The server, PostgreSQL, Redis and the load generator "
        "share it; so does other work: the 1-minute load average was "
        f"{budget.load[0]:.1f} when the main run's windows started and {budget.load[1]:.1f} "
        "when they ended."
    )
    out += bullet(f"Versions: {versions}.")
    out += bullet(
        "Server: production's: gunicorn `--config config/gunicorn.py config.wsgi:application` "
        f"(gthread, `WEB_CONCURRENCY={shape.workers}` workers of `GUNICORN_THREADS="
        f"{shape.threads}` threads, keep-alive, the application loaded once in the master and "
        f"each worker forked from it, a worker recycled after {gunicorn_config.max_requests:,} "
        "requests) with "
        "`config.settings.prod`: `DEBUG` off, connections from Django's psycopg pool, Redis "
        "for the cache and sessions, the static files' manifest from collectstatic, and one "
        "JSON log line per request (`LOG_FORMAT=json`), written to a file. Every request "
        "comes as the ingress forwards it: the workspace's host, `X-Forwarded-Proto: https` "
        "and `X-Forwarded-For` (`STRATA_TRUSTED_PROXY_COUNT=1`). Billing is on (an offline "
        "Stripe key; nothing on these paths calls Stripe), so each request reads its "
        "workspace's plan from its billing account, as in production."
    )
    out += bullet(
        "Background tasks: none. Creating and updating a task and every page of the mix "
        "enqueue nothing (the broker's Redis database held no key after either run; the "
        "runner fails if it does), so no Celery worker runs."
    )
    out += bullet(
        f"Data: {shape.quiet} quiet workspaces and the noisy one, made by "
        "`tenants.services.tenant_provision` from spare schemas that `tenants.pool.pool_refill` "
        "made (the database itself by `migrate_fleet`). Each has four people (an owner and "
        "three members), an active Pro subscription on its billing account (the plan's "
        f"{shape.plan_rate:,} API requests a minute apply; no override), bench/api's five "
        f"labels, one project and its first {shape.tasks} tasks (`label_create`, "
        "`project_create`, `task_create`), an API key from `api_key_create` (read and write; "
        "read for the noisy one) and a member's session, signed in by "
        "`django.contrib.auth.login` on a request routed to the workspace (its audit entry "
        "included): a real session of that schema, so the load pays no password hashing. "
        "Before each run the runner checks every request of the mix once, and that a session "
        "or a key is worth nothing on another workspace's host."
    )
    out += bullet(
        f"Load: locust's `FastHttpUser`, one user per quiet workspace at {shape.rate:g} "
        "requests a second (`constant_throughput`: a fixed rate whatever the answers, while "
        "they take less than the interval), the users started spread over one interval. Each "
        "repeats `" + " → ".join(endpoint.name for endpoint in mix.CYCLE) + "`: "
        f"{mix.share(mix.API_READ):.0%} API reads, {mix.share(mix.API_WRITE):.0%} API writes "
        f"(the update completes the task the create made, with its `expected_version`), "
        f"{mix.share(mix.PAGE):.0%} page views with the session. That is "
        f"{shape.rate * 60 * (mix.share(mix.API_READ) + mix.share(mix.API_WRITE)):.0f} API "
        f"requests a minute per workspace, well inside its {shape.plan_rate:,}. The noisy "
        f"workspace: {shape.noisy_users} users that together send `{mix.NOISY_ENDPOINT.name}` "
        f"at {shape.noisy_rate:.0f} a second, ten times its plan's rate, in the noisy windows "
        "only. Every request comes on a connection of its own (`Connection: close`): gunicorn "
        "leaves it to the kernel which worker accepts a connection and serves a kept-alive one "
        "on that worker to the end, so with one connection per user kept for the whole run, "
        "all of them sat on one worker after the other was recycled (one process, one core: "
        "seconds of queueing, a trial run showed), which measures the clients' connections "
        "more than the server."
    )
    out += bullet(
        f"Windows: {len(budget.windows)} of {window_seconds:.0f} s, quiet and noisy in turn, "
        "quiet first, each starting on the minute so that a noisy window is one of the "
        f"budget's windows (as for a workspace noisy all the time), after at least "
        f"{shape.warmup:.0f} s of warm-up with the quiet load. The first {shape.settle:.0f} s "
        "of a quiet window after a noisy one are left out of its latencies (what the noisy "
        "window left in queues)."
    )
    out += bullet(
        "Judged: a quiet workspace's request succeeds when it gets its endpoint's own status "
        "(201 for the create, else 200); any other status (a 429 included) or a socket error "
        "fails it, and success counts every quiet request, warm-up included. Latency is "
        "locust's, from sending the request to reading the whole answer; percentiles are "
        "nearest-rank. CPU: psutil's reading of each process at the windows' boundaries "
        "(gunicorn's master and workers, recycled ones included; the PostgreSQL backends of "
        "the benchmark's database; the Redis server; locust), and /proc/stat for the machine."
    )
    if NO_BUDGET in runs:
        anchor = runs[NO_BUDGET]
        anchor_seconds = anchor.windows[0].seconds if anchor.windows else 0
        out += bullet(
            f"The anchor run (no workspace budget): a second server, the same in every way "
            f"but `STRATA_API_REQUESTS_PER_MINUTE={shape.no_budget_rate}` (the throttle still "
            "counts every request in Redis and never refuses), the same load for "
            f"{len(anchor.windows)} windows of {anchor_seconds:.0f} s."
        )
    out += bullet(
        "Server CPU per request: after the main run's windows, with the load stopped, each "
        f"request of the mix {shape.cost_requests} times in a row (each on a quiet workspace of "
        f"its own) and {shape.cost_requests * 5} refused task lists of the noisy workspace, on "
        "one keep-alive connection; gunicorn's CPU over the batch divided by its requests "
        "(psutil counts in 10 ms ticks)."
    )
    return out


def render_section(
    *,
    config: Shape,
    environment: Environment,
    runs: dict[str, RunResult],
    elapsed: float,
    quick: bool,
) -> str:
    budget = runs[BUDGET]
    judged = verdicts(config, runs)
    quiet_p95 = budget.quiet_latency(mix.QUIET_WINDOW).p95
    p95_met = (
        budget.quiet_latency(mix.NOISY_WINDOW).p95 <= TARGET_P95_RATIO * quiet_p95
        and worst_endpoint(budget)[0] <= TARGET_P95_RATIO
    )
    out = [f"## {HEADING}", ""]
    out += paragraph(
        f"Many workspaces on one server, one of them noisy: {config.quiet} quiet workspaces "
        "each send a fixed-rate mix of API reads, API writes and page views to one "
        "production-configured server, while one more workspace, on the same plan, sends task "
        f"lists at ten times its plan's rate in every other window. Measured: requests a "
        "second, the quiet workspaces' success, their p50, p95 and p99 per endpoint with and "
        "without the noisy workspace, what the noisy workspace got minute by minute, and what "
        "the same load does to a server without a budget per workspace."
    )
    out.append("")
    out += paragraph(
        "There is no plain-Django or stock django-tenants version of Strata's product to put "
        "under this load, so the anchors are these: stock django-tenants has no budget per "
        "workspace (DRF's own throttles count per user or per address), which the second run "
        "reproduces by lifting Strata's; and for the plain single-tenant baseline, the API "
        "section above compares Strata's task list with the same list on plain Django, request "
        "for request (not measured again here)."
    )
    out.append("")
    out += paragraph(
        f"Measured {environment.when:%Y-%m-%d %H:%M} UTC by `bench/load/run.py`; the whole "
        f"run took {elapsed / 60:.1f} minutes."
        + (" **A `--quick` smoke run: too short to go by.**" if quick else "")
    )
    out += ["", "### Setup", ""]
    out += setup_lines(config, environment, runs)
    out += ["", "### Requests, success and latency", ""]
    out += overview_table(runs)
    out.append("")
    out += paragraph(
        "Quiet req/s are the quiet workspaces' requests sent per second of the windows; the "
        "noisy workspace's are those it sent and those answered 200. Latencies are the quiet "
        "workspaces' successful requests. Cores are CPU-seconds per second of the windows."
    )
    out.append("")
    out += failures_paragraph(runs)
    out += ["", "### Quiet workspaces, per endpoint", ""]
    out += endpoint_table(runs)
    out.append("")
    out += paragraph(
        "p95 in brackets: against the same run's quiet windows. Share: of a quiet workspace's "
        "requests."
    )
    out += ["", "### The noisy workspace, minute by minute", ""]
    out += noisy_table(budget)
    out.append("")
    out += paragraph(
        "Counts from the server's log, by the minute on the server's clock when Django started "
        "the request (the budget's window); latencies are locust's, by the minute it sent the "
        "request in. First 429 at: seconds into the minute when the budget was spent. Every "
        "429 carried "
        f"`Retry-After` ({budget.checks.get('without_retry_after', 0)} did not) and the first "
        f"{budget.checks.get('bodies_checked', 0)} were checked to be DRF's "
        '`{"detail": ...}`.'
    )
    out += ["", "### What one request costs the server", ""]
    out += costs_table(budget.costs)
    out += ["", "### Windows of the main run", ""]
    out += windows_table(budget)
    out += ["", "### Targets", "", "| Target | Measured | |", "| --- | --- | --- |"]
    for verdict in judged:
        out.append(f"| {verdict.target} | {verdict.measured} | {met(verdict.met)} |")
    out += ["", "### What the numbers mean", ""]
    out += meaning(config, environment, runs, p95_met=p95_met)
    out += ["", "### Reproduce", "", "```", "make bench", "```", ""]
    out += paragraph(
        "runs `uv run --frozen python bench/load/run.py` (after the other benchmarks) from the "
        "repository root, in about 12 minutes. It needs PostgreSQL (the server of "
        f"`DATABASE_URL`, by default `{common.DEFAULT_SERVER_URL}`, where it creates and "
        f"finally drops `{config.database}`) and Redis at `{config.redis_url}` "
        "(`BENCH_REDIS_URL` overrides it; Celery's broker is database 10 of the same server, "
        "kept empty). `--tenants`, `--rate`, `--windows` and `--anchor-windows` change the "
        "load for a trial; `--quick` is a smoke test of five workspaces and short windows that "
        "leaves this file alone, as does `--no-doc`."
    )
    out.append("")
    return "\n".join(out)
