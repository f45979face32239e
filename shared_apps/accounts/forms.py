from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from shared_apps.accounts.models import User
from tenants.models import Tenant
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


class EmailPasswordResetForm(PasswordResetForm):
    """Ask for a reset link; the answer is the same whether or not an account exists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(
            {"autofocus": True, "placeholder": "you@company.com"}
        )

    def get_users(self, email: str) -> Iterator[User]:
        # Unlike Django's default, accounts without a usable password are included: for Strata
        # that means "no password yet" (an owner created by an operator), and this sets one.
        return iter(User.objects.filter(email=email.strip().lower(), is_active=True))


class MemberPasswordResetForm(EmailPasswordResetForm):
    """On a tenant host, only that tenant's members are sent a link (to that host)."""

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def get_users(self, email: str) -> Iterator[User]:
        tenant = self.tenant
        return (u for u in super().get_users(email) if membership_for(user=u, tenant=tenant))


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
