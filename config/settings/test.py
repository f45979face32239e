"""Tests: the machine's real PostgreSQL and Redis (CI runs both on 127.0.0.1)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# A Redis database of its own, from TEST_REDIS_URL only: the suite empties it between tests, so
# it must never be the REDIS_URL a developer exported for `make run`.
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: F403
from .base import DATABASES

DATABASES["default"]["TEST"] = {"NAME": "strata_test"}

# Fast hashing: tests create users, they do not guard real passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # served from the app directories; collectstatic is for production
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
