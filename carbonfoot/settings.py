"""carbonfoot settings: everything comes from environment variables, with embedded defaults.

Defaults give a working first run with no services: SQLite under ``var/`` and Celery's
filesystem transport under ``var/celery`` (served by a real worker process, never eager).
Production and CI point ``DATABASE_URL`` at PostgreSQL and ``CELERY_BROKER_URL`` at Redis or
RabbitMQ. See README.md ("Configuration").
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from carbonfoot.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CARBONFOOT_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (only with DEBUG on)
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Environment variable SECRET_KEY is required when DEBUG is off "
        "(set SECRET_KEY, or DEBUG=1 for local development)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# HTTPS (README, "Serving in production"). With DEBUG off the site is taken to be served over HTTPS, directly or
# behind a proxy that terminates TLS: HTTP is redirected, cookies are Secure, HSTS is sent. HTTPS=0 turns all of
# that off for a production-like server on a plain-HTTP loopback (the benchmarks); each setting has its own
# variable too. Behind a proxy, SECURE_PROXY_SSL_HEADER names the header it sets (X-Forwarded-Proto: https).
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is the domain owner's decision (a submission to the browsers' list, slow to undo): off unless set.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# carbonfoot/security.py sends the Content-Security-Policy; violations are reported here when set.
CSP_REPORT_URI = env_str("CSP_REPORT_URI", "")
# check --deploy's W021 asks for preloading, which stays the operator's choice (above).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

INSTALLED_APPS = [
    "apps.accounts.admin_apps.PlatformAdminConfig",  # django.contrib.admin with the platform-operators-only site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "import_export",
    "simple_history",
    "django_htmx",
    "axes",
    "apps.accounts",
    "apps.catalog",
    "apps.factors",
    "apps.inventory",
    "apps.ledger",
    "apps.evidence",
    "apps.footprints",
    "apps.exchange",
    "apps.web",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "carbonfoot.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login with the lockout page
]

ROOT_URLCONF = "carbonfoot.urls"
WSGI_APPLICATION = "carbonfoot.wsgi.application"

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
                "django.template.context_processors.i18n",
                "apps.accounts.context_processors.active_organization",
                "apps.web.context_processors.notifications",
            ],
        },
    },
]


def _database_config() -> dict[str, object]:
    default_url = f"sqlite:///{VAR_DIR / 'carbonfoot.sqlite3'}"
    url = env_str("DATABASE_URL", default_url)
    try:
        config: dict[str, object] = dict(
            dj_database_url.parse(
                url,
                # Persistent connections in production (a new PostgreSQL connection per request halves a page's
                # throughput), checked before reuse so one the database dropped is replaced, not an error.
                conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60, minimum=0),
                conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
            )
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"Environment variable DATABASE_URL is not a usable database URL: {exc}") from exc
    engine = str(config.get("ENGINE", ""))
    if engine not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            f"Environment variable DATABASE_URL names engine {engine!r}; carbonfoot supports sqlite:// and postgres://."
        )
    if engine == "django.db.backends.sqlite3":
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # A file-backed test database, so a Celery worker process can open the same database.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-carbonfoot.sqlite3")}
        config["OPTIONS"] = {"timeout": 30}
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins (the site's and the admin's) are counted per username and client address together, so a
# guesser is stopped without anyone else being locked out of that account. After LOGIN_FAILURE_LIMIT wrong
# passwords the pair is refused (429, even with the right password) until LOGIN_LOCKOUT_MINUTES pass with
# no further attempt; a successful login clears the count. Every failure and lockout is logged ("axes").
# The address is REMOTE_ADDR (not a header a client could forge): behind a proxy it is the proxy's.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "carbonfoot.security.lockout_response"
AXES_ENABLE_ADMIN = True  # the attempts and lockouts are listed in the admin, where an operator can clear them
AXES_SENSITIVE_PARAMETERS: list[str] = []  # the log names the username and address (never the password)
AXES_VERBOSE = False  # no start-up banner in every command's output; failures and lockouts are still logged
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:study-list"
LOGOUT_REDIRECT_URL = "login"

# Chinese first: the users are Chinese grid suppliers and procurement staff; English beside it.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Stored in UTC; shown in the organization's time zone (Asia/Shanghai unless it says otherwise).
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise (MIDDLEWARE) serves STATIC_ROOT; with DEBUG on it serves the apps' and static/ files directly.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # else WhiteNoise warns at every start that it is missing


def _storages() -> dict[str, dict[str, object]]:
    """Evidence files and reports: the filesystem under var/media, or an S3-compatible store.

    Set STORAGE_S3_BUCKET (with STORAGE_S3_ENDPOINT_URL for MinIO, Ceph or a cloud's S3 API, and
    the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) to keep them in a bucket instead.
    Files are never served by URL from the store: a view checks access, then streams them.
    """
    # WhiteNoise serves static files from STATIC_ROOT (collectstatic) in production: with DEBUG off, names carry
    # a content hash and are cached for a year, compressed (gzip, brotli when available); with DEBUG on (and in
    # the tests, whose settings load with DEBUG=1) plain names, no collectstatic needed.
    staticfiles: dict[str, object] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    }
    bucket = env_str("STORAGE_S3_BUCKET", "")
    if not bucket:
        return {
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
            },
            "staticfiles": staticfiles,
        }
    options: dict[str, object] = {
        "bucket_name": bucket,
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "location": env_str("STORAGE_S3_PREFIX", ""),
    }
    endpoint = env_str("STORAGE_S3_ENDPOINT_URL", "")
    if endpoint:
        options["endpoint_url"] = endpoint
    region = env_str("STORAGE_S3_REGION", "")
    if region:
        options["region_name"] = region
    return {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, "staticfiles": staticfiles}


MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never routed: files are streamed by views that check access
STORAGES = _storages()


def _caches() -> dict[str, dict[str, object]]:
    """Checks and rendered fragments are cached under keys that change with their inputs (apps.footprints.marks,
    apps.web.fragments): a process-local memory cache by default, Redis shared by every worker with CACHE_URL."""
    url = env_str("CACHE_URL", "")
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "carbonfoot"}}
    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(
            f"Environment variable CACHE_URL has scheme {scheme!r}; use redis://host:6379/1 (or leave it unset "
            "for a cache in each process's memory)."
        )
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "carbonfoot"),
        }
    }


CACHES = _caches()

# Study document import (apps.footprints.document.limits): refused, naming the setting, above these
# sizes, before any expensive work. The benchmark study (911,040 readings in 26 runs) is 6.4 MB.
STUDY_IMPORT_MAX_BYTES = env_int("STUDY_IMPORT_MAX_BYTES", 64 * 1024 * 1024, minimum=1)
STUDY_IMPORT_MAX_LINES = env_int("STUDY_IMPORT_MAX_LINES", 10_000, minimum=1)
STUDY_IMPORT_MAX_RUNS = env_int("STUDY_IMPORT_MAX_RUNS", 50_000, minimum=1)
STUDY_IMPORT_MAX_READINGS = env_int("STUDY_IMPORT_MAX_READINGS", 5_000_000, minimum=1)

# Evidence uploads: a file is refused above this size; the request as a whole a little above it.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A pasted column or a grid posts one field per cell: 32 materials x 12 columns and more.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 4000, minimum=100)

# Notifications (apps.exchange.events): printed to the console unless an SMTP server is named.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "carbonfoot <noreply@carbonfoot.invalid>")
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "COERCE_DECIMAL_TO_STRING": True,
}


def _broker_url() -> str:
    # A host keeps kombu from warning on every connection; the filesystem transport ignores it.
    url = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
    scheme = urlsplit(url).scheme
    if scheme not in {"filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp"}:
        raise ImproperlyConfigured(
            f"Environment variable CELERY_BROKER_URL has scheme {scheme!r}; "
            "use filesystem://, redis://, rediss://, amqp:// or pyamqp://."
        )
    return url


CELERY_BROKER_URL = _broker_url()
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _control_dir = VAR_DIR / "celery" / "control"  # kombu's exchange table; it defaults to ./control
    for _dir in (_queue_dir, _control_dir):
        _dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "carbonfoot")
CELERY_TASK_IGNORE_RESULT = True  # status lives in FootprintComputation rows users can see
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600, minimum=1)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis hands an unacknowledged message to another worker after the visibility timeout (default
    # an hour): just past the hard time limit, so a running computation is never delivered twice and
    # one whose whole worker died comes back within minutes (apps.footprints.services.SWEEP_GRACE).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 60, "socket_connect_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's default config gives "django" its own console handler as well: every line it logs (the reloader's
    # "Watching for file changes", each 404's "Not Found") was printed twice. It logs through the root alone;
    # runserver's request lines keep Django's own handler and format (configured again: a child is reset).
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
