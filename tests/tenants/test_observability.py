"""JSON log lines: every request and task says which tenant, user and request it served."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from config.sentry import sentry_init
from shared_apps.accounts.models import User
from tenant_apps.api_access.models import Scope
from tenant_apps.api_access.services import api_key_create
from tenants.access import TenantView
from tenants.context import tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant
from tenants.observability import JsonFormatter, log_context, log_fields
from tenants.tasks import tenant_canary
from tests.conftest import ClientFactory
from tests.tenant_apps.plans import on_plan

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """What the console handler of production writes, one parsed JSON object per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def _request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "strata.request"]


def test_a_tenant_page_logs_one_line_with_request_id_tenant_user_status_and_duration(
    client_on: ClientFactory, tenant: Tenant, member: User, json_lines: Lines
) -> None:
    response = client_on(tenant, member).get("/projects/")

    assert response.status_code == 200
    [line] = _request_lines(json_lines())
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["tenant"] == "acme"
    assert line["tenant_schema"] == tenant.schema_name
    assert line["user_id"] == member.pk
    assert line["host"] == primary_host_for_slug(tenant.slug)
    assert (line["method"], line["path"], line["status"]) == ("GET", "/projects/", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] > 0
    assert line["message"] == "GET /projects/ 200"
    assert line["level"] == "INFO"


def test_an_api_request_with_a_key_names_the_key_by_its_prefix_never_its_secret(
    tenant: Tenant, owner: User, json_lines: Lines
) -> None:
    on_plan(tenant, "pro")
    with tenant_context(tenant):
        issued = api_key_create(
            tenant=tenant, name="logs", scope=Scope.READ, expires_at=None, actor=owner
        )
    api = Client(
        HTTP_HOST=primary_host_for_slug(tenant.slug),
        HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}",
    )

    response = api.get("/api/v1/projects/")

    assert response.status_code == 200
    [line] = _request_lines(json_lines())
    assert line["api_key"] == issued.key.prefix
    assert (line["tenant"], line["status"], line["path"]) == ("acme", 200, "/api/v1/projects/")
    assert issued.plaintext not in json.dumps(json_lines())


def test_an_outsiders_refused_request_is_logged_with_who_asked_and_no_data(
    client_on: ClientFactory, tenant: Tenant, outsider: User, json_lines: Lines
) -> None:
    response = client_on(tenant, outsider).get("/projects/")

    assert response.status_code == 403
    [line] = _request_lines(json_lines())
    assert (line["tenant"], line["user_id"], line["status"]) == ("acme", outsider.pk, 403)


def test_a_token_in_the_url_is_logged_as_redacted_never_as_itself(
    client_on: ClientFactory, tenant: Tenant, json_lines: Lines
) -> None:
    token = "invitation-token-that-is-a-credential"

    client_on(tenant).get(f"/invitations/{token}/")

    [line] = _request_lines(json_lines())
    assert line["path"] == "/invitations/[redacted]/"
    assert line["message"].startswith("GET /invitations/[redacted]/ ")
    assert token not in json.dumps(line)


def test_a_project_key_in_the_url_is_a_name_and_is_logged_as_it_is(
    client_on: ClientFactory, tenant: Tenant, member: User, json_lines: Lines
) -> None:
    client_on(tenant, member).get("/projects/NOPE/board/")

    [line] = _request_lines(json_lines())
    assert line["path"] == "/projects/NOPE/board/"


def test_a_foreign_host_is_logged_with_the_host_it_asked_for(db: None, json_lines: Lines) -> None:
    response = Client(HTTP_HOST="evil.example").get("/")

    assert response.status_code == 400
    [line] = _request_lines(json_lines())
    assert (line["host"], line["status"]) == ("evil.example", 400)
    assert "tenant" not in line


def test_the_apex_logs_without_a_tenant(client_on: ClientFactory, json_lines: Lines) -> None:
    response = client_on(None).get("/pricing/")

    assert response.status_code == 200
    [line] = _request_lines(json_lines())
    assert "tenant" not in line
    assert line["user_id"] is None
    assert line["status"] == 200


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("ingress-7f3a9c2e-01", True),
        ("short", False),
        ("x" * 65, False),
        ("bad id\nlevel=ERROR", False),
        ("ingress-7f3a9c2e-01\n", False),  # $ would have matched before the newline
        ('"},{"forged": 1', False),
    ],
)
def test_a_request_id_from_the_ingress_is_kept_only_when_it_is_plain(
    client_on: ClientFactory, json_lines: Lines, incoming: str, kept: bool
) -> None:
    response = client_on(None).get("/pricing/", HTTP_X_REQUEST_ID=incoming)

    [line] = _request_lines(json_lines())
    assert (response["X-Request-ID"] == incoming) is kept
    assert line["request_id"] == response["X-Request-ID"]
    assert "forged" not in line


