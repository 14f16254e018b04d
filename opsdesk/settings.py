"""opsdesk settings, 12-factor.

Every value comes from the environment through ``environ.Env`` (one typed helper). With no
environment at all opsdesk runs on embedded defaults: an SQLite file under ``var/`` and Celery
tasks executed in-process. ``OPSDESK_PRODUCTION=1`` switches to production mode, which refuses to
start without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS`` and passes ``manage.py check --deploy``.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A .env file beside manage.py is read when present (never committed; see .env.example).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.bool("OPSDESK_PRODUCTION", default=False)

_DEVELOPMENT_SECRET_KEY = "opsdesk-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if PRODUCTION:
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith("django-insecure")
        or SECRET_KEY == _DEVELOPMENT_SECRET_KEY
    ):
        raise ImproperlyConfigured(
            "OPSDESK_PRODUCTION is set but SECRET_KEY is missing or weak: set SECRET_KEY to a "
            "random string of at least 50 characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(64))')."
        )
elif not SECRET_KEY:
    SECRET_KEY = _DEVELOPMENT_SECRET_KEY

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("OPSDESK_PRODUCTION is set: DEBUG must not be on.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "OPSDESK_PRODUCTION is set but ALLOWED_HOSTS is empty: list the host names opsdesk "
        "answers to, comma-separated (ALLOWED_HOSTS=ops.example.com)."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "opsdesk",
    "catalog",
    "users",
    "campaigns",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "opsdesk.tenancy.CurrentStoreMiddleware",
]

ROOT_URLCONF = "opsdesk.urls"
WSGI_APPLICATION = "opsdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsdesk.tenancy.store_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_SQLITE_PATH = VAR_DIR / "opsdesk.sqlite3"
# An empty DATABASE_URL means unset, like a missing one.
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{_SQLITE_PATH}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the dashboard read while a rollup writes; IMMEDIATE avoids
            # "database is locked" upgrades inside write transactions.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
        # JIT compilation costs more than it saves on the short aggregate queries of the
        # reports and rollups (bench/README.md).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "opsdesk",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No broker configured: tasks run in-process, synchronously, exceptions propagate.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task for another worker
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "UTC"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"  # Chinese operators are the main users
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")  # default store time zone
USE_I18N = True
USE_TZ = True
OPSDESK_DEFAULT_CURRENCY = env.str("OPSDESK_DEFAULT_CURRENCY", default="CNY")
# Playbook webhooks may post to loopback/private addresses (on-premise receivers); see
# users/webhooks.py. Off: only public addresses.
OPSDESK_WEBHOOK_ALLOW_PRIVATE = env.bool("OPSDESK_WEBHOOK_ALLOW_PRIVATE", default=False)
# Uploaded import files (var/imports/) of finished runs are deleted after this many days by the
# nightly analytics.imports.tasks.purge_import_files; the run records stay.
OPSDESK_IMPORT_RETENTION_DAYS = env.int("OPSDESK_IMPORT_RETENTION_DAYS", default=30)

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "opsdesk.staticfinders.PlotlyFinder",  # vendor/plotly/plotly.min.js from the plotly package
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes "no credentials" a 401, not a 403.
        "opsdesk.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # enforces CSRF on writes
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "opsdesk.api.schema.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "opsdesk.api.filters.StoreFilterBackend",
        "opsdesk.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "opsdesk.api.pagination.ApiPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "opsdesk.api.throttles.UserRateThrottle",
        "opsdesk.api.throttles.TokenRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="20000/hour"),
        "token": env.str("API_RATE_TOKEN", default="10000/hour"),
    },
    "EXCEPTION_HANDLER": "opsdesk.api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,  # money is a decimal string, never a float
    "DATETIME_FORMAT": "iso-8601",
    "ORDERING_PARAM": "ordering",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "opsdesk API",
    "DESCRIPTION": (
        "Store-operations reports and data for e-commerce shops. Every store resource lives "
        "under /api/v1/stores/{store_slug}/; a store you do not belong to is a 404. Money "
        "amounts are decimal strings; datetimes are ISO 8601 in the store's time zone. "
        "Errors always have the shape {detail, code, errors}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,  # separate request bodies: read-only fields not required
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "opsdesk.channels.Channel",
        "RoleEnum": "opsdesk.roles.Role",
        "ImportKindEnum": "analytics.models.imports.ImportKind",
        "ImportStatusEnum": "analytics.models.imports.ImportStatus",
        "OrderStatusEnum": "analytics.models.facts.OrderStatus",
    },
    "SWAGGER_UI_DIST": "SIDECAR",  # Swagger UI served from our static files, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
# django-csp: scripts, styles, images, fonts and fetches from this origin only; no inline
# script or style (charts are JSON in <script type="application/json"> read by static JS), so
# no 'unsafe-inline' anywhere and no nonce is needed (no page has an inline <script>).
# <style> elements: plotly.js creates empty ones and fills them through the CSSOM (insertRule,
# which CSP does not restrict), hence the hash of the EMPTY text, plus the one stylesheet
# plotly.min.js injects with text. style="" attributes: plotly.js (d3) styles its SVG through
# the CSSOM (element.style, not restricted) except two constant attribute values, allowed by
# hash ('unsafe-hashes' lets a hash match an attribute): the empty style of colour-bar fills
# and the image-rendering list of heatmap images (crisp cells). Any other style attribute is
# refused. tests/opsdesk/test_security.py recomputes both plotly hashes from the installed
# bundle; tests/e2e checks the pages draw with no CSP violation.
CSP_EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
# The stylesheet plotly.min.js injects (maplibre's CSS, a constant of the bundle).
CSP_PLOTLY_STYLE_HASH = "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='"
# The style attribute plotly.js puts on heatmap images (``CSS_DECLARATIONS`` of the bundle).
CSP_PLOTLY_IMAGE_STYLE_HASH = "'sha256-AR/cKIZjWPcPmBUPDA6oti9XBiTbJvz0Cro2J1VzzS8='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", CSP_EMPTY_STYLE_HASH, CSP_PLOTLY_STYLE_HASH],
        "style-src-attr": ["'unsafe-hashes'", CSP_EMPTY_STYLE_HASH, CSP_PLOTLY_IMAGE_STYLE_HASH],
        # data: images: plotly.js and Swagger UI draw small icons/patterns as data: URLs
        # (an image cannot run script).
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Sign-in lockout: this many failed sign-ins for one user name from one address within the
# window lock that pair out for the rest of the window (opsdesk.login_limits).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_MINUTES = env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
