"""Host names: which one is the public site, which one a tenant lives on."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

# A DNS label (RFC 1123): letters, digits and hyphens, 1 to 63 of them, no hyphen at either end.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")


def is_dns_name(host: str) -> bool:
    """Whether lower-case `host` (no port) could be a name in DNS: at most 253 characters of
    valid labels. A Host header that is not one is malformed, whatever it names."""
    return 0 < len(host) <= 253 and all(_LABEL.match(label) for label in host.split("."))


def split_host(host: str) -> tuple[str, str]:
    """("acme.localhost", ":8000") from "ACME.localhost:8000"; IPv6 literals keep brackets."""
    host = host.lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1], host[end + 1 :]
    name, sep, port = host.partition(":")
    return name.rstrip("."), f"{sep}{port}"


def public_hosts() -> frozenset[str]:
    base: str = settings.STRATA_BASE_DOMAIN
    return frozenset({base, f"www.{base}"})


def primary_host_for_slug(slug: str) -> str:
    return f"{slug}.{settings.STRATA_BASE_DOMAIN}"


def with_request_port(request: HttpRequest, hostname: str) -> str:
    """`hostname` with the port this request came in on ("acme.localhost:8000" in dev)."""
    try:
        _, port = split_host(request.get_host())
    except DisallowedHost:
        # Error pages for a rejected Host still link somewhere sensible, never to that host.
        port = ""
    return f"{hostname}{port}"


def public_site_url(request: HttpRequest, path: str = "/") -> str:
    """The apex site on the scheme and port this request came in on."""
    return f"{request.scheme}://{with_request_port(request, settings.STRATA_BASE_DOMAIN)}{path}"


def tenant_site_url(request: HttpRequest, host: str, path: str = "/") -> str:
    return f"{request.scheme}://{with_request_port(request, host)}{path}"


def tenant_absolute_url(slug: str, path: str = "/") -> str:
    """A link to a tenant page made without a request (mail from tasks and webhooks)."""
    scheme = settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL
    port = f":{settings.STRATA_URL_PORT}" if settings.STRATA_URL_PORT else ""
    return f"{scheme}://{primary_host_for_slug(slug)}{port}{path}"
