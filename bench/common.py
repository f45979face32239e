"""What the benchmark runners share: running commands, throwaway databases, describing the
machine, and rewriting one section of docs/performance.md while keeping the others.

Runners import this without Django: they drive Django in child processes of their own.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
DOC_WIDTH = 100

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# Signs nothing that outlives the run.
THROWAWAY_DJANGO_KEY = "bench-only-insecure-key"
# Variables that Strata's settings (or a benchmark) read: reset for every child process, so a
# developer's shell cannot change what is measured.
OWN_VARIABLES = ("DJANGO_", "DATABASE_", "REDIS_", "STRATA_", "BENCH_", "CELERY_")
# Databases a benchmark must never create or drop, whatever it is told.
PROTECTED_DATABASES = frozenset({"strata", "strata_test", "postgres", "template0", "template1"})

_TITLE = """# Performance

Measurements of Strata on one machine: what a part of the request path costs and whether it
meets its target. Each section says how it was measured and how to reproduce it; numbers from
different machines do not compare.

"""


class BenchError(RuntimeError):
    pass


def say(message: str, *, end: str = "\n") -> None:
    print(message, end=end, flush=True)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def run(args: Sequence[str], *, timeout: float, env: dict[str, str] | None = None) -> str:
    """Run a command to completion within `timeout`; its output, or BenchError with it."""
    try:
        done = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(args)} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(args)} exited with {done.returncode}:\n{tail(done.stdout + done.stderr)}"
        )
    return done.stdout


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return value


def server_url() -> str:
    """The PostgreSQL server to create benchmark databases on (DATABASE_URL's, if set)."""
    return os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL


def database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without the variables Strata or a benchmark read, plus
    `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(OWN_VARIABLES)}
    env.update(DJANGO_SECRET_KEY=THROWAWAY_DJANGO_KEY, **settings)
    return env


# --- Databases -------------------------------------------------------------------------------

Connection = psycopg.Connection[tuple[Any, ...]]


def admin_connection(server: str) -> Connection:
    return psycopg.connect(server, autocommit=True, connect_timeout=5)


def _refuse_protected(name: str) -> None:
    if name in PROTECTED_DATABASES or not name.startswith("strata_bench_"):
        raise BenchError(f"refusing to create or drop the database {name}: not a bench database")


def drop_database(admin: Connection, name: str) -> None:
    _refuse_protected(name)
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    )
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def create_database(admin: Connection, name: str) -> None:
    """A new, empty database `name`, dropping one left over by an earlier run first."""
    drop_database(admin, name)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_version(admin: Connection) -> str:
    row = admin.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


# --- The machine -----------------------------------------------------------------------------


def machine() -> str:
    """Cores, CPU model, memory and kernel, in one line."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text()
    memory = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    gib = int(memory[1]) / 2**20 if memory else 0.0
    return (
        f"{os.cpu_count()} cores ({model[1].strip() if model else 'unknown CPU'}), "
        f"{gib:.1f} GiB RAM, Linux {platform.release()}"
    )


def python_version() -> str:
    return platform.python_version()


# --- The document ----------------------------------------------------------------------------


def paragraph(text: str, *, first: str = "", rest: str = "") -> list[str]:
    """`text` wrapped for the document, never breaking a word or a hyphenated name."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=DOC_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def bullet(text: str) -> list[str]:
    return paragraph(text, first="- ", rest="  ")


def numbered(number: int, text: str) -> list[str]:
    return paragraph(text, first=f"{number}. ", rest="   ")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def met(flag: bool) -> str:
    return "met" if flag else "**not met**"


def write_section(heading: str, section: str) -> None:
    """Replace the `## {heading}` section of docs/performance.md (appending it if missing),
    keeping every other section as it is."""
    text = DOC.read_text() if DOC.exists() else _TITLE
    start = text.find(f"\n## {heading}\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + 1)
        rest = "" if following == -1 else "\n" + text[following + 1 :]
        text = text[: start + 1] + section + rest
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
