"""Where one task-list request's time goes, timed inside one process, one request at a time.

Run by the runner as `python -m bench.api.phases` with a variant's settings (and Strata's API
key in BENCH_API_KEY), after the timed pass; the runner keeps one per variant and asks them for
batches of requests in turn, so that both see the same state of the shared machine. It calls
Django's WSGI handler directly (no gunicorn, no socket) and wraps the stages of the request in
timers: DRF's dispatch and its authentication, permission and throttle checks, the filter
backends, the page (its queries and model instances), serialization and JSON rendering, plus
every SQL statement (an execute wrapper) and every Redis command (redis-py's execute_command).

It prints `BENCH-PHASES-READY` once warmed up, then for each line `N` on stdin
`BENCH-PHASES <json>`: nanoseconds per stage for each of N requests. summarise() turns them
into microseconds per request: the mean over the fastest 95% (a garbage collection or a
neighbour's burst does not move it).
"""

from __future__ import annotations

import functools
import io
import json
import os
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from time import perf_counter_ns
from typing import Any

PHASES_MARKER = "BENCH-PHASES "
READY_MARKER = "BENCH-PHASES-READY"
API_KEY_VARIABLE = "BENCH_API_KEY"
HOST = "acme.localhost"
PATH = "/api/v1/tasks/"
QUERY = "page_size=50"
WARMUP_REQUESTS = 100
KEPT_SHARE = 0.95

# What a request's stages are called in the JSON (the runner names them for the document).
TOTAL = "total"
DISPATCH = "dispatch"
AUTHENTICATION = "authentication"
PERMISSIONS = "permissions"
THROTTLE = "throttle"
FILTER = "filter"
PAGE = "page"
SERIALIZE = "serialize"
RENDER = "render"
SQL = "sql"
REDIS = "redis"
MEASURED = (
    TOTAL, DISPATCH, AUTHENTICATION, PERMISSIONS, THROTTLE, FILTER, PAGE, SERIALIZE, RENDER, SQL,
    REDIS,
)  # fmt: skip
# Derived: the handler outside DRF's view, and DRF's own work between the timed stages.
OUTSIDE_VIEW = "outside_view"
DRF_REST = "drf_rest"


def within(io: str, stage: str) -> str:
    """The key of the time spent in SQL or Redis (`io`) while in `stage`."""
    return f"{io}:{stage}"


class Timers:
    """Nanoseconds per stage for the request being served; the time in SQL statements and
    Redis commands is also booked to the innermost stage that sent them."""

    def __init__(self) -> None:
        self.current: defaultdict[str, int] = defaultdict(int)
        self.active: list[str] = []

    def _stage(self) -> str:
        if not self.active:
            return OUTSIDE_VIEW
        return DRF_REST if self.active[-1] == DISPATCH else self.active[-1]

    def wrap(self, owner: type, name: str, stage: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if stage == REDIS:
                booked = within(REDIS, self._stage())
            self.active.append(stage)
            start = perf_counter_ns()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = perf_counter_ns() - start
                self.active.pop()
                self.current[stage] += elapsed
                if stage == REDIS:
                    self.current[booked] += elapsed

        setattr(owner, name, timed)

    def sql(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: Mapping[str, Any],
    ) -> Any:
        booked = within(SQL, self._stage())
        start = perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = perf_counter_ns() - start
            self.current[SQL] += elapsed
            self.current[booked] += elapsed


def instrument(timers: Timers) -> None:
    import redis
    from rest_framework.generics import GenericAPIView
    from rest_framework.renderers import JSONRenderer
    from rest_framework.serializers import ListSerializer
    from rest_framework.views import APIView

    timers.wrap(APIView, "dispatch", DISPATCH)
    timers.wrap(APIView, "perform_authentication", AUTHENTICATION)
    timers.wrap(APIView, "check_permissions", PERMISSIONS)
    timers.wrap(APIView, "check_throttles", THROTTLE)
    timers.wrap(GenericAPIView, "filter_queryset", FILTER)
    timers.wrap(GenericAPIView, "paginate_queryset", PAGE)
    timers.wrap(ListSerializer, "to_representation", SERIALIZE)
    timers.wrap(JSONRenderer, "render", RENDER)
    timers.wrap(redis.Redis, "execute_command", REDIS)
    timers.wrap(redis.client.Pipeline, "execute", REDIS)  # one round trip for its commands


def environ(api_key: str | None) -> dict[str, Any]:
    """The request wrk sends: same host, path, query and headers."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": PATH,
        "QUERY_STRING": QUERY,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": HOST,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if api_key:
        env["HTTP_AUTHORIZATION"] = f"Bearer {api_key}"
    return env


def serve_one(application: Callable[..., Iterable[bytes]], api_key: str | None) -> None:
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        statuses.append(status)

    response = application(environ(api_key), start_response)
    try:
        body = b"".join(response)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    if not statuses or not statuses[0].startswith("200"):
        raise SystemExit(f"the task list answered {statuses[:1]}: {body[:300]!r}")


def serve(api_key: str | None) -> None:
    """Warm up, say so, then time as many requests as each line of stdin asks for."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    application = get_wsgi_application()
    for _ in range(WARMUP_REQUESTS):
        serve_one(application, api_key)
    timers = Timers()
    instrument(timers)
    print(READY_MARKER, flush=True)
    with connection.execute_wrapper(timers.sql):
        for line in sys.stdin:
            samples: list[dict[str, int]] = []
            for _ in range(int(line)):
                timers.current.clear()
                start = perf_counter_ns()
                serve_one(application, api_key)
                timers.current[TOTAL] = perf_counter_ns() - start
                samples.append(dict(timers.current))
            print(PHASES_MARKER + json.dumps(samples), flush=True)


def summarise(samples: list[dict[str, int]]) -> dict[str, float]:
    """Microseconds per stage: the mean over the fastest KEPT_SHARE of the requests."""
    ordered = sorted(samples, key=lambda sample: sample[TOTAL])
    kept = ordered[: max(1, int(len(ordered) * KEPT_SHARE))]
    keys = set(MEASURED).union(*kept)
    means = {key: statistics.fmean(sample.get(key, 0) for sample in kept) / 1e3 for key in keys}
    means[OUTSIDE_VIEW] = means[TOTAL] - means[DISPATCH] - means[RENDER]
    means[DRF_REST] = means[DISPATCH] - sum(
        means[stage] for stage in (AUTHENTICATION, PERMISSIONS, THROTTLE, FILTER, PAGE, SERIALIZE)
    )
    return means


def main() -> None:
    import django

    django.setup()
    serve(os.environ.get(API_KEY_VARIABLE) or None)


if __name__ == "__main__":
    main()
