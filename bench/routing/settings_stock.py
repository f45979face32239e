"""Variant 2: stock django-tenants, its middleware and its defaults.

TENANT_LIMIT_SET_CALLS is left unset (False), so the backend sets the search_path before every
cursor. Tenants are Strata's models, so stock and Strata route to identical rows: only the
routing differs.
"""

from __future__ import annotations

from bench.routing import settings_common as common
from bench.routing.settings_common import *  # noqa: F403 - what every variant shares
from config.settings import base as strata

# Strata's apps read their own settings (plans, billing, pool, routing) wherever they run: take
# every one of them from Strata's base settings; what a variant changes is set below.
globals().update(
    {name: getattr(strata, name) for name in dir(strata) if name.startswith(("STRATA_", "STRIPE_"))}
)

TENANT_MODEL = strata.TENANT_MODEL
TENANT_DOMAIN_MODEL = strata.TENANT_DOMAIN_MODEL
AUTH_USER_MODEL = strata.AUTH_USER_MODEL
SHARED_APPS = strata.SHARED_APPS
TENANT_APPS = [*strata.TENANT_APPS, "bench.routing.benchapp"]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

DATABASES = {"default": common.database("django_tenants.postgresql_backend")}
MIDDLEWARE = common.middleware(routing="django_tenants.middleware.main.TenantMainMiddleware")
