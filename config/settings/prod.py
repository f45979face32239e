"""Production: everything that must not be guessed is required, connections come from a pool."""

from config.env import env_bool, env_int

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL

if not REDIS_URL:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Environment variable REDIS_URL is not set: production keeps cache, sessions and the task "
        "broker in Redis (redis://HOST:6379/0)"
    )

DEBUG = False

# Django's native psycopg pool. Connections are checked out per request and returned at its
# end; a connection is replaced after POOL_MAX_LIFETIME seconds so the per-backend catalog caches
# that PostgreSQL grows while visiting many schemas stay bounded.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DATABASES["default"]["OPTIONS"]["pool"] = {
    "min_size": env_int("DATABASE_POOL_MIN_SIZE", default=2, minimum=0),
    "max_size": env_int("DATABASE_POOL_MAX_SIZE", default=10, minimum=1),
    "max_lifetime": env_int("DATABASE_POOL_MAX_LIFETIME", default=1800, minimum=60),
    "timeout": env_int("DATABASE_POOL_TIMEOUT", default=10, minimum=1),
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", default=31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
