"""The task layer in process (tasks run eagerly here; test_background_worker.py uses a worker)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from celery import chain, group
from celery.app.trace import build_tracer
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from config.celery import app as celery_app
from tenants.background import TaskEnqueueError, TransientTaskError, effect_once
from tenants.context import tenant_connection, tenant_context
from tenants.models import TaskCanaryReport, TaskEffect, TaskFailure, Tenant, TenantStatus
from tenants.tasks import for_each_tenant, platform_canary, tenant_canary


def _token() -> str:
    return uuid.uuid4().hex


def _schemas(token: str, kind: str = TaskCanaryReport.Kind.EFFECT) -> list[str]:
    return list(
        TaskCanaryReport.objects.filter(token=token, kind=kind)
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def test_a_tenant_task_runs_in_the_tenant_it_was_enqueued_from(tenant: Tenant) -> None:
    token = _token()

    with tenant_context(tenant):
        tenant_canary.delay(token)
        assert tenant_connection().schema_name == tenant.schema_name  # the caller's schema back

    assert _schemas(token) == [tenant.schema_name]


def test_a_tenant_task_can_name_its_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    token = _token()

    with tenant_context(tenant):
        tenant_canary.apply_async((token,), tenant=other_tenant)

    assert _schemas(token) == [other_tenant.schema_name]


def test_a_tenant_task_enqueued_from_public_is_refused(db: None) -> None:
    token = _token()
    with pytest.raises(TaskEnqueueError, match="enqueue it inside the tenant"):
        tenant_canary.delay(token)

    # This token's: tests with real workers (tests/reliability) leave committed reports.
    assert not TaskCanaryReport.objects.filter(token=token).exists()


def test_a_platform_task_runs_in_public_wherever_it_was_enqueued(tenant: Tenant) -> None:
    token = _token()

    with tenant_context(tenant):
        platform_canary.delay(token)
        assert tenant_connection().schema_name == tenant.schema_name

    assert _schemas(token) == ["public"]


def test_a_platform_task_takes_no_tenant(tenant: Tenant) -> None:
    with pytest.raises(TaskEnqueueError, match="platform task"):
        platform_canary.apply_async((_token(),), tenant=tenant)


def test_canvases_keep_the_schema(tenant: Tenant) -> None:
    token = _token()

    with tenant_context(tenant):
        chain(tenant_canary.si(token, step="1"), tenant_canary.si(token, step="2")).delay()
        group(tenant_canary.si(token, step=f"g{i}") for i in range(3)).delay()

    assert _schemas(token) == [tenant.schema_name] * 5


def test_a_retried_task_stays_in_its_schema(tenant: Tenant) -> None:
    token = _token()

    with tenant_context(tenant):
        tenant_canary.delay(token, fail_times=2)

    assert _schemas(token, TaskCanaryReport.Kind.STARTED) == [tenant.schema_name] * 3
    assert _schemas(token) == [tenant.schema_name]


def test_a_task_for_a_purged_tenant_is_dropped(db: None) -> None:
    token = _token()
    gone = Tenant(schema_name="t_00000000000000000000", slug="gone", name="Gone")

    result = tenant_canary.apply_async((token,), tenant=gone)

    assert result.state == "IGNORED"
    assert not TaskCanaryReport.objects.filter(token=token).exists()


def test_a_task_that_fails_for_good_is_recorded_with_tenant_and_id(
    tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    token = _token()

    with tenant_context(tenant):
        result = tenant_canary.delay(token, fail_times=100)

    assert result.failed()
    assert isinstance(result.result, TransientTaskError)
    failure = TaskFailure.objects.get(task_name="tenants.tenant_canary")
    assert failure.schema_name == tenant.schema_name
    assert failure.task_id
    assert "TransientTaskError: canary asked to fail" in failure.error
    assert "Traceback" in failure.traceback
    assert f"in {tenant.schema_name} failed" in caplog.text
    assert failure.task_id in caplog.text


def test_the_failures_command_lists_them(
    tenant: Tenant, capsys: pytest.CaptureFixture[str]
) -> None:
    TaskFailure.objects.create(
        task_id="abc123", task_name="tenants.tenant_canary", schema_name=tenant.schema_name,
        error="RuntimeError: boom",
    )  # fmt: skip

    call_command("task_failures", "--tenant", tenant.slug)

    out = capsys.readouterr().out
    assert f"tenants.tenant_canary  tenant={tenant.slug}  id=abc123" in out
    assert "RuntimeError: boom" in out
    assert "1 failure(s) in the last 24 hours." in out


def test_the_failures_command_names_an_unknown_tenant(db: None) -> None:
    with pytest.raises(CommandError, match="No tenant has the subdomain 'nope'"):
        call_command("task_failures", "--tenant", "nope")


def test_for_each_tenant_runs_a_task_in_every_active_tenant(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    Tenant.objects.filter(pk=other_tenant.pk).update(status=TenantStatus.SUSPENDED)
    token = _token()

    count = for_each_tenant.delay("tenants.tenant_canary", [token]).get()

    active = set(
        Tenant.objects.filter(status=TenantStatus.ACTIVE).values_list("schema_name", flat=True)
    )
    assert count == len(active)
    assert set(_schemas(token)) == active
    assert other_tenant.schema_name not in _schemas(token)


def test_for_each_tenant_only_fans_out_tenant_tasks(db: None) -> None:
    result = for_each_tenant.delay("tenants.platform_canary", [_token()])

    assert result.failed()
    assert "tenants.platform_canary is not one" in str(result.result)
    assert TaskFailure.objects.filter(task_name="tenants.for_each_tenant").exists()


def test_an_effect_happens_once(tenant: Tenant) -> None:
    with tenant_context(tenant):
        with effect_once("invoice:42") as first:
            assert first
        with effect_once("invoice:42") as second:
            assert not second

    assert TaskEffect.objects.get(key="invoice:42").schema_name == tenant.schema_name


def test_an_effect_that_failed_can_happen_on_the_next_attempt(db: None) -> None:
    with pytest.raises(RuntimeError), effect_once("mail:1"):
        raise RuntimeError("the mail server hung up")

    with effect_once("mail:1") as first:
        assert first


def test_the_same_key_in_two_tenants_is_two_effects(tenant: Tenant, other_tenant: Tenant) -> None:
    for each in (tenant, other_tenant):
        with tenant_context(each), effect_once("welcome") as first:
            assert first


def test_check_tasks_reports_each_canary_schema(
    tenant: Tenant, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("check_tasks", "--tenants", "2", "--timeout", "5")

    out = capsys.readouterr().out
    assert "ok       platform: ran once, in public" in out
    assert f"ok       {tenant.slug}: ran once, in {tenant.schema_name}" in out
    assert "canaries ran in their schema" in out


def test_the_connection_is_public_after_a_platform_task(db: None) -> None:
    platform_canary.delay(_token())

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        assert cursor.fetchone() == ("public",)


def test_eager_canvases_honour_an_explicit_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    token = _token()

    with tenant_context(tenant):
        chain(tenant_canary.si(token, step="1"), tenant_canary.si(token, step="2")).apply_async(
            tenant=other_tenant
        )
        group(tenant_canary.si(token, step=f"g{i}") for i in range(2)).apply_async(
            tenant=other_tenant
        )

    assert _schemas(token) == [other_tenant.schema_name] * 4


def test_a_chain_from_a_platform_task_to_a_tenant_task_keeps_each_schema(tenant: Tenant) -> None:
    token = _token()

    with tenant_context(tenant):
        chain(platform_canary.si(token, step="p"), tenant_canary.si(token, step="t")).delay()

    reports = TaskCanaryReport.objects.filter(token=token, kind=TaskCanaryReport.Kind.EFFECT)
    assert dict(reports.values_list("step", "schema_name")) == {
        "p": "public",
        "t": tenant.schema_name,
    }


def _run_as_a_worker_would(task: Any, schema: str, *args: Any) -> Any:
    """Celery's own (non-eager) tracer, with the request a worker builds from a message."""
    tracer = build_tracer(task.name, task, eager=False, propagate=False, app=celery_app)
    task_id = uuid.uuid4().hex
    request: dict[str, Any] = {"id": task_id, "strata_schema": schema, "delivery_info": {}}
    return tracer(task_id, list(args), {}, request)


