"""Scheduled work for referrals, run by the Celery worker (schedule: config/schedules.py)."""

from __future__ import annotations

import logging

from pcns.tasks import platform_task, queue_for_each_tenant, tenant_task
from referrals import escalation

logger = logging.getLogger(__name__)


@platform_task(name="referrals.tasks.escalate_untriaged_everywhere")
def escalate_untriaged_everywhere() -> int:
    """Queue the escalation check for each tenant (ids only)."""
    return queue_for_each_tenant(escalate_untriaged)


@tenant_task(name="referrals.tasks.escalate_untriaged")
def escalate_untriaged(*, tenant_id: str) -> int:
    """Escalate, once each, the tenant's urgent and emergency referrals not triaged in the time
    the tenant set (referrals.escalation). Safe to run twice: each referral is claimed by a
    conditional update before anyone is emailed. Returns how many were escalated."""
    escalated = 0
    for pk in escalation.overdue_referral_ids():
        try:
            escalated += escalation.referral_escalate(referral_id=pk)
        except Exception as error:  # one referral's failure (the mail server) stops no other
            logger.warning("Escalation of a referral failed (%s); the next run tries again.",
                           type(error).__name__)
    return escalated
