"""Every periodic Celery schedule, in one place (read by CELERY_BEAT_SCHEDULE)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "clear-expired-sessions": {
        "task": "pcns.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
    # Onward referrals with no answer after 10 working days: weekday mornings, before work.
    "flag-unanswered-onward-referrals": {
        "task": "vcse.tasks.flag_unanswered_everywhere",
        "schedule": crontab(minute=5, hour=7, day_of_week="mon-fri"),
    },
    # Every tenant's metrics, recomputed from the records each night (edits also queue a
    # refresh of their own tenant within minutes: reporting.services.refresh_request).
    "refresh-all-metrics": {
        "task": "reporting.tasks.refresh_all_tenants",
        "schedule": crontab(minute=30, hour=1),
    },
    # Urgent and emergency referrals not triaged in the tenant's set time: their team's leads
    # are emailed, once each (referrals.escalation). Often, since an emergency is due in hours.
    "escalate-untriaged-referrals": {
        "task": "referrals.tasks.escalate_untriaged_everywhere",
        "schedule": crontab(minute="*/10"),
    },
    # Refreshes whose worker died or whose task was lost, recorded as failed so that they stop
    # showing as in progress (reporting.services.refresh_runs_close_abandoned).
    "close-abandoned-metrics-refreshes": {
        "task": "reporting.tasks.close_abandoned_refreshes",
        "schedule": crontab(minute="*/15"),
    },
    # The same for imports, whose uploads (people's details) are then emptied.
    "close-abandoned-imports": {
        "task": "pcns.tasks.close_abandoned_imports",
        "schedule": crontab(minute="*/15"),
    },
}
