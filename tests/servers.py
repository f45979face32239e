"""A real gunicorn serving the test database, for tests that need other processes or a browser."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# Short, so tests about cross-process staleness wait briefly; the mechanism is the same.
LIVE_SERVER_ROUTING_TTL = 1.0


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    mail_dir: Path  # the server delivers mail as files here (Django's file backend)
    media_dir: Path  # and keeps uploads here, removed when it stops

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def get(self, host: str, path: str = "/") -> tuple[int, str]:
        """GET `path` with `host` as the Host header (Python cannot resolve *.localhost)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Host": f"{host}:{self.port}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def last_mail_to(self, address: str) -> str:
        """The body of the newest message the server delivered to `address`."""
        # The file backend writes one file per delivery, messages separated by a line of dashes.
        for path in sorted(self.mail_dir.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
            for raw in reversed(path.read_text().split("\n" + "-" * 79 + "\n")):
                message = email.message_from_string(raw.strip(), policy=email.policy.default)
                if address in str(message.get("To", "")):
                    body = message.get_body(preferencelist=("plain",))
                    assert body is not None, f"no text part in the mail to {address}"
                    return str(body.get_content())
        raise AssertionError(f"the server sent no mail to {address}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.media_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def url_of_test_database() -> str:
    db = connection.settings_dict  # points at the test database once pytest-django set it up
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


def start_live_server(
    *, env: dict[str, str] | None = None, config_file: str | None = None, name: str = "live-server"
) -> LiveServer:
    """Gunicorn on a free port. `env` adds to or replaces the test settings' environment;
    `config_file` runs it with that gunicorn configuration, as the container does."""
    port = _free_port()
    log_dir = ROOT / "test-artifacts"
    log_dir.mkdir(exist_ok=True)
    log_path = log_dir / f"{name}.log"
    mail_dir = log_dir / f"live-server-mail-{port}"
    shutil.rmtree(mail_dir, ignore_errors=True)
    mail_dir.mkdir()
    media_dir = log_dir / f"live-server-media-{port}"  # uploads, away from var/media
    shutil.rmtree(media_dir, ignore_errors=True)
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url_of_test_database(),
        "REDIS_URL": str(settings.REDIS_URL),
        "STRATA_ROUTING_LOCAL_TTL": str(LIVE_SERVER_ROUTING_TTL),
        # Through Django's psycopg pool, as in production.
        "DATABASE_POOL": "true",
        "DATABASE_POOL_MIN_SIZE": "1",
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "STRATA_MEDIA_ROOT": str(media_dir),
        **(env or {}),
    }
    if config_file is None:
        options = ["--workers", "2", "--access-logfile", "-"]
    else:
        options = ["--config", config_file]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{port}",
                "config.wsgi:application",
            ],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = LiveServer(
        process=process, port=port, log_path=log_path, mail_dir=mail_dir, media_dir=media_dir
    )
    deadline = time.monotonic() + 30
    while not _answers(server):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"live server did not start:\n{server.log()}")
        time.sleep(0.1)  # polling a port that has nothing to notify us with
    return server


def _answers(server: LiveServer) -> bool:
    try:
        return server.get("127.0.0.1", "/healthz")[0] == 200
    except (urllib.error.URLError, ConnectionError):
        return False
