from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tenants.models import Tenant
from tests.servers import url_of_test_database

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url_of_test_database(),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "create_tenant", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_it_creates_a_tenant_and_says_where(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("create_tenant", slug="hooli", name="Hooli", owner_email="gavin@hooli.test")

    out = capsys.readouterr().out
    assert "Created workspace “Hooli” at hooli.localhost (owner gavin@hooli.test)." in out
    assert "python manage.py changepassword gavin@hooli.test" in out
    assert Tenant.objects.filter(slug="hooli").exists()


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("acme", "CommandError: “acme” is already taken. Choose another subdomain."),
        ("www", "CommandError: “www” is reserved by Strata. Choose another subdomain."),
        ("bad_slug", "CommandError: Use only lowercase letters a-z, digits and hyphens"),
        ("a'; drop table x; --", "CommandError: Use only lowercase letters a-z"),
    ],
)
def test_a_refused_slug_exits_non_zero_with_one_line_and_creates_nothing(
    tenant: Tenant, slug: str, expected: str
) -> None:
    before = Tenant.objects.count()

    result = _run("--slug", slug, "--name", "Nope", "--owner-email", "nope@nope.test")

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert Tenant.objects.count() == before


def test_a_missing_argument_names_it() -> None:
    result = _run("--slug", "x")

    assert result.returncode != 0
    assert "--name" in result.stderr
    assert "--owner-email" in result.stderr
