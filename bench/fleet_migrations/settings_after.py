"""Strata's settings plus the bench's tenant app (bench/fleet_migrations/fleetapp) with both of its
migrations: 0002 adds a field to every tenant schema.

The runner sets DATABASE_URL (the benchmark's database) and a throwaway DJANGO_SECRET_KEY, and
no REDIS_URL: caches are in local memory and Celery runs eagerly; the pool is off (the runner
fills spares itself when it creates tenants).
"""

from __future__ import annotations

from config.settings.base import *  # noqa: F403 - Strata's settings, unchanged but for these
from config.settings.base import LOGGING, SHARED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "bench.fleet_migrations.fleetapp"]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
STRATA_POOL_SIZE = 0
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bench-default",
        "KEY_PREFIX": "strata",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    },
    "global": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bench-global",
        "KEY_PREFIX": "strata-global",
    },
}
CELERY_BROKER_URL = None
CELERY_TASK_ALWAYS_EAGER = True
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
# django-tenants' multiprocessing executor: one process per core of the 2-core machine, as
# Strata's --workers 2.
TENANT_MULTIPROCESSING_MAX_PROCESSES = 2
