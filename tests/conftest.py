"""Fixtures every test reuses.

Tenants and personas are created once per test session (provisioning migrates a schema, which
is too slow to repeat per test) and committed; each test then runs inside a transaction that is
rolled back. The cast: in `tenant` (Acme) Alice owns, Adam administers, Mia is a member and Vic
a viewer; Olga is an outsider who belongs only to `other_tenant` (Globex); Bea belongs to both;
Stan is platform staff with no membership anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_databases, teardown_databases
from django_redis import get_redis_connection
from pytest_django import DjangoDbBlocker, Settings

from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_email_mark_verified
from tenant_apps.api_access.throttling import spent_budgets
from tenant_apps.audit.models import AuditEntry
from tenants import routing
from tenants.context import schema_context, tenant_context
from tenants.hosts import primary_host_for_slug
from tenants.models import Membership, Tenant
from tenants.pool import template_refresh
from tenants.roles import Role
from tenants.services import tenant_provision
from tests.billing.fake_stripe import FAKE, FakeStripe
from tests.servers import LiveServer, start_live_server

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class World:
    tenant_id: int
    other_tenant_id: int
    users: dict[str, int]


def _user(email: str, full_name: str, *, is_staff: bool = False) -> User:
    user = get_user_model()._default_manager.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=PASSWORD, is_staff=is_staff)
    user.full_name = full_name
    user.set_password(PASSWORD)
    user.save()
    user_email_mark_verified(user=user)
    return user


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: DjangoDbBlocker,
    django_db_keepdb: bool,
    django_db_createdb: bool,
) -> Iterator[None]:
    """Always create the test database.

    pytest-django creates it only when a selected test uses `db`; ours also serves tests that
    commit on purpose (other processes, a browser) and the session's tenants live in it.
    """
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose, interactive=False, keepdb=keepdb
        )
        # What the fleet migration does after migrating: the template and its blueprint, from
        # which every tenant of the session is made.
        template_refresh()
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)


def _workspace(slug: str, name: str, owner_email: str) -> Tenant:
    # Reuse what a kept database (--reuse-db) already has.
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    return tenant_provision(slug=slug, name=name, owner_email=owner_email).tenant


@pytest.fixture(scope="session")
def world(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> World:
    with django_db_blocker.unblock():
        acme = _workspace("acme", "Acme Inc", "alice@acme.test")
        globex = _workspace("globex", "Globex", "olga@globex.test")
        people = {
            "owner": _user("alice@acme.test", "Alice Owner"),
            "admin": _user("adam@acme.test", "Adam Admin"),
            "member": _user("mia@acme.test", "Mia Member"),
            "viewer": _user("vic@acme.test", "Vic Viewer"),
            "outsider": _user("olga@globex.test", "Olga Outsider"),
            "both": _user("bea@both.test", "Bea Both"),
            "staff": _user("stan@strata.test", "Stan Staff", is_staff=True),
        }
        memberships = [
            ("admin", acme, Role.ADMIN),
            ("member", acme, Role.MEMBER),
            ("viewer", acme, Role.VIEWER),
            ("both", acme, Role.MEMBER),
            ("both", globex, Role.MEMBER),
        ]
        for persona, workspace, role in memberships:
            Membership.objects.update_or_create(
                user=people[persona], tenant=workspace, defaults={"role": role}
            )
        for workspace in (acme, globex):  # tests read the log from a clean start
            with tenant_context(workspace):
                AuditEntry.objects.all().delete()
    return World(
        tenant_id=acme.pk,
        other_tenant_id=globex.pk,
        users={persona: user.pk for persona, user in people.items()},
    )


@pytest.fixture(autouse=True)
def _isolated_caches() -> Iterator[None]:
    """Each test starts with empty caches: no route, session or spent API budget survives from
    another test."""
    routing.clear_local()
    spent_budgets.forget()
    get_redis_connection("default").flushdb()
    yield
    routing.clear_local()
    spent_budgets.forget()


@pytest.fixture(autouse=True)
def fake_stripe() -> Iterator[FakeStripe]:
    """What Stripe holds and was asked, empty for each test (see tests/billing/fake_stripe.py)."""
    FAKE.reset()
    yield FAKE
    FAKE.reset()


@pytest.fixture(autouse=True)
def _media_of_its_own(settings: Settings, tmp_path: Path) -> None:
    """Each test writes tenant files to a directory of its own (schemas, and so prefixes, are
    reused from the pool across tests)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _mail_through_tasks(settings: Settings) -> None:
    """Django's test set-up swaps EMAIL_BACKEND for locmem; put ours back, so tests send mail
    the way Strata does (a task after commit) and read it from the locmem delivery backend."""
    settings.EMAIL_BACKEND = "shared_apps.mail.backends.TaskEmailBackend"


@pytest.fixture
def tenant(world: World, db: None) -> Tenant:
    return Tenant.objects.get(pk=world.tenant_id)


@pytest.fixture
def other_tenant(world: World, db: None) -> Tenant:
    return Tenant.objects.get(pk=world.other_tenant_id)


def _persona(name: str) -> Callable[[World, None], User]:
    def fixture(world: World, db: None) -> User:
        return User.objects.get(pk=world.users[name])

    fixture.__name__ = name
    fixture.__doc__ = f"The {name} persona (see the module docstring)."
    return pytest.fixture(name=name)(fixture)


owner = _persona("owner")
admin = _persona("admin")
member = _persona("member")
viewer = _persona("viewer")
outsider = _persona("outsider")
both = _persona("both")
staff = _persona("staff")


ClientFactory = Callable[..., Client]


@pytest.fixture
def client_on(db: None) -> ClientFactory:
    """client_on(tenant_or_None, user=None): a test client bound to that tenant's host
    (or the apex for None), signed in as `user` on that host if given."""

    def make(target: Tenant | None, user: User | None = None) -> Client:
        host = "localhost" if target is None else primary_host_for_slug(target.slug)
        client = Client(HTTP_HOST=host)
        if user is not None:
            context = schema_context("public") if target is None else tenant_context(target)
            with context:
                client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def app_server(world: World) -> Iterator[LiveServer]:
    """A real gunicorn serving the test database in other processes (shares Redis with tests)."""
    server = start_live_server()
    yield server
    server.stop()
