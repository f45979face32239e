"""Faults: PostgreSQL or Redis stopped under a real gunicorn, Celery workers killed mid-run.

The servers stopped here are private ones (tests/private_services.py), started for this module
with a copy of the test database: the shared PostgreSQL and Redis keep serving everyone else.
Timings are printed (pytest -s) for docs/reliability.md, never asserted, except that no request
may hang past the client's timeout.
"""

from __future__ import annotations

import functools
import http.client
import json
import math
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from pytest_django import DjangoDbBlocker

from tenants.context import tenant_context
from tenants.models import TaskCanaryReport, Tenant
from tenants.tasks import tenant_canary
from tests.conftest import PASSWORD, World
from tests.private_services import (
    PrivatePostgres,
    PrivateRedis,
    start_private_postgres,
    start_private_redis,
)
from tests.reliability.conftest import sized
from tests.servers import ROOT, LiveServer, start_live_server, url_of_test_database
from tests.workers import (
    canary_reports,
    empty_the_broker,
    publishing_to_the_broker,
    start_worker,
    wait_for,
)

# A request still unanswered after this long is a hang, whatever the outage.
CLIENT_TIMEOUT = 30.0
DATABASE = "strata"


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no HTTP answer at all (`error` says why)
    headers: dict[str, str]
    body: str
    started: float  # time.monotonic()
    seconds: float
    error: str = ""

    @property
    def finished(self) -> float:
        return self.started + self.seconds

    def json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body)
        return data


