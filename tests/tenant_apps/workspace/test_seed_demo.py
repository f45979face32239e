from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from pytest_django import Settings

from shared_apps.accounts.models import User


def test_the_demo_seed_refuses_to_run_outside_development(db: None) -> None:
    with pytest.raises(CommandError, match="only runs with DJANGO_DEBUG=true"):
        call_command("seed_demo")

    assert not User.objects.filter(email="operator@strata.example").exists()


def test_the_demo_seed_creates_the_demo_and_can_run_twice(
    db: None, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DEBUG = True

    call_command("seed_demo", port="8123")
    call_command("seed_demo", port="8123")

    out = capsys.readouterr().out
    assert "http://acme.localhost:8123/" in out
    operator = User.objects.get(email="operator@strata.example")
    assert operator.is_superuser
    assert operator.check_password("strata-demo")
    alice = User.objects.get(email="owner@acme.example")
    assert sorted(m.tenant.slug for m in alice.memberships.all()) == ["acme", "globex"]
