from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from shared_apps.accounts.models import User
from tests.conftest import PASSWORD
from tests.totp import totp_code


def sign_in_with_code(client: Client, user: User, secret: str) -> None:
    """The apex sign-in as a person does it: password, then the authenticator's code."""
    first = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert first["Location"] == "/accounts/2fa/authenticate/", first
    second = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert second.status_code == 302, second.content.decode()[:2000]


@pytest.fixture
def operator_secret(staff: User) -> str:
    """Stan, platform staff, gets an authenticator app; this is its secret."""
    secret: str = generate_totp_secret()
    TOTP.activate(staff, secret)
    return secret


@pytest.fixture
def operator(staff: User, operator_secret: str) -> User:
    return staff


@pytest.fixture
def console(operator: User, operator_secret: str) -> Client:
    """A browser on the apex signed in as the operator with both factors."""
    client = Client(HTTP_HOST="localhost")
    sign_in_with_code(client, operator, operator_secret)
    return client
