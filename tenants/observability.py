"""Where a log line came from: the request or task, the tenant and the user, on every line.

One context variable holds the fields of the request or task being served. The request log
middleware below and the task signals in tenants.background fill it; tenant routing and the
access checks add the tenant and the user as soon as they know them; JsonFormatter writes them
on every record logged inside, including Django's and Celery's own. Tasks carry the id of the
request that enqueued them, so one id follows a piece of work from the request into the worker.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

if TYPE_CHECKING:
    from tenants.models import Tenant

request_logger = logging.getLogger("strata.request")

REQUEST_ID_HEADER = "X-Request-ID"
# Accepted from the ingress (which may set one) only when it cannot smuggle anything into a log.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}\Z")
# Probes hit these every few seconds: a line for each would drown the rest. Failures are logged.
_QUIET_PATHS = frozenset({"/healthz", "/readyz"})
# URL parts that are credentials (invitation tokens, password-reset and email-confirmation keys):
# a log line shows where they were, never what they were.
_SECRET_URL_KWARGS = frozenset({"token", "key", "uidb36", "uidb64"})
REDACTED = "[redacted]"
# URL namespaces whose arguments are names, not credentials, whatever they are called (a
# project's `key` is its short name, WEB in /projects/WEB/board/).
_PLAIN_URL_NAMESPACES = frozenset({"projects"})

_fields: ContextVar[Mapping[str, Any]] = ContextVar(
    "strata_log_fields", default=MappingProxyType({})
)


def log_fields() -> Mapping[str, Any]:
    """The fields of the request or task being served (empty outside one)."""
    return _fields.get()


def bind(**fields: Any) -> None:
    """Add fields to the current request's or task's log context, until it ends."""
    _fields.set({**_fields.get(), **fields})


def open_context(**fields: Any) -> Token[Mapping[str, Any]]:
    """Start a fresh log context for one unit of work; close_context(token) ends it."""
    return _fields.set(dict(fields))


def close_context(token: Token[Mapping[str, Any]]) -> None:
    _fields.reset(token)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """A fresh log context for one unit of work (a request, a command)."""
    token = open_context(**fields)
    try:
        yield
    finally:
        close_context(token)


def bind_tenant(tenant: Tenant) -> None:
    bind(tenant=tenant.slug, tenant_schema=tenant.schema_name)


def new_request_id() -> str:
    return uuid.uuid4().hex


# Attributes every LogRecord has; anything else on a record came from `extra=` and is written.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context fields, extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(log_fields())
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """Give each request an id (kept from the ingress when sane) and log one line when it ends:
    method, path, status and duration, with the tenant and user the request was served for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        started = time.perf_counter()
        with log_context(request_id=request_id):
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            response[REQUEST_ID_HEADER] = request_id
            if request.path not in _QUIET_PATHS or response.status_code >= 400:
                user_id = log_fields().get("user_id", _resolved_user_id(request))
                path = loggable_path(request)
                request_logger.log(
                    logging.WARNING if response.status_code >= 500 else logging.INFO,
                    "%s %s %s",
                    request.method,
                    path,
                    response.status_code,
                    extra={
                        # As sent, before validation: what a 400 for a foreign host needs.
                        "host": request.META.get("HTTP_HOST", "")[:255],
                        "method": request.method,
                        "path": path,
                        "status": response.status_code,
                        "duration_ms": duration_ms,
                        "user_id": user_id,
                    },
                )
        return response


def loggable_path(request: HttpRequest) -> str:
    """The request's path with the credentials in it (tokens, keys) replaced."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace in _PLAIN_URL_NAMESPACES:
        return path
    for name, value in match.kwargs.items():
        if name in _SECRET_URL_KWARGS and isinstance(value, str) and value:
            path = path.replace(value, REDACTED)
    return path


def _resolved_user_id(request: HttpRequest) -> int | None:
    # Only a user the request already looked up: resolving one here would read the session
    # after the response was made, for nothing but a log field.
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None
