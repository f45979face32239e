"""Variant 1: single-tenant Django. No django-tenants anywhere; the table is in public."""

from __future__ import annotations

from bench.routing import settings_common as common
from bench.routing.settings_common import *  # noqa: F403 - what every variant shares

INSTALLED_APPS = ["rest_framework", "bench.routing.benchapp"]
DATABASES = {"default": common.database("django.db.backends.postgresql")}
MIDDLEWARE = common.middleware(routing=None)
