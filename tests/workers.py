"""Real Celery processes (worker, beat) against the test database and a real Redis broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.conf import settings

from config.celery import app as celery_app
from tenants.models import TaskCanaryReport
from tests.servers import ROOT, url_of_test_database


@dataclass
class CeleryProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    name: str = field(default="")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the process group: no shutdown, nothing acknowledged, nothing handed back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def celery_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url_of_test_database(),
        "TEST_REDIS_URL": str(settings.REDIS_URL),
        "TEST_CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        **extra,
    }


def _start(args: list[str], log_name: str, env: dict[str, str]) -> CeleryProcess:
    log_dir = ROOT / "test-artifacts"
    log_dir.mkdir(exist_ok=True)
    log_path = log_dir / log_name
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return CeleryProcess(process=process, log_path=log_path)


def start_worker(
    *, queues: str = "strata", concurrency: int = 2, visibility_timeout: int = 3600, **env: str
) -> CeleryProcess:
    """A prefork worker; returns once it says it is ready to consume."""
    suffix = uuid.uuid4().hex[:8]
    name = f"test-{suffix}@%h"
    worker = _start(
        [
            "worker", "--loglevel", "INFO", "--pool", "prefork",
            "--concurrency", str(concurrency), "--queues", queues, "--hostname", name,
            "--without-gossip", "--without-mingle",
        ],
        f"celery-worker-{queues}-{suffix}.log",
        celery_env(CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout), **env),
    )  # fmt: skip
    worker.name = name
    deadline = time.monotonic() + 60
    while " ready." not in worker.log():
        if worker.process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            raise RuntimeError(f"celery worker did not start:\n{worker.log()}")
        time.sleep(0.2)  # the worker announces readiness only in its log
    return worker


def start_beat(schedule_dir: Path, **env: str) -> CeleryProcess:
    return _start(
        ["beat", "--loglevel", "INFO", "--schedule", str(schedule_dir / "celerybeat-schedule")],
        "celery-beat.log",
        celery_env(**env),
    )


def empty_the_broker() -> None:
    redis.Redis.from_url(str(settings.CELERY_BROKER_URL)).flushdb()


@contextmanager
def publishing_to_the_broker() -> Iterator[None]:
    """Publish to Redis for a worker, instead of running tasks in this process."""
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = True


def canary_reports(token: str, kind: str = TaskCanaryReport.Kind.EFFECT) -> list[TaskCanaryReport]:
    return list(TaskCanaryReport.objects.filter(token=token, kind=kind).order_by("pk"))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # workers report through the database; nothing to subscribe to
