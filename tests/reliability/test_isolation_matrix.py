"""The isolation matrix: every route of a workspace host and of the apex, with every method its
view answers, tried by an outsider in four ways. Acme is the victim, Globex the attacker.

- host: a Globex user signed in on Acme's own host (a session somehow obtained there);
- api_key: Globex's read-write API key, sent to Acme's host;
- session_cookie: a Globex session cookie replayed on Acme's host, from Bea, who belongs to
  both workspaces (so a cookie that crossed over would open everything);
- ids: on Globex's own host, signed in there or with Globex's key, aiming at Acme's ids (in the
  path and in every id-shaped field of the body).

The routes come from the URL resolvers and are checked against the OpenAPI schemas both ways.
Each has a kind in MATRIX below, which says what the outsider must get. A route or method added
later that is not in MATRIX fails `test_every_route_and_method_is_in_the_matrix`, so nobody can
add a page without deciding what an outsider gets there.

Whatever the kind, no response may carry Acme's data (names, titles, bodies, emails, domains,
file names, key names), no request may change Acme, and none may be a server error.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenant_apps.api_access.models import ApiKey, Scope
from tenant_apps.api_access.services import api_key_create
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.audit.services import audit_record
from tenant_apps.members.models import Invitation
from tenant_apps.projects.models import Attachment, Comment, Label, Project, Task
from tenants.context import tenant_context
from tenants.domains import custom_domain_add
from tenants.hosts import primary_host_for_slug
from tenants.models import Domain, Membership, Tenant
from tests.conftest import ClientFactory

Way = Literal["host", "api_key", "session_cookie", "ids"]
WAYS: tuple[Way, ...] = ("host", "api_key", "session_cookie", "ids")

# What a route is, for an outsider:
# - "workspace": a page or list of the workspace as a whole (no id in the path);
# - "object": names one of the workspace's things (or people) by id;
# - "open": reachable by non-members on purpose, each checking its own credential (sign-in,
#   password reset, an invitation's token; tests/tenants/test_access.py lists them);
# - "operator": the operator console and API on the apex, for operators only;
# - "owner": an apex page about one workspace, for its owners or members only (by slug);
# - "account": the signed-in person's own account pages on the apex;
# - "webhook": Stripe's webhook, whose credential is the payload's signature.
Kind = Literal["workspace", "object", "open", "operator", "owner", "account", "webhook"]

# "<urlconf> <METHODS> <route>": kind. The methods are those the view answers (OPTIONS and HEAD
# aside), as test_every_route_and_method_is_in_the_matrix reads them off the views.
MATRIX: dict[str, Kind] = {
    # --- a workspace's host -------------------------------------------------------------------
    "tenant GET ": "workspace",
    "tenant GET,POST settings/domains/": "workspace",
    "tenant GET,POST settings/export/": "workspace",
    "tenant POST settings/domains/<int:pk>/verify/": "object",
    "tenant POST settings/domains/<int:pk>/remove/": "object",
    "tenant GET,POST,PUT accounts/login/": "open",
    "tenant GET accounts/hop/": "open",
    "tenant GET accounts/switch/": "workspace",
    "tenant POST accounts/switch/<slug:slug>/": "workspace",
    "tenant GET,POST accounts/logout/": "open",
    "tenant GET,POST,PUT accounts/signup/": "open",
    "tenant GET accounts/inactive/": "open",
    "tenant GET,POST,PUT accounts/password/reset/": "open",
    "tenant GET accounts/password/reset/done/": "open",
    "tenant GET,POST,PUT accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
        "open"
    ),
    "tenant GET accounts/password/reset/key/done/": "open",
    "tenant GET accounts/confirm-email/": "open",
    "tenant GET,POST accounts/^confirm-email/(?P<key>[-:\\w]+)/$": "open",
    "tenant GET,POST accounts/2fa/authenticate/": "open",
    "tenant GET accounts/password/change/": "workspace",
    "tenant GET accounts/password/set/": "workspace",
    "tenant GET accounts/email/": "workspace",
    "tenant GET accounts/2fa/": "workspace",
    "tenant GET accounts/reauthenticate/": "workspace",
    "tenant GET audit/": "workspace",
    "tenant GET audit/export.csv": "workspace",
    "tenant GET settings/billing/": "workspace",
    "tenant POST settings/billing/checkout/": "workspace",
    "tenant POST settings/billing/portal/": "workspace",
    "tenant GET members/": "workspace",
    "tenant GET,POST members/invite/": "workspace",
    "tenant POST members/leave/": "workspace",
    "tenant POST members/<uuid:public_id>/role/": "object",
    "tenant POST members/<uuid:public_id>/remove/": "object",
    "tenant POST members/<uuid:public_id>/transfer/": "object",
    "tenant POST members/invitations/<uuid:public_id>/resend/": "object",
    "tenant POST members/invitations/<uuid:public_id>/revoke/": "object",
    "tenant GET members/invitations/join/": "open",
    "tenant GET,POST invitations/<str:token>/": "open",
    "tenant GET projects/": "workspace",
    "tenant GET,POST projects/new/": "workspace",
    "tenant GET projects/<key:key>/": "object",
    "tenant GET projects/<key:key>/board/": "object",
    "tenant GET,POST projects/<key:key>/edit/": "object",
    "tenant POST projects/<key:key>/archive/": "object",
    "tenant POST projects/<key:key>/restore/": "object",
    "tenant GET,POST projects/<key:key>/tasks/new/": "object",
    "tenant GET projects/<key:key>/<int:number>/": "object",
    "tenant GET,POST projects/<key:key>/<int:number>/edit/": "object",
    "tenant POST projects/<key:key>/<int:number>/move/": "object",
    "tenant GET,POST projects/<key:key>/<int:number>/delete/": "object",
    "tenant GET,POST projects/<key:key>/<int:number>/comments/": "object",
    "tenant GET,POST projects/<key:key>/<int:number>/attachments/": "object",
    "tenant POST comments/<uuid:public_id>/delete/": "object",
    "tenant GET attachments/<uuid:public_id>/download/": "object",
    "tenant POST attachments/<uuid:public_id>/delete/": "object",
    "tenant GET labels/": "workspace",
    "tenant GET,POST labels/new/": "workspace",
    "tenant POST labels/<int:pk>/delete/": "object",
    "tenant GET api/v1/members/": "workspace",
    "tenant GET,POST api/v1/projects/": "workspace",
    "tenant GET,PATCH api/v1/projects/<uuid:public_id>/": "object",
    "tenant GET,POST api/v1/tasks/": "workspace",
    "tenant DELETE,GET,PATCH api/v1/tasks/<uuid:public_id>/": "object",
    "tenant GET,POST api/v1/labels/": "workspace",
    "tenant DELETE api/v1/labels/<int:pk>/": "object",
    "tenant GET,POST api/v1/tasks/<uuid:task_public_id>/comments/": "object",
    "tenant DELETE api/v1/tasks/<uuid:task_public_id>/comments/<str:public_id>/": "object",
    "tenant GET,POST api/v1/tasks/<uuid:task_public_id>/attachments/": "object",
    "tenant DELETE,GET api/v1/tasks/<uuid:task_public_id>/attachments/<str:public_id>/": "object",
    "tenant GET api/v1/tasks/<uuid:task_public_id>/attachments/<str:public_id>/download/": (
        "object"
    ),
    "tenant GET api/schema/": "workspace",
    "tenant GET api/docs/": "workspace",
    "tenant GET,POST settings/api-keys/": "workspace",
    "tenant POST settings/api-keys/<uuid:public_id>/revoke/": "object",
    "tenant POST operator/impersonation/end/": "workspace",
    # --- the apex -----------------------------------------------------------------------------
    "apex GET,POST ": "open",
    "apex GET,POST pricing/": "open",
    "apex GET,POST signup/": "open",
    "apex GET,POST signup/subdomain/": "open",
    "apex GET,POST accounts/": "account",
    "apex GET,POST accounts/workspaces/<slug:slug>/open/": "owner",
    "apex GET,POST,PUT accounts/login/": "open",
    "apex GET,POST accounts/logout/": "open",
    "apex GET accounts/inactive/": "open",
    "apex GET,POST,PUT accounts/signup/": "open",
    "apex GET,POST,PUT accounts/reauthenticate/": "account",
    "apex GET,POST,PUT accounts/email/": "account",
    "apex GET,POST accounts/confirm-email/": "open",
    "apex GET,POST,PUT accounts/password/change/": "account",
    "apex GET,POST,PUT accounts/password/set/": "account",
    "apex GET,POST,PUT accounts/password/reset/": "open",
    "apex GET,POST,PUT accounts/login/code/confirm/": "open",
    "apex GET,POST accounts/^confirm-email/(?P<key>[-:\\w]+)/$": "open",
    "apex GET accounts/password/reset/key/done/": "open",
    "apex GET,POST,PUT accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
        "open"
    ),
    "apex GET accounts/password/reset/done/": "open",
    "apex GET accounts/2fa/": "account",
    "apex GET,POST accounts/2fa/authenticate/": "open",
    "apex GET,POST,PUT accounts/2fa/reauthenticate/": "account",
    "apex GET,POST,PUT accounts/2fa/totp/activate/": "account",
    "apex GET,POST,PUT accounts/2fa/totp/deactivate/": "account",
    "apex GET accounts/2fa/recovery-codes/": "account",
    "apex GET,POST,PUT accounts/2fa/recovery-codes/generate/": "account",
    "apex GET accounts/2fa/recovery-codes/download/": "account",
    "apex GET operator/": "operator",
    "apex GET,POST operator/tenants/new/": "operator",
    "apex GET,POST operator/tenants/import/": "operator",
    "apex GET operator/tenants/<slug:slug>/": "operator",
    "apex POST operator/tenants/<slug:slug>/impersonate/": "operator",
    "apex GET operator/tenants/<slug:slug>/export/": "operator",
    "apex POST operator/tenants/<slug:slug>/<slug:action>/": "operator",
    "apex GET operator/users/": "operator",
    "apex GET operator/domains/": "operator",
    "apex GET operator/audit/": "operator",
    "apex GET,POST operator/tokens/": "operator",
    "apex POST operator/tokens/<str:prefix>/revoke/": "operator",
    "apex GET,POST api/platform/v1/tenants/": "operator",
    "apex POST api/platform/v1/tenants/import/": "operator",
    "apex GET api/platform/v1/tenants/<slug:slug>/": "operator",
    "apex GET api/platform/v1/tenants/<slug:slug>/export/": "operator",
    "apex POST api/platform/v1/tenants/<slug:slug>/suspend/": "operator",
    "apex POST api/platform/v1/tenants/<slug:slug>/reactivate/": "operator",
    "apex POST api/platform/v1/tenants/<slug:slug>/rename/": "operator",
    "apex POST api/platform/v1/tenants/<slug:slug>/archive/": "operator",
    "apex POST api/platform/v1/tenants/<slug:slug>/restore/": "operator",
    "apex POST api/platform/v1/tenants/<slug:slug>/purge/": "operator",
    "apex GET api/platform/v1/schema/": "operator",
    "apex POST billing/stripe/webhook/": "webhook",
    "apex GET,POST billing/restore/<slug:slug>/": "owner",
}

URLCONFS = {"tenant": "config.urls_tenant", "apex": "config.urls_public"}
# Function views declare no methods; they are tried with the two a browser sends.
FUNCTION_VIEW_METHODS = ("GET", "POST")
# Where a route serves JSON for programs (bearer keys, operator tokens) rather than pages.
API_PREFIXES = ("api/v1/", "api/platform/v1/")
# The documentation of the API itself: pages about the schema, not operations in it.
UNDOCUMENTED_API_ROUTES = {"api/platform/v1/schema/"}


@dataclass(frozen=True)
class Route:
    urlconf: str  # "tenant" or "apex"
    route: str  # as Django spells it
    methods: tuple[str, ...]
    callback: Any

    @property
    def key(self) -> str:
        return f"{self.urlconf} {','.join(self.methods)} {self.route}"

    @property
    def is_function_view(self) -> bool:
        return not (
            getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)
        )

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIXES)


def _methods(callback: Any) -> tuple[str, ...]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return FUNCTION_VIEW_METHODS
    answered = {m for m in view_class.http_method_names if m not in ("options", "head")}
    actions = getattr(callback, "actions", None)  # a DRF ViewSet's method -> action for this URL
    if actions:
        return tuple(sorted(m.upper() for m in actions if m in answered))
    return tuple(sorted(m.upper() for m in answered if hasattr(view_class, m)))


def _walk(patterns: list[URLPattern | URLResolver], urlconf: str, prefix: str = "") -> list[Route]:
    found: list[Route] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(_walk(pattern.url_patterns, urlconf, route))
        else:
            found.append(Route(urlconf, route, _methods(pattern.callback), pattern.callback))
    return found


def routes() -> list[Route]:
    return [
        route
        for urlconf, module in URLCONFS.items()
        for route in _walk(get_resolver(module).url_patterns, urlconf)
    ]


# --- Acme, the victim -----------------------------------------------------------------------

# Each is in Acme and nowhere else; finding one in a response to an outsider is a leak.
SECRETS = [
    "Secret plans",
    "Secret task",
    "secret comment",
    "secret-label",
    "secret-file.txt",
    "pending@example.com",
    "mia@acme.test",
    "tasks.acme-corp.test",
    "acme-secret-key",
]


@dataclass
class Victim:
    ids: dict[str, str]
    key: str  # Acme's own API key (to show the matrix's requests do reach data when allowed)


@pytest.fixture
def victim(tenant: Tenant, owner: User, member: User) -> Victim:
    """Real things of Acme's, so that the outsider aims at ids that exist."""
    with tenant_context(tenant):
        invitation = Invitation.objects.create(
            email="pending@example.com",
            role="member",
            token_hash="0" * 64,
            invited_by=owner,
            expires_at=timezone.now() + timedelta(days=7),
        )
        audit_record(action=AuditAction.LOGIN, actor=member)
        key = api_key_create(
            tenant=tenant, name="acme-secret-key", scope=Scope.READ_WRITE, expires_at=None,
            actor=owner,
        )  # fmt: skip
    domain = custom_domain_add(tenant, "tasks.acme-corp.test")
    with tenant_context(tenant):
        project = Project.objects.create(name="Secret plans", key="SEC")
        label = Label.objects.create(name="secret-label")
        task = Task.objects.create(project=project, number=7, title="Secret task")
        comment = Comment.objects.create(task=task, author=member, body="secret comment")
        attachment = Attachment.objects.create(
            task=task, file="nowhere/secret-file.txt", name="secret-file.txt", size=1
        )
    membership = Membership.objects.get(tenant=tenant, user=member)
    ids = {
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
        "api_key": str(key.key.public_id),
        "slug": tenant.slug,
    }
    return Victim(ids=ids, key=key.plaintext)


