from __future__ import annotations

import sys
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from tenants.fleet import migrate_fleet
from tenants.pool import pool_refill


class Command(BaseCommand):
    help = (
        "Migrate public, the template schema (capturing the blueprint new tenants are made "
        "from), then every tenant and spare schema in parallel. Schemas already at head are "
        "skipped after one cheap check; a failing schema is reported and the rest proceed "
        "(exit status 1). Running it again resumes where it failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="worker processes (default: one per CPU; 1 migrates in this process)",
        )
        parser.add_argument(
            "--schema",
            action="append",
            dest="schemas",
            help="migrate only this schema (repeatable); public and the template still go first",
        )
        parser.add_argument(
            "--skip-pool", action="store_true", help="do not top the spare pool up afterwards"
        )

    def handle(
        self,
        *args: Any,
        workers: int | None,
        schemas: list[str] | None,
        skip_pool: bool,
        **options: Any,
    ) -> None:
        if workers is not None and workers < 1:
            raise CommandError("--workers must be 1 or more")
        verbosity = int(options.get("verbosity", 1))

        def say(message: str) -> None:
            if verbosity >= 1:
                self.stdout.write(message)
                self.stdout.flush()

        # Django's own migrate runs the database checks; this one replaces it. They refuse a
        # pooler that would move the search_path to another session between migrations.
        self.check(databases=[DEFAULT_DB_ALIAS], tags=[Tags.database])
        report = migrate_fleet(workers=workers, schemas=schemas, progress=say)
        say(
            f"fleet: {report.total} schemas in {report.seconds:.1f}s: "
            f"{len(report.migrated)} migrated, {report.at_head} already at head, "
            f"{len(report.failed)} failed"
        )
        if not skip_pool and not report.failed:
            made = pool_refill(progress=None)
            say(f"pool: {made} spare schemas made")
        if report.failed:
            for result in report.failed:
                self.stderr.write(f"FAILED {result.schema}: {result.error}")
            self.stderr.write(
                f"{len(report.failed)} schema(s) failed and were left as they were; fix the "
                "cause and run migrate_fleet again (it resumes with those)."
            )
            sys.exit(1)
