"""Strata as it serves its API: config.settings.base (the settings every environment shares)
with DEBUG off, Redis for both cache aliases, and the real middleware stack.

The runner sets DATABASE_URL to Strata's own benchmark database, REDIS_URL to a Redis database
of the benchmark's own, and STRATA_API_REQUESTS_PER_MINUTE far above what the load reaches, so
that the throttle does all its work (two Redis commands a request) and never refuses.
Production (config.settings.prod) differs in what a benchmark on 127.0.0.1 cannot use (HTTPS
redirects, HSTS, secure cookies) and in checking connections out of a pool; this keeps
base's persistent connections, as the baseline has.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from bench.api import counting
from config.settings.base import *  # noqa: F403 - Strata's own settings
from config.settings.base import MIDDLEWARE as STRATA_MIDDLEWARE
from config.settings.base import REDIS_URL, STRATA_API_REQUESTS_PER_MINUTE

if not REDIS_URL:
    raise ImproperlyConfigured(
        "the API benchmark serves Strata with its Redis cache: set REDIS_URL"
    )
if not STRATA_API_REQUESTS_PER_MINUTE:
    raise ImproperlyConfigured(
        "set STRATA_API_REQUESTS_PER_MINUTE far above the load, or the throttle answers 429"
    )

DEBUG = False
# The one tenant's schema comes from the blueprint; no spare schemas, no refill task.
STRATA_POOL_SIZE = 0
MIDDLEWARE = counting.with_counter(STRATA_MIDDLEWARE)
# Billing is off here (no STRIPE_SECRET_KEY), so every workspace is on the default plan: one
# with API keys, which the load presents (Free has none: its keys get 402).
STRATA_DEFAULT_PLAN = "business"