@dataclass
class Browser:
    """HTTP on one host of the live server, keeping its cookies (Python cannot resolve
    *.localhost, so the Host header names it)."""

    server: LiveServer
    host: str
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"Host": f"{self.host}:{self.server.port}", **self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=CLIENT_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            return Answer(0, {}, "", started, time.monotonic() - started, repr(exc))
        finally:
            conn.close()
        seconds = time.monotonic() - started
        for raw in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        headers_ = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers_, text, started, seconds)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_json(self, path: str, data: dict[str, object]) -> Answer:
        return self.request(
            "POST",
            path,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
        )

    def post_form(self, path: str, data: dict[str, str]) -> Answer:
        form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        return self.request(
            "POST",
            path,
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def sign_in(self, email: str) -> Answer:
        page = self.get("/accounts/login/")
        assert page.status == 200, page
        return self.post_form("/accounts/login/", {"login": email, "password": PASSWORD})


@dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    server: LiveServer
    tenant_host: str
    tenant_schema: str
    api_key: str

    def api(self) -> Browser:
        return Browser(
            self.server, self.tenant_host, headers={"Authorization": f"Bearer {self.api_key}"}
        )


def _issue_api_key(env: dict[str, str], slug: str, owner_email: str) -> str:
    """A read-write API key of the tenant, made in the private database by the product's own
    service (a separate process: this one's Django is on the test database)."""
    code = (
        "from tenants.models import Tenant\n"
        "from tenants.context import tenant_context\n"
        "from shared_apps.accounts.models import User\n"
        "from tenant_apps.api_access.models import Scope\n"
        "from tenant_apps.api_access.services import api_key_create\n"
        f"tenant = Tenant.objects.get(slug={slug!r})\n"
        f"owner = User.objects.get(email={owner_email!r})\n"
        "with tenant_context(tenant):\n"
        "    issued = api_key_create(tenant=tenant, name='faults', scope=Scope.READ_WRITE,"
        " expires_at=None, actor=owner)\n"
        "print(issued.plaintext)\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def stack(world: World, django_db_blocker: DjangoDbBlocker) -> Iterator[Stack]:
    """A private PostgreSQL (a copy of the test database) and Redis, and gunicorn on them with
    the container's configuration. Everything is stopped at the end, whatever happened."""
    import os

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(pk=world.tenant_id)
        source = url_of_test_database()
    postgres = start_private_postgres()
    redis_server: PrivateRedis | None = None
    server: LiveServer | None = None
    try:
        postgres.copy_database(source_url=source, name=DATABASE)
        redis_server = start_private_redis()
        env = {
            "DATABASE_URL": postgres.url(DATABASE),
            # The test settings read Redis and the broker from these.
            "TEST_REDIS_URL": redis_server.url(0),
            "TEST_CELERY_BROKER_URL": redis_server.url(1),
            # Published to the broker, as in production, not run inside the request.
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # The load is ours; the API budget is tested elsewhere.
            "STRATA_API_REQUESTS_PER_MINUTE": "1000000",
        }
        api_key = _issue_api_key(
            {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
            tenant.slug,
            "alice@acme.test",
        )
        server = start_live_server(
            env={**env, "DATABASE_POOL": "true"},
            config_file=str(ROOT / "config" / "gunicorn.py"),
            name="faults-server",
        )
        yield Stack(
            postgres=postgres,
            redis=redis_server,
            server=server,
            tenant_host=f"{tenant.slug}.localhost",
            tenant_schema=tenant.schema_name,
            api_key=api_key,
        )
    finally:
        if server is not None:
            server.stop()
        if redis_server is not None:
            redis_server.destroy()
        postgres.destroy()


def _project_key() -> str:
    return "F" + uuid.uuid4().hex[:6].upper().replace("0", "Z")


def _ensure_up(stack: Stack) -> None:
    """Each test starts with both servers running, whatever the one before did."""
    if not stack.postgres.is_running():
        stack.postgres.start()
    if stack.redis.process is None:
        stack.redis.start()
    # And with the web processes serving again: after an outage each process finds out for
    # itself (its breaker, its pool reconnecting), so one page served proves little. Ten in a
    # row, each on a new connection, so that both workers answer.
    served = [0]

    def serving() -> bool:
        ok = Browser(stack.server, stack.tenant_host).get("/accounts/login/").status == 200
        served[0] = served[0] + 1 if ok else 0
        return served[0] >= 10

    wait_for(serving, "the web processes to serve again", timeout=60)


# --- PostgreSQL stopped under load ------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    kind: str  # "write", "api read", "page read"
    answer: Answer
    title: str = ""


class Load:
    """Client threads sending a steady load until stopped, recording every answer."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def run(self, kind: str, send: Callable[[int], Sent], pause: float = 0.02) -> None:
        def loop() -> None:
            n = 0
            while not self._stop.is_set():
                outcome = send(n)
                with self._lock:
                    self.sent.append(outcome)
                n += 1
                self._stop.wait(pause)  # a steady load, not a flood of two cores

        thread = threading.Thread(target=loop, name=f"load-{kind}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)

    def answers(self) -> list[Sent]:
        with self._lock:
            return list(self.sent)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def test_postgresql_stopped_under_load_gets_503s_then_recovers_and_keeps_every_acknowledged_write(
    stack: Stack,
) -> None:
    _ensure_up(stack)
    outage_seconds = sized(6, 60)
    api = stack.api()
    project = api.post_json("/api/v1/projects/", {"name": "Faults", "key": _project_key()})
    assert project.status == 201, project
    project_id = str(project.json()["id"])
    person = Browser(stack.server, stack.tenant_host)
    assert person.sign_in("alice@acme.test").status == 302
    assert person.get("/").status == 200
    token = uuid.uuid4().hex[:8]

    def write(writer: str, n: int) -> Sent:
        title = f"faults {token} {writer}-{n}"
        answer = api.post_json("/api/v1/tasks/", {"project": project_id, "title": title})
        return Sent("write", answer, title)

    load = Load()
    for writer in ("a", "b"):
        load.run("write", functools.partial(write, writer))
    load.run("api read", lambda n: Sent("api read", api.get("/api/v1/tasks/?ordering=-created_at")))
    load.run("page read", lambda n: Sent("page read", person.get("/")))
    try:
        time.sleep(sized(2, 10))  # the load before the outage
        stack.postgres.stop()
        down_at = time.monotonic()
        time.sleep(outage_seconds / 2)
        ready_while_down = Browser(stack.server, "127.0.0.1").get("/readyz")
        time.sleep(outage_seconds / 2)
        restarting_at = time.monotonic()
        stack.postgres.start()
        up_at = time.monotonic()

        # Until every kind of request has succeeded again, then a little longer.
        def recovered() -> bool:
            after = [s for s in load.answers() if s.answer.started >= up_at]
            return all(
                any(s.kind == kind and s.answer.status in (200, 201) for s in after)
                for kind in ("write", "api read", "page read")
            )

        wait_for(recovered, "requests to succeed again after the restart", timeout=120)
        time.sleep(sized(2, 10))
    finally:
        load.stop()
        _ensure_up(stack)
    ready_after = Browser(stack.server, "127.0.0.1").get("/readyz")

    sent = load.answers()
    statuses = Counter(s.answer.status for s in sent)
    unanswered = [s.answer.error for s in sent if s.answer.status == 0]
    # Sent while it was down. One still waiting for a connection when the restart began may
    # get it and succeed; any answered before then must be a 503.
    during = [s for s in sent if down_at <= s.answer.started < restarting_at]
    answered_down = [s for s in during if s.answer.finished <= restarting_at]
    after = [s for s in sent if s.answer.started >= up_at]
    first_success = min(
        (s.answer.finished for s in after if s.answer.status in (200, 201)), default=math.nan
    )
    last_failure = max((s.answer.finished for s in after if s.answer.status == 503), default=up_at)
    writes = [s for s in sent if s.kind == "write"]
    acknowledged = {s.title: str(s.answer.json()["id"]) for s in writes if s.answer.status == 201}
    refused = {s.title for s in writes if s.answer.status != 201}
    stored, unaudited = _tasks_stored(stack, f"faults {token} %")

    latency = [s.answer.seconds * 1000 for s in during if s.answer.status == 503]
    print(  # noqa: T201  (the figures docs/reliability.md records)
        f"\nPostgreSQL stopped for {outage_seconds} s under load: {len(sent)} requests "
        f"{statuses}; {len(during)} sent while it was down, "
        f"{sum(1 for s in during if s.answer.status == 503)} of them answered 503; their latency "
        f"p50 {_percentile(latency, 0.5):.0f} ms, p95 {_percentile(latency, 0.95):.0f} ms, "
        f"max {max(latency, default=0):.0f} ms; the restart took {up_at - restarting_at:.1f} s, "
        f"first success {first_success - up_at:.2f} s after it, last 503 "
        f"{last_failure - up_at:.2f} s after it; {len(acknowledged)} acknowledged writes "
        f"checked; {len(refused)} refused, {len(refused & set(stored))} of them stored"
    )

    assert not unanswered, unanswered[:5]  # no hang past the client's timeout, no reset
    assert set(statuses) <= {200, 201, 503}, statuses  # never a 500
    assert answered_down
    assert [s for s in answered_down if s.answer.status != 503] == []
    for s in during:
        if s.answer.status != 503:
            continue
        assert s.answer.headers.get("retry-after"), s
        if s.kind == "page read":
            assert "text/html" in s.answer.headers["content-type"]
            assert "briefly unavailable" in s.answer.body
        else:
            assert s.answer.json()["code"] == "database_unavailable"
    assert ready_while_down.status == 503
    assert "failing" in ready_while_down.body
    assert ready_after.status == 200
    # Recovered on its own: everything after the last 503 succeeded.
    late = [s for s in sent if s.answer.started > last_failure]
    assert [s for s in late if s.answer.status not in (200, 201)] == []
    # Every acknowledged write is there, under the id it was acknowledged with ...
    assert {title: stored.get(title) for title in acknowledged} == acknowledged
    # ... and every task stored, acknowledged or not, is whole: its audit entry committed with it.
    assert unaudited == []


def _tasks_stored(stack: Stack, title_pattern: str) -> tuple[dict[str, str], list[str]]:
    """The tenant's tasks whose title matches, by title -> public id, read from the private
    database itself; and those of them without their audit entry."""
    schema = stack.tenant_schema  # generated by Strata (t_ + hex), never user input
    with stack.postgres.connect(DATABASE) as conn:
        rows = conn.execute(
            f"""SELECT t.title, t.public_id::text,
                       EXISTS (SELECT 1 FROM "{schema}".audit_auditentry a
                               WHERE a.action = 'task.created'
                                 AND a.target_label = p.key || '-' || t.number)
                FROM "{schema}".projects_task t
                JOIN "{schema}".projects_project p ON p.id = t.project_id
                WHERE t.title LIKE %s""",  # noqa: S608
            (title_pattern,),
        ).fetchall()
    stored = {str(title): str(public_id) for title, public_id, _ in rows}
    return stored, [str(title) for title, _, audited in rows if not audited]


# --- Redis stopped --------------------------------------------------------------------------


def test_with_redis_stopped_pages_are_served_sessions_survive_and_sign_in_fails_closed(
    stack: Stack,
) -> None:
    _ensure_up(stack)
    api = stack.api()
    alice = Browser(stack.server, stack.tenant_host)
    assert alice.sign_in("alice@acme.test").status == 302
    assert alice.get("/").status == 200
    answered: dict[str, Answer] = {}
    stack.redis.stop()
    try:
        answered["signed-in page"] = alice.get("/")
        answered["signed-in project list"] = alice.get("/projects/")
        answered["sign-in page"] = Browser(stack.server, stack.tenant_host).get("/accounts/login/")
        answered["public site"] = Browser(stack.server, "localhost").get("/")
        answered["API read"] = api.get("/api/v1/projects/")
        project = api.post_json("/api/v1/projects/", {"name": "Redis down", "key": _project_key()})
        answered["API write"] = project
        # Enqueues the invitation's mail after commit, with the broker (this Redis) down.
        answered["invitation (mail enqueued)"] = alice.post_form(
            "/members/invite/", {"email": f"{uuid.uuid4().hex[:8]}@invited.test", "role": "member"}
        )
        mia = Browser(stack.server, stack.tenant_host)
        answered["sign-in attempt (right password)"] = mia.sign_in("mia@acme.test")
        answered["after the refused sign-in"] = mia.get("/")
        answered["readiness"] = Browser(stack.server, "127.0.0.1").get("/readyz")
    finally:
        stack.redis.start()
    answered["signed-in page, Redis back"] = alice.get("/")
    mia = Browser(stack.server, stack.tenant_host)
    answered["sign-in, Redis back"] = mia.sign_in("mia@acme.test")

    report = [
        f"  {what}: {a.status} {a.headers.get('location', '')} ({a.seconds * 1000:.0f} ms)"
        for what, a in answered.items()
    ]
    print("\nWith Redis stopped:", *report, sep="\n")  # noqa: T201  (for docs/reliability.md)

    assert answered["signed-in page"].status == 200
    assert (
        "alice@acme.test" in answered["signed-in page"].body
        or "Alice" in answered["signed-in page"].body
    )
    assert answered["signed-in project list"].status == 200
    assert answered["sign-in page"].status == 200
    assert answered["public site"].status == 200
    assert answered["API read"].status == 200
    assert answered["API write"].status == 201
    assert answered["invitation (mail enqueued)"].status == 302
    refused = answered["sign-in attempt (right password)"]
    assert refused.status == 503
    assert "Sign-in is briefly unavailable" in refused.body
    assert refused.headers.get("retry-after")
    assert answered["after the refused sign-in"].status == 302  # to the sign-in page: not signed in
    assert answered["readiness"].status == 503
    assert answered["signed-in page, Redis back"].status == 200
    assert answered["sign-in, Redis back"].status == 302


# --- Celery workers killed ------------------------------------------------------------------


@pytest.mark.usefixtures("world")
def test_tasks_whose_workers_are_killed_mid_run_each_take_effect_exactly_once(
    tenant: Tenant,
) -> None:
    count = sized(30, 300)
    token = uuid.uuid4().hex
    queue = "faults"
    empty_the_broker()

    def effects() -> list[TaskCanaryReport]:
        return canary_reports(token)

    def ran(part: int) -> bool:
        return len(effects()) >= part

    # A short visibility timeout, so a killed worker's tasks come back within the test.
    worker = start_worker(queues=queue, concurrency=2, visibility_timeout=4)
    kills = 0
    try:
        with publishing_to_the_broker(), tenant_context(tenant):
            for n in range(count):
                # Half hold before their effect, half after it (before the acknowledgement):
                # a kill in either window must not lose or repeat the effect.
                tenant_canary.apply_async(
                    (token,),
                    {"step": str(n), "hold_seconds": 0.2, "hold_after_effect": n % 2 == 1},
                    queue=queue,
                )
        for thirds in (1, 2):  # killed a third of the way in, then two thirds
            part = count * thirds // 3
            wait_for(functools.partial(ran, part), "tasks to run", timeout=300)
            worker.kill()
            kills += 1
            worker.stop()
            worker = start_worker(queues=queue, concurrency=2, visibility_timeout=4)
        wait_for(lambda: len(effects()) >= count, "every effect", timeout=300)
        time.sleep(3)  # any redelivered run still holding would report a second effect now
    finally:
        worker.stop()

    started = canary_reports(token, TaskCanaryReport.Kind.STARTED)
    done = canary_reports(token)
    steps = [r.step for r in done]
    print(  # noqa: T201  (the figures docs/reliability.md records)
        f"\n{count} tasks, workers SIGKILLed {kills} times: {len(started)} runs started "
        f"({len(started) - count} redelivered), {len(done)} effects"
    )
    assert sorted(steps, key=int) == [str(n) for n in range(count)]  # each exactly once
    assert {r.schema_name for r in done} == {tenant.schema_name}
    assert len(started) > count  # the kills did interrupt tasks, which ran again