def _state(tenant: Tenant) -> tuple[Any, ...]:
    """Everything of Acme's an outsider could try to change."""
    with tenant_context(tenant):
        invitations = sorted(Invitation.objects.values_list("email", "status", "role"))
        audit = AuditEntry.objects.exclude(action__startswith="auth.").count()
        things: list[tuple[Any, ...]] = sorted(
            Project.objects.values_list("key", "name", "archived")
        )
        things += sorted((name, "label") for name in Label.objects.values_list("name", flat=True))
        things += sorted(Task.objects.values_list("number", "title", "status", "version"))
        things += [(body,) for body in sorted(Comment.objects.values_list("body", flat=True))]
        things += [(Attachment.objects.count(),)]
        things += sorted(ApiKey.objects.values_list("name", "revoked_at"))
    memberships = sorted(
        Membership.objects.filter(tenant=tenant).values_list("user__email", "role")
    )
    domains = sorted(Domain.objects.filter(tenant=tenant).values_list("domain", "verified_at"))
    tenant.refresh_from_db()
    workspace = (tenant.slug, tenant.name, tenant.status)
    return invitations, audit, memberships, domains, things, workspace


# --- Paths and bodies -------------------------------------------------------------------------

CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
OPENAPI_PARAMETER = re.compile(r"\{\w+\}")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")
# Values for the few routes whose credential is in the path (password-reset and email keys).
REGEX_VALUES = {"uidb36": "1", "key": "set-password", "public_id": "", "pk": ""}


