"""What the runner makes of one load run's records: requests, rates, success and latency per
window kind, group and endpoint, and the noisy workspace's answers minute by minute.

Plain Python (no Django, no locust): the records come from the locustfile's JSON and the
server's JSON log lines.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.load import mix
from bench.load.probe import Cost

# How long after gunicorn starts a worker the requests count as slowed by it: the new worker
# imports the application before it serves (seconds on this machine), the other one serves
# everything meanwhile, and the queue it built drains.
RESTART_SECONDS = 5.0
# How long after the last window the server's log still counts as the load's (queued requests).
SERVER_LAG_SECONDS = 10.0


@dataclass(frozen=True)
class Window:
    number: int  # from 1, in the order they ran
    kind: str  # mix.QUIET_WINDOW or mix.NOISY_WINDOW
    start: float  # seconds since the epoch
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Record:
    start: float
    group: str
    endpoint: str
    status: int
    ms: float
    error: str

    def succeeded(self) -> bool:
        """A quiet workspace's request succeeds only with its endpoint's own status."""
        return self.status == mix.BY_NAME[self.endpoint].expected


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p95: float
    p99: float


def percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of values sorted ascending."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency(values: Iterable[float]) -> Latency:
    ordered = sorted(values)
    return Latency(
        len(ordered),
        percentile(ordered, 0.50),
        percentile(ordered, 0.95),
        percentile(ordered, 0.99),
    )


def read_records(path: Path) -> tuple[list[Record], dict[str, int]]:
    data = json.loads(path.read_text())
    records = [Record(*row) for row in data["records"]]
    return records, {str(key): int(value) for key, value in data["checks"].items()}


def window_of(windows: Sequence[Window], at: float) -> Window | None:
    for window in windows:
        if window.start <= at < window.end:
            return window
    return None


@dataclass
class RunResult:
    """One load run (one server), judged."""

    key: str
    windows: list[Window]
    # Seconds at the start of a quiet window left out of its latencies: what the noisy window
    # before it left in queues.
    settle: float
    records: list[Record]
    checks: dict[str, int]
    # Core-seconds used per window, by process group (runner's sampling), keyed by window number.
    cpu: dict[int, dict[str, float]] = field(default_factory=dict)
    server: ServerLog | None = None
    # What each request of the mix costs the server, one at a time (the main run only).
    costs: list[Cost] = field(default_factory=list)
    # The machine's 1-minute load average when the windows started and when they ended.
    load: tuple[float, float] = (0.0, 0.0)

    def in_windows(self, group: str) -> list[tuple[Window, Record]]:
        out = []
        for record in self.records:
            if record.group != group:
                continue
            window = window_of(self.windows, record.start)
            if window is not None:
                out.append((window, record))
        return out

    def quiet_records(self) -> list[Record]:
        """Every quiet request recorded, warm-up included: success is judged on all of them."""
        return [record for record in self.records if record.group == mix.QUIET]

    def failures(self) -> Counter[str]:
        """Quiet requests that failed, by endpoint and what they got."""
        found: Counter[str] = Counter()
        for record in self.quiet_records():
            if not record.succeeded():
                what = f"{record.status}" if record.status else (record.error or "no answer")
                found[f"{record.endpoint}: {what}"] += 1
        return found

    def success_rate(self) -> float:
        quiet = self.quiet_records()
        if not quiet:
            return math.nan
        return sum(1 for record in quiet if record.succeeded()) / len(quiet)

    def seconds(self, kind: str) -> float:
        return sum(window.seconds for window in self.windows if window.kind == kind)

    def kept(self, window: Window, record: Record) -> bool:
        """Whether a quiet record counts for latency (not in a quiet window's settle time)."""
        return not (
            window.kind == mix.QUIET_WINDOW
            and window.number > 1
            and record.start < window.start + self.settle
        )

    def quiet_latency(
        self, kind: str, endpoint: str | None = None, *, past_restarts: bool = False
    ) -> Latency:
        """Latency of the quiet workspaces' successful requests in windows of `kind`;
        `past_restarts`: leaving out those sent soon after gunicorn started a worker."""
        return latency(
            record.ms
            for window, record in self.in_windows(mix.QUIET)
            if window.kind == kind
            and self.kept(window, record)
            and record.succeeded()
            and (endpoint is None or record.endpoint == endpoint)
            and not (past_restarts and self.after_restart(record.start))
        )

    def after_restart(self, at: float) -> bool:
        """Whether `at` is within RESTART_SECONDS after gunicorn started a worker."""
        if self.server is None:
            return False
        return any(0 <= at - started < RESTART_SECONDS for started in self.server.restarts)

    def restart_share(self, kind: str) -> float:
        """The share of the quiet requests in windows of `kind` sent soon after a restart."""
        found = [r for w, r in self.in_windows(mix.QUIET) if w.kind == kind]
        return sum(1 for r in found if self.after_restart(r.start)) / len(found) if found else 0.0

    def window_latency(self, window: Window) -> Latency:
        return latency(
            record.ms
            for found, record in self.in_windows(mix.QUIET)
            if found is window and self.kept(found, record) and record.succeeded()
        )

    def rate(self, group: str, kind: str) -> float:
        """Requests a second sent by `group` in windows of `kind`."""
        seconds = self.seconds(kind)
        count = sum(1 for window, _ in self.in_windows(group) if window.kind == kind)
        return count / seconds if seconds else math.nan

    def total_rate(self, kind: str) -> float:
        return self.rate(mix.QUIET, kind) + self.rate(mix.NOISY, kind)

    def noisy_minutes(self) -> list[tuple[int, Counter[int]]]:
        """The noisy workspace's statuses per calendar minute (its budget's window), for the
        minutes it sent in."""
        minutes: dict[int, Counter[int]] = defaultdict(Counter)
        for _, record in self.in_windows(mix.NOISY):
            minutes[int(record.start // 60)][record.status] += 1
        return sorted(minutes.items())

    def noisy_statuses(self) -> Counter[int]:
        return Counter(record.status for _, record in self.in_windows(mix.NOISY))

    def noisy_latency(self, status: int) -> Latency:
        return latency(
            record.ms for _, record in self.in_windows(mix.NOISY) if record.status == status
        )

    def burst_ends(self) -> dict[int, float]:
        """For each noisy window in which the noisy workspace got 200s, when its budget was
        spent: its first 429 in the window answered (or its last 200, with no 429). Until then
        it is served at ten times its rate."""
        ends: dict[int, float] = {}
        refused: dict[int, float] = {}
        for window, record in self.in_windows(mix.NOISY):
            answered = record.start + record.ms / 1000
            if record.status == 200:
                ends[window.number] = max(ends.get(window.number, window.start), answered)
            elif record.status == 429:
                refused[window.number] = min(refused.get(window.number, math.inf), answered)
        return {number: min(end, refused.get(number, end)) for number, end in ends.items()}

    def quiet_latency_in_burst(self, *, during: bool) -> Latency:
        """Quiet latency in noisy windows, while the noisy workspace's budget was being spent
        (during) or after, when it got only 429s."""
        ends = self.burst_ends()
        return latency(
            record.ms
            for window, record in self.in_windows(mix.QUIET)
            if window.kind == mix.NOISY_WINDOW
            and record.succeeded()
            and (record.start < ends.get(window.number, window.start)) == during
        )

    def cores(self, kind: str, name: str) -> float:
        """Mean cores `name` used over the windows of `kind`."""
        used = sum(
            self.cpu.get(window.number, {}).get(name, 0.0)
            for window in self.windows
            if window.kind == kind
        )
        seconds = self.seconds(kind)
        return used / seconds if seconds else math.nan


# --- The server's log ------------------------------------------------------------------------

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ROUTES = (
    ("GET", re.compile(r"^/api/v1/tasks/$"), mix.LIST.name),
    ("GET", re.compile(rf"^/api/v1/tasks/{_UUID}/$"), mix.DETAIL.name),
    ("POST", re.compile(r"^/api/v1/tasks/$"), mix.CREATE.name),
    ("PATCH", re.compile(rf"^/api/v1/tasks/{_UUID}/$"), mix.UPDATE.name),
    ("GET", re.compile(r"^/projects/[^/]+/board/$"), mix.BOARD.name),
    ("GET", re.compile(r"^/projects/[^/]+/\d+/$"), mix.TASK_PAGE.name),
    ("GET", re.compile(r"^/$"), mix.HOME.name),
)


def endpoint_of(method: str, path: str) -> str:
    for route_method, pattern, name in _ROUTES:
        if method == route_method and pattern.match(path):
            return name
    return f"{method} {path}"


@dataclass(frozen=True)
class Served:
    """One request line of the server's log: when it started, for whom, what, how long."""

    start: float
    group: str
    endpoint: str
    status: int
    ms: float


@dataclass
class ServerLog:
    lines: list[Served]
    # Lines of other loggers at WARNING or above (errors, gunicorn's worker notices).
    warnings: list[str]
    # When gunicorn started each worker after its first ones (a worker recycled after
    # max_requests, or one that died).
    restarts: list[float]

    def restarts_in(self, windows: Sequence[Window], kind: str) -> int:
        return sum(
            1
            for at in self.restarts
            if (found := window_of(windows, at)) is not None and found.kind == kind
        )

    def in_django(self, windows: Sequence[Window], group: str, kind: str, endpoint: str,
                  status: int) -> Latency:  # fmt: skip
        """Time inside Django (the request log middleware's duration) for these requests."""
        return latency(
            line.ms
            for line in self.lines
            if line.group == group
            and line.endpoint == endpoint
            and line.status == status
            and (found := window_of(windows, line.start)) is not None
            and found.kind == kind
        )

    def noisy_minutes(self, windows: Sequence[Window]) -> list[tuple[int, Counter[int]]]:
        """The noisy workspace's statuses per minute of the server's clock (the budget's), for
        what it served from the first window's start until a few seconds after the last one
        ended (requests still queued then; the runner's own requests come later)."""
        first, last = windows[0].start, windows[-1].end + SERVER_LAG_SECONDS
        minutes: dict[int, Counter[int]] = defaultdict(Counter)
        for line in self.lines:
            if line.group == mix.NOISY and first <= line.start < last:
                minutes[int(line.start // 60)][line.status] += 1
        return sorted(minutes.items())

    def first_refusals(self, windows: Sequence[Window]) -> dict[int, float]:
        """Per minute of the server's clock, when Django started the noisy workspace's first
        429 in it."""
        first, last = windows[0].start, windows[-1].end + SERVER_LAG_SECONDS
        found: dict[int, float] = {}
        for line in self.lines:
            if line.group == mix.NOISY and line.status == 429 and first <= line.start < last:
                minute = int(line.start // 60)
                found[minute] = min(found.get(minute, math.inf), line.start)
        return found


def read_server_log(path: Path, noisy_slug: str, first_workers: int) -> ServerLog:
    lines: list[Served] = []
    warnings: list[str] = []
    booted: list[float] = []
    for raw in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            warnings.append(raw[:300])
            continue
        if not isinstance(entry, dict):
            continue
        logger = entry.get("logger")
        message = str(entry.get("message", ""))
        if logger == "gunicorn.error" and message.startswith("Booting worker"):
            booted.append(datetime.fromisoformat(str(entry["time"])).timestamp())
        if logger == "strata.request" and "status" in entry:
            ended = datetime.fromisoformat(str(entry["time"])).timestamp()
            ms = float(entry.get("duration_ms", 0.0))
            lines.append(
                Served(
                    start=ended - ms / 1000,
                    group=mix.NOISY if entry.get("tenant") == noisy_slug else mix.QUIET,
                    endpoint=endpoint_of(str(entry.get("method")), str(entry.get("path"))),
                    status=int(entry["status"]),
                    ms=ms,
                )
            )
        elif entry.get("level") in {"WARNING", "ERROR", "CRITICAL"}:
            warnings.append(message[:300])
    return ServerLog(lines, warnings, booted[first_workers:])
