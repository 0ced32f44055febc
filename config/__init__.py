"""Project configuration: settings, URLs, Celery and API plumbing. Nothing domain-specific."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