def _value(route: str, start: int, name: str, ids: dict[str, str]) -> str:
    """The id of a real Acme thing of the kind the path segment before it names."""
    by_name = {
        "slug": ids["slug"],
        "action": "suspend",
        "token": "some-token",
        "prefix": "abcd1234",
        "number": ids["task_number"],
        "key": ids["project_key"],
        "task_public_id": ids["task"],
    }
    if name in by_name:
        return by_name[name]
    segment = route[:start].rstrip("/").rsplit("/", 1)[-1]
    by_segment = {
        "projects": ids["project"],
        "tasks": ids["task"],
        "comments": ids["comment"],
        "attachments": ids["attachment"],
        "invitations": ids["invitation"],
        "members": ids["membership"],
        "labels": ids["label"],
        "domains": ids["domain"],
        "api-keys": ids["api_key"],
    }
    return by_segment[segment]


def path_for(route: str, ids: dict[str, str]) -> str:
    if route.startswith("^") or "^" in route:  # a regular expression (allauth's keyed pages)
        route = REGEX_GROUP.sub(lambda m: REGEX_VALUES[m.group("name")], route)
        route = route.replace("^", "").replace("$", "")
    return "/" + CONVERTER.sub(lambda m: _value(route, m.start(), m.group("name"), ids), route)


