from __future__ import annotations

import hashlib

from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import EmailAddress, Login
from django.http import HttpRequest, HttpResponse

from shared_apps.accounts.models import User
from tenants.requests import client_ip


def browser_of(request: HttpRequest) -> str:
    """A digest of where a request comes from (address and user agent), to bind short-lived
    tokens to the browser that asked for them."""
    seen = f"{client_ip(request) or ''}|{request.META.get('HTTP_USER_AGENT', '')}"
    return hashlib.sha256(seen.encode()).hexdigest()


def user_email_mark_verified(*, user: User) -> EmailAddress:
    """Record that `user` owns their address (they proved it: an accepted invitation, a seed)."""
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return address


def account_for_address(email: str) -> User | None:
    """The account that owns `email`: as its sign-in address, or as a verified other address."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        address = EmailAddress.objects.filter(email__iexact=email, verified=True).first()
        user = User.objects.filter(pk=address.user_id).first() if address else None
    return user


def user_owns_address(*, user: User, email: str) -> bool:
    email = email.strip().lower()
    return (
        user.email == email
        or EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()
    )


def sign_in_through_allauth(
    request: HttpRequest, *, user: User, email: str, then: str
) -> HttpResponse:
    """Sign in `user`, whose password was just checked, through allauth's login stages (the
    two-factor step among them) exactly as the sign-in page would; on to `then` afterwards."""
    login = Login(user=user, email=email, redirect_url=then)
    response: HttpResponse = perform_password_login(request, {"email": email}, login)
    return response
