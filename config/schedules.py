"""Every periodic Celery schedule, in one place (read by CELERY_BEAT_SCHEDULE)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "clear-expired-sessions": {
        "task": "pcns.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
}
