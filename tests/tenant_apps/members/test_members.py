from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from rest_framework.views import APIView

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.members import services
from tenants.access import TenantAPIView
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tests.conftest import ClientFactory


def _membership(user: User, tenant: Tenant) -> Membership:
    return Membership.objects.get(user=user, tenant=tenant)


def _role(user: User, tenant: Tenant) -> str | None:
    found = Membership.objects.filter(user=user, tenant=tenant).first()
    return found.role if found else None


def _messages(client: Client, path: str = "/members/") -> str:
    response = client.get(path)
    return " ".join(str(m) for m in get_messages(response.wsgi_request)) + response.content.decode()


def test_every_member_sees_who_is_in_the_workspace(
    client_on: ClientFactory, tenant: Tenant, viewer: User, owner: User, outsider: User
) -> None:
    page = client_on(tenant, viewer).get("/members/").content.decode()

    assert owner.email in page
    assert outsider.email not in page  # Olga is in Globex only
    assert "Invite someone" not in page  # viewers manage nothing


def test_an_admin_changes_a_role_and_it_is_audited(
    client_on: ClientFactory, tenant: Tenant, admin: User, member: User
) -> None:
    client = client_on(tenant, admin)

    response = client.post(
        f"/members/{_membership(member, tenant).public_id}/role/", {"role": "viewer"}
    )

    assert response.status_code == 302
    assert _role(member, tenant) == Role.VIEWER
    with tenant_context(tenant):
        entry = AuditEntry.objects.get(action=AuditAction.MEMBER_ROLE_CHANGED)
    assert (entry.actor_id, entry.target_label) == (admin.pk, member.email)
    assert entry.details == {"role": "viewer", "previous": "member"}


