from __future__ import annotations

import pytest
from django.db import IntegrityError

from shared_apps.accounts.models import User


def test_the_email_is_the_login_and_there_is_no_username(db: None) -> None:
    user = User.objects.create_user(email="  New.Person@Example.COM ", password="pw-123456")

    assert user.email == "new.person@example.com"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")
    assert user.check_password("pw-123456")
    assert User.objects.get_by_natural_key("NEW.PERSON@example.com") == user


def test_a_user_created_without_a_password_cannot_sign_in_yet(db: None) -> None:
    user = User.objects.create_user(email="invited@example.com")

    assert not user.has_usable_password()


def test_emails_are_unique_whatever_their_case(db: None) -> None:
    User.objects.create_user(email="dup@example.com")

    with pytest.raises(IntegrityError):
        User.objects.create(email="DUP@example.com")


def test_a_superuser_is_staff(db: None) -> None:
    user = User.objects.create_superuser(email="root@example.com", password="pw-123456")

    assert user.is_staff
    assert user.is_superuser


def test_names_fall_back_to_the_email(db: None) -> None:
    user = User(email="sam@example.com")

    assert user.get_full_name() == "sam@example.com"
    assert user.get_short_name() == "sam"
    user.full_name = "Sam Carter"
    assert (user.get_full_name(), user.get_short_name()) == ("Sam Carter", "Sam")
