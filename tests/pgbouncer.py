"""A private PgBouncer in front of the test PostgreSQL, for tests about connection pooling.

Debian's package (scripts/ensure-pgbouncer.sh) provides /usr/sbin/pgbouncer. Each call starts a
process of its own on a free port, with a generated configuration in a directory of its own;
`stop()` ends it and removes the directory.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

from tests.servers import url_of_test_database

PGBOUNCER = Path("/usr/sbin/pgbouncer")
PoolMode = Literal["session", "transaction", "statement"]


@dataclass
class PgBouncer:
    process: subprocess.Popen[bytes]
    port: int
    pool_mode: PoolMode
    directory: Path

    @property
    def database_url(self) -> str:
        """The test database's URL, through this PgBouncer."""
        parts = urlsplit(url_of_test_database())
        user = parts.netloc.rpartition("@")[0]
        return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{self.port}"))

    def database_wrapper(self) -> BaseDatabaseWrapper:
        """A Django connection of its own to the test database, through this PgBouncer."""
        settings_dict = copy.deepcopy(connection.settings_dict)
        settings_dict.update(HOST="127.0.0.1", PORT=str(self.port))
        backend = load_backend(settings_dict["ENGINE"])
        wrapper: BaseDatabaseWrapper = backend.DatabaseWrapper(
            settings_dict, alias=f"pgbouncer-{self.port}"
        )
        return wrapper

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client_logins(self) -> int:
        """How many client connections PgBouncer has accepted (it logs each)."""
        return self.log().count(" login attempt: ")

    def server_connections(self) -> int:
        """How many connections to PostgreSQL PgBouncer has opened."""
        return self.log().count(" new connection to server ")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: immediate shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def start_pgbouncer(*, pool_mode: PoolMode, pool_size: int = 20) -> PgBouncer:
    """PgBouncer on a free port of 127.0.0.1, passing every database of the test server through
    with `pool_mode`, at most `pool_size` server connections per database and user."""
    if not PGBOUNCER.exists():
        raise RuntimeError(f"{PGBOUNCER} is missing: run ./scripts/ensure-pgbouncer.sh")
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    port = _free_port()
    directory = Path(tempfile.mkdtemp(prefix=f"pgbouncer-{pool_mode}-"))
    # The server side authenticates as the test database does (trust here); clients are trusted
    # by PgBouncer, which still wants each user name listed in its auth_file.
    password = db.get("PASSWORD") or ""
    (directory / "users.txt").write_text(f'"{user}" "{password}"\n')
    server_password = f" password={password}" if password else ""
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={user}"
        f"{server_password}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {directory / 'users.txt'}\n"
        f"pool_mode = {pool_mode}\n"
        f"default_pool_size = {pool_size}\n"
        "max_client_conn = 500\n"
        # Clients send these at start-up; PgBouncer does not track them and would refuse them.
        "ignore_startup_parameters = extra_float_digits,options\n"
    )
    command = [str(PGBOUNCER), str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root (CI runs as root); -u drops to the postgres user,
        # which must then be able to read its files.
        shutil.chown(directory, user="postgres")
        for path in directory.iterdir():
            shutil.chown(path, user="postgres")
        command[1:1] = ["-u", "postgres"]
    # Without a logfile PgBouncer logs to stderr, into a file we opened (before -u drops root).
    with (directory / "pgbouncer.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    bouncer = PgBouncer(process=process, port=port, pool_mode=pool_mode, directory=directory)
    deadline = time.monotonic() + 10
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            output = bouncer.log()
            bouncer.stop()
            raise RuntimeError(f"pgbouncer did not start:\n{output}")
        time.sleep(0.05)  # polling a port that has nothing to notify us with
    return bouncer