def body_for(ids: dict[str, str]) -> dict[str, Any]:
    """Every field a write here takes, filled with Acme's ids where an id goes."""
    return {
        "name": "Hijacked",
        "title": "Hijacked",
        "key": "HIJ",
        "description": "hijacked",
        "project": ids["project"],
        "task": ids["task"],
        "assignee": ids["membership"],
        "labels": ["secret-label"],
        "label": ids["label"],
        "body": "hijacked",
        "status": "done",
        "role": "admin",
        "email": "x@example.com",
        "archived": True,
        "expected_version": 1,
        "membership": ids["membership"],
        "to": ids["membership"],
        "slug": ids["slug"],
        "domain": "tasks.acme-corp.test",
        "scope": "read_write",
    }


# --- The outsider's four ways -----------------------------------------------------------------


@dataclass
class Attacker:
    victim: Tenant
    own: Tenant
    outsider: User
    both: User
    key: str  # Globex's read-write API key
    globex_cookie: str  # Bea's session, made on Globex's host

    def client(self, way: Way, route: Route) -> Client:
        victim_host = "localhost" if route.urlconf == "apex" else _host(self.victim)
        if way == "host":
            client = Client(HTTP_HOST=victim_host)
            _sign_in(client, None if route.urlconf == "apex" else self.victim, self.outsider)
            return client
        if way == "api_key":
            return Client(HTTP_HOST=victim_host, HTTP_AUTHORIZATION=f"Bearer {self.key}")
        if way == "session_cookie":
            client = Client(HTTP_HOST=victim_host)
            client.cookies[settings.SESSION_COOKIE_NAME] = self.globex_cookie
            return client
        # ids: at home on Globex, aiming at Acme's things; the API with Globex's key, pages
        # signed in.
        if route.is_api:
            return Client(HTTP_HOST=_host(self.own), HTTP_AUTHORIZATION=f"Bearer {self.key}")
        client = Client(HTTP_HOST=_host(self.own))
        _sign_in(client, self.own, self.outsider)
        return client


