"""503, at once, while PostgreSQL or Redis cannot be reached: never a 500, never a hang.

An error that means a server is unreachable (a refused or cut connection, a server shutting
down or starting up, no pooled connection to be had) becomes a 503 with Retry-After: a page
for people, JSON under /api/ (config.errors.server_error asks `unavailable_response`).

Where Redis is only a cache, callers degrade to a miss on their own (routing, sessions, plan
standing, the API budget). Where it guards something (sign-in rate limits, spent TOTP codes,
hop tokens) its error reaches the request and is answered here: those fail closed.

While the database is unreachable, each process answers requests 503 without trying it for
RETRY_SECONDS after a failure, then lets one request through to try again; once one gets
through, the pool's idle connections that the outage broke are replaced. Without that, every
request would first wait for a pooled connection (DATABASE_POOL_TIMEOUT) before failing, and a
few seconds per request is how a short outage becomes a queue that outlasts it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Final

import psycopg
import psycopg_pool
import redis.exceptions
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from tenants.requests import wants_json

# What a Redis client raises when the server cannot be reached: callers that may degrade catch it.
REDIS_ERRORS: Final = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
RETRY_AFTER_SECONDS: Final = 5
# How long a process answers 503 without asking the database, after it failed to reach it.
RETRY_SECONDS: Final = 1.0

# SQLSTATEs of a server that cannot serve: the connection failed or was cut (class 08), or the
# server is shutting down or starting up (57P01-57P03).
_UNREACHABLE_STATES: Final = ("08", "57P01", "57P02", "57P03")


class Service(StrEnum):
    DATABASE = "database"
    REDIS = "redis"


_MESSAGES: Final = {
    Service.DATABASE: (
        "database_unavailable",
        "Strata is briefly unavailable",
        "We cannot reach our database for a moment. Please try again shortly; nothing is lost.",
    ),
    Service.REDIS: (
        "sign_in_unavailable",
        "Sign-in is briefly unavailable",
        (
            "Signing in and a few account actions are paused for a moment while one of our "
            "services restarts. Please try again in a minute; you are not locked out."
        ),
    ),
}


def unreachable_service(exc: BaseException | None) -> Service | None:
    """The service whose unreachability caused `exc` (through its causes), if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, psycopg_pool.PoolTimeout | psycopg_pool.PoolClosed | InterfaceError):
            return Service.DATABASE
        if isinstance(exc, psycopg.OperationalError):
            state = exc.sqlstate or ""
            if not state or state.startswith(_UNREACHABLE_STATES):
                return Service.DATABASE
            return None  # the server answered: a statement timeout, a deadlock ...
        if isinstance(exc, REDIS_ERRORS):
            return Service.REDIS
        if isinstance(exc, OperationalError) and exc.__cause__ is None:
            return Service.DATABASE  # raised by Django itself, not by the driver
        exc = exc.__cause__ or exc.__context__
    return None


class _Breaker:
    """Whether this process should try the database now (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self._probing = False

    def admit(self) -> tuple[bool, bool]:
        """(try it, as the one probe)."""
        with self._lock:
            if self._failed_at is None:
                return True, False
            if self._probing or time.monotonic() - self._failed_at < RETRY_SECONDS:
                return False, False
            self._probing = True
            return True, True

    def failed(self) -> None:
        with self._lock:
            self._failed_at = time.monotonic()
            self._probing = False

    def probed(self) -> bool:
        """The probe ended: True, and the breaker closed, unless it found the database
        unreachable (failed() already ended the probe and opened it again)."""
        with self._lock:
            if not self._probing:
                return False
            self._failed_at = None
            self._probing = False
            return True


database_breaker = _Breaker()


def unavailable_response(request: HttpRequest, service: Service) -> HttpResponse:
    """The 503 for `service`: JSON under /api/ (and for clients asking for JSON), else a page
    that needs nothing from the database to render."""
    code, title, message = _MESSAGES[service]
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse({"detail": f"{title}. {message}", "code": code}, status=503)
    else:
        page = loader.get_template("503.html").render({"title": title, "message": message})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def note_failure(service: Service) -> None:
    if service == Service.DATABASE:
        database_breaker.failed()


class DatabaseOutageMiddleware:
    """Answer 503 at once while this process knows the database is unreachable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admitted, probe = database_breaker.admit()
        if not admitted:
            response = unavailable_response(request, Service.DATABASE)
            # The failure that opened the breaker was logged with its traceback; the request
            # log line records this one.
            response._has_been_logged = True  # type: ignore[attr-defined]
            return response
        response = self.get_response(request)
        if probe and database_breaker.probed():
            _discard_broken_connections()
        return response


def _discard_broken_connections() -> None:
    """The database is back: test the pool's idle connections now and replace those the
    outage broke, instead of failing one request (and a second of 503s) for each."""
    pool = getattr(connections[DEFAULT_DB_ALIAS], "pool", None)  # None without the pool
    if pool is not None:
        pool.check()
