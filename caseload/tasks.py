"""Side effects of care records, run by the Celery worker."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from caseload import selectors
from caseload.models import RiskConcern
from pcns.tasks import tenant_task

#: A mail server that refuses or cannot be reached (smtplib's errors are OSErrors) is
#: transient: the task is tried again, backing off, and its claim was rolled back meanwhile.
MAIL_RETRIES = {"autoretry_for": (OSError,), "retry_backoff": 60, "max_retries": 8}


@tenant_task(name="caseload.tasks.notify_risk_concern", **MAIL_RETRIES)
@transaction.atomic
def notify_risk_concern(*, tenant_id: str, concern_id: str) -> int:
    """Email the leads of the referral's team that a risk concern was raised. The email names
    the team only; the concern and the person are read after signing in. Returns how many
    leads were told."""
    # Claim the notification first, so a retried or repeated task never emails twice; the
    # claim commits only once the email is sent (a refused send rolls it back, and the task
    # is tried again).
    if not RiskConcern.objects.filter(pk=concern_id, leads_notified_at__isnull=True).update(
        leads_notified_at=timezone.now()
    ):
        return 0
    concern = RiskConcern.objects.select_related("referral__team").get(pk=concern_id)
    team = concern.referral.team
    recipients = [lead.user.email for lead in selectors.team_leads(team)]
    if not recipients:
        return 0
    link = settings.SITE_URL + reverse("caseload:risk-concerns")
    send_mail(
        subject=f"Risk concern raised in {team.name}",
        message=(f"A worker in {team.name} has raised a risk concern about someone on the "
                 f"team's caseload. Sign in to read it and respond:\n\n{link}\n"),
        from_email=None,
        recipient_list=recipients,
    )
    return len(recipients)


@tenant_task(name="caseload.tasks.notify_alerts", **MAIL_RETRIES)
@transaction.atomic
def notify_alerts(*, tenant_id: str, concern_ids: list[str]) -> int:
    """Email the leads of the referral's team, once, that the system raised safety alerts
    (caseload.alerts). Each alert is claimed first (``leads_notified_at``), so a retried or
    repeated task emails nobody twice, and the claims commit only once the email is sent. One
    email covers the alerts claimed together. Names the team only. Returns how many leads
    were told."""
    claimed = []
    for concern_id in concern_ids:
        if RiskConcern.objects.filter(pk=concern_id, leads_notified_at__isnull=True).update(
            leads_notified_at=timezone.now()
        ):
            claimed.append(concern_id)
    if not claimed:
        return 0
    concern = RiskConcern.objects.select_related("referral__team").get(pk=claimed[0])
    team = concern.referral.team
    recipients = [lead.user.email for lead in selectors.team_leads(team)]
    if not recipients:
        return 0
    link = settings.SITE_URL + reverse("caseload:risk-concerns")
    count = "A safety alert was" if len(claimed) == 1 else f"{len(claimed)} safety alerts were"
    send_mail(
        subject=f"Safety alert in {team.name}",
        message=(f"{count} raised automatically in {team.name}: an answer recorded for someone "
                 f"on the team's list signals risk. Sign in to read it and say what you did:"
                 f"\n\n{link}\n"),
        from_email=None,
        recipient_list=recipients,
    )
    return len(recipients)
