"""The task layer with a real Celery worker (and beat) on a real Redis broker, not eager mode.

The tasks record what PostgreSQL says their schema is (SELECT current_schema()), so a wrong
search_path shows up here even if Python thought it was in the right tenant.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import chain, group
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from shared_apps.accounts.models import User
from shared_apps.mail.models import OutboundEmail
from tenants.context import tenant_context
from tenants.models import TaskCanaryReport, TaskEffect, Tenant, TenantStatus
from tenants.observability import log_context
from tenants.tasks import platform_canary, tenant_canary
from tests.conftest import World
from tests.workers import (
    CeleryProcess,
    canary_reports,
    empty_the_broker,
    publishing_to_the_broker,
    start_beat,
    start_worker,
    wait_for,
)

Kind = TaskCanaryReport.Kind


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def worker(world: World, mail_dir: Path) -> Iterator[CeleryProcess]:
    empty_the_broker()
    process = start_worker(
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    yield process
    process.stop()


@pytest.fixture
def to_the_broker() -> Iterator[None]:
    with publishing_to_the_broker():
        yield


def _effects_once_settled(token: str, count: int, timeout: float = 30) -> list[TaskCanaryReport]:
    """The effects reported for `token` once `count` arrived or time ran out (the caller's
    assertion then shows what is missing or wrong)."""
    deadline = time.monotonic() + timeout
    while len(canary_reports(token)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return canary_reports(token)


@pytest.mark.usefixtures("worker", "to_the_broker")
def test_every_kind_of_task_runs_in_the_schema_it_was_enqueued_for(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    expected: dict[str, str] = {}  # step -> the schema it must report

    def expect(step: str, schema: str) -> str:
        expected[step] = schema
        return step

    token = uuid.uuid4().hex
    published_at = timezone.now()
    for who in (tenant, other_tenant):
        with tenant_context(who):
            slug = who.slug
            tenant_canary.delay(token, step=expect(f"plain-{slug}", who.schema_name))
            tenant_canary.delay(token, step=expect(f"retry-{slug}", who.schema_name), fail_times=2)
            tenant_canary.apply_async(
                (token,), {"step": expect(f"countdown-{slug}", who.schema_name)}, countdown=2
            )
            chain(
                tenant_canary.si(token, step=expect(f"chain1-{slug}", who.schema_name)),
                tenant_canary.si(token, step=expect(f"chain2-{slug}", who.schema_name)),
                tenant_canary.si(token, step=expect(f"chain3-{slug}", who.schema_name)),
            ).delay()
            group(
                tenant_canary.si(token, step=expect(f"group{i}-{slug}", who.schema_name))
                for i in range(3)
            ).delay()
            # A platform task enqueued from inside a tenant still runs in public, and a chain
            # from a platform task to a tenant task keeps each link's schema.
            platform_canary.delay(token, step=expect(f"platform-from-{slug}", "public"))
            chain(
                platform_canary.si(token, step=expect(f"mixed-p-{slug}", "public")),
                tenant_canary.si(token, step=expect(f"mixed-t-{slug}", who.schema_name)),
            ).delay()
    platform_canary.delay(token, step=expect("platform-from-public", "public"))

    reports = _effects_once_settled(token, len(expected))

    ran_in = {report.step: report.schema_name for report in reports}
    assert ran_in == expected  # 100 % of the 25 tasks, each in its own schema
    assert len(reports) == len(expected)  # each effect once
    # Every attempt of the retried task, not just the last, ran in its tenant's schema.
    attempts = [r for r in canary_reports(token, Kind.STARTED) if r.step == f"retry-{tenant.slug}"]
    assert [(r.retries, r.schema_name) for r in attempts] == [
        (0, tenant.schema_name),
        (1, tenant.schema_name),
        (2, tenant.schema_name),
    ]
    countdown = next(
        r for r in canary_reports(token, Kind.STARTED) if r.step == f"countdown-{tenant.slug}"
    )
    assert (countdown.created_at - published_at).total_seconds() >= 2  # it waited its turn


@pytest.mark.usefixtures("worker", "to_the_broker")
def test_beat_fans_out_over_every_active_tenant_each_in_its_own_schema(
    tenant: Tenant, tmp_path: Path
) -> None:
    token = uuid.uuid4().hex
    active = set(
        Tenant.objects.filter(status=TenantStatus.ACTIVE).values_list("schema_name", flat=True)
    )
    beat = start_beat(tmp_path, STRATA_BEAT_CANARY_SECONDS="1", STRATA_BEAT_CANARY_TOKEN=token)
    try:
        wait_for(
            lambda: {r.schema_name for r in canary_reports(token)} >= active,
            "a canary from every active tenant",
            timeout=45,
        )
    finally:
        beat.stop()

    started = canary_reports(token, Kind.STARTED)
    assert {r.schema_name for r in started} == active
    assert "public" not in {r.schema_name for r in started}
    assert "Scheduler: Sending due task tenant-canaries" in beat.log()


@pytest.mark.usefixtures("to_the_broker")
@pytest.mark.parametrize("killed", ["before the effect", "after the effect, before the ack"])
def test_a_task_whose_worker_is_killed_is_redelivered_and_its_effect_happens_once(
    world: World, tenant: Tenant, killed: str
) -> None:
    empty_the_broker()
    token = uuid.uuid4().hex
    # A short visibility timeout, so the killed worker's task comes back within the test.
    first = start_worker(queues="sigkill", concurrency=1, visibility_timeout=4)
    try:
        with tenant_context(tenant):
            tenant_canary.apply_async(
                (token,),
                {"hold_seconds": 2, "hold_after_effect": killed != "before the effect"},
                queue="sigkill",
            )
        if killed == "before the effect":
            wait_for(lambda: bool(canary_reports(token, Kind.STARTED)), "the task to start")
        else:
            wait_for(lambda: bool(canary_reports(token)), "the effect")
        first.kill()
    finally:
        first.stop()

    second = start_worker(queues="sigkill", concurrency=1, visibility_timeout=4)
    try:
        # Redis hands the unacknowledged task back after the visibility timeout.
        wait_for(
            lambda: len(canary_reports(token, Kind.STARTED)) >= 2, "the redelivery", timeout=60
        )
        wait_for(lambda: bool(canary_reports(token)), "the effect", timeout=30)
        time.sleep(3)  # let the redelivered run finish its hold: no second effect may follow
    finally:
        second.stop()

    started = canary_reports(token, Kind.STARTED)
    assert len(started) == 2, [(r.task_id, r.retries) for r in started]
    assert started[0].task_id == started[1].task_id  # the same message, delivered twice
    assert [r.schema_name for r in canary_reports(token)] == [tenant.schema_name]  # one effect


@pytest.mark.usefixtures("to_the_broker")
def test_an_email_from_a_tenant_request_is_sent_once_with_links_on_that_host(
    world: World, worker: CeleryProcess, mail_dir: Path, django_db_blocker: DjangoDbBlocker
) -> None:
    # No test transaction here: the message waits in the outbox table, which the worker can
    # only read once the request's work has really committed.
    before = set(mail_dir.iterdir())
    with django_db_blocker.unblock():
        member = User.objects.get(pk=world.users["member"])
        tenant = Tenant.objects.get(pk=world.tenant_id)
        outbox_before = set(OutboundEmail.objects.values_list("pk", flat=True))
        try:
            response = Client(HTTP_HOST="acme.localhost").post(
                "/accounts/password/reset/", {"email": member.email}
            )
            assert response.status_code == 302

            wait_for(lambda: len(set(mail_dir.iterdir()) - before) >= 1, "the email")
            time.sleep(2)  # time enough for a duplicate to arrive, if there were one
            sent = OutboundEmail.objects.exclude(pk__in=outbox_before).get()
            assert sent.sent_at is not None
            assert sent.payload == {}
        finally:
            OutboundEmail.objects.exclude(pk__in=outbox_before).delete()
            TaskEffect.objects.filter(key__startswith="email:").delete()

    # The worker's log follows the request into the task: its JSON line names the request.
    request_id = response["X-Request-ID"]
    lines = [json.loads(raw) for raw in worker.log().splitlines() if request_id in raw]
    [done] = [line for line in lines if line["logger"] == "strata.tasks"]
    assert (done["task"], done["status"], done["request_id"]) == (
        "mail.send_email",
        "SUCCESS",
        request_id,
    )
    assert isinstance(done["duration_ms"], float)
    assert len(done["task_id"]) == 36

    new = sorted(set(mail_dir.iterdir()) - before)
    assert len(new) == 1
    message = new[0].read_text()
    assert f"To: {member.email}" in message
    assert f"Subject: Reset your Strata password for {tenant.name}" in message
    links = [line for line in message.splitlines() if line.startswith("http")]
    assert len(links) == 1
    assert links[0].startswith("http://acme.localhost/accounts/password/reset/")


@pytest.mark.usefixtures("to_the_broker")
def test_a_tenant_task_on_the_worker_logs_its_tenant_and_who_enqueued_it(
    worker: CeleryProcess, tenant: Tenant, member: User
) -> None:
    token = uuid.uuid4().hex
    request_id = f"req-{token[:12]}"
    # What a request does: the log middleware opens the context, routing enters the tenant.
    with log_context(request_id=request_id, user_id=member.pk), tenant_context(tenant):
        tenant_canary.delay(token, step="logged")

    def finished() -> list[dict[str, Any]]:
        return [
            json.loads(raw)
            for raw in worker.log().splitlines()
            if request_id in raw and '"strata.tasks"' in raw
        ]

    wait_for(lambda: bool(finished()), "the task's log line")
    [line] = finished()
    assert (line["task"], line["status"]) == ("tenants.tenant_canary", "SUCCESS")
    assert (line["tenant"], line["tenant_schema"]) == (tenant.slug, tenant.schema_name)
    assert (line["request_id"], line["user_id"]) == (request_id, member.pk)
