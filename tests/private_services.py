"""PostgreSQL and Redis servers of a test's own, which it may stop and start.

The shared servers on 5432 and 6379 serve every other test (and other runs of the suite): a test
about outages stops these instead. Each is a real server on a free port in a temporary directory,
stopped and removed when the test module is done.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from tests.servers import _free_port


def _postgres_bin_dir() -> Path:
    """The directory of the machine's PostgreSQL server programs (Debian keeps them apart)."""
    pg_ctl = shutil.which("pg_ctl")
    candidates = [Path(pg_ctl).resolve().parent] if pg_ctl else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "postgres").exists():
            return candidate
    raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl) on this machine")


def _run_as() -> str | None:
    # PostgreSQL refuses to run as root; as root, run it as the postgres account.
    return "postgres" if os.geteuid() == 0 else None


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of its own (trust authentication, user postgres)."""

    root: Path
    port: int
    bin_dir: Path = field(default_factory=_postgres_bin_dir)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def _pg_ctl(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data_dir), *args],
            user=_run_as(), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {' '.join(args)} failed: {result.stdout}{result.stderr}\n{self.log()}"
            )

    def initdb(self) -> None:
        subprocess.run(
            [
                str(self.bin_dir / "initdb"), "--pgdata", str(self.data_dir), "--username",
                "postgres", "--auth", "trust", "--encoding", "UTF8", "--no-sync",
            ],
            user=_run_as(), capture_output=True, check=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c max_connections=100"
        )
        self._pg_ctl("start", "--wait", "--timeout", "60", "--log", str(self.log_path),
                     "-o", options)  # fmt: skip

    def stop(self) -> None:
        """Stop at once as an outage does: sessions are cut, transactions in flight roll back,
        new connections are refused (pg_ctl's fast mode)."""
        self._pg_ctl("stop", "--wait", "--mode", "fast")

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def copy_database(self, *, source_url: str, name: str) -> None:
        """Create database `name` here as a copy of the database at `source_url`."""
        with self.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        dump = subprocess.Popen(
            [str(self.bin_dir / "pg_dump"), "--no-owner", "--no-privileges", source_url],
            stdout=subprocess.PIPE,
        )
        restore = subprocess.run(
            [str(self.bin_dir / "psql"), "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1",
             "--output", os.devnull, self.url(name)],
            stdin=dump.stdout, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert dump.stdout is not None
        dump.stdout.close()
        if dump.wait(timeout=60) != 0 or restore.returncode != 0:
            raise RuntimeError(f"copying the database failed: {restore.stderr}")

    def destroy(self) -> None:
        if self.is_running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._pg_ctl("stop", "--wait", "--mode", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def start_private_postgres() -> PrivatePostgres:
    root = Path(tempfile.mkdtemp(prefix="strata-private-pg-"))
    user = _run_as()
    if user is not None:
        shutil.chown(root, user=user)
    server = PrivatePostgres(root=root, port=_free_port())
    try:
        server.initdb()
        server.start()
    except BaseException:
        server.destroy()
        raise
    return server


@dataclass
class PrivateRedis:
    """A redis-server of its own, without persistence: a restart starts it empty."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        with (self.root / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(self.root),
                ],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start: {self.log()}") from None
                time.sleep(0.05)  # nothing to wait on but the port
            finally:
                client.close()

    def stop(self) -> None:
        """Stop the server: every connection is cut and new ones are refused."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "server.log").read_text(errors="replace")
        return ""

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_private_redis() -> PrivateRedis:
    server = PrivateRedis(root=Path(tempfile.mkdtemp(prefix="strata-private-redis-")),
                          port=_free_port())  # fmt: skip
    try:
        server.start()
    except BaseException:
        server.destroy()
        raise
    return server
