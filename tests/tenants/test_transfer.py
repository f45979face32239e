"""Export a tenant to a zip and import it into a new tenant: all of it, or none of it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.members.models import Invitation
from tenants.context import tenant_context
from tenants.lifecycle import Actor
from tenants.models import Membership, PlatformAction, PlatformAuditEntry, Tenant
from tenants.storage import storage_walk, tenant_media_prefix
from tenants.transfer import tenant_export, tenant_import

OPERATOR = Actor(label="test operator")


@pytest.fixture
def acme_with_data(tenant: Tenant, owner: User, member: User) -> Tenant:
    with tenant_context(tenant):
        Invitation.objects.create(
            email="later@example.com",
            role="viewer",
            token_hash="1" * 64,
            invited_by=owner,
            expires_at=timezone.now() + timedelta(days=3),
        )
        AuditEntry.objects.create(action=AuditAction.LOGIN, actor=member, actor_label=member.email)
    default_storage.save(
        f"{tenant_media_prefix(tenant.schema_name)}attachments/plan.txt",
        ContentFile(b"the plan, in full"),
    )
    return tenant


def _export(tenant: Tenant) -> bytes:
    buffer = io.BytesIO()
    tenant_export(tenant, buffer, actor=OPERATOR)
    return buffer.getvalue()


def _schemas() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%%'")
        (count,) = cursor.fetchone()
    return int(count)


def test_an_export_holds_every_row_every_file_and_a_manifest(acme_with_data: Tenant) -> None:
    archive = zipfile.ZipFile(io.BytesIO(_export(acme_with_data)))

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "strata-tenant-export"
    assert manifest["tenant"]["slug"] == "acme"
    counts = {entry["model"]: entry["count"] for entry in manifest["models"]}
    assert counts == {
        "audit.auditentry": 1,
        "members.invitation": 1,
        **{f"projects.{name}": 0 for name in ("project", "label", "task", "comment", "attachment")},
    }
    invitations = json.loads(archive.read("data/members.invitation.json"))
    assert invitations[0]["fields"]["invited_by"] == ["alice@acme.test"]  # by email, not id
    assert archive.read("media/attachments/plan.txt") == b"the plan, in full"
    assert manifest["media"][0]["path"] == "attachments/plan.txt"
    assert {"email": "mia@acme.test", "role": "member"} in manifest["members"]
    assert any(name.startswith("audit.") for name in manifest["migrations"])
    assert PlatformAuditEntry.objects.filter(action=PlatformAction.TENANT_EXPORTED).count() == 1


def test_an_export_imports_into_a_new_tenant_with_its_rows_files_and_members(
    acme_with_data: Tenant, owner: User
) -> None:
    data = _export(acme_with_data)

    summary = tenant_import(
        io.BytesIO(data), slug="acme-copy", name="Acme (copy)", owner_email=None, actor=OPERATOR
    )

    copy = summary.tenant
    assert (copy.slug, copy.name) == ("acme-copy", "Acme (copy)")
    assert Membership.objects.get(tenant=copy, role="owner").user == owner
    assert set(Membership.objects.filter(tenant=copy).values_list("user__email", flat=True)) == set(
        Membership.objects.filter(tenant=acme_with_data).values_list("user__email", flat=True)
    )
    with tenant_context(copy):
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.invited_by_id) == ("later@example.com", owner.pk)
        assert AuditEntry.objects.filter(action=AuditAction.LOGIN).count() == 1
        # Sequences continue after the imported rows.
        later = AuditEntry.objects.create(action=AuditAction.LOGIN, actor_label="x")
        assert later.pk > AuditEntry.objects.earliest("pk").pk
    files = list(storage_walk(tenant_media_prefix(copy.schema_name)))
    assert [Path(f).name for f in files] == ["plan.txt"]
    with default_storage.open(files[0], "rb") as file:
        assert file.read() == b"the plan, in full"
    assert {model: rows for model, rows in summary.rows.items() if rows} == {
        "audit.auditentry": 1,
        "members.invitation": 1,
    }


def _broken(data: bytes, **changes: object) -> io.BytesIO:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(content)
                manifest.update(changes)
                content = json.dumps(manifest).encode()
            target.writestr(item.filename, content)
    out.seek(0)
    return out


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("not-a-zip", "not a zip archive"),
        ("no-manifest", "no manifest.json"),
        ("format", "not a Strata tenant export"),
        ("version", "format version 99"),
        ("migrations", "another version of Strata"),
        ("checksum", "does not match its checksum"),
        ("traversal", "is not allowed"),
        ("taken", "already taken"),
    ],
)
def test_a_bad_archive_is_refused_and_leaves_nothing(
    acme_with_data: Tenant, damage: str, message: str
) -> None:
    data = _export(acme_with_data)
    media = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))["media"]
    archive: io.BytesIO
    if damage == "not-a-zip":
        archive = io.BytesIO(b"PK? no")
    elif damage == "no-manifest":
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as empty:
            empty.writestr("readme.txt", "hi")
        archive.seek(0)
    elif damage == "format":
        archive = _broken(data, format="something-else")
    elif damage == "version":
        archive = _broken(data, version=99)
    elif damage == "migrations":
        archive = _broken(data, migrations=["audit.0001_initial"])
    elif damage == "checksum":
        archive = _broken(data, media=[{**media[0], "sha256": "0" * 64}])
    elif damage == "traversal":
        archive = _broken(data, media=[{**media[0], "path": "../../etc/passwd"}])
    else:
        archive = io.BytesIO(data)
    slug = "acme" if damage == "taken" else "acme-copy"
    before = (Tenant.objects.count(), _schemas(), User.objects.count())

    with pytest.raises(ValidationError, match=message):
        tenant_import(archive, slug=slug, name="Copy", owner_email=None, actor=OPERATOR)

    assert (Tenant.objects.count(), _schemas(), User.objects.count()) == before


def test_people_who_have_no_account_here_are_reported_not_invented(
    acme_with_data: Tenant, member: User
) -> None:
    data = _export(acme_with_data)
    Membership.objects.filter(user=member).delete()
    User.objects.filter(pk=member.pk).delete()

    summary = tenant_import(
        io.BytesIO(data), slug="acme-copy", name="Copy", owner_email=None, actor=OPERATOR
    )

    assert summary.members_skipped == ["mia@acme.test"]
    with tenant_context(summary.tenant):
        assert AuditEntry.objects.get(action=AuditAction.LOGIN).actor_id is None


def test_the_command_line_exports_and_imports(acme_with_data: Tenant, tmp_path: Path) -> None:
    target = tmp_path / "acme.zip"
    out = io.StringIO()

    call_command("tenant", "export", "acme", "--output", str(target), stdout=out)
    call_command(
        "tenant", "import", str(target), "--slug", "acme-copy", "--name", "Copy", stdout=out
    )

    assert "Exported acme" in out.getvalue()
    assert "Imported" in out.getvalue()
    assert Tenant.objects.filter(slug="acme-copy").exists()
    with pytest.raises(CommandError, match="exists already"):
        call_command("tenant", "export", "acme", "--output", str(target))
    with pytest.raises(CommandError, match="is not a file"):
        call_command("tenant", "import", str(tmp_path / "nope.zip"), "--slug", "x", "--name", "X")


@pytest.mark.parametrize(
    "changes",
    [
        {"models": [{"model": "nosuch.model", "file": "data/x.json", "count": 1}]},
        {"models": ["not an object"]},
        {"members": ["not an object"]},
        {"members": [{"email": "alice@acme.test", "role": "owner"}], "tenant": None},
        {"media": [{"path": 42}]},
    ],
)
def test_a_crafted_manifest_is_refused_not_a_crash(
    acme_with_data: Tenant, changes: dict[str, object]
) -> None:
    archive = _broken(_export(acme_with_data), **changes)
    before = (Tenant.objects.count(), _schemas())

    with pytest.raises(ValidationError):
        tenant_import(archive, slug="acme-copy", name="Copy", owner_email=None, actor=OPERATOR)

    assert (Tenant.objects.count(), _schemas()) == before


def test_an_archive_that_unpacks_too_far_is_refused_before_reading(
    acme_with_data: Tenant, settings: Settings
) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", "{}")
        archive.writestr("media/zeros.bin", b"\0" * 20_000_000)
    bomb.seek(0)

    with pytest.raises(ValidationError, match="unpacks to"):
        tenant_import(bomb, slug="acme-copy", name="Copy", owner_email=None, actor=OPERATOR)
    settings.STRATA_IMPORT_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="STRATA_IMPORT_MAX_BYTES"):
        tenant_import(
            io.BytesIO(_export(acme_with_data)), slug="acme-copy", name="Copy",
            owner_email=None, actor=OPERATOR,
        )  # fmt: skip


def test_attachments_move_with_their_files_into_the_new_tenant(
    tenant: Tenant, member: User
) -> None:
    from tenant_apps.projects.models import Attachment
    from tenant_apps.projects.services import Actor as Writer
    from tenant_apps.projects.services import attachment_add, project_create, task_create

    writer = Writer(user=member)
    with tenant_context(tenant):
        web = project_create(name="Website", key="WEB", actor=writer)
        task = task_create(tenant=tenant, project=web, title="Logo", actor=writer)
        attachment_add(
            tenant=tenant, task=task, upload=ContentFile(b"png", name="logo.png"), actor=writer
        )

    copy = tenant_import(
        io.BytesIO(_export(tenant)), slug="acme-copy", name="Copy", owner_email=None,
        actor=OPERATOR,
    ).tenant  # fmt: skip

    with tenant_context(copy):
        attachment = Attachment.objects.get()
        assert attachment.file.name.startswith(tenant_media_prefix(copy.schema_name))
        assert attachment.task.labels.count() == 0
        with default_storage.open(attachment.file.name, "rb") as file:
            assert file.read() == b"png"