def _host(tenant: Tenant) -> str:
    return primary_host_for_slug(tenant.slug)


def _sign_in(client: Client, tenant: Tenant | None, user: User) -> None:
    if tenant is None:
        client.force_login(user)
        return
    with tenant_context(tenant):
        client.force_login(user)


@pytest.fixture
def attacker(
    tenant: Tenant, other_tenant: Tenant, outsider: User, both: User, settings: Settings
) -> Attacker:
    settings.STRATA_API_REQUESTS_PER_MINUTE = 0  # no budget: the sweep is one long burst
    with tenant_context(other_tenant):
        key = api_key_create(
            tenant=other_tenant, name="globex-key", scope=Scope.READ_WRITE, expires_at=None,
            actor=outsider,
        )  # fmt: skip
    home = Client(HTTP_HOST=_host(other_tenant))
    _sign_in(home, other_tenant, both)
    cookie = home.cookies[settings.SESSION_COOKIE_NAME].value
    return Attacker(tenant, other_tenant, outsider, both, key.plaintext, cookie)


# --- What the outsider must get -----------------------------------------------------------------


def _is_sign_in_redirect(status: int, location: str) -> bool:
    return status == 302 and "/accounts/login/" in location


ANY_ANSWER = frozenset(range(100, 500))


def _allowed(route: Route, kind: Kind, way: Way) -> tuple[frozenset[int], bool]:
    """The statuses an outsider may get at a route of `kind`, coming `way`, and whether a
    redirect to sign-in is one of them."""
    if kind in ("open", "webhook", "account"):
        # Their own credential decides (or it is the outsider's own account); the leak and
        # change checks still apply.
        return ANY_ANSWER, True
    # Pages ignore a bearer key; a cookie from another host is no session here.
    anonymous = way == "session_cookie" or (way == "api_key" and not route.is_api)
    if route.urlconf == "apex":
        # Operator tokens only; the console and other people's workspaces do not exist.
        return (
            (frozenset({401, 403}), False) if route.is_api else (frozenset({403, 404}), anonymous)
        )
    if way == "ids":
        # At home on Globex: Acme's ids name nothing there. Whole-workspace routes are
        # Globex's own (their content is checked for leaks like every other response).
        return (frozenset({404}) if kind == "object" else ANY_ANSWER), False
    if way == "host":
        return frozenset({403}), False  # a signed-in non-member: refused outright, signed out
    return frozenset({401, 403}), not route.is_api


