"""Scheduled work for onward referrals, run by the Celery worker (schedule: config/schedules.py).

Once a day, onward referrals whose consent has passed its end date are withdrawn, and every
tenant's onward referrals still unanswered after 10 working days are flagged:
the sender and the partner's VCSE leads are emailed once, and the flag shows in the inbox and on
the referrer's view. The emails name the organisation and the date only; the person is read
after signing in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from pcns.tasks import platform_task, tenant_task
from pcns.tenancy import all_tenant_ids
from vcse import selectors, services
from vcse.codes import MessageSide
from vcse.models import OnwardMessage, OnwardReferral


@platform_task(name="vcse.tasks.flag_unanswered_everywhere")
def flag_unanswered_everywhere() -> int:
    """Queue the daily check for each tenant (ids only)."""
    tenant_ids = all_tenant_ids()
    for tenant_id in tenant_ids:
        end_lapsed_consent.delay(tenant_id=str(tenant_id))
        flag_unanswered_onward_referrals.delay(tenant_id=str(tenant_id))
    return len(tenant_ids)


@tenant_task(name="vcse.tasks.end_lapsed_consent")
def end_lapsed_consent(*, tenant_id: str) -> int:
    """Withdraw the tenant's open onward referrals whose consent has passed its end date, so
    the referrer sees they ended and may ask again. Safe to run twice. Returns how many."""
    today = timezone.localdate()
    return sum(services.consent_lapse(onward_id=pk, on=today)
               for pk in list(selectors.consent_lapsed(today).values_list("pk", flat=True)))


@tenant_task(name="vcse.tasks.flag_unanswered_onward_referrals")
def flag_unanswered_onward_referrals(*, tenant_id: str) -> int:
    """Flag, once each, the tenant's onward referrals with no answer after 10 working days, and
    email the sender and the partner's leads. Safe to run twice: each row is claimed by a
    conditional update before anyone is emailed. Returns how many were flagged."""
    today = timezone.localdate()
    flagged = 0
    for onward_id in list(selectors.unanswered_due(today).values_list("pk", flat=True)):
        if services.flag_unanswered(onward_id=onward_id, flagged_on=today):
            _email_unanswered(OnwardReferral.objects.select_related(
                "organisation", "sent_by", "service").get(pk=onward_id))
            flagged += 1
    return flagged


def _email_unanswered(onward: OnwardReferral) -> None:
    organisation = onward.organisation
    sent = f"{onward.sent_on:%d/%m/%Y}"
    to_sender = [onward.sent_by.email] if onward.sent_by.is_active else []
    if to_sender:
        link = settings.SITE_URL + reverse("vcse:onward-detail", args=[onward.pk])
        send_mail(
            subject=f"No answer yet from {organisation.name}",
            message=(f"An onward referral you sent to {organisation.name} on {sent} has had no "
                     f"answer for 10 working days. Sign in to see it and follow it up:\n\n"
                     f"{link}\n"),
            from_email=None, recipient_list=to_sender,
        )
    leads = [lead.user.email for lead in selectors.vcse_leads_of(organisation)]
    if leads:
        link = settings.SITE_URL + reverse("vcse:inbox-detail", args=[onward.pk])
        send_mail(
            subject=f"Onward referral waiting 10 working days for {organisation.name}",
            message=(f"An onward referral sent to {organisation.name} on {sent} has not been "
                     f"accepted or declined after 10 working days. Sign in to answer it:\n\n"
                     f"{link}\n"),
            from_email=None, recipient_list=leads,
        )


@tenant_task(name="vcse.tasks.notify_onward_message")
def notify_onward_message(*, tenant_id: str, message_id: str) -> int:
    """Email the other side that a message was posted about an onward referral: the
    organisation or team, the reference and a link only; the message and the person are read
    after signing in. Claimed before sending, so a retry never emails twice. Returns how many
    people were told."""
    from vcse import messages  # it queues this task: import it when the task runs

    if not messages.message_claim_notification(message_id=message_id):
        return 0
    message = OnwardMessage.objects.select_related(
        "onward_referral__organisation", "onward_referral__referral").get(pk=message_id)
    recipients = messages.recipients_of(message)
    if not recipients:
        return 0
    onward = message.onward_referral
    if message.side == MessageSide.PARTNER:
        sender = onward.organisation.name
        link = settings.SITE_URL + reverse("vcse:onward-detail", args=[onward.pk])
    else:
        sender = "The referring team"
        link = settings.SITE_URL + reverse("vcse:inbox-detail", args=[onward.pk])
    send_mail(
        subject=f"New message about onward referral {onward.reference}",
        message=(f"{sender} sent a message about onward referral {onward.reference} "
                 f"(to {onward.organisation.name}). Sign in to read it and reply:\n\n{link}\n"),
        from_email=None, recipient_list=recipients,
    )
    return len(recipients)
