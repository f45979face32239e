"""Variant 3: Strata's routing middleware with Strata's own tenancy, database and cache settings.

The runner points DATABASE_URL at this variant's database and REDIS_URL at a Redis database of
the benchmark's own. The one database setting changed is CONN_HEALTH_CHECKS, off in every
variant so that all three pay the same per-request connection cost.
"""

from __future__ import annotations

from typing import Any

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
DATABASE_ROUTERS = strata.DATABASE_ROUTERS
PUBLIC_SCHEMA_NAME = strata.PUBLIC_SCHEMA_NAME
PUBLIC_SCHEMA_URLCONF = strata.PUBLIC_SCHEMA_URLCONF
TEMPLATES = strata.TEMPLATES
TENANT_LIMIT_SET_CALLS = strata.TENANT_LIMIT_SET_CALLS
STRATA_BASE_DOMAIN = strata.STRATA_BASE_DOMAIN
STRATA_ROUTING_LOCAL_TTL = strata.STRATA_ROUTING_LOCAL_TTL
STRATA_ROUTING_SHARED_TTL = strata.STRATA_ROUTING_SHARED_TTL
STRATA_ROUTING_UNKNOWN_TTL = strata.STRATA_ROUTING_UNKNOWN_TTL
STRATA_POOL_SIZE = 0  # tenants come from the blueprint; no refill task
CACHES = strata.CACHES

DATABASES: dict[str, dict[str, Any]] = {
    "default": {**strata.DATABASES["default"], "CONN_HEALTH_CHECKS": False}
}
MIDDLEWARE = common.middleware(routing="tenants.middleware.TenantRoutingMiddleware")