@pytest.mark.parametrize("outcome", ["success", "failure", "dropped"])
def test_a_worker_is_back_on_public_after_every_task(tenant: Tenant, outcome: str) -> None:
    if outcome == "success":
        _run_as_a_worker_would(tenant_canary, tenant.schema_name, _token())
    elif outcome == "failure":  # a platform task raising an error that is not retried
        _run_as_a_worker_would(for_each_tenant, "public", "tenants.platform_canary")
    else:  # the tenant was purged after the task was enqueued
        _run_as_a_worker_would(tenant_canary, "t_00000000000000000000", _token())

    assert tenant_connection().schema_name == "public"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        assert cursor.fetchone() == ("public",)


def test_an_effect_cannot_hide_inside_an_outer_transaction(db: None) -> None:
    def nested() -> None:
        with transaction.atomic(), effect_once("mail:2"):
            pass

    with pytest.raises(RuntimeError, match="durable"):
        nested()


def test_calling_a_task_directly_runs_it_here(db: None) -> None:
    token = _token()

    assert platform_canary(token) == "public"
    assert _schemas(token) == ["public"]


def test_a_countdown_longer_than_the_broker_holds_a_task_is_refused(db: None) -> None:
    with pytest.raises(TaskEnqueueError, match="schedule it with beat instead"):
        platform_canary.apply_async((_token(),), countdown=24 * 3600)


def test_check_tasks_refuses_nonsense_arguments(db: None) -> None:
    with pytest.raises(CommandError, match="--tenants must be 0 or more"):
        call_command("check_tasks", "--tenants", "-1")
