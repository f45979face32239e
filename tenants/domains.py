"""Custom domains: a tenant admin adds `tasks.acme-corp.com`; it routes only once a DNS TXT
record proves the tenant controls it.

The record: `_strata-verify.<domain>` TXT `strata-verify=<token>`. Lookups go through the
resolver named by STRATA_DNS_TXT_RESOLVER (a function `name -> list of TXT strings`), so tests
and other environments inject their own; the default asks DNS with dnspython.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tenants.models import Domain, Tenant

logger = logging.getLogger("strata.domains")

VERIFY_PREFIX = "_strata-verify"
VALUE_PREFIX = "strata-verify="
MAX_CUSTOM_DOMAINS = 5
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")

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


def custom_domain_clean(host: str) -> str:
    """The host as Strata stores it, or ValidationError saying what is wrong with it."""
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
    if Domain.objects.filter(domain=host).exists():
        raise ValidationError(f"{host} is already in use by a Strata workspace.", code="taken")
    return host


def verification_record(domain: Domain) -> tuple[str, str]:
    """The TXT record (name, value) that proves control of `domain`."""
    return f"{VERIFY_PREFIX}.{domain.domain}", f"{VALUE_PREFIX}{domain.verification_token}"


@transaction.atomic
def custom_domain_add(tenant: Tenant, host: str) -> Domain:
    host = custom_domain_clean(host)
    custom = Domain.objects.filter(tenant=tenant, verification_token__gt="")
    if custom.count() >= MAX_CUSTOM_DOMAINS:
        raise ValidationError(
            f"A workspace can have {MAX_CUSTOM_DOMAINS} custom domains; remove one first.",
            code="limit",
        )
    return Domain.objects.create(
        tenant=tenant,
        domain=host,
        is_primary=False,
        verified_at=None,
        verification_token=secrets.token_hex(16),
    )


def custom_domain_verify(domain: Domain) -> bool:
    """Look for the TXT record; on finding it the domain routes (within the routing TTL)."""
    if domain.verified_at is not None:
        return True
    name, value = verification_record(domain)
    found = [text.strip() for text in _resolver()(name)]
    if value not in found:
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