def expectation_met(route: Route, kind: Kind, way: Way, status: int, location: str) -> bool:
    """Whether `status` is what an outsider must get at a route of `kind`, coming `way`."""
    if status >= 500:
        return False
    if status == 405 and route.is_function_view:
        return True  # a method it was only assumed to answer: refused before anything is read
    statuses, sign_in = _allowed(route, kind, way)
    return status in statuses or (sign_in and _is_sign_in_redirect(status, location))


@dataclass
class Outcome:
    request: str
    status: int
    leaked: list[str]
    met: bool


def _send(client: Client, route: Route, method: str, path: str, ids: dict[str, str]) -> Any:
    body = body_for(ids)
    if route.is_api and method in ("POST", "PUT", "PATCH"):
        return client.generic(method, path, json.dumps(body), content_type="application/json")
    call = getattr(client, method.lower())
    if method == "POST":
        return call(path, body)
    return call(path)


def _text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return headers + "\n" + content.decode(errors="replace")


def sweep(attacker: Attacker, victim: Victim, way: Way) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for route in routes():
        if way == "ids" and route.urlconf == "apex":
            continue  # the apex has no host of Globex's: its routes take Acme's slug as "host"
        kind = MATRIX[route.key]
        path = path_for(route.route, victim.ids)
        for method in route.methods:
            response = _send(attacker.client(way, route), route, method, path, victim.ids)
            text = _text(response)
            # Acme's data the outsider did not send: a name they guessed and sent (a label,
            # a domain to claim) may come back in a field error.
            sent = path + json.dumps(body_for(victim.ids))
            leaked = [secret for secret in SECRETS if secret in text and secret not in sent]
            location = response.get("Location", "")
            met = expectation_met(route, kind, way, response.status_code, location)
            outcomes.append(Outcome(f"{method} {path}", response.status_code, leaked, met))
    return outcomes


