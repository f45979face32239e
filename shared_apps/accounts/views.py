"""Sign-in and account pages.

The apex serves all of allauth (account settings, two-factor, password reset) plus the list of
a person's workspaces. A tenant host serves only what a person needs to get into that
workspace, each page wrapped in TenantView: sign-in (members only), the two-factor step,
password reset and email confirmation. Account settings belong to the identity, not to a
workspace: on a tenant host their addresses lead to the apex.
"""

from __future__ import annotations

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from shared_apps.accounts.hops import hop_token_issue, hop_token_redeem
from shared_apps.accounts.models import User
from shared_apps.accounts.services import browser_of
from tenants.access import TenantView
from tenants.hosts import public_site_url, tenant_site_url
from tenants.models import Tenant
from tenants.requests import IMPERSONATION_SESSION_KEY
from tenants.selectors import member_tenant_by_slug, primary_host_of, workspaces_of


def account_home(request: HttpRequest) -> HttpResponse:
    """The apex page for a signed-in person: the workspaces they belong to."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "accounts/home.html", {"workspaces": workspaces_of(user)})


def _hop_to(request: HttpRequest, user: User, tenant: Tenant) -> HttpResponse:
    if request.session.get(IMPERSONATION_SESSION_KEY):
        # An operator's impersonation is for this workspace only, for its time only.
        return render(request, "accounts/hop_refused_impersonating.html", status=403)
    token = hop_token_issue(user=user, tenant=tenant, browser=browser_of(request))
    return HttpResponseRedirect(
        tenant_site_url(request, primary_host_of(tenant), f"/accounts/hop/?token={token}")
    )


@require_POST
def open_workspace(request: HttpRequest, slug: str) -> HttpResponse:
    """From the apex into one of the person's workspaces, without the password again."""
    user = request.user
    if not isinstance(user, User):
        return redirect_to_login(public_site_url(request, "/accounts/"))
    tenant = member_tenant_by_slug(user=user, slug=slug)
    if tenant is None:
        raise Http404  # the same for a workspace that does not exist and one of others
    return _hop_to(request, user, tenant)


# Tenant hosts. Each is reachable by people who are not (yet) members: that is what they are for.


class TenantLoginView(TenantView, account_views.LoginView):
    dangerously_allow_non_members = True  # the form admits members only (StrataLoginForm)


class TenantLogoutView(TenantView, account_views.LogoutView):
    dangerously_allow_non_members = True  # signing out must work even after removal


class TenantSignupView(TenantView, account_views.SignupView):
    dangerously_allow_non_members = True  # closed: people join by invitation


class TenantPasswordResetView(TenantView, account_views.PasswordResetView):
    dangerously_allow_non_members = True  # members only get a link (MemberResetPasswordForm)


class TenantPasswordResetDoneView(TenantView, account_views.PasswordResetDoneView):
    dangerously_allow_non_members = True


class TenantPasswordResetFromKeyView(TenantView, account_views.PasswordResetFromKeyView):
    dangerously_allow_non_members = True  # the emailed key is the credential


class TenantPasswordResetFromKeyDoneView(TenantView, account_views.PasswordResetFromKeyDoneView):
    dangerously_allow_non_members = True


class TenantEmailVerificationSentView(TenantView, account_views.EmailVerificationSentView):
    dangerously_allow_non_members = True


class TenantConfirmEmailView(TenantView, account_views.ConfirmEmailView):
    dangerously_allow_non_members = True  # the emailed key is the credential


class TenantAccountInactiveView(TenantView, account_views.AccountInactiveView):
    dangerously_allow_non_members = True


class TenantTwoFactorView(TenantView, mfa_views.AuthenticateView):
    dangerously_allow_non_members = True  # the second step of a sign-in the form allowed


class HopView(TenantView):
    """Arrive from the apex or another workspace with a hop token, and be signed in here."""

    dangerously_allow_non_members = True  # the token is the credential; it is checked here

    def get(self, request: HttpRequest) -> HttpResponse:
        hop = hop_token_redeem(
            token=request.GET.get("token", ""), tenant=self.tenant, browser=browser_of(request)
        )
        if hop is None:
            return render(request, "accounts/hop_failed.html", status=403)
        if request.user.is_authenticated:
            logout(request)  # whoever was signed in here, the hop's person is now
        if hop.impersonation:
            # Before login, which keeps a fresh session's data: the sign-in is recorded as
            # part of the impersonation, and every later request is checked against it.
            request.session[IMPERSONATION_SESSION_KEY] = hop.impersonation
        login(request, hop.user, backend="django.contrib.auth.backends.ModelBackend")
        return HttpResponseRedirect("/")


class SwitchWorkspaceView(TenantView):
    """The header's workspace switcher: the member's other workspaces, one click away."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not isinstance(user, User):  # TenantView let only a signed-in member this far
            raise Http404
        others = [w for w in workspaces_of(user) if w.tenant.pk != self.tenant.pk]
        return render(request, "accounts/switch.html", {"workspaces": others})


class SwitchToWorkspaceView(TenantView):
    """The switcher's buttons: hop into another of the member's workspaces (POST only)."""

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        user = request.user
        tenant = member_tenant_by_slug(user=user, slug=slug) if isinstance(user, User) else None
        if tenant is None or not isinstance(user, User):
            raise Http404
        return _hop_to(request, user, tenant)


class AccountSettingsOnTheApexView(TenantView):
    """Password, email and two-factor settings belong to the person: they live on the apex."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(public_site_url(request, request.path))
