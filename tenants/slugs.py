"""What a tenant's subdomain may be.

Slugs are user input that ends up in host names, so they are held to a DNS label and checked
against names the platform keeps for itself. They never reach SQL as identifiers: schema names
are generated separately (see Tenant.schema_name).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

SLUG_MAX_LENGTH = 63
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")

RESERVED_SLUGS = frozenset(
    {
        # infrastructure and well-known service names
        "www", "api", "admin", "app", "static", "media", "mail", "billing", "status",
        "assets", "cdn", "files", "img", "images", "smtp", "imap", "pop", "pop3", "ftp",
        "sftp", "ssh", "vpn", "ns", "ns1", "ns2", "ns3", "ns4", "dns", "mx", "webmail",
        "autodiscover", "autoconfig", "localhost", "health", "healthz", "readyz", "metrics",
        "grafana", "prometheus", "sentry", "internal", "intranet",
        # product surfaces
        "auth", "login", "logout", "signin", "signup", "register", "account", "accounts",
        "dashboard", "console", "operator", "operators", "platform", "support", "help",
        "docs", "blog", "about", "pricing", "security", "legal", "terms", "privacy",
        "abuse", "postmaster", "hostmaster", "webmaster", "root", "system", "public",
        "dev", "staging", "stage", "test", "testing", "demo-admin", "sandbox", "preview",
        "strata", "new", "invite", "invites", "oauth", "sso", "saml", "webhook", "webhooks",
        "stripe", "payments", "checkout", "portal",
    }
)  # fmt: skip


def normalize_slug(value: str) -> str:
    """Subdomains are case-insensitive: compare and store them in lower case."""
    return value.strip().lower()


def validate_slug(value: str) -> None:
    """Raise ValidationError with a message a person can act on if `value` cannot be a slug."""
    if not value:
        raise ValidationError("Choose a subdomain.", code="required")
    if len(value) > SLUG_MAX_LENGTH:
        raise ValidationError(
            f"A subdomain has at most {SLUG_MAX_LENGTH} characters; this one has {len(value)}.",
            code="max_length",
        )
    if not _DNS_LABEL.match(value):
        raise ValidationError(
            "Use only lowercase letters a-z, digits and hyphens, starting and ending with a "
            "letter or digit.",
            code="invalid",
        )
    if value[2:4] == "--":
        # "xn--" and its kin are punycode labels: they would display as a different name.
        raise ValidationError(
            "A subdomain may not have hyphens in its third and fourth characters.",
            code="invalid",
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(
            f"“{value}” is reserved by Strata. Choose another subdomain.", code="reserved"
        )
