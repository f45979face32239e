"""The load of bench/load: one locust user per quiet workspace, and a few users that together are
the noisy workspace.

Run by the runner as `locust -f bench/load/locustfile.py --headless ...` with BENCH_LOAD_PLAN
naming the plan it wrote (workspaces and credentials from bench/load/seed.py, rates, the noisy
windows, where to write the records). Pacing is open-model: each user sends at a fixed rate
(`constant_throughput`) whatever the answers, far slower than its answers come back, so the
rates hold while the server slows down.

Every request is recorded through locust's request event: when it started, which group sent it,
the endpoint's name (bench/load/mix.py), the status (0: no HTTP answer) and the latency. The
records go to the plan's `records` file when the test stops; the runner judges them.

locust patches the standard library with gevent: time.sleep lets the other users run.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant_throughput, events, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # locust puts only this file's folder on sys.path
    sys.path.insert(0, str(ROOT))

from bench.load import mix  # noqa: E402 - needs ROOT on sys.path first

PLAN_VARIABLE = "BENCH_LOAD_PLAN"
PLAN: dict[str, Any] = json.loads(Path(os.environ[PLAN_VARIABLE]).read_text())
# How many 429 bodies are read to check their format (reading all would cost the generator).
CHECKED_BODIES = 20

# (start time, group, endpoint, status, latency ms, error class or "").
Record = tuple[float, str, str, int, float, str]
RECORDS: list[Record] = []
CHECKS = {"noisy_429": 0, "without_retry_after": 0, "bodies_checked": 0, "bad_bodies": 0}

_quiet_numbers = itertools.count()
_noisy_numbers = itertools.count()


def _headers(tenant: dict[str, Any], number: int) -> dict[str, str]:
    """What the ingress forwards: the workspace's host, TLS terminated, the client's address.
    Each request on a connection of its own: gunicorn leaves it to the kernel which worker
    accepts a connection and keeps a kept-alive one on that worker, so a user's one connection,
    kept alive for the whole run, pins its workspace to one worker process; after a worker
    was recycled every connection sat on the other one (one process, one core: seconds of
    queueing). A new connection per request spreads the load as the kernel spreads accepts."""
    return {
        "Host": tenant["host"],
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": f"198.51.100.{number % 250 + 1}",
        "Connection": "close",
    }


def _record(
    *,
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any,
    context: dict[str, Any],
    exception: BaseException | None,
    start_time: float,
    **kwargs: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    group = str(context.get("group", "?"))
    error = "" if exception is None or status else type(exception).__name__
    RECORDS.append((start_time, group, name, status, response_time, error))
    if group == mix.NOISY and status == 429:
        _check_refusal(response)


# locust's EventHook.add_listener carries no annotations.
events.request.add_listener(_record)  # type: ignore[no-untyped-call]


def _check_refusal(response: Any) -> None:
    """A 429 says when to come back (Retry-After, whole seconds within the minute) and keeps
    DRF's error body ({"detail": ...})."""
    CHECKS["noisy_429"] += 1
    retry_after = str(response.headers.get("Retry-After") or "")
    if not (retry_after.isdigit() and 1 <= int(retry_after) <= 60):
        CHECKS["without_retry_after"] += 1
    if CHECKS["bodies_checked"] < CHECKED_BODIES:
        CHECKS["bodies_checked"] += 1
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if not (isinstance(body, dict) and isinstance(body.get("detail"), str)):
            CHECKS["bad_bodies"] += 1


def _write_records(environment: Environment, **kwargs: Any) -> None:
    Path(PLAN["records"]).write_text(json.dumps({"records": RECORDS, "checks": CHECKS}))


events.test_stop.add_listener(_write_records)  # type: ignore[no-untyped-call]


