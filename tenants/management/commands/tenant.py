from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants import lifecycle, transfer
from tenants.hosts import primary_host_for_slug
from tenants.models import Tenant

ACTIONS = (
    "list", "suspend", "reactivate", "rename", "archive", "restore", "purge", "export", "import",
)  # fmt: skip


class Command(BaseCommand):
    help = (
        "Run a tenant through its lifecycle: list, suspend (with --reason) and reactivate, "
        "rename (--to NEW), archive and restore, purge (--yes), export (--output FILE.zip) and "
        "import (FILE.zip --slug NEW --name NAME). Every action is recorded in the platform "
        "audit log and the tenant's own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("list", help="every tenant with its status")
        for name, text in (
            ("suspend", "stop all access, with a reason"),
            ("reactivate", "undo a suspension"),
            ("rename", "give the tenant a new subdomain; the old one redirects for a while"),
            ("archive", "stop all access and keep the data for the retention period"),
            ("restore", "bring an archived tenant back"),
            ("purge", "remove everything of an archived tenant (cannot be undone)"),
            ("export", "write the tenant's data and files to a zip"),
        ):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("slug", help="the tenant's current subdomain, e.g. acme")
            if name == "export":
                sub.add_argument("--output", required=True, help="the zip file to write")
            if name in {"suspend", "archive"}:
                sub.add_argument("--reason", default="", required=name == "suspend")
            if name == "rename":
                sub.add_argument("--to", dest="new_slug", required=True, help="the new subdomain")
            if name == "purge":
                sub.add_argument(
                    "--yes", action="store_true", help="confirm: the data cannot be recovered"
                )
                sub.add_argument(
                    "--force", action="store_true", help="purge even if it is not archived"
                )

        importing = actions.add_parser("import", help="a new tenant from an export zip")
        importing.add_argument("archive", help="the zip made by `tenant export`")
        importing.add_argument("--slug", required=True, help="the new tenant's subdomain")
        importing.add_argument("--name", required=True, help="the new tenant's name")
        importing.add_argument(
            "--owner-email", default=None, help="its owner (default: the export's first owner)"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            self._list()
            return
        if action == "import":
            self._import(options)
            return
        tenant = Tenant.objects.filter(slug=str(options["slug"]).strip().lower()).first()
        if tenant is None:
            raise CommandError(
                f"No tenant has the subdomain “{options['slug']}”; see `manage.py tenant list`."
            )
        actor = lifecycle.Actor(label=f"command line ({getpass.getuser()})")
        steps: dict[str, Callable[[], str]] = {
            "suspend": lambda: self._suspend(tenant, actor, options["reason"]),
            "reactivate": lambda: self._reactivate(tenant, actor),
            "rename": lambda: self._rename(tenant, actor, options["new_slug"]),
            "archive": lambda: self._archive(tenant, actor, options["reason"]),
            "restore": lambda: self._restore(tenant, actor),
            "purge": lambda: self._purge(tenant, actor, options["yes"], options["force"]),
            "export": lambda: self._export(tenant, actor, options["output"]),
        }
        try:
            message = steps[action]()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(message))

    def _list(self) -> None:
        tenants = Tenant.objects.order_by("slug")
        for tenant in tenants:
            self.stdout.write(f"{tenant.slug:<30} {tenant.status:<10} {tenant.name}")
        self.stdout.write(f"{tenants.count()} tenants")

    def _suspend(self, tenant: Tenant, actor: lifecycle.Actor, reason: str) -> str:
        lifecycle.tenant_suspend(tenant, reason=reason, actor=actor)
        return f"Suspended {tenant.slug}: its hosts now show the suspended page."

    def _reactivate(self, tenant: Tenant, actor: lifecycle.Actor) -> str:
        lifecycle.tenant_reactivate(tenant, actor=actor)
        return f"Reactivated {tenant.slug}."

    def _rename(self, tenant: Tenant, actor: lifecycle.Actor, new_slug: str) -> str:
        old = tenant.slug
        tenant = lifecycle.tenant_rename(tenant, new_slug=new_slug, actor=actor)
        return (
            f"Renamed {old} to {tenant.slug}: now at {primary_host_for_slug(tenant.slug)}; "
            f"{primary_host_for_slug(old)} redirects there for a while."
        )

    def _archive(self, tenant: Tenant, actor: lifecycle.Actor, reason: str) -> str:
        tenant = lifecycle.tenant_archive(tenant, actor=actor, reason=reason)
        purge_after = tenant.purge_after.date().isoformat() if tenant.purge_after else "?"
        return f"Archived {tenant.slug}; its data is kept until {purge_after}."

    def _restore(self, tenant: Tenant, actor: lifecycle.Actor) -> str:
        lifecycle.tenant_restore(tenant, actor=actor)
        return f"Restored {tenant.slug}."

    def _purge(self, tenant: Tenant, actor: lifecycle.Actor, yes: bool, force: bool) -> str:
        if not yes:
            raise CommandError(
                f"Purging {tenant.slug} deletes all its data for good; add --yes to confirm."
            )
        report = lifecycle.tenant_purge(tenant, actor=actor, force=force)
        counts = ", ".join(f"{count} {what}" for what, count in report.removed.items() if count)
        return f"Purged {report.slug} (schema {report.schema_name} dropped; {counts or 'no rows'})."

    def _export(self, tenant: Tenant, actor: lifecycle.Actor, output: str) -> str:
        target = Path(output)
        if target.exists():
            raise CommandError(f"{target} exists already; choose another --output.")
        try:
            with target.open("xb") as file:
                summary = transfer.tenant_export(tenant, file, actor=actor)
        except OSError as exc:
            target.unlink(missing_ok=True)
            raise CommandError(f"Cannot write {target}: {exc.strerror}.") from None
        rows = sum(summary.rows.values())
        return f"Exported {tenant.slug} to {target}: {rows} rows, {summary.files} files."

    def _import(self, options: dict[str, Any]) -> None:
        source = Path(options["archive"])
        if not source.is_file():
            raise CommandError(f"{source} is not a file.")
        actor = lifecycle.Actor(label=f"command line ({getpass.getuser()})")
        try:
            with source.open("rb") as file:
                summary = transfer.tenant_import(
                    file,
                    slug=options["slug"],
                    name=options["name"],
                    owner_email=options["owner_email"],
                    actor=actor,
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        rows = sum(summary.rows.values())
        skipped = (
            f"; not members here (no account): {', '.join(summary.members_skipped)}"
            if summary.members_skipped
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {source} as {summary.tenant.slug}: {rows} rows, {summary.files} files, "
                f"{len(summary.members_added)} members{skipped}."
            )
        )
