from __future__ import annotations

import pytest

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.audit.services import audit_record
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import PASSWORD, ClientFactory


def _entries(tenant: Tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return list(AuditEntry.objects.order_by("pk").values_list("action", "actor_label"))


def test_a_sign_in_on_a_workspace_is_recorded_with_who_and_from_where(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client_on(tenant).post("/accounts/login/", {"login": member.email, "password": PASSWORD})

    with tenant_context(tenant):
        entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.actor_label) == (
        AuditAction.LOGIN, member.pk, member.email
    )  # fmt: skip
    assert entry.ip_address == "127.0.0.1"
    assert entry.created_at is not None


def test_a_failed_sign_in_is_recorded_with_the_address_tried(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client_on(tenant).post("/accounts/login/", {"login": member.email, "password": "wrong"})

    assert _entries(tenant) == [(AuditAction.LOGIN_FAILED, member.email)]


def test_a_failed_sign_in_with_an_address_from_outside_names_no_person(
    client_on: ClientFactory, tenant: Tenant, outsider: User
) -> None:
    # Anyone can type any address; it must not become a "person" of the workspace's log.
    long_but_valid = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example.com"
    for login in [outsider.email, "Ceo@Acme.Test <script>", long_but_valid]:
        response = client_on(tenant).post("/accounts/login/", {"login": login, "password": "no"})
        assert response.status_code == 200

    with tenant_context(tenant):
        entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.action, e.actor_id, e.actor_label) for e in entries] == [
        (AuditAction.LOGIN_FAILED, None, "")
    ] * 2  # the second is not an address: the form refuses it before any attempt
    assert entries[0].details == {"attempted": outsider.email}
    assert entries[1].details == {"attempted": long_but_valid[:254]}
    admin_page = client_on(tenant, User.objects.get(email="adam@acme.test")).get("/audit/")
    assert outsider.email not in str(admin_page.context["filters"]["person"])


def test_sign_ins_on_the_apex_belong_to_no_workspace(
    client_on: ClientFactory, tenant: Tenant, both: User
) -> None:
    response = client_on(None).post("/accounts/login/", {"login": both.email, "password": PASSWORD})

    assert response.status_code == 302
    assert _entries(tenant) == []


def test_an_entry_can_only_be_written_inside_a_tenant(db: None) -> None:
    with pytest.raises(RuntimeError, match="belong to a tenant"):
        audit_record(action=AuditAction.LOGIN, actor=None)


@pytest.fixture
def some_history(tenant: Tenant, owner: User, member: User) -> None:
    with tenant_context(tenant):
        audit_record(action=AuditAction.LOGIN, actor=owner)
        audit_record(action=AuditAction.MEMBER_ROLE_CHANGED, actor=owner, target=member.email)
        audit_record(action=AuditAction.LOGIN, actor=member)


@pytest.mark.usefixtures("some_history")
def test_admins_read_the_log_and_filter_it_by_person_and_action(
    client_on: ClientFactory, tenant: Tenant, admin: User, owner: User, member: User
) -> None:
    client = client_on(tenant, admin)

    everything = client.get("/audit/").content.decode()
    by_owner = client.get("/audit/", {"person": owner.email}).content.decode()
    logins = client.get("/audit/", {"action": AuditAction.LOGIN}).content.decode()

    assert everything.count("<tr>") == 4  # the header row and three entries
    assert by_owner.count("<tr>") == 3
    assert "Role changed</span>" in by_owner
    assert logins.count("Signed in</span>") == 2
    assert "Role changed</span>" not in logins


@pytest.mark.usefixtures("some_history")
def test_a_filter_value_not_on_offer_is_refused_and_shows_nothing(
    client_on: ClientFactory, tenant: Tenant, admin: User
) -> None:
    page = client_on(tenant, admin).get("/audit/", {"action": "drop table"}).content.decode()

    assert "Select a valid choice." in page
    assert "Nothing matches that filter" in page
    assert 'data-testid="audit-table"' not in page


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_members_without_the_admin_role_do_not_see_the_log(
    client_on: ClientFactory, tenant: Tenant, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)

    response = client_on(tenant, user).get("/audit/")

    assert response.status_code == 403
    assert "Audit log" not in client_on(tenant, user).get("/").content.decode()


@pytest.mark.usefixtures("some_history")
def test_an_outsider_gets_nothing_of_the_log(
    client_on: ClientFactory, tenant: Tenant, outsider: User, owner: User
) -> None:
    response = client_on(tenant, outsider).get("/audit/")

    assert response.status_code == 403
    assert owner.email not in response.content.decode()
    assert client_on(tenant).get("/audit/").status_code == 302  # anonymous: sign in first
