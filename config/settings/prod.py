"""Production: everything that must not be guessed is required, connections come from a pool."""

from config.env import env_bool, env_int, env_str

from .base import *  # noqa: F403
from .base import (
    CELERY_BROKER_TRANSPORT_OPTIONS,
    DATABASES,
    REDIS_URL,
    SILENCED_SYSTEM_CHECKS,
    STRATA_BASE_DOMAIN,
    STRATA_CSP,
    STRATA_LONGEST_TASK_SECONDS,
    use_connection_pool,
)

# base.py defaults it to localhost for development; a deployment must say where it lives.
env_str(
    "STRATA_BASE_DOMAIN", hint="set the apex domain, e.g. STRATA_BASE_DOMAIN=strata.example.com"
)

if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= STRATA_LONGEST_TASK_SECONDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT must be longer than the longest task "
        f"({STRATA_LONGEST_TASK_SECONDS} s), or healthy long tasks run twice"
    )

if not REDIS_URL:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Environment variable REDIS_URL is not set: production keeps the cache and sessions in "
        "Redis (redis://HOST:6379/0)"
    )

DEBUG = False

use_connection_pool(DATABASES["default"])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# __Host- cookies cannot be set by a sibling subdomain for the whole base domain.
SESSION_COOKIE_NAME = "__Host-strata_session"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", default=31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading is a promise made by submitting the domain to the browsers' list (hstspreload.org),
# hard to take back; the operator makes it, with DJANGO_HSTS_PRELOAD=true, not a default.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]

# Hosts: ALLOWED_HOSTS stays "*" for Django because tenants.middleware.HostValidationMiddleware
# decides at run time, first thing: the apex, its subdomains, DJANGO_ALLOWED_HOSTS and verified
# custom domains; anything else gets a 400 before a view runs.

# Cross-origin form posts between Strata's own hosts (the apex and workspaces); verified custom
# domains are added at run time by tenants.security.TenantCsrfViewMiddleware.
CSRF_TRUSTED_ORIGINS = [f"https://{STRATA_BASE_DOMAIN}", f"https://*.{STRATA_BASE_DOMAIN}"]

STRATA_CSP = {**STRATA_CSP, "upgrade-insecure-requests": []}
