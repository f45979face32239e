"""Strata's own settings with Strata's own apps, made quiet and self-contained for timing.

The runner sets DATABASE_URL (the benchmark's database) and a throwaway DJANGO_SECRET_KEY, and
no REDIS_URL: caches are in local memory and Celery runs eagerly. The pool is off
(STRATA_POOL_SIZE = 0), so a claim never enqueues a refill inside the timed region; the worker
fills spares itself, untimed, with tenants.pool.pool_refill(n).
"""

from __future__ import annotations

from config.settings.base import *  # noqa: F403 - Strata's settings, unchanged but for these
from config.settings.base import LOGGING

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
# One log line per provisioned tenant would be timed with it; warnings still show.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
