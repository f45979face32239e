from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from shared_apps.accounts.models import User
from shared_apps.accounts.services import account_for_address
from tenants.services import TENANT_NAME_MAX_LENGTH, tenant_slug_clean
from tenants.slugs import SLUG_MAX_LENGTH


def _signed_in_with_mfa(request: HttpRequest, user: User) -> bool:
    if getattr(request, "user", None) != user:
        return False
    records = get_authentication_records(request, user)
    return any(record.get("method") == "mfa" for record in records)


class SignupForm(forms.Form):
    """A new workspace and its owner. An address that already has an account must come with
    that account's password: nobody creates workspaces in someone else's name."""

    name = forms.CharField(
        label="Workspace name",
        max_length=TENANT_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "Acme Inc", "autocomplete": "organization"}),
    )
    subdomain = forms.CharField(
        label="Subdomain",
        max_length=SLUG_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": "acme", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    email = forms.EmailField(
        label="Your work email",
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "you@company.com", "autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. If you already have a Strata account, use its password.",
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.existing_user: User | None = None

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not name:
            raise ValidationError("Give the workspace a name.")
        return name

    def clean_subdomain(self) -> str:
        return tenant_slug_clean(str(self.cleaned_data["subdomain"]))

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if not email or not password:
            return cleaned
        account = account_for_address(email)
        if (
            account is not None
            and is_mfa_enabled(account)
            and not _signed_in_with_mfa(self.request, account)
        ):
            # A password alone must not open anything for an account with two factors.
            self.add_error(
                "email",
                f"{email} signs in with two-factor authentication: sign in to Strata first "
                "(with your code), then come back to create the workspace.",
            )
            return cleaned
        if account is not None:
            email = account.email
            # Through allauth, as a sign-in: the same limits on guessing.
            try:
                user = get_adapter(self.request).authenticate(
                    self.request, email=email, password=password
                )
            except ValidationError as exc:
                self.add_error("password", exc)
                return cleaned
            if not isinstance(user, User):
                self.add_error(
                    "password",
                    f"{email} already has a Strata account, and this is not its password. "
                    "Use that password, or reset it from the sign-in page.",
                )
            else:
                self.existing_user = user
        else:
            try:
                password_validation.validate_password(password, User(email=email))
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned
