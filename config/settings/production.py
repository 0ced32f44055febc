"""Production: every secret from the environment, HTTPS only, `check --deploy` clean.

Refuses to start without DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

import os

from django.core.exceptions import ImproperlyConfigured

for _name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"Production settings need the environment variable {_name}.")

from config.env import env_bool, env_int, env_str  # noqa: E402
from config.settings.base import *  # noqa: E402, F403

if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):  # noqa: F405
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value (50+ characters).")
if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_DEBUG must not be true in production.")
if DEMO_PASSWORD:  # noqa: F405
    raise ImproperlyConfigured("DEMO_PASSWORD must not be set in production.")
if TWO_FACTOR_DEMO_SKIP:  # noqa: F405
    raise ImproperlyConfigured("TWO_FACTOR_DEMO_SKIP must not be on in production.")

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# The image collects into /app/staticfiles; the production CI test into a folder of its own.
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))  # noqa: F405
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
# Behind one TLS proxy (docs/operations.md); set 0 if clients reach gunicorn directly.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 1)
