"""Settings for peersupport, read from the environment in this one place.

Everything a deployment changes comes from environment variables (or a ``.env``
file beside ``manage.py``); the defaults make a laptop work with nothing else
installed: SQLite, console email, and Celery running tasks in-process.
"""

import ipaddress
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A development key is acceptable only when DEBUG is on; production must set one.
_DEV_SECRET = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# The address people open, for links made outside a request (first-run invitation).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
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
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "peersupport",
    "programs",
    "participants",
    "sessions.apps.GroupSessionsConfig",
    "surveys",
    "evaluation",
    "exports",
    "importer",
    "demo",
]

MIDDLEWARE = [
    # /healthz first: no host check, HTTPS redirect, session or sign-in (peersupport.health).
    "peersupport.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "peersupport.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "peersupport.middleware.AbsoluteSessionLifetimeMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "peersupport.middleware.UserLanguageMiddleware",
    "peersupport.middleware.MembershipMiddleware",
    "peersupport.middleware.RequireMFAMiddleware",
    "surveys.middleware.KioskLockMiddleware",
]

ROOT_URLCONF = "peersupport.urls"
ADMIN_URL = env("ADMIN_URL", default="admin/")
# Where each role lands after signing in (URL names); see peersupport.views.home.
ROLE_HOME = {
    "coordinator": "groupsessions:coordinator_dashboard",
    "facilitator": "groupsessions:facilitator_home",
    "evaluator": "evaluation:home",
}
WSGI_APPLICATION = "peersupport.wsgi.application"

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
                "peersupport.context_processors.membership",
                "peersupport.context_processors.safety",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections open between requests (checked before reuse): opening one costs
# more than most pages' queries.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default cost of a random page read (4) assumes spinning disks; on SSD
    # or with the working set in memory, 1.1 lets it pick the per-cohort index scans
    # the dashboard and attendance pages rely on. PG_RANDOM_PAGE_COST overrides it.
    # The app's server-side cursors (exports, through QuerySet.iterator) read every row,
    # so they are planned for the whole result rather than for the first tenth.
    # Just-in-time compilation (on by default from PostgreSQL 12) compiles each large
    # query anew, which cost more than it saved on the evaluation job's and the exports'
    # queries (0.6 s of compiling for a 1 s query at 3x; docs/benchmarks.md). PG_JIT=on
    # puts it back.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1)} "
        "-c cursor_tuple_fraction=1 "
        f"-c jit={'on' if env.bool('PG_JIT', default=False) else 'off'}"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must hold a small agency's facilitators tapping at once.
    # Write-ahead logging lets pages read while one request writes; a transaction takes
    # the write lock when it begins (IMMEDIATE) instead of failing with "database is
    # locked" when it first writes; a writer waits up to 20 s for the lock; and with WAL,
    # synchronous=NORMAL is still safe after a crash (a power cut may lose the last
    # commits, never corrupt the file). See "When SQLite is no longer enough" (README).
    _sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite_options.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite_options.setdefault("timeout", 20)
    _sqlite_options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "peersupport.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts (django-allauth): email login, no public sign-up, MFA available ---
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "peersupport.adapters.InviteOnlyAccountAdapter"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="peersupport")

# Sessions end after a period of inactivity: people share computers at drop-in centres.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# ... and, however active, a fixed number of hours after signing in.
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

# --- Internationalisation ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
#: One date format per language everywhere (peersupport/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["peersupport.formats"]
TIME_ZONE = env("TIME_ZONE", default="America/Toronto")
USE_I18N = True
USE_TZ = True

# --- Static files ---
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Export files and uploaded bundles (participants' data) go through the default storage:
# the file system under MEDIA_ROOT (shared by web and worker hosts, e.g. a volume), or an
# S3-compatible object store when AWS_STORAGE_BUCKET_NAME is set. Never public: files are
# read back through the app, which audits each download.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
_FILE_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if AWS_STORAGE_BUCKET_NAME:
    _FILE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": True,
            "location": env("AWS_LOCATION", default="peersupport"),
        },
    }
STORAGES = {
    "default": _FILE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_TAGS = {40: "danger"}

# --- Email: console in development, EMAIL_URL (smtp://user:pass@host:587) in production ---
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="peersupport <no-reply@localhost>")

