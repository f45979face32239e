"""Settings shared by every environment; dev.py, test.py and prod.py hold only differences.

Everything that varies between deployments is read from the environment through config.env,
which names the variable when a value is missing or malformed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_secret, env_str

# Lets generic Django classes be subscripted at runtime (ListView[Model]) as mypy reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_secret(
    "DJANGO_SECRET_KEY",
    hint='generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"',
)

# --- Tenancy ---------------------------------------------------------------------------------

# Public site on the apex, tenants on <slug>.<base>. A port is stripped before matching.
STRATA_BASE_DOMAIN = env_str("STRATA_BASE_DOMAIN", default="localhost").lower().rstrip(".")
# How long a process trusts its own copy of a host -> tenant route, and how long Redis keeps one.
# The first bounds how stale a process can be after a tenant or domain is saved (invalidation
# replaces the Redis copy at once); the second bounds writes that bypass model signals.
STRATA_ROUTING_LOCAL_TTL = env_float("STRATA_ROUTING_LOCAL_TTL", default=5.0)
# An hour: changes made through the models replace the entry at once (tenants.routing); a route
# that expired sooner sent every host visited less often than that to PostgreSQL, which at
# 10,000 tenants is most of them (docs/performance.md, Scale).
STRATA_ROUTING_SHARED_TTL = env_int("STRATA_ROUTING_SHARED_TTL", default=3600, minimum=1)
STRATA_ROUTING_UNKNOWN_TTL = env_int("STRATA_ROUTING_UNKNOWN_TTL", default=30, minimum=1)

# Hosts are checked by tenants.middleware.HostValidationMiddleware: the apex, its subdomains,
# these extra hosts, and verified custom domains (known only at run time). Anything else: 400.
# The port in links made without a request (mail sent by tasks); empty behind a proxy on 443.
STRATA_URL_PORT = env_str("STRATA_URL_PORT", default="")
STRATA_EXTRA_ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
ALLOWED_HOSTS = ["*"]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
# Set the search_path once per request (the middleware calls set_tenant on every request, which
# forgets what the connection had), not before every cursor.
TENANT_LIMIT_SET_CALLS = True
# A renamed workspace's former subdomain answers 301 to the new one for this many days.
STRATA_RENAME_REDIRECT_DAYS = env_int("STRATA_RENAME_REDIRECT_DAYS", default=90, minimum=0)
# An archived workspace's data is kept this many days, then purged (tenants.purge_archived).
STRATA_ARCHIVE_RETENTION_DAYS = env_int("STRATA_ARCHIVE_RETENTION_DAYS", default=30, minimum=0)
# How custom domains' TXT records are read: a dotted path to `f(name) -> list[str]`.
STRATA_DNS_TXT_RESOLVER = env_str(
    "STRATA_DNS_TXT_RESOLVER", default="tenants.domains.dns_txt_lookup"
)
# The most an imported tenant export may unpack to (bytes).
STRATA_IMPORT_MAX_BYTES = env_int("STRATA_IMPORT_MAX_BYTES", default=2 * 1024**3, minimum=1)
# Spare tenant schemas kept ready for new tenants (tenants.pool); 0 turns the pool off.
STRATA_POOL_SIZE = env_int("STRATA_POOL_SIZE", default=5, minimum=0)
# Overrides every plan's API rate (requests a minute per workspace); 0 keeps the plans' own.
STRATA_API_REQUESTS_PER_MINUTE = env_int("STRATA_API_REQUESTS_PER_MINUTE", default=0, minimum=0)
# Billing decides how many seats a plan has (members and pending invitations).
STRATA_SEAT_LIMIT_HOOK = env_str(
    "STRATA_SEAT_LIMIT_HOOK", default="billing.entitlements.check_seat_limit"
)

SHARED_APPS = [
    # Before django_tenants: our create_tenant (and later lifecycle commands) replace its own.
    "tenants",
    "django_tenants",
    "shared_apps.accounts",
    "shared_apps.website",
    "shared_apps.health",
    "shared_apps.mail",
    "shared_apps.operators",
    "billing",
    # Content types and permissions live only in public: tenant schemas see them through the
    # search_path, so cloned or pooled schemas never carry stale copies of them.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Identities are global: email addresses and authenticators live in public with the users.
    "allauth",
    "allauth.account",
    "allauth.mfa",
]
TENANT_APPS = [
    # Each schema has its own session table, so a session made on one tenant host does not
    # exist on another (the cache half of cached_db is schema-prefixed too).
    "django.contrib.sessions",
    "tenant_apps.workspace",
    "tenant_apps.audit",
    "tenant_apps.members",
    "tenant_apps.projects",
    "tenant_apps.api_access",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

# --- Database --------------------------------------------------------------------------------


def database_from_url(url: str) -> dict[str, Any]:
    try:
        parsed: dict[str, Any] = dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if parsed.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_URL must be a PostgreSQL URL (postgres://user@host:5432/name); Strata keeps "
            "each tenant in its own PostgreSQL schema"
        )
    parsed["ENGINE"] = "django_tenants.postgresql_backend"
    parsed.setdefault("OPTIONS", {})
    parsed["OPTIONS"].setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", default=5))
    # A new connection costs ~7 ms here, more than a whole request: keep them.
    parsed["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", default=600, minimum=0)
    # Health checks would send a SELECT 1 before the first query of every request, unseen by
    # execute wrappers. A connection that did break fails that one request and Django replaces
    # it; paying a round trip on every request to spare that is the wrong trade.
    parsed["CONN_HEALTH_CHECKS"] = False
    return parsed


def use_connection_pool(database: dict[str, Any]) -> None:
    """Django's native psycopg pool: connections are checked out per request and returned at its
    end; each is replaced after DATABASE_POOL_MAX_LIFETIME seconds, which bounds the catalog
    caches a PostgreSQL backend grows while visiting many schemas."""
    database["CONN_MAX_AGE"] = 0
    database["CONN_HEALTH_CHECKS"] = False
    database["OPTIONS"]["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", default=2, minimum=0),
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", default=10, minimum=1),
        "max_lifetime": env_int("DATABASE_POOL_MAX_LIFETIME", default=1800, minimum=60),
        # How long a request waits for a connection. Each thread holds at most one, so a wait
        # means PostgreSQL is not accepting connections: answer 503 soon (tenants.availability).
        "timeout": env_int("DATABASE_POOL_TIMEOUT", default=2, minimum=1),
    }


DATABASES = {
    "default": database_from_url(
        env_secret(
            "DATABASE_URL",
            hint="export DATABASE_URL=postgres://USER@HOST:5432/NAME, or use `make run`, which "
            "starts an embedded PostgreSQL",
        )
    )
}
if env_bool("DATABASE_POOL", default=False):
    use_connection_pool(DATABASES["default"])
# A connection is retired once it has served this many tenant schemas: PostgreSQL keeps every
# visited table's catalog entries for the connection's life (tenants.connections). 0: never.
STRATA_DB_SCHEMAS_PER_CONNECTION = env_int(
    "DATABASE_SCHEMAS_PER_CONNECTION", default=200, minimum=0
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ----------------------------------------------------------------------

REDIS_URL = env_secret("REDIS_URL", default=None)

# "default" keys carry the current schema (django-tenants make_key): what one tenant caches,
# another cannot read. "global" has no schema in its keys, on purpose, for the few things that
# must not multiply per tenant (host routing, login rate limits).
if REDIS_URL:
    _redis_options = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": 2,
        "SOCKET_TIMEOUT": 2,
    }
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "strata",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
            "OPTIONS": _redis_options,
        },
        "global": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "strata-global",
            "OPTIONS": _redis_options,
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "strata-default",
            "KEY_PREFIX": "strata",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        },
        "global": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "strata-global",
            "KEY_PREFIX": "strata-global",
        },
    }

SESSION_ENGINE = "tenants.sessions"
SESSION_COOKIE_NAME = "strata_session"
# Host-only cookies (no SESSION_COOKIE_DOMAIN): the browser never sends acme's cookie to globex.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=14 * 24 * 3600, minimum=60)

# --- Background tasks (Celery) ------------------------------------------------------------

# The broker is Redis. Without it (development without REDIS_URL) tasks run eagerly, inside the
# request that enqueues them.
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL", default=None) or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
# Eager runs behave as on a worker: retries retry, a final failure is recorded and logged, and
# the code that enqueued the task carries on.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Tasks report through their effects (rows, emails), not through a result backend; so no
# chords, and no result expiry job for beat to run.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = None
CELERY_TASK_DEFAULT_QUEUE = "strata"
# Acknowledge after the task ran. A task whose worker process dies mid-way (OOM, SIGKILL) is
# retried, counting against its max_retries so a task that kills its worker cannot loop; if
# the whole worker dies, Redis hands the task out again after the visibility timeout. Either
# way a task can run twice, which is why tasks with external effects go through effect_once().
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_RETRY_ON_WORKER_LOST = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Time limits: most tasks take seconds; the long ones (exports, purges) set their own, up to
# STRATA_LONGEST_TASK_SECONDS.
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_TASK_TIME_LIMIT = 300
STRATA_LONGEST_TASK_SECONDS = 1800
# Redis hands an unacknowledged task to another worker after the visibility timeout. It must
# outlast the longest task and the longest countdown, or a healthy task runs twice. Workers look
# for such abandoned tasks every CELERY_UNACKED_RESTORE_INTERVAL seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int(
        "CELERY_VISIBILITY_TIMEOUT", default=2 * STRATA_LONGEST_TASK_SECONDS, minimum=1
    ),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", default=60, minimum=1),
    "unacked_restore_throttle": 1,
    # A publish (after a request's commit) must not hang on a dead connection.
    "socket_connect_timeout": 5,
    "socket_timeout": 30,
}
CELERY_TIMEZONE = "UTC"
# A static schedule, reviewed and versioned with the code that runs it; one beat process runs
# it (django-celery-beat's editable schedules would add tables and an admin we do not need).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "purge-task-records": {
        "task": "tenants.purge_task_records",
        "schedule": crontab(hour=3, minute=17),
    },
    "purge-outbox": {"task": "mail.purge_outbox", "schedule": crontab(hour=3, minute=23)},
    # Mail whose send task was never queued (broker down at commit) or was lost with the queue.
    "requeue-unsent-mail": {"task": "mail.requeue_unsent", "schedule": 600.0},
    # Claims refill the pool at once; this catches refills that failed or were skipped.
    "pool-refill": {"task": "tenants.pool_refill", "schedule": 60.0},
    "purge-archived-tenants": {
        "task": "tenants.purge_archived",
        "schedule": crontab(hour=4, minute=7),
    },
    "forget-expired-redirects": {
        "task": "tenants.forget_expired_redirects",
        "schedule": crontab(hour=4, minute=37),
    },
    # Reads every workspace's subscription from Stripe and fixes drift (missed webhooks).
    "billing-reconcile": {"task": "billing.reconcile", "schedule": crontab(minute=41)},
    # Grace periods that ran out, canceled workspaces past retention: emails and suspensions.
    "billing-enforce": {"task": "billing.enforce", "schedule": crontab(minute="*/15")},
}
# Beat's record of when each job last ran; a directory that exists on any machine by default.
CELERY_BEAT_SCHEDULE_FILENAME = env_str(
    "CELERY_BEAT_SCHEDULE_FILENAME",
    default=str(Path(tempfile.gettempdir()) / "strata-celerybeat-schedule"),
)

# --- Billing (Stripe) ------------------------------------------------------------------------

# Without STRIPE_SECRET_KEY billing is off: every workspace is on STRATA_DEFAULT_PLAN and nothing
# calls Stripe. With it, STRIPE_WEBHOOK_SECRET and a price id per paid plan are required too
# (`manage.py check` names any that is missing).
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_PRICES = {
    "pro": env_str("STRIPE_PRICE_PRO", default=""),
    "business": env_str("STRIPE_PRICE_BUSINESS", default=""),
}
# Stripe's own network retries (same idempotency key each time) and its timeout, in seconds.
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", default=2, minimum=0)
STRIPE_TIMEOUT = env_int("STRIPE_TIMEOUT", default=10, minimum=1)
# A dotted path to a factory returning a stripe.HTTPClient; empty: the library's own. Tests point
# it at their fake Stripe (the network boundary); nothing in production needs it.
STRIPE_HTTP_CLIENT = env_str("STRIPE_HTTP_CLIENT", default="")
# The plan of a workspace while billing is off, and after a trial that ended unpaid.
STRATA_DEFAULT_PLAN = env_str("STRATA_DEFAULT_PLAN", default="free")
# New workspaces try this plan for this many days, with no card (billing on only; 0: no trial).
STRATA_TRIAL_PLAN = env_str("STRATA_TRIAL_PLAN", default="business")
STRATA_TRIAL_DAYS = env_int("STRATA_TRIAL_DAYS", default=14, minimum=0)
# A failed payment: full access with a banner and emails for this many days, then read-only.
STRATA_BILLING_GRACE_DAYS = env_int("STRATA_BILLING_GRACE_DAYS", default=7, minimum=0)
# A canceled subscription: read-only for this many days, then the workspace is suspended.
STRATA_BILLING_RETENTION_DAYS = env_int("STRATA_BILLING_RETENTION_DAYS", default=30, minimum=0)

# --- Email ------------------------------------------------------------------------------------

# Every message goes through a task (retries, at most one delivery per message); the task
# delivers with STRATA_EMAIL_DELIVERY_BACKEND.
EMAIL_BACKEND = "shared_apps.mail.backends.TaskEmailBackend"
STRATA_EMAIL_DELIVERY_BACKEND = env_str(
    "EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", default=f"Strata <no-reply@{STRATA_BASE_DOMAIN}>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10, minimum=1)

# --- Requests --------------------------------------------------------------------------------

MIDDLEWARE = [
    # First: every request gets an id and one log line, whatever answers it.
    "tenants.observability.RequestLogMiddleware",
    # Answers /healthz and /readyz on any host, before host validation and tenant routing.
    "shared_apps.health.middleware.HealthCheckMiddleware",
    "tenants.middleware.HostValidationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tenants.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # While this process knows PostgreSQL is unreachable: 503 at once, no wait for a connection.
    "tenants.availability.DatabaseOutageMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's, with verified custom domains among the trusted origins.
    "tenants.security.TenantCsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "shared_apps.operators.middleware.ImpersonationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.access.TenantViewGuardMiddleware",
    # After the guard: a read-only workspace (unpaid, canceled) refuses writes with 402.
    "billing.middleware.ReadOnlyWorkspaceMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenancy",
                "shared_apps.operators.middleware.impersonation",
                "billing.context_processors.billing",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Accounts --------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: email is the login, verified before it signs anyone in; nobody signs up
# without an invitation (see StrataAccountAdapter).
ACCOUNT_ADAPTER = "shared_apps.accounts.adapter.StrataAccountAdapter"
ACCOUNT_FORMS = {
    "login": "shared_apps.accounts.forms.StrataLoginForm",
    "reset_password": "shared_apps.accounts.forms.MemberResetPasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Mail only to addresses that have an account here (no "you have no account" mail to strangers).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
# How many proxies in front of Strata append to X-Forwarded-For (behind the Kubernetes ingress:
# 1). With 0 no header is trusted and the connection's address is the client's. Per-IP limits
# and the addresses in audit logs both read the client address this way.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("STRATA_TRUSTED_PROXY_COUNT", default=0, minimum=0)
# Failed sign-ins: 5 per account per 5 minutes (on every host together: the limiter uses the
# un-prefixed "global" cache, see AccountsConfig.ready) and 10 per IP per minute.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    # New workspaces from one network (the public sign-up form).
    "signup": "10/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Strata"
MFA_RECOVERY_CODE_COUNT = 10
# Only the current 30-second code: allauth remembers a spent code for one period, so a drift
# window would let a code be used twice.
MFA_TOTP_TOLERANCE = 0
# WebAuthn (passkeys) is not offered yet; docs/accounts.md says what it would take.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Static files ----------------------------------------------------------------------------

STATIC_URL = "/static/"
# collectstatic writes here (the image does it at build time); whitenoise serves it.
STATIC_ROOT: Path | None = Path(
    env_str("STRATA_STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
)
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded files, one prefix per tenant (`tenants/<schema>/`, tenants.storage), never served
# directly: downloads go through a view that checks membership. On the local file system under
# MEDIA_ROOT, or in an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set.
MEDIA_ROOT = env_str("STRATA_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"


def media_storage() -> dict[str, Any]:
    """The default storage's settings, from the environment."""
    bucket = env_str("AWS_STORAGE_BUCKET_NAME", default="")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Empty for AWS itself; the endpoint of MinIO, Ceph, R2 and the like.
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", default="") or None,
            # Unset: boto3's own chain (IAM role for service accounts, instance profile).
            "access_key": env_secret("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env_secret("AWS_SECRET_ACCESS_KEY", default=None),
            # "path" for most self-hosted stores; "auto" lets boto3 decide (AWS).
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", default="auto"),
            "signature_version": "s3v4",
            # A key prefix for the whole installation, should it share a bucket.
            "location": env_str("AWS_LOCATION", default=""),
            # Objects are private: the bucket's policy decides, no ACL grants anyone anything.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


STORAGES = {
    "default": media_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Internationalisation --------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- API -------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # An API key (Authorization: Bearer, tenant hosts only) or the browser's session with CSRF.
    # The operator API on the apex sets its own (operator tokens).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenant_apps.api_access.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["tenant_apps.api_access.throttling.TenantPlanThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON in, JSON out; the one multipart endpoint (attachments) says so itself.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # 402 with the limit and the billing page when a plan does not allow something.
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Strata API",
    "DESCRIPTION": (
        "The REST API of a Strata workspace, served on the workspace's own host. Authenticate "
        "with `Authorization: Bearer <API key>` (created by an admin under Settings → API keys) "
        "or the browser session (with its CSRF token)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "TAGS": [
        {"name": "projects", "description": "Projects; a project's key prefixes its tasks."},
        {"name": "tasks", "description": "Tasks: filter, search, order; update with a version."},
        {"name": "comments", "description": "Comments on a task."},
        {"name": "attachments", "description": "Files on a task, always downloaded."},
        {"name": "labels", "description": "The workspace's labels."},
        {"name": "members", "description": "Who is in the workspace (ids for assignees)."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tenant_apps.api_access.schema.document_errors",
        "tenant_apps.projects.schema.document_links",
        "tenant_apps.projects.schema.require_task_version",
        "shared_apps.operators.api.document_links",
    ],
}

# --- Logging ---------------------------------------------------------------------------------

# JSON lines on stderr, each with the request id, tenant, user (tenants.observability); "plain"
# for people reading a terminal.
LOG_LEVEL = env_str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", default="json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not json or plain")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "tenants.observability.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Our own line per request replaces Django's "Not Found" and "Bad Request" warnings;
        # errors (500s, with their traceback) still come from django.request.
        "django.request": {"level": "ERROR"},
    },
}

# Optional error reporting: every event is tagged with the tenant and request id it came from.
SENTRY_DSN = env_secret("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Security (production tightens these) ----------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The deploy check looks for Django's CSRF middleware by its exact name; ours subclasses it
# (tenants.security.TenantCsrfViewMiddleware). Its secure cookie is tested on real responses.
SILENCED_SYSTEM_CHECKS = ["security.W003"]
# Every page's scripts, styles, fonts and images come from Strata's own origin. Style
# attributes are allowed (usage bars and label colours are data), style elements are not.
# form-action is left open: signing in to a workspace hops by a redirect after a POST to the
# workspace's own host, which may be a custom domain known only at run time.
STRATA_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}
