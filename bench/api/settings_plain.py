"""Baseline: bench/routing's plain single-tenant Django (no django-tenants, tables in public),
serving a copy of Strata's task list. Same server settings as the routing benchmark's plain
variant: SecurityMiddleware and CommonMiddleware, DRF without authentication, permissions or
throttling, persistent connections without health checks.

The runner sets DATABASE_URL to the baseline's own benchmark database.
"""

from __future__ import annotations

from bench.api import counting
from bench.routing import settings_common as common
from bench.routing.settings_common import *  # noqa: F403 - the routing bench's plain server

INSTALLED_APPS = ["rest_framework", "django_filters", "bench.api.taskapp"]
ROOT_URLCONF = "bench.api.taskapp.urls"
DATABASES = {"default": common.database("django.db.backends.postgresql")}
MIDDLEWARE = counting.with_counter(common.middleware(routing=None))
