"""Settings for Pantau Coklit, read from the environment (SPEC 11).

A bad value fails loudly at start-up instead of running with a surprise: a production server
that silently fell back to DEBUG or to SQLite would be worse than one that does not start.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: must be a whole number") from None


DEBUG = envbool("DJANGO_DEBUG", "0")
# Under pytest the suite runs with test conveniences (no HTTPS redirect, a local secret).
TESTING = "pytest" in sys.modules or envbool("DJANGO_TESTING", "0")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (50+ random characters) or set DJANGO_DEBUG=1 "
            "for a local demo."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()
]
if DEBUG or TESTING:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "testserver", "[::1]"]
elif not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set: list the host names, comma-separated."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "axes",
    "ninja",  # serves the API docs' own static files (no CDN)
    "kpu",
    "coklit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kpu.middleware.IndonesianByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a body (RejectUnstorableText and CSRF read the form).
    "kpu.middleware.RequestSizeLimitMiddleware",
    "kpu.middleware.RejectUnstorableTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kpu.middleware.PasswordChangeRequiredMiddleware",
    "kpu.middleware.NoStoreMiddleware",
    "kpu.middleware.ElectionTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside CSP and the session, so the plain 404 page (DEBUG only) gets both.
    "kpu.middleware.PlainNotFoundMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kpu.urls"
WSGI_APPLICATION = "kpu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kpu.middleware.zone",
                "coklit.context_processors.stage",
            ],
        },
    },
]

# SQLite file when DATABASE_URL is unset (the demo), PostgreSQL in production and CI.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    )
}
# Optional: dashboard reads (area pages, their poll, the progress API) on a PostgreSQL streaming
# replica, through kpu/db_router.py; everything else stays on the primary (docs/SCALING.md).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL)
    DATABASE_ROUTERS = ["kpu.db_router.ReplicaRouter"]
elif TESTING and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The tests' replica: a second connection to the same test database (TEST MIRROR), so a
    # test can install the router and see which connection each read took. PostgreSQL only,
    # as in production (on SQLite, system checks would query it from tests not allowed to).
    DATABASES["replica"] = {**DATABASES["default"], "OPTIONS": {}}
if "replica" in DATABASES:
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Persistent connections: a new PostgreSQL connection costs ~6 ms here.
        _db["CONN_MAX_AGE"] = envint("DATABASE_CONN_MAX_AGE", 600)
        _db["CONN_HEALTH_CHECKS"] = True
        # Statements run on server-binding cursors are prepared on their first run on a
        # connection (only the dashboard poll's plain-SQL reads use one, statements that repeat
        # on every poll: coklit.dashboard_sql.prepared_cursor; Django's own cursors bind on the
        # client and never prepare). DATABASE_PREPARED_STATEMENTS=0 behind a PgBouncer in
        # transaction mode older than 1.21, which cannot keep prepared statements.
        _db.setdefault("OPTIONS", {})["prepare_threshold"] = (
            0 if envbool("DATABASE_PREPARED_STATEMENTS", "1") else None
        )
    elif _db["ENGINE"] == "django.db.backends.sqlite3":
        _db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from Redis, written through to the database: every request (a poll too)
    # saves a database query (~0.4 ms). Safe because the cache is shared: a logout deletes the
    # session in Redis and in the database for every server, and who the user is (active, same
    # password) is still read from the database on each request. Redis must then be up.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A per-process cache: sessions stay in the database only, since a logout in one worker
    # would not reach the copy another worker keeps.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "kpu.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out login is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: 5 failures from one username at one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# The client's address behind the trusted proxy (kpu.http.client_ip): without it every client
# behind the load balancer shares one address and five failures lock anyone out (issue 15).
# DJANGO_CLIENT_IP_HEADER names the header the proxy writes (e.g. X-Forwarded-For; empty: no
# proxy, REMOTE_ADDR is the client); DJANGO_TRUSTED_PROXY_COUNT how many proxies append to it.
CLIENT_IP_HEADER = os.environ.get("DJANGO_CLIENT_IP_HEADER", "").strip()
TRUSTED_PROXY_COUNT = envint("DJANGO_TRUSTED_PROXY_COUNT", 1)
AXES_CLIENT_IP_CALLABLE = "kpu.http.client_ip"
# By username alone, from any address, failures only slow the guessing (kpu.login): past
# LOGIN_SLOW_AFTER failures in the cool-off, one attempt per LOGIN_SLOW_SECONDS is checked.
# A third party cannot lock the real user out; they can only make them wait seconds.
LOGIN_SLOW_AFTER = envint("LOGIN_SLOW_AFTER", 10)
LOGIN_SLOW_SECONDS = envint("LOGIN_SLOW_SECONDS", 10)

# Request bodies (kpu.middleware.RequestSizeLimitMiddleware): before anything reads them, an
# anonymous request may send a login form, a logged-in one an upload (the largest: a voter
# list's Model A workbook, kpu.uploads.MODEL_A, 5 MB). The API keeps Django's limit below.
MAX_ANONYMOUS_BODY = 64 * 1024
MAX_UPLOAD_BODY = 6 * 1024 * 1024

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Content Security Policy (Django 6 built-in): nothing inline, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("DJANGO_SSL_REDIRECT", "1") and not TESTING
    # Load balancers check /healthz over plain HTTP (SPEC 11): a 301 there is "unhealthy".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = not TESTING
    CSRF_COOKIE_SECURE = not TESTING
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_HOST = None

DJANGO_TABLES2_TEMPLATE = "django_tables2/table_htmx.html"
# How often an open area page asks for its live figures (SPEC 7: 15-30 s); unchanged is a 304.
COKLIT_POLL_SECONDS = envint("COKLIT_POLL_SECONDS", 20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Static files straight from static/ while developing; hashed and compressed in production.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
