from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib.auth import password_validation
from django.http import HttpRequest

from shared_apps.accounts.models import User
from tenants.roles import Role

ROLE_CHOICES = [
    (Role.ADMIN, "Admin: manages members and settings"),
    (Role.MEMBER, "Member: works in projects"),
    (Role.VIEWER, "Viewer: reads only"),
]


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "teammate@company.com"}),
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(r, r.label) for r in (Role.ADMIN, Role.MEMBER, Role.VIEWER)])


class AcceptWithNewAccountForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="The password again", widget=forms.PasswordInput)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_full_name(self) -> str:
        # One line of plain words: the name appears in mail subjects and lists.
        name = " ".join(str(self.cleaned_data["full_name"]).split())
        if not name:
            raise forms.ValidationError("Enter your name.")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(first, User(email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class AcceptWithPasswordForm(forms.Form):
    """An existing account proves it is theirs with its password."""

    password = forms.CharField(label="Your Strata password", widget=forms.PasswordInput)

    def __init__(self, *args: Any, email: str, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.request = request
        self.user: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if "password" in cleaned:
            # Through allauth, like a sign-in: the same per-account limit on failed attempts,
            # and the same failed-sign-in audit entries.
            try:
                user = get_adapter(self.request).authenticate(
                    self.request, email=self.email, password=cleaned["password"]
                )
            except forms.ValidationError as exc:
                self.add_error("password", exc)
                return cleaned
            if not isinstance(user, User):
                self.add_error("password", "That is not the password of this account.")
            else:
                self.user = user
        return cleaned
