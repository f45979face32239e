from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from shared_apps.accounts.forms import (
    EmailAuthenticationForm,
    EmailPasswordResetForm,
    MemberAuthenticationForm,
    MemberPasswordResetForm,
)
from tenants.access import TenantView
from tenants.hosts import tenant_site_url
from tenants.selectors import workspaces_of


class PublicLoginView(auth_views.LoginView):
    """Sign in on the apex (platform operators, people choosing a workspace)."""

    template_name = "accounts/login.html"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True
    next_page = "accounts:home"

    def get_redirect_url(self) -> str:
        # A signed-in person sent back to this very page would loop (Django refuses with a 500).
        url = super().get_redirect_url()
        return "" if url.split("?")[0] == self.request.path else url


class TenantLoginView(TenantView, auth_views.LoginView):
    """Sign in on a tenant host; the form admits members of this tenant only."""

    dangerously_allow_non_members = True  # strangers must be able to reach the login page
    template_name = "accounts/login.html"
    form_class = MemberAuthenticationForm
    next_page = "workspace:dashboard"


class PublicLogoutView(auth_views.LogoutView):
    next_page = "accounts:login"


class TenantLogoutView(TenantView):
    dangerously_allow_non_members = True  # signing out must work even after removal

    def post(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        return redirect("accounts:login")


class PublicPasswordResetView(auth_views.PasswordResetView):
    form_class = EmailPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_sent")


class TenantPasswordResetView(TenantView, PublicPasswordResetView):
    """Only members get a link, and it points at this workspace's host."""

    dangerously_allow_non_members = True  # people who cannot sign in must reach it
    form_class = MemberPasswordResetForm

    def get_form_kwargs(self) -> dict[str, Any]:
        self.extra_email_context = {"workspace": self.tenant.name}
        return {**super().get_form_kwargs(), "tenant": self.tenant}


class PublicPasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class TenantPasswordResetSentView(TenantView, PublicPasswordResetSentView):
    dangerously_allow_non_members = True


class PublicPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class TenantPasswordResetConfirmView(TenantView, PublicPasswordResetConfirmView):
    dangerously_allow_non_members = True  # the link itself is the credential


class PublicPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class TenantPasswordResetCompleteView(TenantView, PublicPasswordResetCompleteView):
    dangerously_allow_non_members = True


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
