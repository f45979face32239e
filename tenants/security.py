"""Browser-facing protections that depend on which hosts are Strata's: CSP and CSRF origins."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from tenants import routing
from tenants.hosts import split_host
from tenants.models import Tenant

CSP_HEADER = "Content-Security-Policy"


def content_security_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]).strip() for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Send STRATA_CSP on every response that did not set a policy of its own (downloads send a
    stricter sandbox)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy(settings.STRATA_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and CSP_HEADER not in response:
            response[CSP_HEADER] = self.policy
        return response


class TenantCsrfViewMiddleware(CsrfViewMiddleware):
    """Django's CSRF protection, with verified custom domains among the trusted origins.

    CSRF_TRUSTED_ORIGINS names the apex and its subdomains; custom domains are known only at run
    time, so on a workspace's host an origin whose host is one of that workspace's verified
    domains (the routing cache answers, as for Host validation) is trusted as well. The CSRF
    token is still required: cookies are host-only, so a page on another host cannot read it.
    """

    # Django's own check of the Origin header (stable since 4.0, not in the type stubs).
    def _origin_verified(self, request: HttpRequest) -> bool:
        if super()._origin_verified(request):  # type: ignore[misc]
            return True
        origin = urlsplit(request.headers.get("Origin", ""))
        if origin.scheme != ("https" if request.is_secure() else "http") or not origin.hostname:
            return False
        hostname, _ = split_host(origin.netloc)
        if hostname == settings.STRATA_BASE_DOMAIN or hostname.endswith(
            f".{settings.STRATA_BASE_DOMAIN}"
        ):
            return False  # the apex's own names are trusted (or not) by CSRF_TRUSTED_ORIGINS
        # Only the workspace's own domains: another workspace's verified domain is a site its
        # owner controls, not this workspace's.
        own = getattr(request, "tenant", None)
        target = routing.resolve(hostname)
        return (
            own is not None and isinstance(target, Tenant) and target.schema_name == own.schema_name
        )
