"""The runner's own requests to the server, outside locust: each request of the mix checked once
before the load, and what each costs the server's processes in CPU, one at a time after it.

Plain Python (http.client): no Django, no locust.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bench.common import BenchError
from bench.load import mix

NOT_A_MEMBER_REDIRECT = 302


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One keep-alive connection to the server, sending what the ingress would forward."""

    def __init__(self, port: int, plan: dict[str, Any]) -> None:
        self.port = port
        self.cookie = str(plan["session_cookie"])
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def close(self) -> None:
        self.connection.close()

    def ask(
        self,
        tenant: dict[str, Any],
        method: str,
        path: str,
        *,
        key: bool = False,
        page: bool = False,
        body: dict[str, Any] | None = None,
    ) -> Answer:
        """`key`: with the workspace's API key; `page`: with its member's session."""
        headers = {"Host": tenant["host"], "X-Forwarded-Proto": "https"}
        if key:
            headers["Authorization"] = f"Bearer {tenant['api_key']}"
        if page:
            headers["Cookie"] = f"{self.cookie}={tenant['session']}"
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        except (OSError, http.client.HTTPException):
            # The server closed an idle connection (keep-alive is 5 s): once more on a new one.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            return Answer(response.status, response.headers, response.read())


def list_path() -> str:
    return f"/api/v1/tasks/?page_size={mix.PAGE_SIZE}"


def new_task(tenant: dict[str, Any], title: str) -> dict[str, Any]:
    return {"project": tenant["project_id"], "title": title, "labels": ["ops"]}


def check_requests(client: Client, plan: dict[str, Any], tasks: int) -> None:
    """Each request of the mix, once, as locust sends it: the right status and content, for the
    right workspace, and nothing for another one. BenchError on anything else."""
    tenant, other = plan["quiet"][0], plan["quiet"][-1]
    key, number = tenant["project_key"], tenant["tasks"][0]["number"]
    problems: list[str] = []

    def expect(what: str, answer: Answer, status: int, needle: bytes = b"") -> None:
        if answer.status != status or needle not in answer.body:
            problems.append(f"{what}: {answer.status} {answer.body[:200]!r}")

    listed = client.ask(tenant, "GET", list_path(), key=True)
    expect("task list", listed, 200)
    if listed.status == 200:
        data = listed.json()
        count = int(data.get("count") or 0)
        if count < tasks or len(data.get("results", [])) != min(mix.PAGE_SIZE, count):
            problems.append(f"task list: count {count}, {len(data.get('results', []))} results")
    task_path = f"/api/v1/tasks/{tenant['tasks'][0]['id']}/"
    expect("task", client.ask(tenant, "GET", task_path, key=True), 200)
    made = client.ask(tenant, "POST", "/api/v1/tasks/", key=True, body=new_task(tenant, "Check"))
    expect("create", made, 201, b'"version":1')
    if made.status == 201:
        path = f"/api/v1/tasks/{made.json()['id']}/"
        done = {"expected_version": 1, "status": "done"}
        expect("update", client.ask(tenant, "PATCH", path, key=True, body=done), 200)
        stale = client.ask(tenant, "PATCH", path, key=True, body=done)
        expect("update with a stale version", stale, 409, b"version_conflict")
    board = client.ask(tenant, "GET", f"/projects/{key}/board/", page=True)
    expect("board", board, 200, key.encode())
    task_page = client.ask(tenant, "GET", f"/projects/{key}/{number}/", page=True)
    expect("task page", task_page, 200, f"{key}-{number}".encode())
    expect("workspace home", client.ask(tenant, "GET", "/", page=True), 200)
    # A session is worth nothing on another workspace's host, and a key neither.
    elsewhere = {**other, "session": tenant["session"], "api_key": tenant["api_key"]}
    expect(
        "a session on another host",
        client.ask(elsewhere, "GET", "/", page=True),
        NOT_A_MEMBER_REDIRECT,
    )
    expect("a key on another host", client.ask(elsewhere, "GET", list_path(), key=True), 401)
    if problems:
        raise BenchError(
            "the server did not answer the mix as expected:\n  " + "\n  ".join(problems)
        )


# --- What a request costs --------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    name: str
    requests: int
    # CPU of the server's processes (gunicorn's master and workers) per request, and the time
    # the client waited for each, one request at a time.
    cpu_ms: float
    wall_ms: float


REFUSAL = "GET /api/v1/tasks/ past the budget (429)"


class ServerMeter(Protocol):
    def server(self) -> float:
        """CPU seconds of the server's processes so far."""

    def workers(self) -> frozenset[int]:
        """The server's worker processes now."""


TRIES = 3


def _timed(meter: ServerMeter, clock: Callable[[], float], name: str, count: int,
           batch: Callable[[], None]) -> Cost:  # fmt: skip
    """`batch` of `count` requests, timed; again if gunicorn recycled a worker meanwhile (the
    new worker's start-up would count as the requests' CPU)."""
    for _ in range(TRIES):
        workers, cpu, started = meter.workers(), meter.server(), clock()
        batch()
        if meter.workers() == workers:
            return Cost(
                name,
                count,
                (meter.server() - cpu) * 1000 / count,
                (clock() - started) * 1000 / count,
            )
    raise BenchError(f"gunicorn recycled a worker during each of {TRIES} tries to cost {name}")


