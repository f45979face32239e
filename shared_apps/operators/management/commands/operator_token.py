from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_apps.operators.models import OperatorToken
from shared_apps.operators.services import operator_token_create


class Command(BaseCommand):
    help = "Create or list tokens for the operator API (/api/platform/v1/)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="a new token, printed once")
        create.add_argument("--name", required=True, help="what will use it, e.g. ci-deploy")
        create.add_argument("--days", type=int, default=None, help="expires after this many days")
        actions.add_parser("list", help="the tokens and when they were last used")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            for token in OperatorToken.objects.all():
                state = "revoked" if token.revoked_at else ("active" if token.usable else "expired")
                used = token.last_used_at.isoformat() if token.last_used_at else "never"
                self.stdout.write(f"{token.prefix}  {state:<8} {token.name}  (last used {used})")
            return
        days = options["days"]
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--days must be between 1 and 3650")
        try:
            _token, plain = operator_token_create(name=options["name"], created_by=None, days=days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(plain)
        self.stderr.write("Store it now: it is not shown again.")
