"""One settings module, configured from the environment. See README.md, "Configuration"."""

from email.utils import parseaddr
from pathlib import Path

from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from mspercury.env import (
    check_mail_address,
    check_public_url,
    check_redis_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)
from mspercury.secrets import parse_keyring

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is not set; the app refuses to start without it")
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY is too short; use at least 50 random characters")

# Versioned AES-256 key ring: "v2:<base64 32 bytes>,v1:<base64 32 bytes>". The first key encrypts.
MSPERCURY_ENCRYPTION_KEYS = env_str("MSPERCURY_ENCRYPTION_KEYS")
if not MSPERCURY_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "MSPERCURY_ENCRYPTION_KEYS is not set; generate one with "
        "`python -m mspercury.secrets generate-key` (the app never falls back to a built-in key)"
    )
parse_keyring(MSPERCURY_ENCRYPTION_KEYS)  # a malformed ring stops start-up, not the first login

MSPERCURY_PUBLIC_URL = check_public_url(
    "MSPERCURY_PUBLIC_URL", env_str("MSPERCURY_PUBLIC_URL", "http://127.0.0.1:8000")
)
# Where Stripe's API is. A deployment setting, never a workspace's: the demo and the tests point
# it at the emulator.
MSPERCURY_STRIPE_API_BASE = check_public_url(
    "MSPERCURY_STRIPE_API_BASE", env_str("MSPERCURY_STRIPE_API_BASE", "https://api.stripe.com")
)
# Where the EU's VIES REST API is (VAT ID validation). A deployment setting like Stripe's: the
# demo and the tests point it at the VIES emulator (emulators/README.md).
MSPERCURY_VIES_URL = check_public_url(
    "MSPERCURY_VIES_URL",
    env_str("MSPERCURY_VIES_URL", "https://ec.europa.eu/taxation_customs/vies/rest-api"),
)
# The VIES client the VAT ID checks call (the edge: integrations); deployments keep it.
MSPERCURY_VIES_CLIENT = "integrations.vies.client.check_vat"
MSPERCURY_VIES_TIMEOUT = env_int("MSPERCURY_VIES_TIMEOUT", 10)  # seconds per VIES request
# Saving a customer asks VIES at once but waits only this long; then the retries take over.
MSPERCURY_VIES_ENTRY_TIMEOUT = env_int("MSPERCURY_VIES_ENTRY_TIMEOUT", 3)
# A valid/invalid answer of VIES is reused (stays in force) for this many days.
MSPERCURY_VIES_REUSE_DAYS = env_int("MSPERCURY_VIES_REUSE_DAYS", 28)
# Where the accounting tools a workspace may bill from are (integrations/lexware,
# integrations/sevdesk). Deployment settings like Stripe's: the tests point them at the doubles.
MSPERCURY_LEXWARE_API_URL = check_public_url(
    "MSPERCURY_LEXWARE_API_URL", env_str("MSPERCURY_LEXWARE_API_URL", "https://api.lexware.io")
)
# Lexware's public key for the RSA-SHA512 signatures of its event callbacks.
MSPERCURY_LEXWARE_PUBLIC_KEY_URL = check_public_url(
    "MSPERCURY_LEXWARE_PUBLIC_KEY_URL",
    env_str(
        "MSPERCURY_LEXWARE_PUBLIC_KEY_URL",
        "https://developers.lexware.io/webhookSignature/public/public_key.pub",
    ),
)
# Lexware allows 2 requests per second per key over all endpoints; its gateway gives up at 30 s.
MSPERCURY_LEXWARE_RATE_LIMIT = env_int("MSPERCURY_LEXWARE_RATE_LIMIT", 2)
MSPERCURY_LEXWARE_TIMEOUT = env_int("MSPERCURY_LEXWARE_TIMEOUT", 35)
MSPERCURY_SEVDESK_API_URL = check_public_url(
    "MSPERCURY_SEVDESK_API_URL",
    env_str("MSPERCURY_SEVDESK_API_URL", "https://my.sevdesk.de/api/v1"),
)
# sevDesk publishes no limit but may block a token that sends too much: our own pace.
MSPERCURY_SEVDESK_RATE_LIMIT = env_int("MSPERCURY_SEVDESK_RATE_LIMIT", 5)
MSPERCURY_SEVDESK_TIMEOUT = env_int("MSPERCURY_SEVDESK_TIMEOUT", 30)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is empty; list the host names the app serves")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_countries",
    "mspercury",
    "customers",
    "quotes",
    "billing",
    "customers.vatids",
    "billing.datev",
    "billing.einvoice",
    "billing.recheck",
    "billing.evidence",
    "integrations",
    "portal",
    "demo",  # seed_demo only: no models, imported by no app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mspercury.csp.ContentSecurityPolicyMiddleware",
    "mspercury.request_guard.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mspercury.middleware.WorkspaceMiddleware",
    "mspercury.middleware.WorkspaceTimeMiddleware",
]

