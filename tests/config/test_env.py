from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_secret, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_required_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRATA_EXAMPLE", raising=False)

    with pytest.raises(ImproperlyConfigured, match="STRATA_EXAMPLE is not set"):
        env_str("STRATA_EXAMPLE")


def test_a_blank_value_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_EXAMPLE", "   ")

    assert env_str("STRATA_EXAMPLE", default="fallback") == "fallback"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("no", False)]
)
def test_booleans_are_parsed(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("STRATA_FLAG", raw)

    assert env_bool("STRATA_FLAG") is expected


def test_a_malformed_boolean_says_what_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_FLAG", "maybe")

    with pytest.raises(
        ImproperlyConfigured, match=r"STRATA_FLAG='maybe' is not a boolean: use one"
    ):
        env_bool("STRATA_FLAG")


def test_numbers_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="STRATA_N='ten' is not a whole number"):
        env_int("STRATA_N")

    monkeypatch.setenv("STRATA_N", "-1")
    with pytest.raises(ImproperlyConfigured, match="STRATA_N=-1 must be >= 0"):
        env_int("STRATA_N", minimum=0)

    monkeypatch.setenv("STRATA_N", "2.5")
    assert env_float("STRATA_N") == 2.5


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_HOSTS", " a.example, ,b.example ")

    assert env_list("STRATA_HOSTS") == ["a.example", "b.example"]


def test_a_secret_may_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.delenv("STRATA_TOKEN", raising=False)
    monkeypatch.setenv("STRATA_TOKEN_FILE", str(secret))

    assert env_secret("STRATA_TOKEN") == "s3cr3t"


def test_a_secret_given_twice_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a")
    monkeypatch.setenv("STRATA_TOKEN", "b")
    monkeypatch.setenv("STRATA_TOKEN_FILE", str(secret))

    with pytest.raises(
        ImproperlyConfigured, match=r"Set only one of STRATA_TOKEN and STRATA_TOKEN_FILE"
    ):
        env_secret("STRATA_TOKEN")


def test_an_unreadable_secret_file_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STRATA_TOKEN", raising=False)
    monkeypatch.setenv("STRATA_TOKEN_FILE", str(tmp_path / "missing"))

    with pytest.raises(ImproperlyConfigured, match=r"STRATA_TOKEN_FILE=.*cannot be read"):
        env_secret("STRATA_TOKEN")


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter whose only settings variables are `env`."""
    prefixes = ("DATABASE_", "REDIS_", "DJANGO_", "STRATA_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


IMPORT_PROD = "import config.settings.prod"


def test_production_settings_without_a_database_name_the_variable() -> None:
    result = _python(IMPORT_PROD, DJANGO_SECRET_KEY="x")

    assert result.returncode != 0
    assert "Environment variable DATABASE_URL is not set" in result.stderr


def test_production_settings_without_a_secret_key_name_the_variable() -> None:
    result = _python(IMPORT_PROD, DATABASE_URL="postgres://u@h/d")

    assert "Environment variable DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_settings_require_redis() -> None:
    result = _python(
        IMPORT_PROD,
        DATABASE_URL="postgres://u@h/d",
        DJANGO_SECRET_KEY="x",
        STRATA_BASE_DOMAIN="strata.example.com",
    )

    assert "Environment variable REDIS_URL is not set" in result.stderr


def test_a_non_postgres_database_is_refused() -> None:
    result = _python(IMPORT_PROD, DATABASE_URL="mysql://u@h/d", DJANGO_SECRET_KEY="x")

    assert "DATABASE_URL must be a PostgreSQL URL" in result.stderr


def test_production_settings_use_the_native_connection_pool() -> None:
    result = _python(
        "from config.settings import prod; d = prod.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], sorted(d['OPTIONS']['pool']))",
        DATABASE_URL="postgres://u@h/d",
        DJANGO_SECRET_KEY="x",
        REDIS_URL="redis://h:6379/0",
        STRATA_BASE_DOMAIN="strata.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 ['max_lifetime', 'max_size', 'min_size', 'timeout']"


def test_production_settings_require_the_base_domain() -> None:
    result = _python(
        IMPORT_PROD,
        DATABASE_URL="postgres://u@h/d",
        DJANGO_SECRET_KEY="x",
        REDIS_URL="redis://h:6379/0",
    )

    assert "Environment variable STRATA_BASE_DOMAIN is not set" in result.stderr
