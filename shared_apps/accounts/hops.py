"""Hop tokens: enter a workspace without typing the password again.

A person signed in on the apex (or in one of their workspaces) asks to open another workspace;
they get a token that is single use, valid for HOP_TTL_SECONDS, and bound to them and to that
workspace, and present it on the workspace's host, which signs them in there. Tokens are kept in
the un-prefixed cache under their hash, so what sits in Redis cannot be replayed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tenants.selectors import membership_for

HOP_TTL_SECONDS = 60


def _key(token: str) -> str:
    return "hop:" + hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Hop:
    user: User
    impersonation: str = ""  # an operator's impersonation (shared_apps.operators), if any


def hop_token_issue(
    *,
    user: User,
    tenant: Tenant,
    browser: str,
    now: float | None = None,
    impersonation: str = "",
) -> str:
    """A token that signs `user` in on `tenant`'s host once, within HOP_TTL_SECONDS, in the
    browser that asked for it (`browser`: see accounts.services.browser_of), so that a token
    of one person's cannot be sent to another to sign them in as the first."""
    if membership_for(user=user, tenant=tenant) is None:
        raise PermissionError(f"{user.email} is not a member of {tenant.slug}")
    token = secrets.token_urlsafe(32)
    issued = time.time() if now is None else now
    claim = {
        "user": user.pk,
        "tenant": tenant.pk,
        "browser": browser,
        "expires": issued + HOP_TTL_SECONDS,
        "impersonation": impersonation,
    }
    caches["global"].set(_key(token), claim, timeout=HOP_TTL_SECONDS)
    return token


def hop_token_redeem(
    *, token: str, tenant: Tenant, browser: str, now: float | None = None
) -> Hop | None:
    """The member the token was issued to, if it is fresh, unused, for `tenant` and presented
    by the browser it was issued to; else None.

    A token is spent by the first attempt to redeem it, whatever the outcome.
    """
    cache = caches["global"]
    key = _key(token)
    claim: dict[str, Any] | None = cache.get(key)
    # Of two concurrent attempts, only one deletes the key: only that one may use it.
    if claim is None or not cache.delete(key):
        return None
    expired = claim["expires"] <= (time.time() if now is None else now)
    if expired or claim["tenant"] != tenant.pk or claim["browser"] != browser:
        return None
    user = User.objects.filter(pk=claim["user"], is_active=True).first()
    if user is None or membership_for(user=user, tenant=tenant) is None:
        return None
    return Hop(user=user, impersonation=str(claim.get("impersonation", "")))
