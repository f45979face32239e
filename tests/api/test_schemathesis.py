"""Schemathesis drives both APIs from their own OpenAPI schemas: the workspace API
(/api/schema/ on Acme's host, with a read-and-write API key) and the operator API
(/api/platform/v1/schema/ on the apex, with an operator token). Generated requests, valid and
not, must never get a 5xx, and every response must match the schema (status, headers, body);
input the schema forbids must be refused.

All of schemathesis's checks run but one: "positive data acceptance" expects every
schema-valid request to succeed, while some are refused for what the data means here, not its
shape (a label name already taken, a random user id that is no member, an archived project, a
subdomain that is reserved, a tenant whose state does not allow the action), each with a field
error or a 409 — the behaviour the API tests pin down.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test
from pytest_django import Settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from shared_apps.accounts.models import User
from shared_apps.operators.services import operator_token_create
from tenant_apps.api_access.models import Scope
from tenant_apps.api_access.services import api_key_create
from tenant_apps.projects.models import Label, Project
from tenant_apps.projects.services import Actor, project_create, task_create
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant
from tests.reliability.conftest import sized

# Bounded: every operation gets this many generated cases in each mode (plus explicit
# examples); `make reliability` runs more.
MAX_EXAMPLES = sized(25, 200)
# The operator API provisions, renames and purges real tenants (each a schema); fewer cases.
OPERATOR_MAX_EXAMPLES = sized(15, 100)
# Stateful scenarios (of up to 10 steps each).
WORKFLOWS = sized(50, 400)
OPERATOR_WORKFLOWS = sized(40, 150)


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
def operator_headers(tenant: Tenant, other_tenant: Tenant) -> dict[str, str]:
    _token, plain = operator_token_create(name="schemathesis", created_by=None)
    return {"Authorization": f"Bearer {plain}", "Host": "localhost"}


@pytest.fixture
def in_process() -> Iterator[None]:
    # As Django's test client does: requests served in-process must not close the test's
    # connection (its transaction holds the data above, and rolls back what the run writes).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(api_headers: dict[str, str], in_process: None) -> Any:
    return schemathesis.openapi.from_wsgi(
        "/api/schema/", get_wsgi_application(), headers=api_headers
    )


@pytest.fixture
def operator_schema(operator_headers: dict[str, str], in_process: None) -> Any:
    return schemathesis.openapi.from_wsgi(
        "/api/platform/v1/schema/", get_wsgi_application(), headers=operator_headers
    )


def test_the_api_matches_its_schema(api_schema: Any, api_headers: dict[str, str]) -> None:
    """Every operation of the workspace API, with valid (positive) and invalid (negative)
    generated input."""
    operations, failures = _explore_all(api_schema, api_headers, MAX_EXAMPLES)

    assert len(operations) >= 20, operations  # the whole API was in the schema
    assert not failures, "\n\n".join(failures)


def test_the_operator_api_matches_its_schema(
    operator_schema: Any, operator_headers: dict[str, str]
) -> None:
    """Every operation of the operator API, the same way: provisioning, the lifecycle actions
    (on Acme and Globex too, when a generated subdomain names them), export and import."""
    operations, failures = _explore_all(operator_schema, operator_headers, OPERATOR_MAX_EXAMPLES)

    assert len(operations) >= 11, operations
    assert all(label.split()[1].startswith("/api/platform/v1/") for label in operations)
    assert not failures, "\n\n".join(failures)


def _explore_all(
    schema: Any, headers: dict[str, str], max_examples: int
) -> tuple[list[str], list[str]]:
    """Every operation of `schema` in both modes; the operations' labels and each failure with
    schemathesis's own report (the request to reproduce it). The pytest plugin of schemathesis
    does not run under pytest 9 yet, so the loop is ours."""
    failures: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _explore(operation, mode, headers, max_examples)
            except (Exception, FailureGroup) as failure:  # each is reported by the caller
                failures.append(f"{operation.label} ({mode.value}):\n{failure}")
    return operations, failures


def _explore(
    operation: Any, mode: GenerationMode, headers: dict[str, str], max_examples: int
) -> None:
    """Generated cases of one operation in one mode, each sent and checked."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(
            headers=_headers_for(case, headers),
            excluded_checks=[positive_data_acceptance],
        )

    run()


