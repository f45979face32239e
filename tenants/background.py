"""Background work that knows which schema it belongs to.

Every task declares a scope:

- ``TaskScope.TENANT`` tasks run in the schema of the tenant they were enqueued for: the tenant
  of the request (or task) that enqueued them, or an explicit ``tenant=``. Enqueuing one from
  the public schema without a tenant is refused.
- ``TaskScope.PLATFORM`` tasks run in the public schema, wherever they were enqueued from.

The schema is decided once, when a task is first enqueued, and travels with it in a message
header: retries and redeliveries keep it, and the links of a chain are stamped with theirs when
the chain is enqueued. The worker enters it in ``__call__`` and leaves it in ``task_postrun``,
after Celery has published a chain's next link: a worker is back on public after every task, an
eager call back on its caller's schema. A task whose tenant has been purged is dropped.

Do not pass secrets as task arguments (they sit in Redis and in failure records): pass the id of
a row that holds them.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

import kombu.exceptions
import redis.exceptions
from celery import Task, current_app, shared_task
from celery.canvas import Signature
from celery.exceptions import Ignore
from celery.signals import task_failure, task_postrun, task_prerun, task_retry
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from tenants.connections import note_schema_served
from tenants.context import schema_context, tenant_connection
from tenants.observability import bind_tenant, close_context, log_fields, open_context

if TYPE_CHECKING:
    from tenants.models import Tenant

logger = logging.getLogger("strata.tasks")

SCHEMA_HEADER = "strata_schema"  # where the task runs
ORIGIN_HEADER = "strata_origin"  # where it was enqueued from, for logs
# Who asked for it, for logs: log context fields of the enqueuing request, and their headers.
LOGGED_ORIGIN_HEADERS = {"request_id": "strata_request_id", "user_id": "strata_user_id"}
PUBLIC = "public"

# Worth another attempt later: the network, the database or a mail server had a bad moment.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)


class TaskScope(enum.StrEnum):
    TENANT = "tenant"
    PLATFORM = "platform"


class TransientTaskError(Exception):
    """Raise from a task to have it retried with backoff."""


class TaskEnqueueError(RuntimeError):
    """A task was enqueued where it cannot know its schema."""


class StrataTask(Task):  # type: ignore[type-arg]  # celery-types' Task is generic over P, R
    """Base of every Strata task (the Celery app's task_cls)."""

    scope: ClassVar[TaskScope | None] = None
    autoretry_for = (TransientTaskError, *TRANSIENT_ERRORS)
    # Waits of up to 2, 4, 8 ... 256 s (full jitter: a random share of each), about four
    # minutes in all; tasks that must ride out longer outages set their own.
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8

    def apply_async(  # adds the keyword-only `tenant`
        self,
        args: Any = None,
        kwargs: Any = None,
        *positional: Any,
        tenant: Tenant | None = None,
        **options: Any,
    ) -> Any:
        current = tenant_connection().schema_name
        _refuse_late_delivery(self.name, options)
        options["headers"] = self._headers(options.get("headers"), current=current, tenant=tenant)
        for key in ("chain", "link", "link_error"):
            for link in _signatures(options.get(key)):
                _stamp(link, current=current, tenant=tenant)
        return super().apply_async(args, kwargs, *positional, **options)

    def apply(  # eager runs (Task.apply, eager canvases) decide the schema the same way
        self,
        args: Any = None,
        kwargs: Any = None,
        *positional: Any,
        tenant: Tenant | None = None,
        **options: Any,
    ) -> Any:
        current = tenant_connection().schema_name
        options["headers"] = self._headers(options.get("headers"), current=current, tenant=tenant)
        return super().apply(args, kwargs, *positional, **options)

    def signature_from_request(self, request: Any = None, *args: Any, **kwargs: Any) -> Any:
        # Retries and worker-lost retries are built from the request: keep its schema, even
        # when they are published from the worker's main process (which is on public).
        signature = super().signature_from_request(request, *args, **kwargs)
        source = request if request is not None else self.request
        kept = {
            name: value
            for name in (SCHEMA_HEADER, *LOGGED_ORIGIN_HEADERS.values())
            if (value := _header_of(source, name)) is not None
        }
        if kept:
            options = signature.options
            options["headers"] = {**(options.get("headers") or {}), **kept}
        return signature

    def _headers(
        self, headers: dict[str, Any] | None, *, current: str, tenant: Tenant | None
    ) -> dict[str, Any]:
        headers = dict(headers or {})
        if SCHEMA_HEADER not in headers:  # already decided: a retry, or a stamped chain link
            headers[SCHEMA_HEADER] = self.schema_to_run_in(current=current, tenant=tenant)
            headers[ORIGIN_HEADER] = current
        fields = log_fields()
        for field, header in LOGGED_ORIGIN_HEADERS.items():
            if fields.get(field) is not None and header not in headers:
                headers[header] = str(fields[field])
        return headers

    def schema_to_run_in(self, *, current: str, tenant: Tenant | None = None) -> str:
        if self.scope is None:
            raise TaskEnqueueError(
                f"{self.name} declares no scope: use tenant_task or platform_task (Celery's own "
                "canvas tasks, behind chords, map, starmap and chunks, are not supported)"
            )
        if self.scope == TaskScope.PLATFORM:
            if tenant is not None:
                raise TaskEnqueueError(f"{self.name} is a platform task: it takes no tenant")
            return PUBLIC
        if tenant is not None:
            return tenant.schema_name
        if current == PUBLIC:
            raise TaskEnqueueError(
                f"{self.name} is a tenant task enqueued from the public schema: enqueue it "
                "inside the tenant (tenant_context) or pass tenant="
            )
        return current

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request: Any = self.request  # Celery's Context takes any attribute
        if request.called_directly:
            return super().__call__(*args, **kwargs)  # a plain function call, here and now
        connection = tenant_connection()
        if request.is_eager:
            # Eager calls run inside their caller, who gets its own schema back afterwards.
            request.strata_previous = connection.tenant
        schema = _header_of(request, SCHEMA_HEADER)
        if schema is None:
            raise TaskEnqueueError(f"{self.name} arrived without {SCHEMA_HEADER}")
        try:
            _enter(self, schema)
        except TRANSIENT_ERRORS as exc:
            # Autoretry covers the task's body only; a database blip here must not lose it.
            countdown = get_exponential_backoff_interval(
                factor=self.retry_backoff,
                retries=request.retries,
                maximum=self.retry_backoff_max,
                full_jitter=self.retry_jitter,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
        return super().__call__(*args, **kwargs)


def _signatures(value: Any) -> list[Signature]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [
        Signature.from_dict(item) if not isinstance(item, Signature) else item for item in items
    ]


def _stamp(link: Signature, *, current: str, tenant: Tenant | None) -> None:
    """Decide a chain link's schema now, while the enqueuing context is known."""
    task = current_app.tasks.get(link.task or "")
    if not isinstance(task, StrataTask):
        return  # a task Celery adds itself; it refuses or runs as its own rules say
    options = link.options
    options["headers"] = task._headers(options.get("headers"), current=current, tenant=tenant)


def _refuse_late_delivery(name: str, options: dict[str, Any]) -> None:
    """A task held longer than the visibility timeout would be handed out twice."""
    limit = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 2
    countdown = options.get("countdown") or 0
    eta: datetime | None = options.get("eta")
    delay = max(countdown, (eta - timezone.now()).total_seconds() if eta else 0)
    if delay > limit:
        raise TaskEnqueueError(
            f"{name} would wait {delay:.0f} s, longer than {limit:.0f} s (half the broker's "
            "visibility timeout): schedule it with beat instead"
        )


def _header_of(request: Any, name: str) -> str | None:
    # A worker's request carries custom headers as attributes, an eager one in .headers.
    value = getattr(request, name, None) or (getattr(request, "headers", None) or {}).get(name)
    return str(value) if value else None


def _enter(task: Task[Any, Any], schema: str) -> None:
    """Select `schema` on the connection; drop the task (Ignore) if its tenant is gone."""
    from tenants.models import Tenant

    connection = tenant_connection()
    if schema == PUBLIC:
        connection.set_schema_to_public()
        return
    connection.set_schema_to_public()
    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is None:
        # Purged since it was enqueued: nothing left to work on, nothing to retry.
        logger.warning("task %s[%s] dropped: tenant %s is gone", task.name, task.request.id, schema)
        raise Ignore
    connection.set_tenant(tenant)
    bind_tenant(tenant)


_LOG_CONTEXT_ATTR = "strata_log_token"
_LOG_STARTED = "strata_log_started"


@task_prerun.connect(dispatch_uid="strata-task-log-context")
def _open_log_context(task_id: str, task: Task[Any, Any], **kwargs: Any) -> None:
    """Every line a task logs names it, its tenant (bound on entering the schema), and the
    request and user that enqueued it."""
    request: Any = task.request
    fields: dict[str, Any] = {"task_id": task_id, "task": task.name}
    for field, header in LOGGED_ORIGIN_HEADERS.items():
        value = _header_of(request, header)
        if value:
            fields[field] = int(value) if field == "user_id" and value.isdigit() else value
    setattr(request, _LOG_CONTEXT_ATTR, open_context(**fields))
    setattr(request, _LOG_STARTED, time.perf_counter())


@task_postrun.connect(dispatch_uid="strata-task-leave-schema")
def _leave_schema(task: Task[Any, Any], **kwargs: Any) -> None:
    note_schema_served(tenant_connection())
    previous = getattr(task.request, "strata_previous", None)
    if previous is not None:
        tenant_connection().set_tenant(previous)
    else:
        tenant_connection().set_schema_to_public()


@task_postrun.connect(dispatch_uid="strata-task-log-line")
def _close_log_context(task: Task[Any, Any], state: str | None = None, **kwargs: Any) -> None:
    """One line per task run, like a request's: its state and how long it took."""
    state = state or "UNKNOWN"
    request: Any = task.request
    token = getattr(request, _LOG_CONTEXT_ATTR, None)
    started: float | None = getattr(request, _LOG_STARTED, None)
    if token is None or started is None:
        return
    logger.log(
        logging.WARNING if state == "FAILURE" else logging.INFO,
        "task %s %s",
        task.name,
        state,
        extra={"status": state, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    close_context(token)
    setattr(request, _LOG_CONTEXT_ATTR, None)


@task_retry.connect(dispatch_uid="strata-task-log-retry")
def _log_retry(sender: Task[Any, Any], request: Any, reason: Any, **kwargs: Any) -> None:
    schema = _header_of(request, SCHEMA_HEADER) or ""
    logger.warning(
        "task %s[%s] in %s will retry: %s",
        sender.name,
        request.id,
        schema,
        reason,
        extra={"task_id": request.id, "tenant_schema": schema},
    )


@task_failure.connect(dispatch_uid="strata-task-record-failure")
def _record_failure(
    sender: Task[Any, Any], task_id: str, exception: BaseException, **details: Any
) -> None:
    from tenants.models import TaskFailure

    # Failures the worker's main process reports (hard time limits) come without the request:
    # the schema is then unknown, and recorded as such rather than guessed.
    request = sender.request if sender.request_stack.top is not None else None
    schema = _header_of(request, SCHEMA_HEADER) or ""
    origin = _header_of(request, ORIGIN_HEADER) or ""
    logger.error(
        "task %s[%s] in %s failed: %r",
        sender.name,
        task_id,
        schema or "an unknown schema",
        exception,
        extra={"task_id": task_id, "tenant_schema": schema, "origin_schema": origin},
    )
    with schema_context(PUBLIC):
        TaskFailure.objects.create(
            task_id=task_id or "",
            task_name=sender.name,
            schema_name=schema,
            origin_schema=origin,
            arguments=_truncate(
                f"args={details.get('args')!r} kwargs={details.get('kwargs')!r}", 2000
            ),
            error=_truncate(f"{type(exception).__name__}: {exception}", 2000),
            traceback=_truncate("".join(traceback.format_exception(exception)), 20000),
        )


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


P = ParamSpec("P")
R = TypeVar("R")


def tenant_task(*, name: str, **options: Any) -> Callable[[Callable[P, R]], Any]:
    """Declare a task that runs in the schema of the tenant it is enqueued for."""
    decorator: Callable[[Callable[P, R]], Any] = shared_task(
        name=name, scope=TaskScope.TENANT, **options
    )
    return decorator


def platform_task(*, name: str, **options: Any) -> Callable[[Callable[P, R]], Any]:
    """Declare a task that runs in the public schema, wherever it is enqueued from."""
    decorator: Callable[[Callable[P, R]], Any] = shared_task(
        name=name, scope=TaskScope.PLATFORM, **options
    )
    return decorator


@contextmanager
def effect_once(key: str) -> Iterator[bool]:
    """Yield True if the effect named `key` has not happened yet in this schema, else False.

    Do the effect inside the block. Its record commits with the block, under a row lock, so a
    second delivery of the same task (a redelivery after a crash, a duplicate message) waits for
    the first and then finds it done. The block is its own transaction (durable): inside an
    outer one, a rollback of the outer work would forget an effect that happened.

    An effect that is itself a database write is therefore exactly-once. An external one (an
    email, an API call) is at-most-once except in the moment between the external call
    returning and the commit; pass `key` to the other side too where it takes one (Stripe's
    idempotency keys).
    """
    from tenants.models import TaskEffect

    schema = tenant_connection().schema_name
    with transaction.atomic(durable=True):
        effect, _ = TaskEffect.objects.select_for_update().get_or_create(
            schema_name=schema, key=key
        )
        if effect.completed_at is not None:
            yield False
            return
        yield True
        effect.completed_at = timezone.now()
        effect.save(update_fields=["completed_at"])
