"""Tests: the machine's real PostgreSQL and Redis (CI runs both on 127.0.0.1)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# A Redis database of its own, from TEST_REDIS_URL only: the suite empties it between tests, so
# it must never be the REDIS_URL a developer exported for `make run`.
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The broker in a database of its own, so emptying the cache between tests drops no task.
os.environ["CELERY_BROKER_URL"] = os.environ.get(
    "TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13"
)

from config.env import env_bool, env_float, env_int, env_str

from .base import *  # noqa: F403
from .base import CELERY_BEAT_SCHEDULE, DATABASES, STORAGES

# TEST_DATABASE_NAME lets two test runs share one PostgreSQL server without dropping each
# other's database (give each its own TEST_REDIS_URL and TEST_CELERY_BROKER_URL too).
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", default="strata_test")}

# DNS for custom domains comes from the tests' own table (tests/dns.py), never the network.
STRATA_DNS_TXT_RESOLVER = "tests.dns.txt_records"
# A small pool: enough to show claims and refills, cheap to fill.
STRATA_POOL_SIZE = env_int("STRATA_POOL_SIZE", default=2)
# Billing on, against the tests' fake Stripe (tests/billing/fake_stripe.py), which stands in
# for the network: the real stripe library talks to it through STRIPE_HTTP_CLIENT.
STRIPE_SECRET_KEY = "sk_test_strata_fake"  # noqa: S105  (a fake key for the fake Stripe)
STRIPE_WEBHOOK_SECRET = "whsec_strata_test"  # noqa: S105
STRIPE_PRICES = {"pro": "price_test_pro", "business": "price_test_business"}
STRIPE_HTTP_CLIENT = "tests.billing.fake_stripe.http_client"
# Fast hashing: tests create users, they do not guard real passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests run tasks eagerly and read django.core.mail.outbox; tests with a real worker
# start it with CELERY_TASK_ALWAYS_EAGER=false and a file backend they can read.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=True)
STRATA_EMAIL_DELIVERY_BACKEND = env_str(
    "EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.locmem.EmailBackend"
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", default="")
_canary_every = env_float("STRATA_BEAT_CANARY_SECONDS", default=0.0)
if _canary_every:
    # Only for the beat fan-out test: every tenant's canary, every few seconds.
    CELERY_BEAT_SCHEDULE = {
        **CELERY_BEAT_SCHEDULE,
        "tenant-canaries": {
            "task": "tenants.for_each_tenant",
            "schedule": _canary_every,
            "args": ["tenants.tenant_canary", [env_str("STRATA_BEAT_CANARY_TOKEN")], {}],
        },
    }
if env_bool("STRATA_TEST_SCHEMA_PROBE", default=False):
    # Only for the servers the connection-pooling tests start: tenant hosts also answer
    # /__probe__/schema/ (tests/reliability/schema_probe.py).
    ROOT_URLCONF = "tests.reliability.schema_probe"
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # served from the app directories; collectstatic is for production
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
