"""Schemathesis drives the workspace API from its own OpenAPI schema (/api/schema/ on Acme's
host, with a read-and-write API key): generated requests, valid and not, must never get a 5xx,
and every response must match the schema (status, headers, body); input the schema forbids
must be refused.

All of schemathesis's checks run but one: "positive data acceptance" expects every
schema-valid request to succeed, while some are refused for what the data means here, not its
shape (a label name already taken, a random user id that is no member, an archived project),
each with a field error — the behaviour the API tests pin down.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from pytest_django import Settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from shared_apps.accounts.models import User
from tenant_apps.api_access.models import Scope
from tenant_apps.api_access.services import api_key_create
from tenant_apps.projects.models import Label, Project
from tenant_apps.projects.services import Actor, project_create, task_create
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant

# Bounded: every operation gets this many generated cases (plus explicit examples).
MAX_EXAMPLES = 25


@pytest.fixture
def api_headers(tenant: Tenant, owner: User, settings: Settings) -> dict[str, str]:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 1_000_000  # the run is one long burst
    with tenant_context(tenant):
        key = api_key_create(
            tenant=tenant, name="schemathesis", scope=Scope.READ_WRITE, expires_at=None, actor=owner
        )
        # Something to find: generated ids mostly miss, these sometimes hit.
        project = project_create(name="Website", key="WEB", actor=Actor(user=owner))
        Label.objects.create(name="bug")
        task_create(tenant=tenant, project=project, title="Home page", actor=Actor(user=owner))
        assert Project.objects.count() == 1
    return {"Authorization": f"Bearer {key.plaintext}", "Host": primary_host_for_slug(tenant.slug)}


@pytest.fixture
def api_schema(api_headers: dict[str, str]) -> Iterator[Any]:
    # As Django's test client does: requests served in-process must not close the test's
    # connection (its transaction holds the data above, and rolls back what the run writes).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/", get_wsgi_application(), headers=api_headers
        )
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_the_api_matches_its_schema(api_schema: Any, api_headers: dict[str, str]) -> None:
    """Every operation, with valid (positive) and invalid (negative) generated input. The
    pytest plugin of schemathesis does not run under pytest 9 yet, so the loop is ours; each
    failure is collected with schemathesis's own report (the request to reproduce it)."""
    failures: list[str] = []
    operations = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _explore(operation, mode, api_headers)
            except Exception as failure:  # every failure is reported below
                failures.append(f"{operation.label} ({mode.value}):\n{failure}")

    assert len(operations) >= 20, operations  # the whole API was in the schema
    assert not failures, "\n\n".join(failures)


def _explore(operation: Any, mode: GenerationMode, api_headers: dict[str, str]) -> None:
    """Generated cases of one operation in one mode, each sent and checked."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(
            headers=_headers_for(case, mode, api_headers),
            excluded_checks=[positive_data_acceptance],
        )

    run()


def _headers_for(
    case: schemathesis.Case[Any], mode: GenerationMode, api_headers: dict[str, str]
) -> dict[str, str]:
    """The workspace's host and key go with every request, except that a negative case's own
    Authorization header is sent as generated: it may be the invalid part of the case, and
    replaced by a valid key the request would be served, and counted as invalid input
    accepted. Sent, it must be refused (401) like any other invalid input."""
    if mode is GenerationMode.NEGATIVE and "Authorization" in (case.headers or {}):
        return {name: value for name, value in api_headers.items() if name != "Authorization"}
    return api_headers
