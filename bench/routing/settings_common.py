"""What the three variants share: everything except how a request is routed.

The runner sets DATABASE_URL to the variant's own benchmark database.
"""

from __future__ import annotations

import os
from typing import Any

import dj_database_url

# The runner sets a throwaway key.
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
# The same Host header (acme.localhost) reaches every variant.
ALLOWED_HOSTS = ["localhost", ".localhost"]
ROOT_URLCONF = "bench.routing.benchapp.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TIME_ZONE = "UTC"
USE_TZ = True

# Anonymous JSON: nothing that would touch sessions, users or the database before the view.
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": None,
    "UNAUTHENTICATED_USER": None,
}

_BASE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
_SQL_COUNTER = "bench.routing.benchapp.middleware.SqlCountMiddleware"


# The tenant variants install Strata's app set, and allauth refuses to start without its
# middleware; it is part of what every Strata request pays, in both tenant variants alike.
_ALLAUTH_MIDDLEWARE = "allauth.account.middleware.AccountMiddleware"


def middleware(routing: str | None) -> list[str]:
    """The shared stack with `routing` on top; the SQL counter above it in the counting pass."""
    stack = [routing, *_BASE_MIDDLEWARE, _ALLAUTH_MIDDLEWARE] if routing else list(_BASE_MIDDLEWARE)
    if os.environ.get("BENCH_COUNT_SQL") == "1":
        stack.insert(0, _SQL_COUNTER)
    return stack


def database(engine: str) -> dict[str, Any]:
    """DATABASE_URL with persistent connections: a new one costs more than a whole request."""
    parsed: dict[str, Any] = dict(dj_database_url.parse(os.environ["DATABASE_URL"]))
    parsed["ENGINE"] = engine
    parsed["OPTIONS"] = {"connect_timeout": 5}
    parsed["CONN_MAX_AGE"] = 600
    parsed["CONN_HEALTH_CHECKS"] = False
    return parsed
