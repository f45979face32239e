"""Background work that knows which schema it belongs to.

Every task declares a scope:

- ``TaskScope.TENANT`` tasks run in the schema of the tenant they were enqueued for: the tenant
  of the request (or task) that enqueued them, or an explicit ``tenant=``. Enqueuing one from
  the public schema without a tenant is refused.
- ``TaskScope.PLATFORM`` tasks run in the public schema, wherever they were enqueued from.

The schema travels in a header set when the message is published, so retries, countdowns, chains
and groups carry it. The worker enters it in ``__call__`` (a missing tenant fails the task there,
loudly) and leaves it in ``task_postrun``, after Celery has published a chain's next link: a
worker is back on public after every task, an eager call back on its caller's schema.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

import redis.exceptions
from celery import Task, shared_task
from celery.exceptions import Ignore
from celery.signals import task_failure, task_postrun, task_retry
from django.db import OperationalError, transaction
from django.utils import timezone

from tenants.context import schema_context, tenant_connection

if TYPE_CHECKING:
    from tenants.models import Tenant

logger = logging.getLogger("strata.tasks")

SCHEMA_HEADER = "strata_schema"  # where the task runs
ORIGIN_HEADER = "strata_origin"  # where it was enqueued from, for logs
PUBLIC = "public"

# Worth another attempt later: the network, the database or a mail server had a bad moment.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    ConnectionError,
    TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
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
    retry_backoff = 2  # seconds, doubling per attempt ...
    retry_backoff_max = 300  # ... up to five minutes, with jitter
    retry_jitter = True
    max_retries = 6

    def apply_async(  # adds the keyword-only `tenant`
        self,
        args: Any = None,
        kwargs: Any = None,
        *positional: Any,
        tenant: Tenant | None = None,
        **options: Any,
    ) -> Any:
        current = tenant_connection().schema_name
        headers = dict(options.get("headers") or {})
        headers[SCHEMA_HEADER] = self.schema_to_run_in(current=current, tenant=tenant)
        headers[ORIGIN_HEADER] = current
        options["headers"] = headers
        return super().apply_async(args, kwargs, *positional, **options)

    def schema_to_run_in(self, *, current: str, tenant: Tenant | None = None) -> str:
        if self.scope is None:
            raise TaskEnqueueError(
                f"{self.name} declares no scope: use tenant_task or platform_task"
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
        connection = tenant_connection()
        request: Any = self.request  # Celery's Context takes any attribute
        if request.is_eager:
            # Eager calls run inside their caller, who gets its own schema back afterwards.
            request.strata_previous = connection.tenant
        schema = _header(self, SCHEMA_HEADER)
        if schema is None:
            if not self.request.is_eager:
                raise TaskEnqueueError(f"{self.name} arrived without {SCHEMA_HEADER}")
            # Task.apply() and eager canvases skip apply_async: decide as it would have.
            schema = self.schema_to_run_in(current=connection.schema_name)
        _enter(self, schema)
        return super().__call__(*args, **kwargs)


def _header(task: Task[Any, Any], name: str) -> str | None:
    # A worker's request carries custom headers as attributes, an eager one in .headers.
    value = getattr(task.request, name, None) or (task.request.headers or {}).get(name)
    return str(value) if value else None


def _enter(task: Task[Any, Any], schema: str) -> None:
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


@task_postrun.connect(dispatch_uid="strata-task-leave-schema")
def _leave_schema(task: Task[Any, Any], **kwargs: Any) -> None:
    previous = getattr(task.request, "strata_previous", None)
    if previous is not None:
        tenant_connection().set_tenant(previous)
    else:
        tenant_connection().set_schema_to_public()


@task_retry.connect(dispatch_uid="strata-task-log-retry")
def _log_retry(sender: Task[Any, Any], request: Any, reason: Any, **kwargs: Any) -> None:
    logger.warning(
        "task %s[%s] in %s will retry: %s",
        sender.name,
        request.id,
        tenant_connection().schema_name,
        reason,
        extra={"task_id": request.id, "tenant": tenant_connection().schema_name},
    )


@task_failure.connect(dispatch_uid="strata-task-record-failure")
def _record_failure(
    sender: Task[Any, Any], task_id: str, exception: BaseException, **details: Any
) -> None:
    from tenants.models import TaskFailure

    schema = _header(sender, SCHEMA_HEADER) or tenant_connection().schema_name
    logger.error(
        "task %s[%s] in %s failed: %r",
        sender.name,
        task_id,
        schema,
        exception,
        extra={"task_id": task_id, "tenant": schema},
    )
    with schema_context(PUBLIC):
        TaskFailure.objects.create(
            task_id=task_id or "",
            task_name=sender.name,
            schema_name=schema,
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
    the first and then finds it done. An effect that is itself a database write is therefore
    exactly-once; an external one (an email, an API call) is at-most-once except in the moment
    between the external call returning and the commit, so pass `key` to the other side too
    where it takes one (Stripe's idempotency keys).
    """
    from tenants.models import TaskEffect

    schema = tenant_connection().schema_name
    with transaction.atomic():
        effect, _ = TaskEffect.objects.select_for_update().get_or_create(
            schema_name=schema, key=key
        )
        if effect.completed_at is not None:
            yield False
            return
        yield True
        effect.completed_at = timezone.now()
        effect.save(update_fields=["completed_at"])
