"""The production settings and the image's build steps, run for real.

The image cannot be built here (no container engine), so its steps are run as the Dockerfile
writes them: collectstatic with the build's placeholder environment, then gunicorn with
config/gunicorn.py and config.settings.prod, serving the test database behind a pretend TLS
ingress (X-Forwarded-Proto), as Kubernetes would run it.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from pytest_django import DjangoDbBlocker

from shared_apps.accounts.models import User
from tenant_apps.api_access.models import ApiKey, Scope
from tenant_apps.api_access.services import api_key_create
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import PASSWORD, World
from tests.servers import ROOT, LiveServer, start_live_server, url_of_test_database

DOCKERFILE = ROOT / "Dockerfile"


def _dockerfile_collectstatic() -> tuple[dict[str, str], list[str]]:
    """The environment and arguments of the Dockerfile's collectstatic step."""
    [line] = [
        line
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith("RUN") and "collectstatic" in line
    ]
    words = shlex.split(line.removeprefix("RUN "))
    env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    command = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    assert command[:2] == [".venv/bin/python", "manage.py"], command
    return env, command[1:]


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env, arguments = _dockerfile_collectstatic()
    target = tmp_path_factory.mktemp("staticfiles")
    env["STRATA_STATIC_ROOT"] = str(target)
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return target


def _production_env(static_root: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": url_of_test_database(),
        "REDIS_URL": str(settings.REDIS_URL),
        "CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
        "STRATA_BASE_DOMAIN": "localhost",
        "STRATA_STATIC_ROOT": str(static_root),
        "STRATA_TRUSTED_PROXY_COUNT": "1",
        # Billing is off without Stripe keys; this plan lets the API key in.
        "STRATA_DEFAULT_PLAN": "business",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "LOG_FORMAT": "json",
    }


