"""The fail-closed base: membership and role are checked on every tenant view."""

from __future__ import annotations

import itertools
from typing import Any, cast

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import TemplateView

from shared_apps.accounts.models import User
from tenants.access import FAIL_CLOSED_BASES, TenantView, TenantViewGuardMiddleware
from tenants.models import Membership, Tenant
from tenants.requests import RoutedRequest
from tenants.roles import Permission, Role, role_has_permission
from tests.conftest import ClientFactory


class _ManageMembersView(TenantView):
    required_permission = Permission.MEMBERS_MANAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(f"managing {self.tenant.slug} as {self.membership.role}")


def _request(tenant: Tenant, user: User | AnonymousUser) -> HttpRequest:
    request = RequestFactory().get("/members/", HTTP_HOST=f"{tenant.slug}.localhost")
    cast(RoutedRequest, request).tenant = tenant  # as the routing middleware does
    request.user = user
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    return request


def _call(view: type[TenantView], tenant: Tenant, user: User | AnonymousUser) -> HttpResponse:
    response = view.as_view()(_request(tenant, user))
    assert isinstance(response, HttpResponse)
    return response


def test_anonymous_visitors_are_sent_to_sign_in(client_on: ClientFactory, tenant: Tenant) -> None:
    response = client_on(tenant).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_a_member_enters(client_on: ClientFactory, tenant: Tenant, member: User) -> None:
    response = client_on(tenant, member).get("/")

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["outsider", "staff"])
def test_a_signed_in_non_member_gets_nothing_and_loses_the_session(
    client_on: ClientFactory, tenant: Tenant, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_on(tenant, user)  # a session on this host, as if they had one somehow

    response = client.get("/")

    assert response.status_code == 403
    body = response.content.decode()
    assert f"You are not a member of {tenant.name}" in body
    assert "Members" not in body
    assert client.get("/").status_code == 302  # the session was ended


def test_a_superuser_is_not_a_member_either(tenant: Tenant, staff: User) -> None:
    staff.is_superuser = True
    staff.save()

    response = _call(_ManageMembersView, tenant, staff)

    assert response.status_code == 403


def test_a_removed_member_is_locked_out_on_the_next_request(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)
    assert client.get("/").status_code == 200

    Membership.objects.filter(user=member, tenant=tenant).delete()

    assert client.get("/").status_code == 403


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("owner", True), ("admin", True), ("member", False), ("viewer", False)],
)
def test_role_permissions_are_enforced(
    tenant: Tenant, persona: str, allowed: bool, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)

    if allowed:
        assert _call(_ManageMembersView, tenant, user).status_code == 200
    else:
        with pytest.raises(PermissionDenied):
            _call(_ManageMembersView, tenant, user)


def test_a_member_of_another_tenant_cannot_use_that_membership_here(
    tenant: Tenant, outsider: User
) -> None:
    response = _call(_ManageMembersView, tenant, outsider)

    assert response.status_code == 403
    assert b"managing" not in response.content


def test_the_permission_map_grows_with_the_role() -> None:
    order = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]
    for lower, higher in itertools.pairwise(order):
        for permission in Permission:
            if role_has_permission(lower, permission):
                assert role_has_permission(higher, permission), (lower, higher, permission)
    assert not role_has_permission(Role.VIEWER, Permission.CONTENT_WRITE)
    assert role_has_permission(Role.MEMBER, Permission.CONTENT_WRITE)
    assert not role_has_permission(Role.ADMIN, Permission.BILLING_MANAGE)
    assert not role_has_permission("emperor", Permission.WORKSPACE_VIEW)


def test_a_subclass_cannot_override_dispatch() -> None:
    with pytest.raises(TypeError, match="membership check"):

        class _Sneaky(TenantView):
            def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                return HttpResponse("no checks")


def test_a_base_listed_before_the_tenant_view_cannot_replace_its_dispatch() -> None:
    class _OwnDispatch(View):
        def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return HttpResponse("no checks")

    with pytest.raises(TypeError, match="list TenantView first"):

        class _Mixed(_OwnDispatch, TenantView):
            pass


