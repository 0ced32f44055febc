"""Celery application. Periodic schedules are declared in config/schedules.py only."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("pcn_mh")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
