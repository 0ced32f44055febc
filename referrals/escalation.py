"""Escalation of urgent and emergency referrals that nobody has triaged in time.

The tenant sets the times (pcns.Tenant): an emergency referral is due after
``escalate_emergency_after_hours`` hours (default 4), an urgent one after
``escalate_urgent_after_working_days`` working days (default 1: the same time of day on the next
working day; weekends and bank holidays in England do not count, pcns.workdays). The clock starts
when the referral was entered (``entered_at``): the date received carries no time of day, and a
referral typed in late cannot have been triaged before it was known.

A referral still awaiting triage (or the MDT) when due is escalated once: the
``triage_escalated_at`` column is claimed by a conditional update, so a job run twice, or by two
workers at once, emails once. Every lead of the referral's team is emailed; the email names the
team and the urgency, never the person, and links to the triage queue. The escalation appends a
timeline event and an audit row. A referral triaged before it is due is never escalated, nor
is one the dataset import loaded (history from another system: imports email no one).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditAction, Membership, Tenant
from pcns.roles import LEAD_ROLES
from pcns.services import audit_record
from pcns.tenancy import require_tenant_id
from pcns.workdays import working_days_after
from referrals.codes import Urgency
from referrals.models import Referral, ReferralEvent
from referrals.services import append_event
from referrals.states import UNTRIAGED_STATUSES, EventKind

#: Who the timeline and the audit log say escalated a referral.
JOB_LABEL = "Triage escalation job"


def triage_due_at(referral: Referral, tenant: Tenant) -> dt.datetime | None:
    """When ``referral`` must have been triaged by, or None for a routine one."""
    entered = timezone.localtime(referral.entered_at)
    if referral.urgency == Urgency.EMERGENCY:
        return entered + dt.timedelta(hours=tenant.escalate_emergency_after_hours)
    if referral.urgency == Urgency.URGENT:
        day = working_days_after(entered.date(), tenant.escalate_urgent_after_working_days)
        return timezone.make_aware(dt.datetime.combine(day, entered.time().replace(tzinfo=None)))
    return None


def _waiting(tenant_id) -> QuerySet[Referral]:
    """Urgent and emergency referrals awaiting triage and not escalated yet, except those the
    dataset import loaded: history from another system, which emails no one (like the safety
    alerts, caseload.alerts); they still head the triage queue by urgency."""
    imported = ReferralEvent.objects.filter(tenant_id=tenant_id, referral_id=OuterRef("pk"),
                                            kind=EventKind.IMPORTED)
    return Referral.objects.filter(
        tenant_id=tenant_id, status__in=UNTRIAGED_STATUSES, triage_escalated_at__isnull=True,
        urgency__in=[Urgency.EMERGENCY, Urgency.URGENT],
    ).exclude(Exists(imported))


def overdue_referral_ids(*, now: dt.datetime | None = None) -> list:
    """The current tenant's urgent and emergency referrals past their time to triage and not
    escalated yet. The database narrows them to those entered at least the shortest time
    before; the working-day rule is then applied to that short list."""
    now = now or timezone.now()
    tenant = Tenant.objects.get(pk=require_tenant_id())
    shortest = min(dt.timedelta(hours=tenant.escalate_emergency_after_hours),
                   dt.timedelta(days=tenant.escalate_urgent_after_working_days))
    candidates = _waiting(tenant.pk).filter(entered_at__lte=now - shortest).order_by(
        "entered_at")
    return [referral.pk for referral in candidates.only("pk", "urgency", "entered_at")
            if (due := triage_due_at(referral, tenant)) is not None and due <= now]


def team_leads_of(referral: Referral) -> QuerySet[Membership]:
    return Membership.objects.filter(
        tenant_id=referral.tenant_id, is_active=True, role__in=LEAD_ROLES,
        teammembership__team_id=referral.team_id,
    ).select_related("user")


def referral_escalate(*, referral_id, now: dt.datetime | None = None) -> bool:
    """Escalate one overdue referral, once: claim it, record the event and the audit row, and
    email the team's leads, all in one transaction. True if this call escalated it; False if it
    was escalated already or triaged in the meantime."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = _waiting(require_tenant_id()).filter(pk=referral_id).update(
            triage_escalated_at=now)
        if not claimed:
            return False
        referral = Referral.objects.select_related("team").get(pk=referral_id)
        append_event(referral, actor=None, kind=EventKind.TRIAGE_ESCALATED,
                     from_status=referral.status, on=timezone.localdate(now),
                     details={"urgency": referral.get_urgency_display()})
        audit_record(actor=None, action=AuditAction.CHANGE, target=referral,
                     fields=["triage_escalated_at"], actor_label=JOB_LABEL)
        recipients = [lead.user.email for lead in team_leads_of(referral)]
        if recipients:
            # Sent before the claim commits: if the mail server refuses, the claim rolls back
            # with the event and the next run tries again. A lost commit after a sent email
            # means one email too many, never none.
            subject, body = _email(referral)
            send_mail(subject=subject, message=body, from_email=None,
                      recipient_list=recipients)
    return True


def _email(referral: Referral) -> tuple[str, str]:
    """Names the team and the urgency only: the person is read after signing in."""
    urgency = referral.get_urgency_display()
    team = referral.team.name
    link = settings.SITE_URL + reverse("referrals:triage-queue")
    return (
        f"{urgency} referral not triaged in time: {team}",
        f"An {urgency.lower()} referral to {team} has not been triaged in the time your "
        f"service set. Sign in to triage it now (the queue lists the most urgent first):"
        f"\n\n{link}\n",
    )
