"""Tests: real PostgreSQL and Redis from scripts/stack.py (or the environment), fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DEMO_PASSWORD", "demo-password-2026")

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"pcn-mh-test-{os.getpid()}"  # noqa: F405
# Edits queue no metric refreshes unless a test asks for them: a queued task would outlive
# its test and be picked up by the next test that starts a worker.
METRICS_REFRESH_AFTER_CHANGE = False
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
TWO_FACTOR_DEMO_SKIP = False
