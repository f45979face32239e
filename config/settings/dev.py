"""Local development: `make run` sets DATABASE_URL (embedded PostgreSQL unless you give one)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
os.environ.setdefault("DJANGO_DEBUG", "true")
# Lines for a person at a terminal; LOG_FORMAT=json shows what production writes.
os.environ.setdefault("LOG_FORMAT", "plain")

from config.env import env_int, env_str

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, MIDDLEWARE, REDIS_URL, SHARED_APPS, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]
SHARED_APPS = [*SHARED_APPS, "debug_toolbar"]
# Just before routing, so the toolbar sees the whole tenant request.
_routing = MIDDLEWARE.index("tenants.middleware.TenantRoutingMiddleware")
MIDDLEWARE = [
    *MIDDLEWARE[:_routing],
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    *MIDDLEWARE[_routing:],
]
INTERNAL_IPS = ["127.0.0.1", "::1"]
# The toolbar's own views serve its panels on every host; they carry no tenant data.
STRATA_TENANT_VIEW_GUARD_EXEMPT_MODULES = ("debug_toolbar.",)

if not REDIS_URL:
    # Without Redis each process has its own cache, so a change made from another shell
    # (create_tenant, the Django shell) cannot invalidate the server's routes: keep them brief.
    STRATA_ROUTING_SHARED_TTL = env_int("STRATA_ROUTING_SHARED_TTL", default=2, minimum=1)
    STRATA_ROUTING_UNKNOWN_TTL = env_int("STRATA_ROUTING_UNKNOWN_TTL", default=2, minimum=1)

# Mail still goes through the send task; the console shows what it would deliver.
STRATA_EMAIL_DELIVERY_BACKEND = env_str(
    "EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
# Billing is off without STRIPE_SECRET_KEY, and every workspace is on this plan: the demo shows
# every feature. `STRATA_DEFAULT_PLAN=free make run` shows the Free plan's limits instead.
STRATA_DEFAULT_PLAN = env_str("STRATA_DEFAULT_PLAN", default="business")
STRATA_URL_PORT = env_str("STRATA_URL_PORT", default="8000")
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # served from the app directories; collectstatic is for production
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}
