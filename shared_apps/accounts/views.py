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
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from tenants.access import TenantView
from tenants.hosts import public_site_url, tenant_site_url
from tenants.selectors import workspaces_of


def account_home(request: HttpRequest) -> HttpResponse:
    """The apex page for a signed-in person: the workspaces they belong to."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    workspaces = [
        {"workspace": workspace, "url": tenant_site_url(request, workspace.host)}
        for workspace in workspaces_of(user)
    ]
    return render(request, "accounts/home.html", {"workspaces": workspaces})


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


class AccountSettingsOnTheApexView(TenantView):
    """Password, email and two-factor settings belong to the person: they live on the apex."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(public_site_url(request, request.path))
