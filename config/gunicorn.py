"""Gunicorn in the container: `gunicorn --config config/gunicorn.py config.wsgi:application`.

Sizes come from the environment so the Helm chart can set them per deployment. Strata writes
its own line per request (tenants.observability), so gunicorn's access log is off and its own
messages are JSON lines like everything else.
"""

from __future__ import annotations

from pathlib import Path

from config.env import env_int, env_str

bind = f"0.0.0.0:{env_int('PORT', 8000)}"
# Processes, each with a few threads: requests mostly wait on PostgreSQL and Redis.
workers = env_int("WEB_CONCURRENCY", 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)
worker_class = "gthread"
# A process whose heartbeat stops for this long is replaced (with threads this catches a hung
# process, not one slow request). On SIGTERM, requests in flight get graceful_timeout to finish
# (the pod's grace period is longer still).
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = 5
# The application is loaded once, in the master, and each worker is a fork of it: a worker
# starts serving in milliseconds instead of importing Django and every app again (seconds of
# CPU taken from the workers still serving), so recycling one costs its neighbours nothing.
preload_app = True
# Recycle processes now and then, so slow leaks cannot grow without bound; the jitter keeps them
# from restarting together. (PostgreSQL's catalog caches are bounded per connection by
# DATABASE_SCHEMAS_PER_CONNECTION, not by this.)
max_requests = env_int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = max_requests // 10
# The root file system is read-only in the container; heartbeat files go to shared memory.
_shm = Path("/dev/shm")  # noqa: S108  (a tmpfs in every container, not a shared temp dir)
worker_tmp_dir = str(_shm) if _shm.is_dir() else None
# The ingress terminates TLS and says so in X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = "*"
# gunicorn's control socket would be made under $HOME, on the read-only root file system; the
# orchestrator restarts and scales pods, nobody runs gunicornc inside one.
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = env_str("LOG_LEVEL", default="info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "tenants.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}
    },
}


def when_ready(server: object) -> None:
    """Before the first worker is forked: refuse to start behind a pooler that hands sessions to
    other clients between transactions (exit status 1, one line in the log), then close any
    database connection made while loading the application, so that no worker inherits the
    master's. Loading opens none today; this keeps it so."""
    import logging

    from django.db import connections

    from tenants.connections import close_before_fork, exit_if_pooled_per_transaction

    exit_if_pooled_per_transaction(logging.getLogger("gunicorn.error"))
    close_before_fork(connections.all(initialized_only=True))
