"""A tenant's data as a zip, and back into a new tenant.

The archive:

    manifest.json        format and version, the tenant, its migration state, the files
                         below with their row counts, sizes and SHA-256, and its members
    data/<app.model>.json  every row of every model of the tenant apps (Django's JSON
                         serialization; users named by email, not by id)
    media/<path>         the tenant's files, as under its storage prefix

Export streams rows and files into the zip, so memory does not grow with the tenant. Import
refuses an archive made at another migration state (its rows would not fit the tables), then
creates the tenant and loads everything in one transaction: all of it or none of it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import models, transaction
from django.http import FileResponse
from django.utils import timezone

from tenants.context import tenant_connection, tenant_context
from tenants.lifecycle import Actor, tenant_event_record
from tenants.models import Membership, PlatformAction, Tenant
from tenants.roles import Role
from tenants.schemas import applied_migrations, expected_migrations
from tenants.services import tenant_provision
from tenants.storage import storage_walk, tenant_media_prefix

FORMAT = "strata-tenant-export"
VERSION = 1
# Sessions are someone's sign-in on this installation, and API keys its credentials, not the
# tenant's data: an imported workspace issues keys of its own.
_SKIPPED_APPS = {"sessions", "api_access"}


def _tenant_app_labels() -> list[str]:
    labels = []
    for name in settings.TENANT_APPS:
        config = next(c for c in apps.get_app_configs() if c.name == name)
        if config.label not in _SKIPPED_APPS:
            labels.append(config.label)
    return labels


def _tenant_models() -> list[type[models.Model]]:
    return [
        model
        for label in _tenant_app_labels()
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy and model._meta.managed
    ]


def _tenant_migrations(applied: frozenset[tuple[str, str]]) -> list[str]:
    labels = set(_tenant_app_labels())
    return sorted(f"{app}.{name}" for app, name in applied if app in labels)


def _user_fields(model: type[models.Model]) -> list[str]:
    user_model = get_user_model()
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is user_model
    ]


@dataclass
class ExportSummary:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0


def tenant_export(tenant: Tenant, output: IO[bytes], *, actor: Actor) -> ExportSummary:
    """Write `tenant`'s archive to `output` (a binary file, seekable or not): one consistent
    snapshot of its rows (a REPEATABLE READ transaction when this starts one)."""
    connection = tenant_connection()
    starts_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if starts_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _export(tenant, output, actor=actor)


def _export(tenant: Tenant, output: IO[bytes], *, actor: Actor) -> ExportSummary:
    summary = ExportSummary()
    schema = tenant.schema_name
    model_entries: list[dict[str, Any]] = []
    media_entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with tenant_context(tenant):
            for model in _tenant_models():
                label = model._meta.label_lower
                name = f"data/{label}.json"
                rows = model._default_manager.order_by("pk")
                with archive.open(name, "w") as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8")
                    serializers.serialize(
                        "json", rows.iterator(chunk_size=2000), stream=text,
                        use_natural_foreign_keys=True,
                    )  # fmt: skip
                    text.flush()
                    text.detach()  # the zip entry closes itself
                count = rows.count()
                summary.rows[label] = count
                model_entries.append({"model": label, "file": name, "count": count})
        prefix = tenant_media_prefix(schema)
        for path in storage_walk(prefix):
            digest = hashlib.sha256()
            relative = path.removeprefix(prefix)
            size = 0
            with (
                default_storage.open(path, "rb") as source,
                archive.open(f"media/{relative}", "w") as target,
            ):
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    target.write(chunk)
                    size += len(chunk)
            media_entries.append({"path": relative, "size": size, "sha256": digest.hexdigest()})
            summary.files += 1
            summary.bytes += size
        members = Membership.objects.filter(tenant=tenant).select_related("user").order_by("pk")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": timezone.now().isoformat(),
            "tenant": {
                "slug": tenant.slug,
                "name": tenant.name,
                "created_at": tenant.created_at.isoformat() if tenant.created_at else None,
            },
            "migrations": _tenant_migrations(applied_migrations(schema)),
            "models": model_entries,
            "media_prefix": prefix,
            "media": media_entries,
            "members": [{"email": m.user.get_username(), "role": m.role} for m in members],
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    tenant_event_record(
        PlatformAction.TENANT_EXPORTED, tenant, actor, rows=sum(summary.rows.values()),
        files=summary.files,
    )  # fmt: skip
    return summary


@dataclass
class ImportSummary:
    tenant: Tenant
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    members_added: list[str] = field(default_factory=list)
    members_skipped: list[str] = field(default_factory=list)


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="archive")


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise _refuse("This zip has no manifest.json: it is not a Strata export.") from None
    except ValueError:
        raise _refuse("manifest.json is not valid JSON: the export is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("This zip is not a Strata tenant export.")
    if manifest.get("version") != VERSION:
        raise _refuse(
            f"This export has format version {manifest.get('version')}; this Strata reads "
            f"version {VERSION}."
        )
    return manifest


def _rows(
    archive: zipfile.ZipFile, entry: dict[str, Any], old_prefix: str, new_prefix: str
) -> list[dict[str, Any]]:
    model = apps.get_model(entry["model"])
    if model not in _tenant_models():
        raise _refuse(f"{entry['model']} is not tenant data; the export is not Strata's.")
    try:
        objects: list[dict[str, Any]] = json.loads(archive.read(entry["file"]))
    except (KeyError, ValueError):
        raise _refuse(f"{entry['file']} is missing or damaged.") from None
    users = get_user_model()._default_manager
    for obj in objects:
        if obj.get("model") != entry["model"]:
            raise _refuse(f"{entry['file']} holds rows of another model.")
        for name in _user_fields(model):
            key = obj["fields"].get(name)
            if key is not None:  # an email (natural key); people of another platform: nobody
                user = users.filter(**{users.model.USERNAME_FIELD: key[0]}).first()
                obj["fields"][name] = user.pk if user is not None else None
        for name in _file_fields(model):
            # Files move to the new tenant's prefix; rows follow them there.
            value = str(obj["fields"].get(name) or "")
            if not value.startswith(old_prefix) or ".." in value.split("/"):
                raise _refuse(f"{entry['file']} names a file outside the export.")
            obj["fields"][name] = new_prefix + value.removeprefix(old_prefix)
    return objects


def _file_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _iter_media(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    for entry in manifest.get("media", []):
        relative = str(entry["path"])
        if relative.startswith("/") or ".." in relative.split("/"):
            raise _refuse(f"The file name {relative} is not allowed.")
        data = archive.read(f"media/{relative}")
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            raise _refuse(f"media/{relative} does not match its checksum: the export is damaged.")
        yield relative, data


def _check_sizes(archive: zipfile.ZipFile) -> None:
    """Refuse archives that would unpack to more than STRATA_IMPORT_MAX_BYTES, or whose
    entries are compressed suspiciously well (zip bombs), before reading any of them."""
    limit = settings.STRATA_IMPORT_MAX_BYTES
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > 200 * max(info.compress_size, 1):
            raise _refuse(f"{info.filename} unpacks to {info.file_size} bytes: not an export.")
    if total > limit:
        raise _refuse(
            f"This archive unpacks to {total} bytes, more than the {limit} allowed "
            "(STRATA_IMPORT_MAX_BYTES)."
        )


def tenant_import(
    archive_file: IO[bytes], *, slug: str, name: str, owner_email: str | None, actor: Actor
) -> ImportSummary:
    """Create a new tenant from an export: rows, files and (existing) members. Anything wrong
    with the archive is a ValidationError saying so; nothing is left of a failed import."""
    try:
        return _import(archive_file, slug=slug, name=name, owner_email=owner_email, actor=actor)
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        LookupError,
        DeserializationError,
    ) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise _refuse(
            f"The export is damaged or was not made by Strata ({type(exc).__name__}: {exc})."
        ) from None


def _import(
    archive_file: IO[bytes], *, slug: str, name: str, owner_email: str | None, actor: Actor
) -> ImportSummary:
    try:
        archive = zipfile.ZipFile(archive_file)
    except zipfile.BadZipFile:
        raise _refuse("That file is not a zip archive.") from None
    with archive:
        _check_sizes(archive)
        manifest = _manifest(archive)
        if manifest.get("migrations") != _tenant_migrations(expected_migrations()):
            raise _refuse(
                "This export was made at another version of Strata (its migrations differ from "
                "this one's); import it into a Strata at the same version."
            )
        owners = [m["email"] for m in manifest.get("members", []) if m.get("role") == Role.OWNER]
        owner = owner_email or (owners[0] if owners else None)
        if not owner:
            raise _refuse("The export names no owner; give one (--owner-email).")
        written: list[str] = []
        try:
            with transaction.atomic():
                result = tenant_provision(slug=slug, name=name, owner_email=owner)
                tenant = result.tenant
                summary = ImportSummary(tenant=tenant)
                with tenant_context(tenant):
                    loaded: list[type[models.Model]] = []
                    for entry in manifest.get("models", []):
                        objects = _rows(
                            archive,
                            entry,
                            str(manifest.get("media_prefix", "")),
                            tenant_media_prefix(tenant.schema_name),
                        )
                        for item in serializers.deserialize("python", objects):
                            item.save()
                        summary.rows[entry["model"]] = len(objects)
                        loaded.append(apps.get_model(entry["model"]))
                    connection = tenant_connection()
                    with connection.cursor() as cursor:
                        for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
                            cursor.execute(statement)
                _members(tenant, manifest, summary)
                prefix = tenant_media_prefix(tenant.schema_name)
                for relative, data in _iter_media(archive, manifest):
                    written.append(default_storage.save(f"{prefix}{relative}", ContentFile(data)))
                summary.files = len(written)
                tenant_event_record(
                    PlatformAction.TENANT_IMPORTED, tenant, actor,
                    source=manifest["tenant"].get("slug"), rows=sum(summary.rows.values()),
                )  # fmt: skip
        except BaseException:
            for path in written:  # the database rolled back; so do the files
                default_storage.delete(path)
            raise
    return summary


def _members(tenant: Tenant, manifest: dict[str, Any], summary: ImportSummary) -> None:
    users = get_user_model()._default_manager
    for member in manifest.get("members", []):
        email, role = str(member.get("email", "")), str(member.get("role", ""))
        user = users.filter(**{users.model.USERNAME_FIELD: email}).first()
        if user is None or role not in Role.values:
            summary.members_skipped.append(email)
            continue
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": role})
        summary.members_added.append(email)  # the owner among them, made by provisioning


def export_filename(tenant: Tenant) -> str:
    return f"strata-{tenant.slug}-{timezone.now():%Y%m%d-%H%M%S}.zip"


def export_download(tenant: Tenant, *, actor: Actor) -> FileResponse:
    """The export as a download (written to a temporary file first: the zip needs seeking)."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    tenant_export(tenant, file, actor=actor)
    file.seek(0)
    return FileResponse(
        file, as_attachment=True, filename=export_filename(tenant), content_type="application/zip"
    )
