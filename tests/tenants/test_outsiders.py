"""Every page and endpoint of a workspace, tried by a signed-in member of another workspace.

The routes come from the tenant URLconf itself, so a page added later is swept too, without
anyone remembering to list it here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.audit.services import audit_record
from tenant_apps.members.models import Invitation
from tenant_apps.projects.models import Attachment, Comment, Label, Project, Task
from tenants.context import tenant_context
from tenants.domains import custom_domain_add
from tenants.models import Domain, Membership, Tenant
from tests.conftest import ClientFactory

CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(_routes(pattern.url_patterns, route))
        else:
            found.append((route, pattern.callback))
    return found


def _is_open(callback: Any) -> bool:
    """Reachable by strangers on purpose, each checking its own credential (test_access.py lists
    them). The sweep still visits these, and checks that they hand out nothing of Acme's."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return bool(getattr(view_class, "dangerously_allow_non_members", False))


@pytest.fixture
def acme_ids(tenant: Tenant, owner: User, member: User) -> dict[str, str]:
    """Real ids from Acme to put in the routes: the outsider aims at things that exist."""
    with tenant_context(tenant):
        invitation = Invitation.objects.create(
            email="pending@example.com",
            role="member",
            token_hash="0" * 64,
            invited_by=owner,
            expires_at=timezone.now() + timedelta(days=7),
        )
        audit_record(action=AuditAction.LOGIN, actor=member)
    membership = Membership.objects.get(tenant=tenant, user=member)
    domain = custom_domain_add(tenant, "tasks.acme-corp.test")
    with tenant_context(tenant):
        project = Project.objects.create(name="Secret plans", key="SEC")
        label = Label.objects.create(name="secret-label")
        task = Task.objects.create(project=project, number=7, title="Secret task")
        comment = Comment.objects.create(task=task, author=member, body="secret comment")
        attachment = Attachment.objects.create(
            task=task, file="nowhere/secret.txt", name="secret.txt", size=1
        )
    return {
        "invitation": str(invitation.public_id),
        "membership": str(membership.public_id),
        "domain": str(domain.pk),
        "project": str(project.public_id),
        "project_key": project.key,
        "task": str(task.public_id),
        "task_number": str(task.number),
        "comment": str(comment.public_id),
        "attachment": str(attachment.public_id),
        "label": str(label.pk),
    }


REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _path(route: str, ids: dict[str, str]) -> str | None:
    if route.startswith("^"):  # a regular expression: only the reset-key pages, which are open
        return None
    if "^" in route:  # a DRF router's pattern under a plain prefix
        by_group = {"public_id": ids["project"], "pk": ids["label"]}
        if any(m.group("name") not in by_group for m in REGEX_GROUP.finditer(route)):
            return None
        route = REGEX_GROUP.sub(
            lambda m: by_group[m.group("name")], route.replace("^", "").replace("$", "")
        )

    def value(match: re.Match[str]) -> str:
        """The id of a real Acme object of the kind the path segment before it names."""
        kind, name = match.group("kind"), match.group("name")
        if kind == "slug":
            return "globex"  # the outsider's own workspace
        if name == "token":
            return "some-token"
        if name == "number":
            return ids["task_number"]
        segment = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        by_segment = {
            "projects": ids["project"] if kind == "uuid" else ids["project_key"],
            "tasks": ids["task"],
            "comments": ids["comment"],
            "attachments": ids["attachment"],
            "invitations": ids["invitation"],
            "members": ids["membership"],
            "labels": ids["label"],
            "domains": ids["domain"],
        }
        return by_segment.get(segment, ids["membership"])

    return "/" + CONVERTER.sub(value, route)


def _state(tenant: Tenant) -> tuple[Any, ...]:
    with tenant_context(tenant):
        invitations = sorted(Invitation.objects.values_list("email", "status", "role"))
        audit = AuditEntry.objects.exclude(action__startswith="auth.").count()
        projects: list[tuple[Any, ...]] = sorted(
            Project.objects.values_list("key", "name", "archived")
        )
        projects += sorted((name, "label") for name in Label.objects.values_list("name", flat=True))
        projects += sorted(Task.objects.values_list("number", "title", "status", "version"))
        projects += [(Comment.objects.count(), Attachment.objects.count())]
    memberships = sorted(
        Membership.objects.filter(tenant=tenant).values_list("user__email", "role")
    )
    domains = sorted(Domain.objects.filter(tenant=tenant).values_list("domain", "verified_at"))
    return invitations, audit, memberships, domains, projects


def test_an_outsider_gets_nothing_on_any_page_or_endpoint_and_changes_nothing(
    client_on: ClientFactory,
    tenant: Tenant,
    outsider: User,
    member: User,
    acme_ids: dict[str, str],
) -> None:
    routes = _routes(get_resolver("config.urls_tenant").url_patterns)
    before = _state(tenant)
    tried: list[str] = []
    for route, callback in routes:
        path = _path(route, acme_ids)
        if path is None:
            continue
        for method in ("get", "post"):
            client = client_on(tenant, outsider)
            response = getattr(client, method)(path, {"role": "admin", "email": "x@example.com"})
            body = response.content.decode(errors="replace")
            tried.append(f"{method.upper()} {path}")
            # Nothing of Acme's people or pending invitations shows, on any page.
            assert member.email not in body, f"{method.upper()} {path}"
            assert "pending@example.com" not in body, f"{method.upper()} {path}"
            assert "Secret plans" not in body, f"{method.upper()} {path}"
            assert "secret-label" not in body, f"{method.upper()} {path}"
            assert "Secret task" not in body, f"{method.upper()} {path}"
            assert "secret comment" not in body, f"{method.upper()} {path}"
            if not _is_open(callback):
                assert response.status_code == 403, f"{method.upper()} {path}"

    assert _state(tenant) == before
    assert len(tried) >= 40, tried  # the sweep really went through the URLconf
    assert f"GET /api/v1/projects/{acme_ids['project']}/" in tried  # routers' routes too
    # The work tracker's pages aim at Acme's real project, task, comment and file.
    assert "GET /projects/SEC/7/" in tried
    assert f"POST /comments/{acme_ids['comment']}/delete/" in tried
    assert f"GET /attachments/{acme_ids['attachment']}/download/" in tried