ROOT_URLCONF = "mspercury.urls"
WSGI_APPLICATION = "mspercury.wsgi.application"

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
                "mspercury.context_processors.workspace",
            ],
            "builtins": ["mspercury.templatetags.moments"],
        },
    }
]

DATABASES = {
    "default": parse_database_url(
        "DATABASE_URL", env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Row-level security (PostgreSQL): the app logs in as a role that owns nothing and may not
# bypass RLS; cross-tenant jobs switch explicitly to the system role (see mspercury/tenancy.py).
MSPERCURY_DB_APP_ROLE = env_str("MSPERCURY_DB_APP_ROLE", "mspercury_app")
MSPERCURY_DB_SYSTEM_ROLE = env_str("MSPERCURY_DB_SYSTEM_ROLE", "mspercury_system")

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    check_redis_url("REDIS_URL", REDIS_URL)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("MSPERCURY_CACHE_PREFIX", "mspercury"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis as broker. Without REDIS_URL (the demo), tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("MSPERCURY_CELERY_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Workers keep their database connection between tasks (closed when older than CONN_MAX_AGE or
# broken, see mspercury/celery.py); Celery's fixup still replaces it after this many tasks.
CELERY_DB_REUSE_MAX = env_int("MSPERCURY_CELERY_DB_REUSE_MAX", 1000)
# A task whose worker died is handed to another worker after this many seconds (acks late).
_VISIBILITY_TIMEOUT = env_int("MSPERCURY_CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # Sweep for abandoned messages often enough to honour a short visibility timeout.
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1 if _VISIBILITY_TIMEOUT < 600 else 10,
}
# Queues (README, "Scaling workers"): Stripe's webhook events, pushes and amendments, mail, and
# the beat's periodic jobs each have their own, so a month-end storm of events never waits
# behind a push or a mail and can get workers of its own; everything else stays on Celery's
# default queue. A worker started without -Q consumes every one of them.
MSPERCURY_CELERY_QUEUES = ("celery", "webhooks", "pushes", "mail", "periodic")
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in MSPERCURY_CELERY_QUEUES]
CELERY_TASK_ROUTES = {
    "integrations.tasks.process_stripe_event": {"queue": "webhooks"},
    "integrations.tasks.run_push": {"queue": "pushes"},
    "integrations.tasks.run_amendment": {"queue": "pushes"},
    "integrations.tasks.run_billing": {"queue": "pushes"},
    "integrations.tasks.issue_due_invoices": {"queue": "periodic"},
    "billing.tasks.send_payment_confirmation": {"queue": "mail"},
    "portal.tasks.send_invoice_email": {"queue": "mail"},
    "integrations.tasks.retry_stripe_events": {"queue": "periodic"},
    "integrations.tasks.reconcile_stripe": {"queue": "periodic"},
    "billing.vatids.tasks.retry_vies_validations": {"queue": "periodic"},
    "billing.vatids.tasks.revalidate_reverse_charge_customers": {"queue": "periodic"},
    "billing.taxcheck.tasks.report_unchecked_invoices": {"queue": "periodic"},
    "integrations.tasks.poll_sevdesk": {"queue": "periodic"},
    "integrations.tasks.retry_lexware_events": {"queue": "periodic"},
    "integrations.tasks.process_lexware_event": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE = {
    # Issue the due period invoices of contracts billed from Lexware Office or sevDesk.
    "issue-due-invoices": {
        "task": "integrations.tasks.issue_due_invoices",
        "schedule": env_int("MSPERCURY_BILLING_RUN_SECONDS", 900),
    },
    # Retry stored events whose processing failed or was lost; alert on ones waiting too long.
    "retry-stripe-events": {
        "task": "integrations.tasks.retry_stripe_events",
        "schedule": env_int("MSPERCURY_EVENT_RETRY_SECONDS", 30),
    },
    # Process whatever Stripe's webhooks missed (endpoint down, secret rotated).
    "reconcile-stripe": {
        "task": "integrations.tasks.reconcile_stripe",
        "schedule": env_int("MSPERCURY_RECONCILE_SECONDS", 600),
    },
    # Ask VIES again about VAT IDs it could not confirm (member state down, too many requests).
    "retry-vies-validations": {
        "task": "billing.vatids.tasks.retry_vies_validations",
        "schedule": env_int("MSPERCURY_VIES_RETRY_SECONDS", 60),
    },
    # Keep reverse-charge customers' VAT IDs validated (renews what expires within a day).
    "revalidate-vat-ids": {
        "task": "billing.vatids.tasks.revalidate_reverse_charge_customers",
        "schedule": env_int("MSPERCURY_VIES_REVALIDATE_SECONDS", 3600),
    },
    # sevDesk has no webhooks: ask each sevDesk connection for its changed invoices (a
    # connection whose polls fail waits longer, see integrations/sevdesk/poll.py).
    "poll-sevdesk": {
        "task": "integrations.tasks.poll_sevdesk",
        "schedule": env_int("MSPERCURY_SEVDESK_POLL_SECONDS", 120),
    },
    # Process again Lexware Office callbacks whose processing failed or was lost.
    "retry-lexware-events": {
        "task": "integrations.tasks.retry_lexware_events",
        "schedule": env_int("MSPERCURY_LEXWARE_EVENT_RETRY_SECONDS", 60),
    },
    # Tell the MSP which recurring invoices Stripe finalized before their VAT re-check ran.
    "report-unchecked-invoices": {
        "task": "billing.taxcheck.tasks.report_unchecked_invoices",
        "schedule": env_int("MSPERCURY_TAX_RECHECK_SWEEP_SECONDS", 900),
    },
}
# An owner/admin notification fires when a stored event is unprocessed for this long.
MSPERCURY_EVENT_ALERT_MINUTES = env_int("MSPERCURY_EVENT_ALERT_MINUTES", 5)
# Deliveries one webhook endpoint (one workspace) may make per minute before it answers 429 and
# Stripe retries later: room for a month-end burst of a large MSP's renewals.
MSPERCURY_WEBHOOK_RATE = (env_int("MSPERCURY_WEBHOOK_DELIVERIES_PER_MINUTE", 6000), 60)

AUTH_USER_MODEL = "mspercury.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Two-factor: how long a verification counts for sensitive actions, and login throttles.
MSPERCURY_RECENT_2FA_SECONDS = env_int("MSPERCURY_RECENT_2FA_SECONDS", 300)
MSPERCURY_LOGIN_RATE = (env_int("MSPERCURY_LOGIN_ATTEMPTS", 10), 300)  # attempts per seconds
MSPERCURY_INVITE_DAYS = env_int("MSPERCURY_INVITE_DAYS", 7)
OTP_TOTP_ISSUER = "MSPercury"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
# What customers can read: the 24 official EU languages (mspercury.models.DOCUMENT_LANGUAGES).
# Their share page and documents speak these; the staff interface negotiates only LANGUAGES.
# Others fall back to English.
MSPERCURY_DOCUMENT_LANGUAGES = [
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
]  # fmt: skip
# Django knows 23 of them; Maltese gets its entry so get_language_info("mt") answers.
LANG_INFO.setdefault("mt", {"bidi": False, "code": "mt", "name": "Maltese", "name_local": "Malti"})
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mspercury.formats"]  # one date format per language
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MSPERCURY_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MSPercury <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Mail to an MSP's customers is sent from this address in the MSP's name, with the MSP's own
# address as Reply-To: this domain's SPF/DKIM must authorize our server (README "Configuration").
MSPERCURY_MAIL_FROM = check_mail_address(
    "MSPERCURY_MAIL_FROM",
    env_str("MSPERCURY_MAIL_FROM") or parseaddr(DEFAULT_FROM_EMAIL)[1] or "noreply@localhost",
)

# Behind a reverse proxy, client addresses (rate limits, audit log, acceptance records) come from
# X-Forwarded-For: the address the Nth proxy from our side saw.
MSPERCURY_BEHIND_PROXY = env_bool("MSPERCURY_BEHIND_PROXY", False)
MSPERCURY_TRUSTED_PROXIES = env_int("MSPERCURY_TRUSTED_PROXIES", 1 if MSPERCURY_BEHIND_PROXY else 0)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if MSPERCURY_BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every handler carries the redact filter. Django's own defaults (runserver's request log, the
# DEBUG console, mail to ADMINS) are replaced here: theirs print paths with tokens unmasked.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "mspercury.logging.RedactSecretsFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
        "mail_admins": {
            "level": "ERROR",
            "class": "mspercury.logging.RedactingAdminEmailHandler",
            "filters": ["require_debug_false", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},  # console via the root
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "stripe": {"level": env_str("STRIPE_LOG_LEVEL", "WARNING")},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