def test_the_deploy_check_passes_with_production_values(collected_static: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", **_production_env(collected_static)}
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]

    passed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    weak = subprocess.run(
        command,
        cwd=ROOT,
        env={**env, "DJANGO_SECRET_KEY": "short"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert passed.returncode == 0, passed.stderr
    assert "System check identified no issues" in passed.stdout
    assert weak.returncode != 0  # the check is real: a weak key fails it
    assert "security.W009" in weak.stderr


def test_the_image_collects_every_static_file_with_hashed_names(collected_static: Path) -> None:
    manifest = json.loads((collected_static / "staticfiles.json").read_text())["paths"]

    for name in ("css/strata.css", "css/api-docs.css", "js/board.js", "img/strata-mark.svg"):
        assert re.fullmatch(re.escape(name).replace(r"\.", r"\.[0-9a-f]{12}\.", 1), manifest[name])
        assert (collected_static / manifest[name]).is_file()
        assert (collected_static / f"{manifest[name]}.gz").is_file()  # compressed once, here


def test_the_image_runs_as_a_non_root_user_and_copies_every_application_package() -> None:
    text = DOCKERFILE.read_text()
    final_stage = text.rsplit("\nFROM ", 1)[1]

    [user] = re.findall(r"^USER (\S+)$", final_stage, re.MULTILINE)
    assert user.split(":")[0] not in {"root", "0"}
    assert 'CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi:application"]' in text
    assert "uv sync --frozen --no-dev" in text
    copied = set(re.findall(r"^COPY (\S+) \1$", text, re.MULTILINE))
    packages = {
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").exists() and path.name not in {"tests", "bench", "typings"}
    }
    assert packages <= copied, f"not copied into the image: {packages - copied}"
    assert {"templates", "static"} <= copied


# --- A production server ---------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []

    def cookie(self, name: str) -> str:
        [cookie] = [c for c in self.cookies() if c.startswith(f"{name}=")]
        return cookie


def _ask(
    server: LiveServer,
    host: str,
    path: str,
    *,
    method: str = "GET",
    https: bool = True,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> Reply:
    """One request, redirects not followed, as the ingress forwards it after TLS."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    sent = {"Host": host, **({"X-Forwarded-Proto": "https"} if https else {}), **(headers or {})}
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    reply = Reply(response.status, response.msg, response.read())
    connection.close()
    return reply


@pytest.fixture(scope="module")
def production_server(world: World, collected_static: Path) -> Iterator[LiveServer]:
    server = start_live_server(
        env=_production_env(collected_static),
        config_file="config/gunicorn.py",
        name="production-server",
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_key(world: World, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(pk=world.tenant_id)
        owner = User.objects.get(pk=world.users["owner"])
        with tenant_context(tenant):
            issued = api_key_create(
                tenant=tenant, name="deploy test", scope=Scope.READ, expires_at=None, actor=owner
            )
    yield issued.plaintext
    with django_db_blocker.unblock(), tenant_context(tenant):
        ApiKey.objects.filter(pk=issued.key.pk).delete()


def _assert_security_headers(reply: Reply, *, request_id: str = r"[0-9a-f]{32}") -> None:
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    policy = reply.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "upgrade-insecure-requests",
    ):
        assert directive in policy
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "same-origin"
    assert reply.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert re.fullmatch(request_id, reply.headers["X-Request-ID"])


def _cookie_attributes(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_the_apex_answers_with_the_security_headers(production_server: LiveServer) -> None:
    reply = _ask(production_server, "localhost", "/")

    assert reply.status == 200
    _assert_security_headers(reply)
    stylesheet = re.search(rb'href="(/static/css/strata\.[0-9a-f]{12}\.css)"', reply.body)
    assert stylesheet is not None  # the manifest's hashed name, from the image's collectstatic
    css = _ask(production_server, "localhost", stylesheet.group(1).decode())
    assert css.status == 200
    assert "immutable" in css.headers["Cache-Control"]


@pytest.fixture
def production_password(world: World, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """Alice's password hashed as production hashes it (the tests' settings use a fast hasher
    that production does not accept); her own hash is back afterwards."""
    with django_db_blocker.unblock():
        users = User.objects.filter(pk=world.users["owner"])
        before = users.get().password
        users.update(password=PBKDF2PasswordHasher().encode(PASSWORD, "deploytestsalt"))
        try:
            yield PASSWORD
        finally:
            users.update(password=before)


def test_a_tenant_sign_in_sets_secure_host_only_cookies_and_the_session_works(
    production_server: LiveServer, production_password: str
) -> None:
    login_page = _ask(production_server, "acme.localhost", "/accounts/login/")
    assert login_page.status == 200
    _assert_security_headers(login_page)
    csrf = login_page.cookie("__Host-csrftoken")
    assert {"secure", "path", "samesite"} <= _cookie_attributes(csrf)
    assert "domain" not in _cookie_attributes(csrf)  # host-only
    token = csrf.split(";")[0].split("=", 1)[1]
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.body)
    assert form_token is not None

    signed_in = _ask(
        production_server,
        "acme.localhost",
        "/accounts/login/",
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"__Host-csrftoken={token}",
            "Origin": "https://acme.localhost",
        },
        body=f"login=alice%40acme.test&password={production_password.replace(' ', '+')}"
        f"&csrfmiddlewaretoken={form_token.group(1).decode()}",
    )

    assert signed_in.status == 302, signed_in.body[:500]
    session = signed_in.cookie("__Host-strata_session")
    assert {"secure", "httponly", "path", "samesite"} <= _cookie_attributes(session)
    assert "domain" not in _cookie_attributes(session)
    projects = _ask(
        production_server,
        "acme.localhost",
        "/projects/",
        headers={"Cookie": session.split(";")[0]},
    )
    assert projects.status == 200
    _assert_security_headers(projects)
    # The cookie belongs to acme's host: on globex's it is worth nothing.
    elsewhere = _ask(
        production_server, "globex.localhost", "/", headers={"Cookie": session.split(";")[0]}
    )
    assert elsewhere.status == 302
    assert "/accounts/login/" in elsewhere.headers["Location"]


def test_an_api_response_carries_the_headers_and_its_log_line_names_the_tenant(
    production_server: LiveServer, api_key: str, world: World, django_db_blocker: DjangoDbBlocker
) -> None:
    reply = _ask(
        production_server,
        "acme.localhost",
        "/api/v1/projects/",
        headers={"Authorization": f"Bearer {api_key}", "X-Request-ID": "ingress-req-000042"},
    )

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    _assert_security_headers(reply, request_id="ingress-req-000042")  # the ingress's own id
    with django_db_blocker.unblock():
        schema = Tenant.objects.get(pk=world.tenant_id).schema_name
    line = _log_line(production_server, "ingress-req-000042")
    assert line["logger"] == "strata.request"
    assert (line["tenant"], line["tenant_schema"]) == ("acme", schema)
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/projects/", 200)
    assert line["api_key"] == api_key.split("_")[1]  # strata_<prefix>_<secret>: the prefix
    assert api_key not in production_server.log()
    assert isinstance(line["duration_ms"], float)


def _log_line(server: LiveServer, request_id: str) -> dict[str, Any]:
    for raw in server.log().splitlines():
        if raw.startswith("{") and request_id in raw:
            line: dict[str, Any] = json.loads(raw)
            if line.get("request_id") == request_id and line["logger"] == "strata.request":
                return line
    raise AssertionError(f"no log line for {request_id}:\n{server.log()[-3000:]}")


def test_plain_http_is_redirected_but_probes_are_answered_on_any_host(
    production_server: LiveServer,
) -> None:
    plain = _ask(production_server, "acme.localhost", "/projects/", https=False)
    probe = _ask(production_server, "10.42.0.17:8000", "/healthz", https=False)
    ready = _ask(production_server, "10.42.0.17:8000", "/readyz", https=False)

    assert plain.status == 301
    assert plain.headers["Location"] == "https://acme.localhost/projects/"
    assert "Strict-Transport-Security" not in plain.headers  # only ever sent over HTTPS
    assert (probe.status, json.loads(probe.body)) == (200, {"status": "ok"})
    assert ready.status == 200
    assert json.loads(ready.body)["checks"] == {
        "database": "ok",
        "redis": "ok",
        "migrations": "ok",
    }


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "acme.localhost@x"])
def test_a_host_that_is_not_strata_gets_400(production_server: LiveServer, host: str) -> None:
    assert _ask(production_server, host, "/").status == 400


def test_every_line_the_server_writes_is_json(production_server: LiveServer) -> None:
    _ask(production_server, "localhost", "/pricing/")

    lines = [line for line in production_server.log().splitlines() if line.strip()]
    assert lines
    parsed = [json.loads(line) for line in lines]  # gunicorn's own lines too
    assert any(line["logger"] == "gunicorn.error" for line in parsed)
    assert any(line.get("path") == "/pricing/" for line in parsed)