def test_probes_are_answered_with_a_request_id_and_not_logged(
    client_on: ClientFactory, json_lines: Lines
) -> None:
    response = Client(HTTP_HOST="10.0.0.7").get("/healthz")

    assert response.status_code == 200
    assert len(response["X-Request-ID"]) == 32
    assert _request_lines(json_lines()) == []
    client_on(None).get("/pricing/")
    assert len(_request_lines(json_lines())) == 1  # the handler was listening all along


def test_a_task_logs_its_tenant_state_and_duration_with_the_request_and_user_that_enqueued_it(
    tenant: Tenant, member: User, json_lines: Lines
) -> None:
    with log_context(request_id="req-0123456789", user_id=member.pk), tenant_context(tenant):
        tenant_canary.delay("log-token", step="logged")
        after = dict(log_fields())

    [line] = [line for line in json_lines() if line["logger"] == "strata.tasks"]
    assert line["message"] == "task tenants.tenant_canary SUCCESS"
    assert line["task"] == "tenants.tenant_canary"
    assert len(line["task_id"]) == 36
    assert (line["request_id"], line["user_id"]) == ("req-0123456789", member.pk)
    assert (line["tenant"], line["tenant_schema"]) == ("acme", tenant.schema_name)
    assert (line["status"], line["level"]) == ("SUCCESS", "INFO")
    assert line["duration_ms"] >= 0
    # The eager task ran inside the request: the request's own fields are back afterwards.
    assert after == {"request_id": "req-0123456789", "user_id": member.pk}


def test_a_line_logged_with_an_exception_carries_its_traceback_and_extras(
    json_lines: Lines,
) -> None:
    with log_context(request_id="req-abcdefgh"):
        try:
            raise ValueError("a bad moment")
        except ValueError:
            logging.getLogger("strata.test").exception("it failed", extra={"attempt": 3})

    [line] = [line for line in json_lines() if line["logger"] == "strata.test"]
    assert (line["message"], line["level"], line["attempt"]) == ("it failed", "ERROR", 3)
    assert line["request_id"] == "req-abcdefgh"
    assert "ValueError: a bad moment" in line["exc_info"]


# --- Sentry ----------------------------------------------------------------------------------


class _FailingView(TenantView):
    def get(self, request: HttpRequest) -> HttpResponse:
        raise RuntimeError("the view broke")


urlpatterns = [path("broken/", _FailingView.as_view()), path("", include("config.urls_tenant"))]


class _CapturingTransport(Transport):
    """Sentry's network boundary: envelopes are kept here instead of being sent."""

    sent: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.sent.append(envelope)


@override_settings(ROOT_URLCONF=__name__)
def test_an_error_in_a_tenant_request_reaches_sentry_tagged_with_tenant_and_request(
    client_on: ClientFactory, tenant: Tenant, member: User, json_lines: Lines
) -> None:
    _CapturingTransport.sent = []
    sentry_init(
        dsn="https://public@sentry.invalid/1",
        environment="test",
        traces_sample_rate=0.0,
        transport=_CapturingTransport,
    )
    try:
        client = client_on(tenant, member)
        client.raise_request_exception = False
        response = client.get("/broken/")
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: the SDK stays installed, sending nothing

    assert response.status_code == 500
    events = [
        item.payload.json
        for envelope in _CapturingTransport.sent
        for item in envelope.items
        if item.type == "event" and item.payload.json is not None
    ]
    [event] = events
    assert event["exception"]["values"][-1]["value"] == "the view broke"
    assert event["tags"]["tenant"] == "acme"
    assert event["tags"]["tenant_schema"] == tenant.schema_name
    assert event["tags"]["request_id"] == response["X-Request-ID"]
    assert event["user"]["id"] == str(member.pk)
    assert event["environment"] == "test"
    # The same request in the log: Django's error line with the traceback, then ours.
    lines = [line for line in json_lines() if line.get("request_id") == response["X-Request-ID"]]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("django.request", "ERROR"),
        ("strata.request", "WARNING"),
    ]
    assert "RuntimeError: the view broke" in lines[0]["exc_info"]
    assert (lines[1]["status"], lines[1]["tenant"]) == (500, "acme")
