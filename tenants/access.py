"""The fail-closed base for every view on a tenant host.

A tenant view inherits TenantView, which lets in only signed-in members of the request's tenant
whose role carries the view's `required_permission`. No subclass may end up with another
dispatch() (its own or an earlier base's), as_view() cannot switch the check off, and
TenantViewGuardMiddleware refuses to run any view on a tenant host that does not inherit the
base, so a view cannot forget the check. The one way around it is spelled
`dangerously_allow_non_members` so that it stands out in review.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views import View
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from tenants.credentials import TenantCredential
from tenants.models import Membership, Tenant
from tenants.observability import bind
from tenants.requests import RoutedRequest, TenantRequest
from tenants.roles import Permission, role_has_permission
from tenants.selectors import membership_for

_ACCESS_ATTRIBUTES = frozenset(
    {"required_permission", "write_permission", "dangerously_allow_non_members"}
)


class TenantView(View):
    """Base for tenant-host views: membership required, role permission checked."""

    required_permission: ClassVar[Permission] = Permission.WORKSPACE_VIEW
    # Only for pages a stranger must reach, such as the login page. Shouts in review on purpose.
    dangerously_allow_non_members: ClassVar[bool] = False

    # Set by dispatch() before any handler runs.
    tenant: Tenant
    membership: Membership

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Checks the dispatch() the class will really use, so a base listed before TenantView
        # (a mixin, DRF's APIView) cannot replace the check either.
        if cls.dispatch is not TenantView.dispatch:
            raise TypeError(
                f"{cls.__qualname__} gets dispatch() from somewhere other than TenantView, "
                "which would skip the tenant membership check; list TenantView first among "
                "the bases and put the logic in get()/post()"
            )

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        overridden = _ACCESS_ATTRIBUTES & initkwargs.keys()
        if overridden:
            raise TypeError(
                f"{cls.__qualname__}.as_view() cannot set {', '.join(sorted(overridden))}: "
                "access rules belong on the class, where review sees them"
            )
        return super().as_view(**initkwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        tenant = cast(RoutedRequest, request).tenant
        if tenant is None:
            # Mounted on the public urlconf by mistake: there is no tenant to check against.
            raise Http404
        self.tenant = tenant
        if not self.dangerously_allow_non_members:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            bind(user_id=request.user.pk)
            membership = membership_for(user=request.user, tenant=tenant)
            if membership is None:
                # A session here without a membership (removed member): it is worth nothing.
                logout(request)
                return render(request, "tenants/not_a_member.html", {"tenant": tenant}, status=403)
            self.membership = membership
            cast(TenantRequest, request).membership = membership
            if not role_has_permission(membership.role, self.required_permission):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class IsTenantMember(BasePermission):
    """DRF: a signed-in member of the request's tenant whose role allows the view, or a
    credential of this tenant (an API key) that grants what the view needs."""

    message = "You are not a member of this workspace, or your role does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        tenant = cast(RoutedRequest, request._request).tenant
        if tenant is None:
            return False
        needed = [cast(Permission, getattr(view, "required_permission", Permission.WORKSPACE_VIEW))]
        write: Permission | None = getattr(view, "write_permission", None)
        if write is not None and request.method not in SAFE_METHODS:
            # Writing needs the view's own permission and the write permission both.
            needed.append(write)
        credential = request.auth
        if isinstance(credential, TenantCredential):
            # Looked up in this tenant's schema already; checked again so that a credential
            # can never be honoured on a host it does not belong to.
            return credential.schema_name == tenant.schema_name and all(
                credential.grants(permission) for permission in needed
            )
        bind(user_id=request.user.pk)
        membership = membership_for(user=request.user, tenant=tenant)
        if membership is None:
            return False
        cast(TenantRequest, request._request).membership = membership
        return all(role_has_permission(membership.role, permission) for permission in needed)


class TenantAPIView(APIView):
    """Base for every API view on a tenant host: the DRF twin of TenantView.

    Permissions are IsTenantMember and nothing a subclass can swap out: it may not set
    permission_classes or override get_permissions (checked when the class is created).
    """

    required_permission: ClassVar[Permission] = Permission.WORKSPACE_VIEW
    # For views that read and write: what a POST, PUT, PATCH or DELETE needs besides
    # required_permission (viewers read a list, members add to it).
    write_permission: ClassVar[Permission | None] = None
    permission_classes = [IsTenantMember]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (
            "permission_classes" in vars(cls)
            or cls.get_permissions is not TenantAPIView.get_permissions
        ):
            raise TypeError(
                f"{cls.__qualname__} changes the permission check of TenantAPIView; set "
                "required_permission instead"
            )

    def get_permissions(self) -> list[BasePermission]:
        return [IsTenantMember()]

    def perform_authentication(self, request: Request) -> None:
        # A throttle that knows the workspace's budget is spent for now refuses first, before
        # the credentials cost a query: a client far past its limit then costs the server
        # little more than its 429 (tenant_apps.api_access.throttling).
        for throttle in self.get_throttles():
            refuse_if_spent = getattr(throttle, "refuse_if_spent", None)
            if refuse_if_spent is not None:
                refuse_if_spent(request)
        super().perform_authentication(request)


FAIL_CLOSED_BASES: tuple[type, ...] = (TenantView, TenantAPIView)


def view_class_of(view_func: Callable[..., Any]) -> type | None:
    """The class a URL's view function was made from, for middleware that reads its rules."""
    # Django's as_view() records the class as view_class, DRF's ViewSets as cls.
    found = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    return found if isinstance(found, type) else None


class TenantViewGuardMiddleware:
    """Refuse to run a view on a tenant host unless it inherits a fail-closed base."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt_modules: tuple[str, ...] = tuple(
            getattr(settings, "STRATA_TENANT_VIEW_GUARD_EXEMPT_MODULES", ())
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        if getattr(request, "tenant", None) is None:
            return
        view_class = view_class_of(view_func)
        if isinstance(view_class, type) and issubclass(view_class, FAIL_CLOSED_BASES):
            return
        if self.exempt_modules and view_func.__module__.startswith(self.exempt_modules):
            return
        raise ImproperlyConfigured(
            f"{view_func.__module__}.{view_func.__qualname__} is routed on a tenant host but does "
            "not inherit tenants.access.TenantView or TenantAPIView; refusing to serve it"
        )