# --- Redis, cache and Celery ---
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # The cache holds only what may be lost (sign-in rate limits, used one-time codes): a
    # dead or hanging Redis costs one short timeout, then the cache carries on in each
    # process's memory for a while (peersupport.cache) instead of failing the page.
    CACHES = {
        "default": {
            "BACKEND": "peersupport.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CACHE_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_CACHE_TIMEOUT", default=0.5),
                "retry_after": env.int("REDIS_CACHE_RETRY_SECONDS", default=30),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without Redis, tasks run in-process so the app works with nothing else installed.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
# A dead or hanging Redis must make .delay() fail within seconds, not block forever.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = 1
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 3,
    "socket_connect_timeout": 3,
    "max_retries": 1,
    # A job whose worker died (killed, host lost) before acknowledging it goes back to the
    # queue after this many seconds: minutes, not an hour. A job still running past it may
    # be delivered a second time; every job is safe to run twice.
    "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=600),
    # How often a worker looks for such jobs (every interval × throttle seconds).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
#: A queued or running job with no sign of life for this long is offered to the foreground.
JOB_STALE_MINUTES = env.int("JOB_STALE_MINUTES", default=10)
#: Without Redis, queued jobs and every "compute now" run in this many background threads
#: of the web process (peersupport.tasking.run_in_background), never inside a request;
#: 0 runs them inline (the test suite).
BACKGROUND_THREADS = env.int("BACKGROUND_THREADS", default=2)
#: How long a "compute now" request waits for its job before showing the progress page
#: (capped at 10 s whatever the setting says).
FOREGROUND_WAIT_SECONDS = env.float("FOREGROUND_WAIT_SECONDS", default=3)
#: An evaluation run queued or running for this long without finishing is offered to the
#: foreground ("compute now"), and no longer blocks a new request for the same figures.
EVALUATION_RUN_STALE_MINUTES = env.int("EVALUATION_RUN_STALE_MINUTES", default=15)
#: Uploaded bundles up to this size are imported during the request; larger ones by a worker.
IMPORT_FOREGROUND_MAX_BYTES = env.int("IMPORT_FOREGROUND_MAX_BYTES", default=2 * 1024 * 1024)
#: The worker's heartbeat (a beat job every minute); /healthz says "degraded" past this age.
HEARTBEAT_MAX_AGE_SECONDS = env.int("HEARTBEAT_MAX_AGE_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    # Recompute the current program year of every active program each night.
    "evaluation-nightly-recompute": {
        "task": "evaluation.tasks.recompute_current_years",
        "schedule": crontab(hour=2, minute=30),
    },
    # Export files past their link's lifetime.
    "exports-remove-expired-files": {
        "task": "exports.tasks.remove_expired_files",
        "schedule": crontab(minute=15),
    },
    # Uploaded bundles nobody confirmed (they hold names and birth years).
    "importer-remove-stale-uploads": {
        "task": "importer.tasks.remove_stale_uploads",
        "schedule": crontab(minute=20),
    },
    # Identifying details due under each organisation's retention schedule.
    "participants-retention-purge": {
        "task": "participants.tasks.purge_due_records",
        "schedule": crontab(hour=3, minute=10),
    },
    # A worker writes the time (a database row): /healthz reports its age.
    "peersupport-worker-heartbeat": {
        "task": "peersupport.tasks.heartbeat",
        "schedule": float(env.int("WORKER_HEARTBEAT_SECONDS", default=60)),
        "options": {"expires": 50},
    },
}

# --- Privacy ---
MIN_CELL = env.int("MIN_CELL", default=5)
# Comma-separated Fernet keys; the first encrypts, all decrypt (so keys can rotate).
_DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtMDE="
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[_DEV_FIELD_KEY] if DEBUG else [])
if not FIELD_ENCRYPTION_KEY:
    raise environ.ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")
# Keys the blind index of participants' names (HMAC-SHA256 of name tokens, so a name can
# be searched without decrypting every record). Separate from the encryption keys: knowing
# one never gives the other. Changing it means `manage.py rebuild_name_index`.
_DEV_NAME_INDEX_KEY = "dev-only-name-index-key-do-not-use-0123456789"
NAME_INDEX_KEY = env("NAME_INDEX_KEY", default=_DEV_NAME_INDEX_KEY if DEBUG else None)
if not NAME_INDEX_KEY:
    raise environ.ImproperlyConfigured("NAME_INDEX_KEY must be set when DEBUG is off.")
if NAME_INDEX_KEY in FIELD_ENCRYPTION_KEY or NAME_INDEX_KEY == SECRET_KEY:
    raise environ.ImproperlyConfigured(
        "NAME_INDEX_KEY must differ from FIELD_ENCRYPTION_KEY and SECRET_KEY."
    )
if len(NAME_INDEX_KEY) < 32:
    raise environ.ImproperlyConfigured("NAME_INDEX_KEY must be at least 32 characters long.")
#: Searches by name one user may make per minute (each is audited).
NAME_SEARCHES_PER_MINUTE = env.int("NAME_SEARCHES_PER_MINUTE", default=30)
ATTENDANCE_EDIT_WINDOW_DAYS = env.int("ATTENDANCE_EDIT_WINDOW_DAYS", default=14)
OUTREACH_ABSENCES = env.int("OUTREACH_ABSENCES", default=2)
SURVEY_LINK_VALID_HOURS = env.int("SURVEY_LINK_VALID_HOURS", default=72)

# --- Security (production defaults; DEBUG relaxes them for http://127.0.0.1) ---
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as error:
        raise environ.ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles and everything else only from this
# site's own files; no inline script or style (htmx is told not to add its own, see
# base.html). Bootstrap's form controls draw with data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