def test_a_base_listed_after_the_tenant_view_keeps_the_check(
    tenant: Tenant, outsider: User
) -> None:
    class _Mixed(TenantView, TemplateView):
        template_name = "workspace/dashboard.html"

    assert _call(_Mixed, tenant, outsider).status_code == 403


@pytest.mark.parametrize(
    "initkwargs",
    [{"dangerously_allow_non_members": True}, {"required_permission": Permission.WORKSPACE_VIEW}],
)
def test_access_rules_cannot_be_changed_in_as_view(initkwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="access rules belong on the class"):
        _ManageMembersView.as_view(**initkwargs)


def test_the_403_page_names_the_role_that_falls_short(tenant: Tenant, viewer: User) -> None:
    request = _request(tenant, viewer)
    with pytest.raises(PermissionDenied) as denied:
        _ManageMembersView.as_view()(request)

    response = permission_denied(request, denied.value)

    assert response.status_code == 403
    assert "Your role in Acme Inc (Viewer) does not allow this." in response.content.decode()


def test_the_guard_refuses_a_view_that_skips_the_base(tenant: Tenant) -> None:
    def bare_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("tenant data")

    request = RequestFactory().get("/")
    cast(RoutedRequest, request).tenant = tenant
    guard = TenantViewGuardMiddleware(lambda r: HttpResponse())

    with pytest.raises(ImproperlyConfigured, match="does not inherit"):
        guard.process_view(request, bare_view, (), {})


def test_the_guard_recognises_views_recorded_as_cls(tenant: Tenant) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    view.cls = _ManageMembersView  # type: ignore[attr-defined]  # as DRF's ViewSets record it
    request = RequestFactory().get("/")
    cast(RoutedRequest, request).tenant = tenant
    guard = TenantViewGuardMiddleware(lambda r: HttpResponse())

    guard.process_view(request, view, (), {})  # does not raise


def test_the_guard_lets_the_public_site_use_plain_views() -> None:
    def bare_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("public")

    request = RequestFactory().get("/")
    cast(RoutedRequest, request).tenant = None
    guard = TenantViewGuardMiddleware(lambda r: HttpResponse())

    guard.process_view(request, bare_view, (), {})  # does not raise


def _views(patterns: list[URLPattern | URLResolver]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found.extend(_views(pattern.url_patterns))
        else:
            found.append((str(pattern.pattern), pattern.callback))
    return found


def _view_class(callback: Any) -> type:
    """The class behind a URL: Django's as_view() records it as view_class, DRF's ViewSets as
    cls."""
    found = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return found if isinstance(found, type) else type


def test_every_tenant_url_inherits_the_fail_closed_base() -> None:
    views = _views(get_resolver("config.urls_tenant").url_patterns)

    assert views, "the tenant urlconf should not be empty"
    offenders = [
        route
        for route, callback in views
        if not issubclass(_view_class(callback), FAIL_CLOSED_BASES)
    ]
    assert offenders == []


def test_only_named_views_skip_the_membership_check() -> None:
    views = _views(get_resolver("config.urls_tenant").url_patterns)
    open_views = sorted(
        _view_class(callback).__name__
        for _, callback in views
        if getattr(_view_class(callback), "dangerously_allow_non_members", False)
    )

    # Each of these was reviewed: a stranger must be able to reach it, and it shows no data.
    assert open_views == [
        "AcceptInvitationView",
        "HopView",
        "JoinAfterSignInView",
        "TenantAccountInactiveView",
        "TenantConfirmEmailView",
        "TenantEmailVerificationSentView",
        "TenantLoginView",
        "TenantLogoutView",
        "TenantPasswordResetDoneView",
        "TenantPasswordResetFromKeyDoneView",
        "TenantPasswordResetFromKeyView",
        "TenantPasswordResetView",
        "TenantSignupView",
        "TenantTwoFactorView",
    ]