class QuietWorkspace(FastHttpUser):
    """One quiet workspace: mix.CYCLE over and over, at `quiet_rate` requests a second."""

    fixed_count = len(PLAN["quiet"])
    wait_time = constant_throughput(PLAN["quiet_rate"])
    host = PLAN["base_url"]
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        number = next(_quiet_numbers)
        self.tenant: dict[str, Any] = PLAN["quiet"][number]
        base = _headers(self.tenant, number)
        self.api = {**base, "Authorization": f"Bearer {self.tenant['api_key']}"}
        self.page = {**base, "Cookie": f"{PLAN['session_cookie']}={self.tenant['session']}"}
        self.step = 0
        self.reads = itertools.cycle(self.tenant["tasks"])
        # The task made by the last create, and its version, for the update that follows.
        self.created: tuple[str, int] | None = None
        # Users start spread over one interval, so the workspaces do not send in step.
        time.sleep(random.uniform(0, 1 / PLAN["quiet_rate"]))  # noqa: S311 - not security

    def context(self) -> dict[str, Any]:
        return {"group": mix.QUIET}

    @task
    def next_request(self) -> None:
        endpoint = mix.CYCLE[self.step % len(mix.CYCLE)]
        self.step += 1
        client = self.client
        key = self.tenant["project_key"]
        if endpoint is mix.LIST:
            client.get(
                f"/api/v1/tasks/?page_size={mix.PAGE_SIZE}", headers=self.api, name=endpoint.name
            )
        elif endpoint is mix.DETAIL:
            client.get(
                f"/api/v1/tasks/{next(self.reads)['id']}/", headers=self.api, name=endpoint.name
            )
        elif endpoint is mix.CREATE:
            self.created = None
            response = client.post(
                "/api/v1/tasks/",
                json={
                    "project": self.tenant["project_id"],
                    "title": f"Load task {self.step}",
                    "description": "Made by bench/load.",
                    "priority": "medium",
                    "labels": ["ops"],
                },
                headers=self.api,
                name=endpoint.name,
            )
            if response.status_code == endpoint.expected:
                made = response.json()
                self.created = (str(made["id"]), int(made["version"]))
        elif endpoint is mix.UPDATE:
            if self.created is None:
                return  # the create failed (recorded as such): nothing to complete
            task_id, version = self.created
            self.created = None
            client.patch(
                f"/api/v1/tasks/{task_id}/",
                json={"expected_version": version, "status": "done"},
                headers=self.api,
                name=endpoint.name,
            )
        elif endpoint is mix.BOARD:
            self._page(f"/projects/{key}/board/", endpoint)
        elif endpoint is mix.TASK_PAGE:
            self._page(f"/projects/{key}/{next(self.reads)['number']}/", endpoint)
        elif endpoint is mix.HOME:
            self._page("/", endpoint)
        else:  # pragma: no cover - mix.CYCLE holds only the endpoints above
            raise AssertionError(endpoint)

    def _page(self, path: str, endpoint: mix.Endpoint) -> None:
        # A lost session answers 302 to the sign-in page: a failure, not a page to follow.
        self.client.get(path, headers=self.page, name=endpoint.name, allow_redirects=False)


class NoisyWorkspace(FastHttpUser):
    """Together, the noisy workspace: `noisy_rate` task lists a second (its plan allows a tenth
    of that), inside the noisy windows only."""

    fixed_count = int(PLAN["noisy_users"])
    wait_time = constant_throughput(PLAN["noisy_rate"] / PLAN["noisy_users"])
    host = PLAN["base_url"]
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        number = next(_noisy_numbers)
        tenant = PLAN["noisy"]
        self.api = {
            **_headers(tenant, 250),
            "Authorization": f"Bearer {tenant['api_key']}",
        }
        # Each user its own slot in the interval, so together they send evenly.
        self.offset = number / PLAN["noisy_rate"]

    def context(self) -> dict[str, Any]:
        return {"group": mix.NOISY}

    @task
    def list_tasks(self) -> None:
        now = time.time()
        upcoming = [(start, end) for start, end in PLAN["noisy_windows"] if end > now]
        if not upcoming:
            time.sleep(1.0)
            return
        start, _end = upcoming[0]
        if now < start:
            time.sleep(start - now + self.offset)
            return
        self.client.get(
            f"/api/v1/tasks/?page_size={mix.PAGE_SIZE}",
            headers=self.api,
            name=mix.NOISY_ENDPOINT.name,
        )
