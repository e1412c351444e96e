"""Settings for Undersigned.

Every deployment value comes from the environment. With no environment variables at all
the site runs in its embedded default: SQLite, tasks in-process, mail written to files
under var/outbox/. Setting DATABASE_URL and REDIS_URL switches to PostgreSQL, Redis and
Celery workers; DEBUG then defaults to off and SECRET_KEY becomes mandatory.
"""

import hashlib
import hmac
import os
import secrets
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not value >= minimum:  # also refuses nan
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_limits(name: str, default: str) -> str:
    """Rate limits in the notation of the `limits` library: "10/minute;60/hour"."""
    from limits import parse_many

    raw = env_str(name, default)
    try:
        parse_many(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate limit: write it like 10/minute;60/hour."
        ) from None
    return raw


def _embedded_secret_key() -> str:
    """A random key kept in var/ so that links and sessions survive a restart."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
EMBEDDED = not DATABASE_URL

DEBUG = env_bool("DEBUG", EMBEDDED)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _embedded_secret_key()

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must be an absolute http(s) URL.")
SITE_NAME = env_str("SITE_NAME", "Undersigned")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", sorted({"127.0.0.1", "localhost", _site.hostname}))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"{_site.scheme}://{_site.netloc}"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.forms",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Our apps, from the bottom up: each imports only the ones above it in this list
    # (docs/architecture.md; checked by import-linter in `make test`).
    "mailing",
    "letters",
    "signatories",
    "moderation",
    "updates",
    "dossiers",
    "notifications",
    "embeds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "embeds.http.JsonErrorMiddleware",
    # Before SessionMiddleware and LocaleMiddleware, to see the Vary and cookies they add.
    "letters.http.PublicPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "embeds.http.PublicReadVaryMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]
# The public reads (views marked by embeds.http.public_read: the API, badges, widget)
# read no cookie, session, user or message: config/handlers.py serves them through the
# middleware above that shape their headers, and skips the rest. A middleware added to
# MIDDLEWARE that sets a header on every response belongs here too.
PUBLIC_READ_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.PermissionsPolicyMiddleware",
    "embeds.http.JsonErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]
# How long, in seconds, a web process answers the hot public reads (counter JSON, badges,
# widget) from the letter's facts and count it read last, without asking Redis again
# (signatories/live.py). Their answers carry max-age=15 anyway; 0 reads Redis every time.
PUBLIC_READ_MEMO_SECONDS = env_float("PUBLIC_READ_MEMO_SECONDS", 1.0)

# One field template for every form (templates/forms/field.html); "django.forms" above lets
# this renderer find Django's own widget templates.
FORM_RENDERER = "config.forms.FormRenderer"

ROOT_URLCONF = "config.urls"
# The site's own page for a form stopped by the CSRF check (JSON under /api/).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
                "config.context_processors.site",
            ],
        },
    },
]

# Databases ---------------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and Redis ---------------------------------------------------------------------
# Redis holds the live counters, rate limits, cached pages and the Celery queue: nothing
# the database cannot rebuild. Every call to it has a short timeout, and after one failure
# a circuit breaker (mailing.breaker) skips that server for REDIS_BREAKER_SECONDS, so a
# hung Redis costs a page at most one timeout and the following pages none.
REDIS_TIMEOUT_SECONDS = env_int("REDIS_TIMEOUT_MS", 500, minimum=50) / 1000
REDIS_BREAKER_SECONDS = env_int("REDIS_BREAKER_SECONDS", 30, minimum=1)
# Publishing a task waits a little longer: the workers' connection to the broker uses it too.
BROKER_TIMEOUT_SECONDS = env_int("BROKER_TIMEOUT_MS", 2000, minimum=100) / 1000
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.BreakerRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "undersigned"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL) or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ROUTES = {
    "signatories.tasks.*": {"queue": "mail"},
    # Organizers' updates can be a million emails: their own queue, never ahead of confirmations.
    "updates.tasks.*": {"queue": "bulk"},
    "letters.tasks.*": {"queue": "mail"},
    "mailing.tasks.*": {"queue": "mail"},
    "moderation.tasks.*": {"queue": "default"},
    "notifications.tasks.*": {"queue": "default"},
    # A dossier of 100,000 names takes minutes of a worker: never ahead of confirmations.
    "dossiers.tasks.*": {"queue": "bulk"},
}
CELERY_IMPORTS = [
    "mailing.tasks",
    "letters.tasks",
    "updates.tasks",
    "moderation.tasks",
    "notifications.tasks",
    "dossiers.tasks",
    "embeds.tasks",
]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "signatories.tasks.outbox_sweep", "schedule": 30.0},
    "reconcile-counts": {"task": "signatories.tasks.counts_reconcile", "schedule": 600.0},
    "check-counts": {"task": "signatories.tasks.counts_check", "schedule": 3600.0},
    "purge-unconfirmed": {
        "task": "signatories.tasks.signatures_purge_unconfirmed",
        "schedule": 3600.0,
    },
    "resume-bulk-removals": {
        "task": "moderation.tasks.bulk_removals_resume",
        "schedule": 600.0,
    },
    "sweep-updates": {"task": "updates.tasks.updates_sweep", "schedule": 300.0},
    "sweep-notifications": {
        "task": "notifications.tasks.notifications_sweep",
        "schedule": 300.0,
    },
    "queue-digests": {"task": "notifications.tasks.digests_queue", "schedule": 3600.0},
    "resume-dossiers": {"task": "dossiers.tasks.dossiers_resume", "schedule": 300.0},
}

# Mail --------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Undersigned <letters@undersigned.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAIL_TIMEOUT_SECONDS = env_int("EMAIL_TIMEOUT", 10, minimum=1)
OUTBOX_DIR = VAR_DIR / "outbox"
# Mail leaves through Django's SMTP backend when EMAIL_HOST is set (Django's own setting
# names, read from the environment); otherwise it is written to files under var/outbox/.
if env_str("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST"),
                "port": env_int("EMAIL_PORT", 587, minimum=1),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": MAIL_TIMEOUT_SECONDS,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": env_str("EMAIL_BACKEND", "config.devmail.OutboxFileBackend")}}

CONFIRMATION_MAX_AGE_DAYS = env_int("CONFIRMATION_MAX_AGE_DAYS", 7, minimum=1)
EMAILS_PER_SIGNATURE_PER_DAY = env_int("EMAILS_PER_SIGNATURE_PER_DAY", 3, minimum=1)
PENDING_RETENTION_DAYS = env_int("PENDING_RETENTION_DAYS", 30, minimum=1)
# The periodic outbox sweep logs a warning about signer mail unsent after this long.
MAIL_DELAY_WARNING_MINUTES = env_int("MAIL_DELAY_WARNING_MINUTES", 15, minimum=1)
PRIVACY_NOTICE_VERSION = "2026-12-02.2"
# Where signers write to see, correct or delete their data (shown in the privacy notice).
PRIVACY_CONTACT_EMAIL = env_str("PRIVACY_CONTACT_EMAIL") or parseaddr(DEFAULT_FROM_EMAIL)[1]

# Accounts (django-allauth) -----------------------------------------------------------
# Organizers log in by email, once they have confirmed it: verification is mandatory so
# that signing up with an address that has an account answers exactly like a new one (the
# owner gets a notice mail instead), and nobody can learn who organizes here. allauth's
# default rate limits apply, per client address as letters.accounts reads it (the
# TRUSTED_PROXY_COUNT rule); they live in the default cache, Redis whenever REDIS_URL is set.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "signatories:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Confirming in the browser that signed up logs in (allauth checks the session for that).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_REDIRECT_URL = "letters:index"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme
ACCOUNT_ADAPTER = "letters.accounts.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7, minimum=1)
# Rate limits (letters.ratelimits; docs/security.md) -------------------------
# How many reverse proxies in front of the site append to X-Forwarded-For. 0 means the
# client connects directly and REMOTE_ADDR is the client; the header is then ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Moving windows kept in Redis (in memory in the embedded default). Over a signing limit
# a signature is held for review and no email leaves; the signer sees the usual page.
RATELIMIT_STORAGE_URL = REDIS_URL or "memory://"
RATELIMIT_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "undersigned") + ":limits"
SIGN_LIMIT_PER_IP = env_limits("SIGN_LIMIT_PER_IP", "10/minute;60/hour")
SIGN_LIMIT_PER_NETWORK = env_limits("SIGN_LIMIT_PER_NETWORK", "30/minute;300/hour")
SIGN_LIMIT_PER_LETTER = env_limits("SIGN_LIMIT_PER_LETTER", "600/minute")
# Confirmation, "already signed", resent and withdrawal emails to one address, over all
# letters together.
EMAIL_LIMIT_PER_ADDRESS = env_limits("EMAIL_LIMIT_PER_ADDRESS", "3/day")
# Markdown previews per organizer account.
PREVIEW_LIMIT_PER_USER = env_limits("PREVIEW_LIMIT_PER_USER", "30/minute")
# Accounts younger than NEW_ACCOUNT_DAYS publish at most this many letters a day.
LETTERS_PUBLISHED_PER_DAY_NEW_ACCOUNT = env_int("LETTERS_PUBLISHED_PER_DAY_NEW_ACCOUNT", 3)
NEW_ACCOUNT_DAYS = env_int("NEW_ACCOUNT_DAYS", 7)

# Moderation --------------------------------------------------------------------------
# Signatures from one network or one email domain within one hour that make a signal.
MODERATION_BURST_THRESHOLD = env_int("MODERATION_BURST_THRESHOLD", 10, minimum=2)
# How far back the signals panel of the moderation page looks, and how long it is cached.
MODERATION_SIGNAL_HOURS = env_int("MODERATION_SIGNAL_HOURS", 48, minimum=1)
MODERATION_SIGNAL_CACHE_SECONDS = env_int("MODERATION_SIGNAL_CACHE_SECONDS", 60)
# How long the breakdown of named signatories by country and role is cached per letter.
SIGNATORY_BREAKDOWN_CACHE_SECONDS = env_int("SIGNATORY_BREAKDOWN_CACHE_SECONDS", 300, minimum=1)
# A bulk removal matching more signatures than this runs in a Celery task, not the request.
BULK_REMOVE_INLINE_LIMIT = env_int("BULK_REMOVE_INLINE_LIMIT", 5000)

# Bot defences on the public forms (docs/security.md) ------------------------
# A sign, new-link or withdrawal form sent back sooner than MIN_FILL_SECONDS after it was
# drawn, or with a stamp older than FORM_STAMP_MAX_AGE_HOURS, is taken for a bot's.
MIN_FILL_SECONDS = env_int("MIN_FILL_SECONDS", 3)
FORM_STAMP_MAX_AGE_HOURS = env_int("FORM_STAMP_MAX_AGE_HOURS", 24, minimum=1)
# The proof of work (ALTCHA) on the sign form switches itself on for CHALLENGE_ACTIVE_SECONDS
# when one /24 (IPv4) or /64 (IPv6) network sends more than CHALLENGE_NETWORK_BURST sign
# requests within CHALLENGE_NETWORK_WINDOW_SECONDS, or one letter receives more than
# CHALLENGE_LETTER_PER_MINUTE within a minute. Organizers can also require it per letter.
CHALLENGE_NETWORK_BURST = env_int("CHALLENGE_NETWORK_BURST", 10, minimum=1)
CHALLENGE_NETWORK_WINDOW_SECONDS = env_int("CHALLENGE_NETWORK_WINDOW_SECONDS", 600, minimum=1)
CHALLENGE_LETTER_PER_MINUTE = env_int("CHALLENGE_LETTER_PER_MINUTE", 60, minimum=1)
CHALLENGE_ACTIVE_SECONDS = env_int("CHALLENGE_ACTIVE_SECONDS", 3600, minimum=1)
# Signs the challenges; derived from SECRET_KEY unless set, so rotating one rotates both.
ALTCHA_HMAC_KEY = (
    env_str("ALTCHA_HMAC_KEY")
    or hmac.new(SECRET_KEY.encode(), b"undersigned.altcha", hashlib.sha256).hexdigest()
)
# The work a browser does: PBKDF2 iterations per try, and up to how many tries (the
# secret answer lies between half of ALTCHA_MAX_NUMBER and ALTCHA_MAX_NUMBER).
ALTCHA_COST = env_int("ALTCHA_COST", 1000, minimum=1)
ALTCHA_MAX_NUMBER = env_int("ALTCHA_MAX_NUMBER", 5000, minimum=2)
ALTCHA_EXPIRES_SECONDS = env_int("ALTCHA_EXPIRES_SECONDS", 600, minimum=30)

# Security ----------------------------------------------------------------------------
HTTPS = env_bool("HTTPS", not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Whether every subdomain of the site's domain speaks HTTPS, and whether to ask browsers
    # to preload HSTS (hard to undo), only the operator knows: off unless set, and then
    # `check --deploy` need not warn about a choice that was made on purpose.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Django has no setting for this header: config.headers.PermissionsPolicyMiddleware sends it.
# (interest-cohort is left out: browsers dropped FLoC and log the unknown name as an error.)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
)

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# PASSWORD_HASHERS stays Django's default and is never read from the environment: one
# stray variable must not weaken every stored password. The tests switch to MD5 in
# tests/conftest.py.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Numbers in pages follow the visitor's language: "1,234" in English, "1 234" in French.
# Numbers meant for machines (attributes, ids) are rendered with |unlocalize.
USE_THOUSAND_SEPARATOR = True

# Static files ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Generated files (share cards); served by views, never straight from this folder.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The dossier's PDF library and its font subsetter say a line per font and per run.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}
