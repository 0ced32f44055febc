"""Local development: DEBUG on, demo password set, no HTTPS."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DEMO_PASSWORD", "demo-password-2026")
# The demo stays quick to try: demo accounts may skip the second factor (production refuses it).
os.environ.setdefault("TWO_FACTOR_DEMO_SKIP", "true")

from config.settings.base import *  # noqa: F403
