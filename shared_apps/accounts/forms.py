from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from shared_apps.accounts.models import User
from tenants.requests import RoutedRequest
from tenants.selectors import membership_for


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with email and password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email and password do not match an account. Check both and try again."
        ),
        "not_member": (
            "You are not a member of %(tenant)s. Ask an admin of %(tenant)s to invite you."
        ),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "placeholder": "you@company.com"}
        )
        self.fields["password"].widget.attrs["placeholder"] = "Your password"


class MemberAuthenticationForm(EmailAuthenticationForm):
    """Sign in on a tenant host: only that tenant's members get a session there."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        tenant = cast(RoutedRequest, self.request).tenant
        if tenant is None or membership_for(user=user, tenant=tenant) is None:
            raise forms.ValidationError(
                self.error_messages["not_member"],
                code="not_member",
                params={"tenant": tenant.name if tenant else "this workspace"},
            )
