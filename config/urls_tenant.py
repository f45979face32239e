"""URLs of a tenant host. Every view here must inherit tenants.access.TenantView."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("tenant_apps.workspace.urls")),
    path("accounts/", include("shared_apps.accounts.urls_tenant")),
    path("audit/", include("tenant_apps.audit.urls")),
    path("settings/billing/", include("billing.urls_tenant")),
    path("", include("tenant_apps.members.urls")),
    path("", include("tenant_apps.projects.urls")),
    path("api/v1/", include("tenant_apps.members.api_urls")),
    path("api/v1/", include("tenant_apps.projects.api_urls")),
    path("api/", include("tenant_apps.api_access.api_docs_urls")),
    path("", include("tenant_apps.api_access.urls")),
    path("operator/impersonation/", include("shared_apps.operators.urls_tenant")),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
