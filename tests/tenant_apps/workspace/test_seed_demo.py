from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.projects.models import Attachment, Comment, Label, Project, Task
from tenants.context import tenant_context
from tenants.models import Tenant


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


def test_the_demo_seed_gives_acme_a_lively_product_once(
    db: None, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DEBUG = True

    call_command("seed_demo")
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert out.count("added projects, tasks and comments to Acme Inc") == 1
    with tenant_context(Tenant.objects.get(slug="acme")):
        assert sorted(Project.objects.values_list("key", flat=True)) == ["APP", "OPS", "WEB"]
        assert Task.objects.count() == 25
        assert set(Task.objects.values_list("status", flat=True)) == {
            "todo", "in_progress", "in_review", "done",
        }  # fmt: skip
        assert set(Task.objects.values_list("priority", flat=True)) == {
            "low", "medium", "high", "urgent",
        }  # fmt: skip
        assignees = set(Task.objects.values_list("assignee__email", flat=True))
        assert {"owner@acme.example", "member@acme.example", "admin@acme.example", None} == (
            assignees
        )
        assert Task.objects.filter(due_date__isnull=False).count() >= 15
        assert Label.objects.count() == 5
        assert Comment.objects.count() == 5
        attachment = Attachment.objects.get()
        assert attachment.file.read().startswith(b"Mobile app 1.4")
        # Written through the services: the audit log tells the story.
        audited = AuditEntry.objects.filter(action=AuditAction.TASK_CREATED).count()
        assert audited == 25
        assert AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_ADDED).count() == 1
