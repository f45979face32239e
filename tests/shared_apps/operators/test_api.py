"""The operator REST API: operator tokens only; provisioning and lifecycle for automation."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shared_apps.operators.models import OperatorToken
from shared_apps.operators.services import operator_token_create
from tenants.models import PlatformAction, PlatformAuditEntry, Tenant, TenantStatus

API = "/api/platform/v1"


@pytest.fixture
def token(db: None) -> str:
    _token, plain = operator_token_create(name="ci-deploy", created_by=None)
    return plain


def _api(token: str | None = None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(HTTP_HOST="localhost", **headers)  # type: ignore[arg-type]


def _post(client: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(f"{API}{path}", data or {}, content_type="application/json")


def test_without_a_valid_token_the_api_answers_401(
    token: str, console: Client, tenant: Tenant
) -> None:
    assert _api().get(f"{API}/tenants/").status_code == 401
    assert _api().get(f"{API}/tenants/")["WWW-Authenticate"].startswith("Bearer")
    assert _api("strata_op_nope_nope").get(f"{API}/tenants/").status_code == 401
    assert _api("not-even-a-token").get(f"{API}/tenants/").status_code == 401
    # A console session is not an operator token.
    assert console.get(f"{API}/tenants/").status_code == 401
    OperatorToken.objects.update(revoked_at=timezone.now())
    assert _api(token).get(f"{API}/tenants/").status_code == 401


def test_an_expired_token_is_refused(db: None, tenant: Tenant) -> None:
    _token, plain = operator_token_create(name="old", created_by=None, days=1)
    OperatorToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _api(plain).get(f"{API}/tenants/").status_code == 401


def test_tenants_are_listed_searched_and_shown(
    token: str, tenant: Tenant, other_tenant: Tenant
) -> None:
    api = _api(token)

    listed = api.get(f"{API}/tenants/").json()
    assert [t["slug"] for t in listed["results"]] == ["acme", "globex"]
    assert api.get(f"{API}/tenants/", {"search": "glob"}).json()["count"] == 1
    assert api.get(f"{API}/tenants/", {"status": "suspended"}).json()["count"] == 0
    bad = api.get(f"{API}/tenants/", {"status": "sleeping"})
    assert bad.status_code == 400
    assert "Choose one of" in bad.json()["status"][0]
    acme = api.get(f"{API}/tenants/acme/").json()
    assert (acme["primary_host"], acme["member_count"], acme["status"]) == (
        "acme.localhost",
        5,
        "active",
    )
    assert api.get(f"{API}/tenants/nosuch/").status_code == 404
    assert OperatorToken.objects.get().last_used_at is not None


def test_provisioning_through_the_api(token: str, tenant: Tenant) -> None:
    api = _api(token)

    created = _post(
        api, "/tenants/", {"slug": "initech", "name": "Initech", "owner_email": "b@i.test"}
    )

    assert created.status_code == 201, created.content
    assert created.json()["primary_host"] == "initech.localhost"
    assert Tenant.objects.filter(slug="initech").exists()
    taken = _post(api, "/tenants/", {"slug": "acme", "name": "X", "owner_email": "x@y.test"})
    assert taken.status_code == 400
    assert "already taken" in taken.json()["slug"][0]
    missing = _post(api, "/tenants/", {"slug": "ok"})
    assert missing.status_code == 400
    assert set(missing.json()) == {"name", "owner_email"}
    numbers = _post(api, "/tenants/", {"slug": 1234, "name": 5, "owner_email": "n@i.test"})
    assert numbers.status_code == 400
    assert set(numbers.json()) == {"slug", "name"}
    assert not Tenant.objects.filter(slug="1234").exists()
    entry = PlatformAuditEntry.objects.get(action=PlatformAction.TENANT_CREATED)
    assert entry.actor_label == "operator API token ci-deploy (" + entry.actor_label.split("(")[1]


def test_lifecycle_through_the_api(token: str, tenant: Tenant) -> None:
    api = _api(token)
    _post(api, "/tenants/", {"slug": "initech", "name": "Initech", "owner_email": "b@i.test"})

    no_reason = _post(api, "/tenants/initech/suspend/", {"reason": ""})
    assert no_reason.status_code == 400
    assert (
        _post(api, "/tenants/initech/suspend/", {"reason": "Fraud check"}).json()["status"]
        == "suspended"
    )
    assert _post(api, "/tenants/initech/suspend/", {"reason": "again"}).status_code == 409
    assert _post(api, "/tenants/initech/reactivate/").json()["status"] == "active"
    assert _post(api, "/tenants/initech/reactivate/").status_code == 409
    renamed = _post(api, "/tenants/initech/rename/", {"slug": "initrode"})
    assert renamed.json()["slug"] == "initrode"
    assert _post(api, "/tenants/initrode/rename/", {"slug": "www"}).status_code == 400
    assert _post(api, "/tenants/initrode/archive/").json()["status"] == "archived"
    assert _post(api, "/tenants/initrode/restore/").json()["status"] == "active"
    assert _post(api, "/tenants/initrode/purge/", {"confirm": "initrode"}).status_code == 409
    _post(api, "/tenants/initrode/archive/")
    assert _post(api, "/tenants/initrode/purge/", {"confirm": "acme"}).status_code == 400
    assert _post(api, "/tenants/initrode/purge/", {"confirm": "initrode"}).status_code == 204
    assert not Tenant.objects.filter(slug="initrode").exists()
    assert Tenant.objects.get(slug="acme").status == TenantStatus.ACTIVE


def test_the_openapi_schema_describes_the_api(token: str) -> None:
    schema = _api(token).get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert {"/api/platform/v1/tenants/", "/api/platform/v1/tenants/{slug}/suspend/"} <= set(
        document["paths"]
    )
    assert _api().get(f"{API}/schema/").status_code == 401


def test_the_list_refuses_paging_and_text_it_cannot_use_with_field_errors(
    token: str, tenant: Tenant
) -> None:
    """Found by schemathesis: an offset past PostgreSQL's bigint and a NUL character in the
    search reached the database (500s); a limit out of range was silently replaced."""
    api = _api(token)

    for query, field in [
        ({"offset": "17630090150593712854401024"}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"search": "ac\x00me"}, "search"),
        ({"search": "a" * 201}, "search"),
    ]:
        answer = api.get(f"{API}/tenants/", query)
        assert answer.status_code == 400, (query, answer.status_code)
        assert list(answer.json()) == [field], query
    everyone = Tenant.objects.count()
    past_the_end = api.get(f"{API}/tenants/", {"offset": str(everyone)}).json()
    assert (past_the_end["count"], past_the_end["results"]) == (everyone, [])
    blank = api.get(f"{API}/tenants/", {"limit": "", "search": "", "status": ""}).json()
    assert blank["count"] == everyone


def test_the_schema_documents_pages_conflicts_and_links(tmp_path: Any) -> None:
    out = tmp_path / "schema.json"
    call_command(
        "spectacular", "--urlconf", "config.urls_public", "--format", "openapi-json",
        "--file", str(out),
    )  # fmt: skip
    paths = json.loads(out.read_text())["paths"]

    listed = paths[f"{API}/tenants/"]["get"]
    assert listed["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedTenantList"
    }
    assert {p["name"] for p in listed["parameters"]} == {"limit", "offset", "search", "status"}
    assert "503" in paths[f"{API}/tenants/"]["post"]["responses"]
    for action in ("suspend", "reactivate", "rename", "archive", "restore", "purge"):
        assert "409" in paths[f"{API}/tenants/{{slug}}/{action}/"]["post"]["responses"], action
    created = paths[f"{API}/tenants/"]["post"]["responses"]["201"]["links"]
    assert created["Archive"] == {
        "operationId": "archive",
        "parameters": {"slug": "$response.body#/slug"},
    }
    archived = paths[f"{API}/tenants/{{slug}}/archive/"]["post"]["responses"]["200"]["links"]
    assert archived["Purge"]["requestBody"] == {"confirm": "$response.body#/slug"}


def test_tokens_are_created_once_from_the_command_line(db: None, tenant: Tenant) -> None:
    out, err = StringIO(), StringIO()
    call_command("operator_token", "create", "--name", "terraform", stdout=out, stderr=err)

    plain = out.getvalue().strip()
    assert plain.startswith("strata_op_")
    assert "not shown again" in err.getvalue()
    assert _api(plain).get(f"{API}/tenants/").status_code == 200
    assert plain.split("_")[-1] not in OperatorToken.objects.get().secret_hash


def test_the_schema_generates_without_warnings(tmp_path: Any) -> None:
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--urlconf", "config.urls_public", "--validate", "--fail-on-warn", "--file", str(out),
    )  # fmt: skip

    assert "operatorToken" in out.read_text()


def test_export_and_import_through_the_api(token: str, tenant: Tenant) -> None:
    api = _api(token)

    exported = api.get(f"{API}/tenants/acme/export/")

    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/zip"
    assert 'attachment; filename="strata-acme-' in exported["Content-Disposition"]
    archive = io.BytesIO(b"".join(exported.streaming_content))  # type: ignore[attr-defined]
    imported = api.post(
        f"{API}/tenants/import/",
        {"archive": archive, "slug": "acme-restored", "name": "Acme (restored)"},
    )
    assert imported.status_code == 201, imported.content
    assert imported.json()["slug"] == "acme-restored"
    assert imported.json()["member_count"] == 5
    bad = api.post(
        f"{API}/tenants/import/", {"archive": io.BytesIO(b"nope"), "slug": "x2", "name": "X"}
    )
    assert bad.status_code == 400
    assert "not a zip archive" in bad.json()["archive"][0]
    assert not Tenant.objects.filter(slug="x2").exists()


def test_without_a_blueprint_provisioning_answers_503_and_creates_nothing(
    token: str, tenant: Tenant
) -> None:
    from tenants.models import SchemaBlueprint, SpareSchema

    SpareSchema.objects.all().delete()
    SchemaBlueprint.objects.all().delete()

    response = _post(
        _api(token), "/tenants/", {"slug": "initech", "name": "I", "owner_email": "b@i.test"}
    )

    assert response.status_code == 503
    assert "migrate_fleet" in response.json()["detail"]
    assert not Tenant.objects.filter(slug="initech").exists()


def test_member_counts_stay_right_when_searching_by_domain(token: str, tenant: Tenant) -> None:
    from tenants.lifecycle import Actor, tenant_rename

    tenant_rename(tenant, new_slug="acme-corp", actor=Actor(label="t"))  # two domains now

    found = _api(token).get(f"{API}/tenants/", {"search": "acme"}).json()["results"]

    assert [(t["slug"], t["member_count"]) for t in found] == [("acme-corp", 5)]