def measure_costs(
    client: Client,
    *,
    plan: dict[str, Any],
    meter: ServerMeter,
    clock: Callable[[], float],
    requests: int,
    progress: Callable[[Cost], None],
) -> list[Cost]:
    """Each endpoint of the mix `requests` times in a row (each on a quiet workspace of its own,
    well inside its budget), then the noisy workspace's refusals: its burst spent first, then
    `requests` * 5 task lists past its rate. `progress` hears of each cost as it is taken."""
    tenants = plan["quiet"]
    # The tasks the creates made, with their versions, for the updates.
    created: dict[str, int] = {}

    def send(endpoint: mix.Endpoint, tenant: dict[str, Any], turn: int) -> Answer:
        if endpoint is mix.CREATE:
            made = client.ask(
                tenant, "POST", "/api/v1/tasks/", key=True, body=new_task(tenant, f"Cost {turn}")
            )
            if made.status == endpoint.expected:
                created[made.json()["id"]] = 1
            return made
        if endpoint is mix.UPDATE:
            task_id = list(created)[turn % len(created)]
            status = "done" if created[task_id] % 2 else "in_progress"
            body = {"expected_version": created[task_id], "status": status}
            updated = client.ask(tenant, "PATCH", f"/api/v1/tasks/{task_id}/", key=True, body=body)
            if updated.status == endpoint.expected:
                created[task_id] += 1
            return updated
        project, read = tenant["project_key"], tenant["tasks"][turn % len(tenant["tasks"])]
        gets = {  # the path, and whether the API key (else the session) goes with it
            mix.LIST: (list_path(), True),
            mix.DETAIL: (f"/api/v1/tasks/{read['id']}/", True),
            mix.BOARD: (f"/projects/{project}/board/", False),
            mix.TASK_PAGE: (f"/projects/{project}/{read['number']}/", False),
            mix.HOME: ("/", False),
        }
        path, with_key = gets[endpoint]
        return client.ask(tenant, "GET", path, key=with_key, page=not with_key)

    costs = []
    # CREATE before UPDATE, on the same workspace: the updates change the tasks it made.
    tenant_of = {
        endpoint: tenants[(position + 1) % len(tenants)]
        for position, endpoint in enumerate(mix.ENDPOINTS)
    }
    tenant_of[mix.UPDATE] = tenant_of[mix.CREATE]
    for endpoint in mix.ENDPOINTS:
        tenant = tenant_of[endpoint]
        send(endpoint, tenant, 0)  # this process may not have served it yet
        if endpoint.kind in {mix.API_READ, mix.API_WRITE}:
            _wait_for_a_full_bucket(tenant, requests)

        def batch(endpoint: mix.Endpoint = endpoint, tenant: dict[str, Any] = tenant) -> None:
            for turn in range(requests):
                answer = send(endpoint, tenant, turn)
                if answer.status != endpoint.expected:
                    raise BenchError(f"{endpoint.name} answered {answer.status} while costed")

        costs.append(_timed(meter, clock, endpoint.name, requests, batch))
        progress(costs[-1])
    served = next(cost for cost in costs if cost.name == mix.LIST.name)
    costs.append(
        _refusal_cost(client, plan["noisy"], meter, clock, refusals=requests * 5, served=served)
    )
    progress(costs[-1])
    return costs


def _wait_for_a_full_bucket(tenant: dict[str, Any], count: int) -> None:
    """`count` API requests in a row must fit in the workspace's bucket, or some would be
    refused while costed: wait until it is full again (Pro: 100 requests in 10 s)."""
    burst, rate = int(tenant["plan_burst"]), int(tenant["plan_requests_per_minute"])
    if count > burst:
        raise BenchError(f"{count} requests in a row exceed the plan's burst of {burst}")
    time.sleep(burst * 60 / rate)


def _refusal_cost(
    client: Client,
    noisy: dict[str, Any],
    meter: ServerMeter,
    clock: Callable[[], float],
    *,
    refusals: int,
    served: Cost,
) -> Cost:
    """What a refusal costs: the noisy workspace's burst spent first, then `refusals` task lists
    in a row. Its bucket refills while they are sent (Pro: a request every 100 ms), so a few of
    them are served; their cost, a task list's as just measured (`served`), is taken out."""
    budget = int(noisy["plan_requests_per_minute"])
    for _ in range(budget + 1):
        if client.ask(noisy, "GET", list_path(), key=True).status == 429:
            break
    else:
        raise BenchError(f"the noisy workspace got no 429 in {budget + 1} task lists")
    statuses: list[int] = []

    def batch() -> None:
        statuses[:] = [
            client.ask(noisy, "GET", list_path(), key=True).status for _ in range(refusals)
        ]
        if not set(statuses) <= {200, 429} or statuses.count(429) < refusals // 2:
            raise BenchError(f"the noisy workspace's task lists answered {sorted(set(statuses))}")

    total = _timed(meter, clock, REFUSAL, refusals, batch)
    allowed = statuses.count(200)
    refused = refusals - allowed
    return Cost(
        REFUSAL,
        refused,
        (total.cpu_ms * refusals - allowed * served.cpu_ms) / refused,
        (total.wall_ms * refusals - allowed * served.wall_ms) / refused,
    )
