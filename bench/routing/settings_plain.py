"""Variant 1: single-tenant Django. No django-tenants anywhere; the table is in public."""

from __future__ import annotations

from bench.routing import settings_common as common

SECRET_KEY = common.SECRET_KEY
DEBUG = common.DEBUG
ALLOWED_HOSTS = common.ALLOWED_HOSTS
ROOT_URLCONF = common.ROOT_URLCONF
TIME_ZONE = common.TIME_ZONE
USE_TZ = common.USE_TZ
DEFAULT_AUTO_FIELD = common.DEFAULT_AUTO_FIELD
REST_FRAMEWORK = common.REST_FRAMEWORK

INSTALLED_APPS = ["rest_framework", "bench.routing.benchapp"]
DATABASES = {"default": common.database("django.db.backends.postgresql")}
MIDDLEWARE = common.middleware(routing=None)
