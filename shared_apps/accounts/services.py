from __future__ import annotations

from allauth.account.models import EmailAddress

from shared_apps.accounts.models import User


def user_email_mark_verified(*, user: User) -> EmailAddress:
    """Record that `user` owns their address (they proved it: an accepted invitation, a seed)."""
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return address
