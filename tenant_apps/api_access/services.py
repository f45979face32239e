"""Issuing, checking and revoking API keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from billing.catalog import Feature
from billing.entitlements import check_feature
from shared_apps.accounts.models import User
from tenant_apps.api_access.models import ApiKey, Scope
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenants.models import Tenant
from tenants.requests import client_ip

_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_PREFIX_LENGTH = 10
# strata_<10 lowercase letters or digits>_<43 characters of token_urlsafe(32)>
KEY_FORMAT = re.compile(r"^strata_(?P<prefix>[a-z0-9]{10})_(?P<secret>[A-Za-z0-9_-]{43})\Z")
# last_used_at is written at most this often per key: a busy key must not turn every read into
# a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiKeyRefusedError(Exception):
    """The presented key is no key of this workspace, or no longer works; the message says
    which, in words fit for the caller."""


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    # The only time the whole key exists outside the caller's hands.
    plaintext: str


def _hash(schema_name: str, plaintext: str) -> str:
    # Bound to the schema: the row copied into another workspace would match nothing there.
    return hashlib.sha256(f"{schema_name}:{plaintext}".encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    scope: str,
    expires_at: datetime | None,
    actor: User,
    request: HttpRequest | None = None,
) -> IssuedKey:
    """A new key (PlanLimitError if the plan has no API access)."""
    check_feature(tenant, Feature.API_ACCESS)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Name the key after what will use it, such as “CI”."})
    if scope not in Scope.values:
        raise ValidationError({"scope": f"Choose one of: {', '.join(Scope.values)}."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Choose an expiry in the future."})
    for _attempt in range(5):
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(_PREFIX_LENGTH))
        plaintext = f"strata_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    name=name,
                    prefix=prefix,
                    secret_hash=_hash(tenant.schema_name, plaintext),
                    scope=scope,
                    expires_at=expires_at,
                    created_by=actor,
                )
            break
        except IntegrityError:  # a prefix taken already: 36**10 makes this all but impossible
            continue
    else:  # pragma: no cover - five collisions in a row
        raise RuntimeError("could not find a free API key prefix")
    audit_record(
        action=AuditAction.API_KEY_CREATED,
        actor=actor,
        target=str(key),
        request=request,
        prefix=key.display_prefix,
        scope=scope,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    return IssuedKey(key=key, plaintext=plaintext)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User, request: HttpRequest | None = None) -> ApiKey:
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is not None:
        raise ValidationError(f"{locked} was revoked already.")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.API_KEY_REVOKED,
        actor=actor,
        target=str(locked),
        request=request,
        prefix=locked.display_prefix,
    )
    return locked


def api_key_authenticate(
    *, tenant: Tenant, presented: str, request: HttpRequest | None = None
) -> ApiKey:
    """The active key of this workspace that `presented` is, with its last use (and the
    client address of `request`) recorded at most once a minute; else ApiKeyRefusedError."""
    match = KEY_FORMAT.match(presented)
    if match is None:
        raise ApiKeyRefusedError(
            "That is not a Strata API key: a key looks like strata_<10 characters>_<43 "
            "characters>. Copy it again from Settings → API keys."
        )
    # get(): the prefix is unique, so no ordering, no LIMIT.
    try:
        key: ApiKey | None = ApiKey.objects.get(prefix=match["prefix"])
    except ApiKey.DoesNotExist:
        key = None
    if key is None or not hmac.compare_digest(
        key.secret_hash, _hash(tenant.schema_name, presented)
    ):
        raise ApiKeyRefusedError("This API key is not valid for this workspace.")
    if key.revoked_at is not None:
        raise ApiKeyRefusedError(f"This API key ({key.display_prefix}) was revoked.")
    now = timezone.now()
    if key.expires_at is not None and key.expires_at <= now:
        raise ApiKeyRefusedError(
            f"This API key ({key.display_prefix}) expired on {key.expires_at:%Y-%m-%d}."
        )
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ip = client_ip(request)  # only when it is written: not on every request
        # One conditional UPDATE: concurrent requests write it once between them.
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION),
            pk=key.pk,
        ).update(last_used_at=now, last_used_ip=ip)
        key.last_used_at, key.last_used_ip = now, ip
    return key