def _headers_for(case: schemathesis.Case[Any], headers: dict[str, str]) -> dict[str, str]:
    """The host and credential go with every request, except when a negative case's headers
    are the invalid part of it (an Authorization header generated wrong, or left out where the
    schema requires one): replaced by a valid credential, the request would be served, and
    counted as invalid input accepted. Sent as generated, it must be refused (401) like any
    other invalid input."""
    if case.meta is None or case.meta.generation.mode is not GenerationMode.NEGATIVE:
        return headers
    component = case.meta.components.get(ParameterLocation.HEADER)
    invalid_headers = component is not None and component.mode is GenerationMode.NEGATIVE
    if invalid_headers or "Authorization" in (case.headers or {}):
        return {name: value for name, value in headers.items() if name != "Authorization"}
    return headers


# --- Stateful: scenarios that follow the schemas' links ------------------------------------------


def test_workflows_through_the_api_never_fail(api_schema: Any, api_headers: dict[str, str]) -> None:
    """Scenarios that follow the workspace API's links (create a project, a task in it; read,
    change and delete the task; comment on it, attach a file, download and delete it), each
    step checked like a single call."""
    run = _run_workflows(api_schema, api_headers, WORKFLOWS)

    assert not run.failures, "\n\n".join(run.failures)
    # The scenarios followed links: a project was made, and a task was reached by an id a
    # response gave (a generated id names none). Which steps succeed varies with the ids and
    # bodies a run draws (a task made through a project's link is refused whenever the
    # generated body names a random assignee or label), so no one of them is required.
    assert "POST /api/v1/projects/ 201" in run.answered
    by_id = "/api/v1/tasks/{public_id}/"
    assert {f"GET {by_id} 200", f"PATCH {by_id} 200", f"DELETE {by_id} 204"} & run.answered


def test_operator_workflows_never_fail(
    operator_schema: Any, operator_headers: dict[str, str]
) -> None:
    """Scenarios on the operator API: provision a tenant, then its lifecycle through the
    links (suspend and reactivate, rename, archive, restore, purge with the confirmation)."""
    run = _run_workflows(operator_schema, operator_headers, OPERATOR_WORKFLOWS)

    assert not run.failures, "\n\n".join(run.failures)
    assert "POST /api/platform/v1/tenants/ 201" in run.answered
    actions = ("suspend", "reactivate", "rename", "archive", "restore")
    assert {f"POST /api/platform/v1/tenants/{{slug}}/{action}/ 200" for action in actions} & (
        run.answered
    )


@dataclass
class Workflows:
    """What a stateful run did: each step's operation and status, and the failures."""

    answered: set[str] = field(default_factory=set)
    steps: int = 0
    failures: list[str] = field(default_factory=list)


def _run_workflows(schema: Any, headers: dict[str, str], scenarios: int) -> Workflows:
    """`scenarios` runs of schemathesis's state machine (links from the schema, and the ones
    schemathesis infers), each from the same world: a savepoint is taken before a scenario
    and rolled back after it, so that hypothesis can replay one and see the same answers."""
    run = Workflows()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.savepoint = transaction.savepoint()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"headers": _headers_for(case, headers)}

        def validate_response(
            self, response: Any, case: schemathesis.Case[Any], *args: Any, **kwargs: Any
        ) -> None:
            run.steps += 1
            run.answered.add(f"{case.operation.label} {response.status_code}")
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance],
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    try:
        run_state_machine_as_test(
            Machine,
            settings=settings(
                max_examples=scenarios,
                stateful_step_count=10,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            ),
        )
    except (Exception, FailureGroup) as failure:
        run.failures.append(str(failure))
    return run
