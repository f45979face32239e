"""django-tenants commands that would bypass Strata's services, replaced by a pointer.

`tenants` comes before `django_tenants` in INSTALLED_APPS, so these commands shadow theirs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class RefusedCommand(BaseCommand):
    instead = ""  # what to run in Strata

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("args", nargs="*")
        parser.add_argument("--schema", "-s", dest="schema_name", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(f"Strata does not use this django-tenants command; {self.instead}")
