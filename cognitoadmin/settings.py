"""cognitoadmin settings. Deployment values come from the environment (README, "Configuration")."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cognitoadmin.env import (
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_pairs,
    env_scale,
    env_str,
    load_dotenv,
)

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

# Development mode (`manage.py devserver`, or COGNITOADMIN_DEV=1): local secrets are created once in
# LOCAL_DIR, outside git, so a fresh clone runs with no configuration at all.
DEV_MODE = env_bool("COGNITOADMIN_DEV", False)
DEBUG = env_bool("DEBUG", DEV_MODE)
LOCAL_DIR = Path(env_str("COGNITOADMIN_LOCAL_DIR", str(BASE_DIR / ".local")))


def _local_secrets() -> dict[str, str]:
    path = LOCAL_DIR / "secrets.json"
    if not path.is_file():
        LOCAL_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "COGNITOADMIN_MASTER_KEY": secrets.token_urlsafe(32),
        }
        # Written whole under a temporary name, then linked into place: a crash never leaves a
        # half-written file, and when two processes start at once the first link wins for both.
        with tempfile.NamedTemporaryFile("w", dir=LOCAL_DIR, delete=False, encoding="utf-8") as tmp:
            json.dump(created, tmp, indent=2)
        try:
            with contextlib.suppress(FileExistsError):
                os.link(tmp.name, path)
        finally:
            os.unlink(tmp.name)
    stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return stored


_dev_secrets = _local_secrets() if (DEV_MODE or DEBUG) else {}

SECRET_KEY = env_str("SECRET_KEY") or _dev_secrets.get("SECRET_KEY", "")
COGNITOADMIN_MASTER_KEY = env_str("COGNITOADMIN_MASTER_KEY") or _dev_secrets.get(
    "COGNITOADMIN_MASTER_KEY", ""
)
_HOW_TO_CONFIGURE = (
    'Set it in the environment or in .env (README, "Configuration"), '
    "or run `python manage.py devserver` for local development."
)
if not SECRET_KEY:
    raise ImproperlyConfigured(f"SECRET_KEY is not set. {_HOW_TO_CONFIGURE}")
if not COGNITOADMIN_MASTER_KEY:
    raise ImproperlyConfigured(
        f"COGNITOADMIN_MASTER_KEY is not set; it encrypts secrets at rest. {_HOW_TO_CONFIGURE}"
    )

COGNITOADMIN_PUBLIC_URL = env_str("COGNITOADMIN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# The region new resources are made in when a call names none (the admin, the management API,
# unsigned calls); signed calls make theirs in their credential scope's region.
COGNITOADMIN_REGION = env_str("COGNITOADMIN_REGION", "us-east-1")
# The regions this server answers for (comma-separated); empty: every AWS region name.
COGNITOADMIN_REGIONS = env_list("COGNITOADMIN_REGIONS", [])
COGNITOADMIN_ACCOUNT_ID = env_str("COGNITOADMIN_ACCOUNT_ID", "000000000000")
# Check every AWS endpoint result against botocore's output shape (names, types, enums), and
# answer 500 when one does not fit. On in the tests; costs a walk of each result.
COGNITOADMIN_AWS_CHECK_OUTPUT = env_bool("COGNITOADMIN_AWS_CHECK_OUTPUT", False)
# Only development may let operators into the admin without an OTP device: outside DEBUG it is
# required whatever the variable says; in DEBUG it is required unless in development mode.
COGNITOADMIN_ADMIN_OTP_REQUIRED = (
    env_bool("COGNITOADMIN_ADMIN_OTP_REQUIRED", not DEV_MODE) or not DEBUG
)

# Where a pool's prefix domain (CreateUserPoolDomain) serves its hosted pages: `{domain}` as the
# first label of the host (`https://{domain}.auth.example.com`, as Cognito's) or as the last
# segment of the path (the default, which needs no DNS).
COGNITOADMIN_DOMAIN_URL = env_str(
    "COGNITOADMIN_DOMAIN_URL", f"{COGNITOADMIN_PUBLIC_URL}/domain/{{domain}}"
).rstrip("/")

_public = urlsplit(COGNITOADMIN_PUBLIC_URL)
_public_host = _public.hostname or "localhost"
_domain_host = urlsplit(COGNITOADMIN_DOMAIN_URL).hostname or ""
# The public URL's host is always served, and so are the prefix domains' hosts; behind a
# TLS-terminating proxy its origin is what browsers send, so it is trusted for CSRF too.
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]"]
    if DEBUG
    else [f"[{_public_host}]" if ":" in _public_host else _public_host],
)
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"] if _public.netloc else []
if _domain_host.startswith("{domain}."):
    ALLOWED_HOSTS.append(_domain_host.removeprefix("{domain}"))
    # The prefix domains' pages post their forms to their own hosts, behind the same proxy.
    _domain = urlsplit(COGNITOADMIN_DOMAIN_URL)
    CSRF_TRUSTED_ORIGINS.append(f"{_domain.scheme}://{_domain.netloc.replace('{domain}', '*')}")

INSTALLED_APPS = [
    "cognitoadmin.apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "social_django",
    "cognitoadmin",
    "pools",
    "identities",
    "sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cognitoadmin.security.ContentSecurityPolicyMiddleware",
    "cognitoadmin.requestguard.NulRefusalMiddleware",
    "pools.hosted.domains.HostedDomainMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cognitoadmin.urls"
WSGI_APPLICATION = "cognitoadmin.wsgi.application"

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
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if not _database_url:
    # The embedded default lives beside the local secrets whose master key encrypts its data.
    LOCAL_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    _database_url = f"sqlite:///{LOCAL_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=env_int("COGNITOADMIN_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web workers, a Celery worker) write to one file: a transaction takes the
    # write lock when it begins and waits for it, rather than fail with "database is locked" when
    # it first writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id with OWASP's parameters first; older hashes upgrade at the next sign-in.
PASSWORD_HASHERS = [
    "cognitoadmin.hashers.OWASPArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("COGNITOADMIN_STATIC_ROOT", str(LOCAL_DIR / "static")))

# AWS SDKs POST to the endpoint path verbatim; never redirect a POST to add a slash.
APPEND_SLASH = False

LOGIN_URL = "admin:login"

CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

for _name, _value in email_settings(env_str("EMAIL_URL")).items():
    globals()[_name] = _value
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")
# Class that delivers SMS to pool users; the default prints them, like the console email backend.
COGNITOADMIN_SMS_BACKEND = env_str(
    "COGNITOADMIN_SMS_BACKEND", "pools.services.sms.ConsoleSmsBackend"
)
# pools.services.sms.FileSmsBackend appends each SMS here, a JSON object a line.
COGNITOADMIN_SMS_FILE_PATH = env_str("COGNITOADMIN_SMS_FILE_PATH", str(LOCAL_DIR / "sms.jsonl"))
# pools.services.sms.WebhookSmsBackend POSTs each SMS here, signed with the secret when one is set.
COGNITOADMIN_SMS_WEBHOOK_URL = env_str("COGNITOADMIN_SMS_WEBHOOK_URL")
COGNITOADMIN_SMS_WEBHOOK_SECRET = env_str("COGNITOADMIN_SMS_WEBHOOK_SECRET")
COGNITOADMIN_SMS_WEBHOOK_TIMEOUT = env_int("COGNITOADMIN_SMS_WEBHOOK_TIMEOUT", 10)
# Seconds before a message that failed for a transient reason is tried again; each later attempt
# waits twice as long as the one before (10, 20, 40, 80 s by default, for pools.services.delivery's
# MAX_ATTEMPTS of 5). Keep COGNITOADMIN_TASK_VISIBILITY_TIMEOUT above the longest wait.
COGNITOADMIN_DELIVERY_RETRY_DELAY = env_int("COGNITOADMIN_DELIVERY_RETRY_DELAY", 10)
# django-otp's throttle for pool users' authenticator codes: after n wrong codes in a row the next
# try waits factor * 2^(n-1) seconds (0 turns the wait off).
COGNITOADMIN_MFA_THROTTLE_FACTOR = env_int("COGNITOADMIN_MFA_THROTTLE_FACTOR", 1)
# The Redis server whose streams stand in for Cognito Streams' Kinesis streams: an identity pool's
# dataset changes go to the stream its CognitoStreams configuration names.
COGNITOADMIN_STREAMS_REDIS_URL = env_str(
    "COGNITOADMIN_STREAMS_REDIS_URL", "redis://127.0.0.1:6379/0"
)
# Functions of yours that stand in for Lambda functions, as `<function ARN>=<URL>` pairs: an ARN
# configured as a Cognito event (SyncTrigger) is called by POSTing its event to the URL, signed
# with the secret when one is set, and must answer within the timeout (Lambda's 5 s for Cognito).
COGNITOADMIN_FUNCTION_URLS = env_pairs("COGNITOADMIN_FUNCTION_URLS")
COGNITOADMIN_FUNCTION_SECRET = env_str("COGNITOADMIN_FUNCTION_SECRET")
COGNITOADMIN_FUNCTION_TIMEOUT = env_int("COGNITOADMIN_FUNCTION_TIMEOUT", 5)
# Where the user pools' exported logs (SetLogDeliveryConfiguration) go on this machine, as
# `<ARN or start of ARNs>=<sink URL>` pairs: file:///path.jsonl (JSON lines appended), http(s)://
# (each event POSTed, signed with the secret when one is set), redis://host:port/db?stream=name.
# An ARN no key matches goes to a default for its kind under LOCAL_DIR/logs (README, "Log export").
COGNITOADMIN_LOG_DESTINATIONS = env_pairs("COGNITOADMIN_LOG_DESTINATIONS")
COGNITOADMIN_LOG_WEBHOOK_SECRET = env_str("COGNITOADMIN_LOG_WEBHOOK_SECRET")
COGNITOADMIN_LOG_WEBHOOK_TIMEOUT = env_int("COGNITOADMIN_LOG_WEBHOOK_TIMEOUT", 5)
# Class that sends push sync's silent notifications to devices subscribed to a changed dataset.
COGNITOADMIN_PUSH_BACKEND = env_str(
    "COGNITOADMIN_PUSH_BACKEND", "sync.services.push.ConsolePushBackend"
)
# sync.services.push.WebhookPushBackend POSTs each notification here, for a gateway of yours.
COGNITOADMIN_PUSH_WEBHOOK_URL = env_str("COGNITOADMIN_PUSH_WEBHOOK_URL")
COGNITOADMIN_PUSH_WEBHOOK_SECRET = env_str("COGNITOADMIN_PUSH_WEBHOOK_SECRET")
COGNITOADMIN_PUSH_WEBHOOK_TIMEOUT = env_int("COGNITOADMIN_PUSH_WEBHOOK_TIMEOUT", 10)

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Without a broker, tasks run in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = "UTC"
# A request queues its messages after its commit: with the broker out of reach it gives up at once
# (the outbox's sweep sends them later) rather than wait on it.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # How long a task a worker took but did not acknowledge waits before another worker gets it.
    "visibility_timeout": env_int("COGNITOADMIN_TASK_VISIBILITY_TIMEOUT", 3600),
}
CELERY_BEAT_SCHEDULE = {
    "deliveries-sweep": {"task": "pools.tasks.deliveries_sweep_task", "schedule": 60.0},
    "expired-purge": {"task": "pools.tasks.expired_purge_task", "schedule": 3600.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "identities.api.authentication.AccessKeySigV4Authentication",
        "identities.api.authentication.AccessKeyBasicAuthentication",
        "identities.api.authentication.OperatorSessionAuthentication",
    ],
    # Operators' permissions, through the one authorization service (README, "Operators").
    "DEFAULT_PERMISSION_CLASSES": ["cognitoadmin.authorization.IAMActionPermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cognitoadmin.errors.drf_exception_handler",
    # JSON within the limits every JSON door keeps (cognitoadmin.jsonbody); the forms of the
    # browsable API, which are flat and carry no lone surrogates.
    "DEFAULT_PARSER_CLASSES": [
        "cognitoadmin.api_parsers.CheckedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "cognitoadmin management API",
    "DESCRIPTION": "Manage user pools, users, groups, app clients, resource servers and domains.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # No validator badge: it would load from the internet and leak the schema's URL.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The API takes JSON; the form parsers serve only the browsable API's HTML forms, which
    # cannot carry nested members, so the schema promises JSON alone.
    "PARSER_WHITELIST": ["cognitoadmin.api_parsers.CheckedJSONParser"],
}

# Authenticator apps label operators' TOTP entries with this name.
OTP_TOTP_ISSUER = "cognitoadmin"

SOCIAL_AUTH_USER_MODEL = "pools.PoolUser"
SOCIAL_AUTH_JSONFIELD_ENABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("COGNITOADMIN_LOG_LEVEL", "INFO")},
    # Django's records go to the root handler only: its own console handler would print them twice.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("COGNITOADMIN_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Request rates on the unsigned AWS operations that send messages or check secrets (SignUp,
# InitiateAuth, ForgotPassword, ...): each operation takes at most this many requests per
# COGNITOADMIN_RATE_LIMIT_WINDOW seconds from one client address, and as many for one user, then
# answers TooManyRequestsException. 0 turns a limit off. Counted in the cache (CACHE_URL):
# without Redis each process counts alone.
COGNITOADMIN_RATE_LIMIT_WINDOW = max(env_int("COGNITOADMIN_RATE_LIMIT_WINDOW", 60), 1)
COGNITOADMIN_RATE_LIMIT_PER_IP = env_int("COGNITOADMIN_RATE_LIMIT_PER_IP", 120)
COGNITOADMIN_RATE_LIMIT_PER_USER = env_int("COGNITOADMIN_RATE_LIMIT_PER_USER", 20)
# Cognito's request rates per API category (SignUp and AdminCreateUser share UserCreation's, ...),
# counted for the whole account in one-second windows, at each category's default rate or the
# rate UpdateProvisionedLimit set (pools/services/provisioned_limits.py). `on` (the default)
# enforces them as Cognito does, `off` turns them off (the benchmark does: it measures thousands
# of calls a second), and a number scales every rate by it (2: twice as many calls a second).
COGNITOADMIN_API_RATE_LIMITS = env_scale("COGNITOADMIN_API_RATE_LIMITS", 1.0)
# The most UpdateProvisionedLimit may set for a category, in requests per second: what Cognito's
# Service Quotas "account-level maximum" is; above it the call is ServiceQuotaExceededException.
COGNITOADMIN_API_RATE_LIMIT_MAX = env_int("COGNITOADMIN_API_RATE_LIMIT_MAX", 10_000)
# How many proxies stand in front of the server and append to X-Forwarded-For. 0 (the default):
# the header is ignored and the peer's address is the client's. Set it only when clients cannot
# reach the server but through those proxies, or they could choose the address they are counted as.
COGNITOADMIN_TRUSTED_PROXY_COUNT = env_int("COGNITOADMIN_TRUSTED_PROXY_COUNT", 0)

# The hosted pages' sign-in session (the cookie that lets `/oauth2/authorize` skip the password
# for any app client of the pool): Cognito's lasts one hour.
COGNITOADMIN_HOSTED_SESSION_SECONDS = env_int("COGNITOADMIN_HOSTED_SESSION_SECONDS", 3600)

# Security headers on every response (SecurityMiddleware, XFrameOptionsMiddleware and
# cognitoadmin.security): no framing, no MIME sniffing, the Referer only to this origin, and a
# Content-Security-Policy that lets pages load nothing but this server's own scripts, styles,
# images and fonts. Pages' inline <style> blocks need 'unsafe-inline' for styles; no inline script
# runs. The API docs (Swagger UI, Redoc) add a blob: worker (cognitoadmin/api_urls.py).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
COGNITOADMIN_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# HTTPS outside DEBUG when the public URL is https: browsers are told to use nothing else (HSTS),
# plain-HTTP requests are redirected, and behind COGNITOADMIN_TRUSTED_PROXY_COUNT proxies their
# X-Forwarded-Proto says whether the client's request was HTTPS.
_https = _public.scheme == "https" and not DEBUG
SECURE_HSTS_SECONDS = env_int("COGNITOADMIN_HSTS_SECONDS", 31_536_000) if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("COGNITOADMIN_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS: list[str] = []
if not SECURE_HSTS_PRELOAD:
    # Preloading binds the domain for good: the domain's owner decides it, not a default.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
# Only behind trusted proxies does a request tell whether the client's was HTTPS: redirecting
# without them would send a TLS-terminating proxy's every request round again. Without proxies
# TLS ends in the server (gunicorn's certfile) and there is no plain-HTTP port to redirect from.
SECURE_SSL_REDIRECT = env_bool(
    "COGNITOADMIN_SSL_REDIRECT", _https and COGNITOADMIN_TRUSTED_PROXY_COUNT > 0
)
if _https and not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS.append("security.W008")
if COGNITOADMIN_TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
