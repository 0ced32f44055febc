"""Settings shared by every environment. Environment-specific files import and override these."""

from pathlib import Path

from csp.constants import NONCE

from config.env import env_bool, env_database, env_int, env_list, env_str
from config.schedules import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Our apps first: pcns overrides the `migrate` and `flush` commands (owner role).
    "pcns",
    "referrals",
    "caseload",
    "vcse",
    "reporting",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "pcns.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pcns.middleware.NoStoreWhenSignedInMiddleware",
    "pcns.middleware.TenantContextMiddleware",
    "pcns.middleware.QueryLimitsMiddleware",
    "pcns.audit.AuditReadsMiddleware",
    "pcns.middleware.SignInRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pcns.accounts.middleware.TwoFactorsStillSatisfiedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "config" / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "config.templating.environment",
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
                "pcns.context_processors.shell",
            ],
        },
    },
    {
        # Django admin and the API browser use Django templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# The application connects as a role that cannot bypass row-level security. Migrations (and
# `flush` in tests) switch to the owner role given by DATABASE_OWNER_URL; see docs/architecture.md.
DATABASES = {"default": env_database("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The role the application connects as, remembered before anything switches connections.
DATABASE_APP_ROLE = DATABASES["default"]["USER"]
DATABASE_OWNER = env_database("DATABASE_OWNER_URL", "") if env_str(
    "DATABASE_OWNER_URL", ""
) else None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "pcns.User"
LOGIN_URL = "pcns:sign-in"
LOGIN_REDIRECT_URL = "pcns:home"
LOGOUT_REDIRECT_URL = "pcns:signed-out"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: expire after 30 minutes without activity (sliding), and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Sign-in throttling: after this many failures for one email (or one address) in the window,
# further attempts are refused until the window passes.
SIGN_IN_MAX_FAILURES = env_int("SIGN_IN_MAX_FAILURES", 5)
SIGN_IN_FAILURE_WINDOW_SECONDS = env_int("SIGN_IN_FAILURE_WINDOW_SECONDS", 15 * 60)
# Per client address the limit is higher, so one office behind a shared address is not locked
# out by a few typos (pcns/accounts/throttle.py).
SIGN_IN_MAX_FAILURES_PER_ADDRESS = env_int("SIGN_IN_MAX_FAILURES_PER_ADDRESS", 50)
# How many proxies we trust in front of the app: 0 = the client is REMOTE_ADDR; n = the nth
# address from the right of X-Forwarded-For (docs/operations.md).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
# The public self-referral form (referrals/door_limits.py): forms per client address per window,
# and the least and most time between showing the form and sending it.
SELF_REFERRAL_MAX_PER_ADDRESS = env_int("SELF_REFERRAL_MAX_PER_ADDRESS", 10)
SELF_REFERRAL_WINDOW_SECONDS = env_int("SELF_REFERRAL_WINDOW_SECONDS", 60 * 60)
SELF_REFERRAL_MIN_SECONDS = env_int("SELF_REFERRAL_MIN_SECONDS", 5)
SELF_REFERRAL_MAX_AGE_SECONDS = env_int("SELF_REFERRAL_MAX_AGE_SECONDS", 4 * 60 * 60)

# Two-factor sign-in (pcns/accounts/two_factor.py): an authenticator app (TOTP) and one-time
# recovery codes. Between the password and the code, only the pending user is kept in the
# session, for this long and for this many wrong codes.
TWO_FACTOR_PENDING_SECONDS = env_int("TWO_FACTOR_PENDING_SECONDS", 5 * 60)
TWO_FACTOR_MAX_ATTEMPTS = env_int("TWO_FACTOR_MAX_ATTEMPTS", 5)
TWO_FACTOR_RECOVERY_CODES = 10
# Only local settings turn this on: demo accounts may then skip the second factor.
TWO_FACTOR_DEMO_SKIP = env_bool("TWO_FACTOR_DEMO_SKIP", False)
OTP_TOTP_ISSUER = "Community mental health"

# Invitations to set a password, and password reset links (pcns/accounts): how long they work.
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None  # production collects into BASE_DIR / "staticfiles"
# Serve straight from the source folders outside production (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pcn-mh",
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

# Metrics: an edit queues a refresh of its tenant's metrics after this many seconds; edits in
# the meantime join that refresh (reporting.services.refresh_request).
METRICS_REFRESH_AFTER_CHANGE = env_bool("METRICS_REFRESH_AFTER_CHANGE", True)
METRICS_REFRESH_DEBOUNCE_SECONDS = env_int("METRICS_REFRESH_DEBOUNCE_SECONDS", 120)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.permissions.IsTenantMember"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Community mental health referrals API",
    "DESCRIPTION": (
        "Referrals, caseloads, VCSE onward referrals and metrics for Primary Care Network "
        "mental health teams. Every response is scoped to the caller's tenant and teams. "
        'Errors share one shape: {"message": str, "errors": {field: [str]}}.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "pcns.models.OrganisationKind",
        "TeamKindEnum": "pcns.models.TeamKind",
        "RoleEnum": "pcns.models.Role",
        "ReferralStatusEnum": "referrals.states.Status",
        "RedirectDestinationEnum": "referrals.codes.RedirectDestination",
        "RejectionReasonEnum": "referrals.codes.RejectionReason",
        "DischargeReasonEnum": "referrals.codes.DischargeReason",
        "AssessmentKindEnum": "caseload.codes.AssessmentKind",
        "InterventionKindEnum": "caseload.codes.InterventionKind",
        "OnwardStatusEnum": "vcse.codes.OnwardStatus",
        "SupportCategoryEnum": "vcse.codes.SupportCategory",
        "ConsentGiverEnum": "vcse.codes.ConsentGiver",
        "DeclineReasonEnum": "vcse.codes.DeclineReason",
        "VcseContactModeEnum": "vcse.codes.VcseContactMode",
        "VcseAttendanceEnum": "vcse.codes.VcseAttendance",
        "ModeEnum": "caseload.codes.ContactMode",
        "AttendanceEnum": "caseload.codes.Attendance",
    },
}

# Content security policy: our own assets only; no inline script except with the nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Email: alerts to staff (a risk concern for a team lead). They name no one; links need the
# service's own address.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")

# Demo sign-ins are printed by `manage.py demo_signins`; the password only exists for demo data.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