def _report(way: Way, outcomes: list[Outcome]) -> str:
    statuses = Counter(outcome.status for outcome in outcomes)
    leaks = sum(1 for outcome in outcomes if outcome.leaked)
    spread = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    return f"isolation matrix, {way}: {len(outcomes)} requests, {leaks} leaks ({spread})"


# --- The tests --------------------------------------------------------------------------------


def test_every_route_and_method_is_in_the_matrix() -> None:
    found = {route.key for route in routes()}

    missing = sorted(found - MATRIX.keys())
    stale = sorted(MATRIX.keys() - found)

    assert not missing, (
        "Routes (or methods) no outsider has been tried on: add each to MATRIX in "
        f"tests/reliability/test_isolation_matrix.py with its kind: {missing}"
    )
    assert not stale, f"MATRIX names routes that no longer exist: remove them: {stale}"


def _operations(schema: dict[str, Any]) -> set[str]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        f"{method.upper()} {OPENAPI_PARAMETER.sub('{}', path)}"
        for path, item in schema["paths"].items()
        for method in item
        if method in methods
    }


def _api_operations_in_matrix(urlconf: str) -> set[str]:
    return {
        f"{method} /{CONVERTER.sub('{}', route.route)}"
        for route in routes()
        if route.urlconf == urlconf and route.is_api and route.route not in UNDOCUMENTED_API_ROUTES
        for method in route.methods
    }


def test_the_matrix_covers_every_operation_of_both_openapi_schemas(
    client_on: ClientFactory, tenant: Tenant, owner: User, staff: User
) -> None:
    from shared_apps.operators.services import operator_token_create

    tenant_schema = client_on(tenant, owner).get("/api/schema/", {"format": "json"}).json()
    _token, plaintext = operator_token_create(name="matrix", created_by=staff)
    operator_schema = (
        Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        .get("/api/platform/v1/schema/", {"format": "json"})
        .json()
    )

    for urlconf, schema in (("tenant", tenant_schema), ("apex", operator_schema)):
        documented = _operations(schema)
        in_matrix = _api_operations_in_matrix(urlconf)
        assert len(documented) >= 10, documented
        assert documented == in_matrix, (
            f"{urlconf}: in the OpenAPI schema only: {sorted(documented - in_matrix)}; "
            f"routed but undocumented: {sorted(in_matrix - documented)}"
        )


def test_the_sweep_sees_acme_s_data_where_acme_may(
    client_on: ClientFactory, tenant: Tenant, owner: User, victim: Victim
) -> None:
    """The control: the same requests, made by Acme's own people, do carry the secrets, so a
    leak to an outsider would be caught."""
    ids = victim.ids
    page = client_on(tenant, owner).get(path_for("projects/<key:key>/", ids))
    api = Client(HTTP_HOST=_host(tenant), HTTP_AUTHORIZATION=f"Bearer {victim.key}").get(
        path_for("api/v1/tasks/<uuid:public_id>/", ids)
    )
    members = client_on(tenant, owner).get("/members/")

    assert page.status_code == api.status_code == members.status_code == 200
    assert "Secret plans" in _text(page)
    assert "Secret task" in _text(page)
    assert "Secret task" in _text(api)
    assert "mia@acme.test" in _text(members)
    assert "pending@example.com" in _text(members)


@pytest.mark.parametrize("way", WAYS)
def test_an_outsider_gets_nothing_and_changes_nothing(
    way: Way, tenant: Tenant, attacker: Attacker, victim: Victim
) -> None:
    before = _state(tenant)

    outcomes = sweep(attacker, victim, way)
    print(_report(way, outcomes))  # noqa: T201  (the figure docs/reliability.md records)

    leaks = [(o.request, o.leaked) for o in outcomes if o.leaked]
    unmet = [(o.request, o.status) for o in outcomes if not o.met]
    assert not leaks, leaks
    assert not unmet, unmet
    assert _state(tenant) == before
    assert len(outcomes) >= 90 if way == "ids" else len(outcomes) >= 180, len(outcomes)