def test_nobody_becomes_owner_by_a_role_change(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    client = client_on(tenant, owner)

    client.post(f"/members/{_membership(member, tenant).public_id}/role/", {"role": "owner"})

    assert _role(member, tenant) == Role.MEMBER
    assert "Choose admin, member or viewer." in _messages(client)


def test_admins_cannot_touch_owners(
    client_on: ClientFactory, tenant: Tenant, admin: User, owner: User
) -> None:
    client = client_on(tenant, admin)
    owner_id = _membership(owner, tenant).public_id

    client.post(f"/members/{owner_id}/role/", {"role": "viewer"})
    client.post(f"/members/{owner_id}/remove/")

    assert _role(owner, tenant) == Role.OWNER
    assert "Only an owner can change or remove another owner." in _messages(client)


def test_the_last_owner_cannot_be_demoted_or_leave(
    client_on: ClientFactory, tenant: Tenant, owner: User
) -> None:
    client = client_on(tenant, owner)

    client.post(f"/members/{_membership(owner, tenant).public_id}/role/", {"role": "admin"})
    left = client.post("/members/leave/")

    assert _role(owner, tenant) == Role.OWNER
    assert left["Location"] == "/members/"
    assert "is the last owner of Acme Inc: transfer ownership" in _messages(client)


def test_a_second_owner_can_go_but_not_the_last_one(
    client_on: ClientFactory, tenant: Tenant, owner: User, admin: User
) -> None:
    Membership.objects.filter(user=admin, tenant=tenant).update(role=Role.OWNER)
    second = client_on(tenant, admin)
    first = client_on(tenant, owner)

    # With two owners, one may demote the other, and one may leave.
    first.post(f"/members/{_membership(admin, tenant).public_id}/role/", {"role": "member"})
    assert _role(admin, tenant) == Role.MEMBER
    Membership.objects.filter(user=admin, tenant=tenant).update(role=Role.OWNER)
    assert second.post("/members/leave/")["Location"] == "http://localhost/accounts/"
    assert _role(admin, tenant) is None

    # Now the first is the last: neither leaving nor stepping down works.
    first.post("/members/leave/")
    first.post(f"/members/{_membership(owner, tenant).public_id}/role/", {"role": "admin"})
    assert _role(owner, tenant) == Role.OWNER


def test_checks_see_changes_committed_since_the_page_was_loaded(
    tenant: Tenant, owner: User, admin: User, member: User, rf: RequestFactory
) -> None:
    # An admin's page still shows Mia as a member while the owner hands her ownership; the
    # admin's "remove" then arrives. It must see Mia as she is now, an owner, and stop.
    seen_by_admin = _membership(member, tenant)
    admin_membership = _membership(admin, tenant)
    request = rf.post("/")
    with tenant_context(tenant):
        services.ownership_transfer(
            to=_membership(member, tenant), acting=_membership(owner, tenant), request=request
        )
        with pytest.raises(ValidationError, match="Only an owner can change or remove"):
            services.membership_remove(
                membership=seen_by_admin, acting=admin_membership, request=request
            )
        with pytest.raises(ValidationError, match="Only an owner can change or remove"):
            services.membership_change_role(
                membership=seen_by_admin, role=Role.VIEWER, acting=admin_membership,
                request=request,
            )  # fmt: skip

    assert _role(member, tenant) == Role.OWNER


def test_acting_on_someone_who_has_just_left_says_so(
    tenant: Tenant, admin: User, member: User, rf: RequestFactory
) -> None:
    seen = _membership(member, tenant)
    Membership.objects.filter(pk=seen.pk).delete()

    with tenant_context(tenant), pytest.raises(ValidationError, match="no longer a member"):
        services.membership_change_role(
            membership=seen,
            role=Role.VIEWER,
            acting=_membership(admin, tenant),
            request=rf.post("/"),
        )


def test_ownership_is_transferred_and_the_old_owner_becomes_admin(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    client = client_on(tenant, owner)

    client.post(f"/members/{_membership(member, tenant).public_id}/transfer/")

    assert (_role(member, tenant), _role(owner, tenant)) == (Role.OWNER, Role.ADMIN)
    with tenant_context(tenant):
        assert AuditEntry.objects.filter(action=AuditAction.OWNERSHIP_TRANSFERRED).exists()


def test_only_an_owner_transfers_ownership(
    client_on: ClientFactory, tenant: Tenant, admin: User, member: User
) -> None:
    response = client_on(tenant, admin).post(
        f"/members/{_membership(member, tenant).public_id}/transfer/"
    )

    assert response.status_code == 403
    assert _role(member, tenant) == Role.MEMBER


def test_a_removed_member_is_out_at_once(
    client_on: ClientFactory, tenant: Tenant, admin: User, member: User
) -> None:
    members_browser = client_on(tenant, member)
    assert members_browser.get("/").status_code == 200

    client_on(tenant, admin).post(f"/members/{_membership(member, tenant).public_id}/remove/")

    assert _role(member, tenant) is None
    assert members_browser.get("/").status_code == 403
    with tenant_context(tenant):
        assert AuditEntry.objects.filter(action=AuditAction.MEMBER_REMOVED).count() == 1


def test_removing_oneself_is_leaving(client_on: ClientFactory, tenant: Tenant, admin: User) -> None:
    client = client_on(tenant, admin)

    client.post(f"/members/{_membership(admin, tenant).public_id}/remove/")

    assert _role(admin, tenant) == Role.ADMIN
    assert "To leave the workspace yourself, use Leave workspace." in _messages(client)


def test_a_member_leaves_and_lands_on_the_apex(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)

    response = client.post("/members/leave/")

    assert response["Location"] == "http://localhost/accounts/"
    assert _role(member, tenant) is None
    assert client.get("/").status_code == 302  # signed out of this host


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_members_and_viewers_manage_nobody(
    client_on: ClientFactory,
    tenant: Tenant,
    admin: User,
    persona: str,
    request: pytest.FixtureRequest,
) -> None:
    client = client_on(tenant, request.getfixturevalue(persona))
    target = _membership(admin, tenant).public_id

    assert client.post(f"/members/{target}/role/", {"role": "viewer"}).status_code == 403
    assert client.post(f"/members/{target}/remove/").status_code == 403
    assert _role(admin, tenant) == Role.ADMIN


def test_an_outsider_gets_nothing_on_any_members_page(
    client_on: ClientFactory, tenant: Tenant, outsider: User, member: User
) -> None:
    target = _membership(member, tenant).public_id
    for method, path in [
        ("get", "/members/"),
        ("post", f"/members/{target}/role/"),
        ("post", f"/members/{target}/remove/"),
        ("post", f"/members/{target}/transfer/"),
        ("post", "/members/leave/"),
        ("get", "/api/v1/members/"),
    ]:
        client = client_on(tenant, outsider)
        response = getattr(client, method)(path, {"role": "viewer"} if "role" in path else {})
        assert response.status_code == 403, path
        assert member.email not in response.content.decode()
    assert _role(member, tenant) == Role.MEMBER


def test_ids_from_another_workspace_lead_nowhere(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, owner: User, outsider: User
) -> None:
    globex_id = _membership(outsider, other_tenant).public_id
    client = client_on(tenant, owner)

    assert client.post(f"/members/{globex_id}/role/", {"role": "viewer"}).status_code == 404
    assert client.post(f"/members/{globex_id}/remove/").status_code == 404
    assert _role(outsider, other_tenant) == Role.OWNER


def test_the_members_api_lists_this_workspace_to_any_member(
    client_on: ClientFactory, tenant: Tenant, viewer: User, owner: User, outsider: User
) -> None:
    response = client_on(tenant, viewer).get("/api/v1/members/")

    assert response.status_code == 200
    emails = {row["email"] for row in response.json()}
    assert owner.email in emails
    assert outsider.email not in emails
    assert set(response.json()[0]) == {"id", "user", "email", "name", "role", "joined_at"}
    by_email = {row["email"]: row for row in response.json()}
    assert by_email[owner.email]["user"] == str(owner.public_id)


def test_the_members_api_refuses_anonymous_callers_and_other_workspaces_sessions(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    assert client_on(tenant).get("/api/v1/members/").status_code == 401
    globex_session = client_on(other_tenant, both).cookies
    acme = client_on(tenant)
    acme.cookies = globex_session

    # Globex's cookie is no session on Acme's host: the caller is anonymous there.
    assert acme.get("/api/v1/members/").status_code == 401


def test_an_api_view_cannot_swap_out_the_permission_check() -> None:
    with pytest.raises(TypeError, match="changes the permission check"):

        class _Sneaky(TenantAPIView):
            permission_classes = []

    with pytest.raises(TypeError, match="changes the permission check"):

        class _Sneakier(TenantAPIView):
            def get_permissions(self) -> list:  # type: ignore[type-arg]
                return []

    assert issubclass(TenantAPIView, APIView)
