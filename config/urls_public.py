"""URLs of the apex site (and www): the public website, sign-in, later signup and operators."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("shared_apps.website.urls")),
    path("accounts/", include("shared_apps.accounts.urls_public")),
    path("accounts/", include("allauth.urls")),
    path("operator/", include("shared_apps.operators.urls")),
    path("api/platform/v1/", include("shared_apps.operators.api_urls")),
    path("billing/", include("billing.urls_public")),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
