from __future__ import annotations

from typing import Any, cast

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from tenants.requests import RoutedRequest


class StrataAccountAdapter(DefaultAccountAdapter):
    """allauth, the Strata way: no open signup (people join by invitation), and sign-in lands
    on the workspace of the host it happened on, or the workspace list on the apex."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": (
            "That email and password do not match an account. Check both and try again."
        ),
        "too_many_login_attempts": (
            "Too many failed sign-in attempts for this account or from this network. Wait a "
            "few minutes, or reset your password."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are made by accepting an invitation (tenant_apps.members) or, later, by
        # creating a workspace; never by a bare signup form.
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys failed sign-ins by site and login; a site here is a host, so each tenant
        # host would count apart. The limit is per account, wherever it is tried.
        login = str(credentials.get("email", credentials.get("username", "")))
        return f"account:{login.strip().lower()}"

    def is_safe_url(self, url: str) -> bool:
        # Only this host: every tenant's host is in ALLOWED_HOSTS, and signing in on one
        # workspace must never send anyone on to another.
        request = allauth_context.request
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Subjects are rendered without the request: name the workspace ourselves.
        context.setdefault("current_tenant", getattr(allauth_context.request, "tenant", None))
        super().send_mail(template_prefix, email, context)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if cast(RoutedRequest, request).tenant is not None:
            return "/"
        return "/accounts/"
