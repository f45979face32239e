"""Custom domains: a tenant admin adds `tasks.acme-corp.com`; it routes only once a DNS TXT
record proves the tenant controls it.

The record: `_strata-verify.<domain>` TXT `strata-verify=<token>`. Lookups go through the
resolver named by STRATA_DNS_TXT_RESOLVER (a function `name -> list of TXT strings`), so tests
and other environments inject their own; the default asks DNS with dnspython.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from tenants.models import Domain, Tenant

logger = logging.getLogger("strata.domains")

VERIFY_PREFIX = "_strata-verify"
VALUE_PREFIX = "strata-verify="
MAX_CUSTOM_DOMAINS = 5
# \Z, not $: "$" also matches before a final newline, and "tasks\n.example.com" was accepted.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\Z")

TxtResolver = Callable[[str], list[str]]


def dns_txt_lookup(name: str) -> list[str]:
    """TXT strings of `name` from DNS (dnspython); none when it has none or DNS fails."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=5.0)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return []
    except dns.exception.DNSException:
        logger.warning("DNS lookup of %s failed", name, exc_info=True)
        return []
    return [b"".join(record.strings).decode(errors="replace") for record in answer]


def _resolver() -> TxtResolver:
    return cast(TxtResolver, import_string(settings.STRATA_DNS_TXT_RESOLVER))


def _custom_domain_name(host: str) -> str:
    """The host as Strata stores it, if it is a name a workspace may bring (a DNS name
    outside the platform's domain), or ValidationError saying what is wrong with it."""
    host = host.strip().lower().rstrip(".")
    if not host:
        raise ValidationError("Enter a domain, such as tasks.example.com.", code="required")
    if not host.isascii():
        raise ValidationError(
            "Enter the domain in its ASCII (punycode) form, such as xn--bcher-kva.example.",
            code="invalid",
        )
    labels = host.split(".")
    if (
        len(host) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not _TLD.match(labels[-1])
    ):
        raise ValidationError(
            f"“{host}” is not a domain name: use letters, digits and hyphens, with a dot "
            "between the parts, such as tasks.example.com.",
            code="invalid",
        )
    base = settings.STRATA_BASE_DOMAIN
    if host == base or host.endswith(f".{base}"):
        raise ValidationError(
            f"Addresses under {base} are Strata's; add a domain your company owns.",
            code="reserved",
        )
    return host


def custom_domain_clean(host: str) -> str:
    """The host as Strata stores it, or ValidationError saying what is wrong with it."""
    host = _custom_domain_name(host)
    if Domain.objects.filter(domain=host).exists():
        raise ValidationError(f"{host} is already in use by a Strata workspace.", code="taken")
    return host


def verification_token(tenant: Tenant, host: str) -> str:
    """The token `tenant` publishes for `host`: derived, so a workspace can be told its record
    for a domain before it holds the domain (see custom_domain_add)."""
    return salted_hmac("strata.custom-domain", f"{tenant.pk}:{host}").hexdigest()[:32]


def verification_record(domain: Domain) -> tuple[str, str]:
    """The TXT record (name, value) that proves control of `domain`."""
    return f"{VERIFY_PREFIX}.{domain.domain}", f"{VALUE_PREFIX}{domain.verification_token}"


def _record_published(host: str, token: str) -> bool:
    found = [text.strip() for text in _resolver()(f"{VERIFY_PREFIX}.{host}")]
    return f"{VALUE_PREFIX}{token}" in found


@transaction.atomic
def custom_domain_add(tenant: Tenant, host: str) -> Domain:
    """Add `host` to `tenant`, unverified. A domain another workspace added but never verified
    does not block its real owner: if this workspace's record is already in DNS, the pending
    claim makes way and the domain is verified for this workspace at once."""
    # The name first: only a DNS name reaches a query (a NUL character was a database error).
    host = _custom_domain_name(host)
    token = verification_token(tenant, host)
    pending = (
        Domain.objects.select_for_update()
        .filter(domain=host, verified_at__isnull=True, redirect_until__isnull=True)
        .exclude(tenant=tenant)
        .exclude(verification_token="")
        .first()
    )
    if pending is not None:
        if not _record_published(host, token):
            raise ValidationError(
                f"{host} is waiting for verification by another workspace. If it is yours, "
                f"publish the TXT record {VERIFY_PREFIX}.{host} with the value "
                f"{VALUE_PREFIX}{token}, then add it again: it will be verified at once.",
                code="pending_elsewhere",
            )
        pending.delete()
    host = custom_domain_clean(host)
    custom = Domain.objects.filter(tenant=tenant, verification_token__gt="")
    if custom.count() >= MAX_CUSTOM_DOMAINS:
        raise ValidationError(
            f"A workspace can have {MAX_CUSTOM_DOMAINS} custom domains; remove one first.",
            code="limit",
        )
    try:
        with transaction.atomic():
            domain = Domain.objects.create(
                tenant=tenant,
                domain=host,
                is_primary=False,
                verified_at=timezone.now() if pending is not None else None,
                verification_token=token,
            )
    except IntegrityError:  # another workspace added it at the same moment
        raise ValidationError(
            f"{host} is already in use by a Strata workspace.", code="taken"
        ) from None
    return domain


def custom_domain_verify(domain: Domain) -> bool:
    """Look for the TXT record; on finding it the domain routes (within the routing TTL)."""
    if domain.verified_at is not None:
        return True
    if not _record_published(domain.domain, domain.verification_token):
        return False
    domain.verified_at = timezone.now()
    domain.save(update_fields=["verified_at"])
    return True


@transaction.atomic
def custom_domain_remove(domain: Domain) -> None:
    if not domain.verification_token:
        raise ValidationError(
            "The workspace's own subdomain cannot be removed; operators can rename it.",
            code="subdomain",
        )
    domain.delete()
