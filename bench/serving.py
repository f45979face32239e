"""What the HTTP benchmark runners (bench/routing, bench/api) share: wrk, the bench app under
gunicorn, plain requests to it, a load run and its sample, and what they read from PostgreSQL
and Redis between runs.

Runners import this without Django, as they do bench.common.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.common import ROOT, BenchError, Connection, run, say, tail

WRK_SCRIPT = ROOT / "bench" / "routing" / "wrk_report.lua"
WSGI_APPLICATION = "bench.routing.wsgi:application"

_RESULT = re.compile(r"^BENCH-RESULT (.*)$", re.MULTILINE)
_FAILURES = ("non200", "connect", "read", "write", "timeout", "status")


@dataclass(frozen=True)
class Sample:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def ensure_wrk() -> str:
    """wrk from PATH, installing Debian's package first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: installing Debian's package (apt-get install wrk)")
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise BenchError("wrk is missing and this user cannot install it: apt-get install wrk")
        prefix = ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([*prefix, "apt-get", "update", "-qq"], timeout=300, env=env)
    run(
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        timeout=300,
        env=env,
    )
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("apt-get installed wrk, but it is not on PATH")
    return found


# --- PostgreSQL and Redis --------------------------------------------------------------------


def transactions(admin: Connection, databases: Iterable[str]) -> dict[str, int]:
    """Transactions committed or rolled back so far in each of `databases`."""
    rows = admin.execute(
        "SELECT datname, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = ANY(%s)",
        [list(databases)],
    ).fetchall()
    return {str(name): int(count) for name, count in rows}


def clear_redis(url: str, match: str) -> None:
    """Delete the keys matching `match` in the Redis database of `url`."""
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        keys = list(client.scan_iter(match=match))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# --- Servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(port: int, path: str, headers: Mapping[str, str], *, timeout: float) -> Reply:
    # gunicorn's sync workers close every connection after one response: so does this.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


class GunicornServer:
    """The bench app under gunicorn, in a process group of its own so that it can be killed
    whole. A runner's subclass says when it is ready (`answers`) and what that means
    (`READY`, for the error when it never is)."""

    READY = "answer"

    def __init__(self, key: str, env: dict[str, str], log_dir: Path, *, workers: int) -> None:
        self.key = key
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{key}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def answers(self) -> bool:
        """One request; whether it shows the server ready (OSError or HTTPException: not)."""
        raise NotImplementedError

    def start(self) -> None:
        args = [
            sys.executable, "-m", "gunicorn",
            "--workers", str(self.workers),
            "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}",
            "--chdir", str(ROOT),
            "--timeout", "30",
            "--graceful-timeout", "5",
            "--log-level", "warning",
            WSGI_APPLICATION,
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

    def log_tail(self) -> str:
        try:
            return tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise BenchError(f"gunicorn for {self.key} exited with {code}:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.answers():
                    return
            if time.monotonic() > deadline:
                raise BenchError(
                    f"gunicorn for {self.key} did not {self.READY} within {timeout:.0f} s:"
                    f"\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        # Workers that outlived their master (or a master that ignored SIGTERM) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None


# --- Load ------------------------------------------------------------------------------------


def load(
    wrk: str,
    server: GunicornServer,
    path: str,
    headers: Mapping[str, str],
    *,
    seconds: int,
    connections: int,
    threads: int,
    script_args: Sequence[str] = (),
) -> Sample:
    """wrk at fixed concurrency for `seconds`; BenchError unless every response was a 200.
    `script_args` go to the wrk script (a hosts file and a path: one host after another)."""
    header_args = [
        arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")
    ]
    output = run(
        [
            wrk,
            "--threads",
            str(threads),
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "5s",
            "--script",
            str(WRK_SCRIPT),
            *header_args,
            f"http://127.0.0.1:{server.port}{path}",
            *(["--", *script_args] if script_args else []),
        ],
        timeout=seconds + 30,
    )
    match = _RESULT.search(output)
    if match is None:
        raise BenchError(f"wrk printed no result line:\n{output}")
    fields = {key: int(value) for key, value in (pair.split("=") for pair in match[1].split())}
    if (
        any(fields[name] for name in _FAILURES)
        or fields["requests"] == 0
        or fields["ok"] != fields["requests"]
    ):
        raise BenchError(
            f"{server.key} {path}: not every request answered 200: {fields}\n{server.log_tail()}"
        )
    return Sample(
        requests=fields["requests"],
        seconds=fields["duration_us"] / 1e6,
        p50_ms=fields["p50_us"] / 1e3,
        p95_ms=fields["p95_us"] / 1e3,
        p99_ms=fields["p99_us"] / 1e3,
    )
