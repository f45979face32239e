from __future__ import annotations

from typing import Any, cast

from allauth.account.forms import LoginForm, ResetPasswordForm
from django import forms
from django.http import HttpRequest

from shared_apps.accounts.models import User
from tenants.requests import RoutedRequest
from tenants.selectors import membership_for

NOT_A_MEMBER = "You are not a member of {tenant}. Ask an admin of {tenant} for an invitation."


class StrataLoginForm(LoginForm):
    """Sign in with email and password; on a tenant host, only that tenant's members get in."""

    user: User | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].widget.attrs.update({"placeholder": "you@company.com"})
        self.fields["password"].widget.attrs.update({"placeholder": "Your password"})
        self.fields["password"].help_text = ""
        self.fields.pop("remember", None)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        tenant = cast(RoutedRequest, self.request).tenant if self.request else None
        # Checked before any further login step (two-factor): no session, not even a pending
        # one, for someone who cannot enter this workspace.
        if (
            self.user is not None
            and tenant is not None
            and membership_for(user=self.user, tenant=tenant) is None
        ):
            self.user = None
            raise forms.ValidationError(NOT_A_MEMBER.format(tenant=tenant.name), code="not_member")
        return cleaned


class MemberResetPasswordForm(ResetPasswordForm):
    """On a tenant host, only that tenant's members are sent a link (to that host); everyone
    gets the same answer."""

    users: list[User]

    def save(self, request: HttpRequest, **kwargs: Any) -> str:
        tenant = cast(RoutedRequest, request).tenant
        if tenant is not None:
            self.users = [u for u in self.users if membership_for(user=u, tenant=tenant)]
        email: str = super().save(request, **kwargs)
        return email
