from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import render
from django.urls import set_urlconf

from tenants import routing
from tenants.connections import note_schema_served
from tenants.context import tenant_connection
from tenants.hosts import is_dns_name, public_hosts, split_host, tenant_site_url
from tenants.models import Tenant, TenantStatus
from tenants.observability import bind_tenant
from tenants.requests import RoutedRequest, wants_json

_INACTIVE_MESSAGES = {
    TenantStatus.SUSPENDED: (
        "tenant_suspended",
        "This workspace is suspended. Its owner can contact support to restore access.",
    ),
    TenantStatus.ARCHIVED: (
        "tenant_archived",
        "This workspace has been archived and is no longer available.",
    ),
}


def _render_public(
    request: HttpRequest, template: str, context: dict[str, object], status: int
) -> HttpResponse:
    """Render a page of our own before any view runs, resolving {% url %} on the public site."""
    set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
    return render(request, template, context, status=status)


class HostValidationMiddleware:
    """Django's ALLOWED_HOSTS, for hosts that change at run time.

    A request is served only on the apex, a subdomain of it, a host in DJANGO_ALLOWED_HOSTS, or
    a verified custom domain of a tenant (or a renamed tenant's former host): the routing
    cache answers that last question. Anything else is a 400, before any view can build a URL
    from the Host header. ALLOWED_HOSTS is "*" for Django because this middleware decides.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        base = settings.STRATA_BASE_DOMAIN
        self.patterns = [base, f".{base}", *settings.STRATA_EXTRA_ALLOWED_HOSTS]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            domain, port = split_domain_port(request.get_host())  # syntax checked by Django
        except DisallowedHost:
            domain, port = "", ""
        # Django's syntax admits names no DNS could hold (an empty label, a label of 300
        # characters, a hyphen at an end) and any port number: such a Host is malformed.
        well_formed = is_dns_name(domain) and (not port or 0 < int(port) <= 65535)
        if not well_formed or not (
            validate_host(domain, self.patterns) or routing.resolve(domain) is not None
        ):
            return _render_public(request, "400.html", {}, 400)
        return self.get_response(request)


class TenantRoutingMiddleware:
    """Pick the schema and urlconf for a request from its host.

    The apex and www serve the public site; a tenant's host serves its workspace; anything else
    is a 404 that names no tenant. Every request selects its schema afresh (set_tenant or
    set_schema_to_public), which also makes the connection forget the search_path an earlier
    request left on it: the first query of this request sets it again (TENANT_LIMIT_SET_CALLS),
    a view with no query sets none. Every request ends back on public, and counts towards its
    connection's budget of schemas (tenants.connections).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.public_hosts = public_hosts()

    def __call__(self, http_request: HttpRequest) -> HttpResponse:
        request = cast(RoutedRequest, http_request)
        request.tenant = None
        hostname, _ = split_host(request.get_host())
        connection = tenant_connection()
        try:
            if hostname in self.public_hosts:
                connection.set_schema_to_public()
                request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
                return self.get_response(request)

            tenant = routing.resolve(hostname)
            if isinstance(tenant, routing.Redirect):
                connection.set_schema_to_public()
                if tenant.active:  # a renamed workspace's former address
                    target = tenant_site_url(request, tenant.host, request.get_full_path())
                    return HttpResponsePermanentRedirect(target)
                tenant = None
            if tenant is None or tenant.status != TenantStatus.ACTIVE:
                connection.set_schema_to_public()
                if tenant is None:
                    return _render_public(request, "404.html", {"unknown_host": True}, 404)
                bind_tenant(tenant)
                return self._inactive(request, tenant)

            bind_tenant(tenant)
            request.tenant = tenant
            request.urlconf = settings.ROOT_URLCONF
            connection.set_tenant(tenant)
            return self.get_response(request)
        finally:
            note_schema_served(connection)
            connection.set_schema_to_public()

    def _inactive(self, request: RoutedRequest, tenant: Tenant) -> HttpResponse:
        code, message = _INACTIVE_MESSAGES[TenantStatus(tenant.status)]
        if wants_json(request):
            return JsonResponse({"error": {"code": code, "message": message}}, status=403)
        return _render_public(
            request,
            "tenants/inactive.html",
            {"inactive_tenant": tenant, "code": code, "message": message},
            status=403,
        )
