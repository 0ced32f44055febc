"""The demo's current onward referrals.

Some of the people in care now are referred on with consent to the directory's services (listed
by the demo history, pcns/demo_history.py), and the partners answer, log contacts and close, so
the inbox and the referrer's view have something current to show. Written through the services,
deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from pcns.models import Membership, Role
from pcns.roles import CLINICAL_ROLES
from pcns.tenancy import tenant_context
from referrals.models import Referral
from referrals.states import TRIAGED_OPEN
from vcse import services
from vcse.models import OnwardReferral, Service
from vcse.workdays import working_days_between

REASONS = [
    "Money worries are making things worse; would like help sorting out debts and benefits.",
    "Lonely since moving here; keen to meet people and get out more.",
    "Wants to get fitter and into a routine; likes being outdoors.",
    "Would like to get back into work or volunteering when ready.",
    "Caring for a parent and struggling to keep on top of things at home.",
]


def load_onward_referrals(tenant_id, *, seed: int = 2026) -> int:
    """Refer on some of the people in care; partners answer and work with them. Returns how
    many onward referrals were sent."""
    rng = random.Random(f"vcse-{seed}-{tenant_id}")  # noqa: S311 - made-up demo data
    today = timezone.localdate()
    sent = 0
    with tenant_context(tenant_id):
        listed = list(Service.objects.select_related("organisation").order_by("name"))
        if not listed:
            return 0
        referrals = (Referral.objects.filter(status__in=TRIAGED_OPEN)
                     .select_related("person", "worker__user").order_by("received_on", "id"))
        for referral in referrals:
            sender = _sender(referral)
            if sender is None or rng.random() > 0.5:
                continue
            service = rng.choice(listed)
            first = referral.contacts.order_by("on").values_list("on", flat=True).first()
            on = min((first or referral.received_on) + dt.timedelta(days=rng.randint(1, 7)),
                     today)
            onward = services.onward_referral_send(
                referral=referral, actor=sender,
                data=services.OnwardReferralInput(
                    service=service, reason=rng.choice(REASONS),
                    needs=rng.sample(service.categories, min(2, len(service.categories))),
                    consent_given_by="person", consent_given_on=on,
                    consent_purpose=f"Support from {service.organisation.name}",
                    consent_expires_on=on + dt.timedelta(days=365), sent_on=on))
            sent += 1
            _answer(rng, onward, service, today)
    return sent


def _sender(referral: Referral):
    """The named worker, or else the team's connector (or any clinical member)."""
    if referral.worker is not None:
        return referral.worker.user
    members = (Membership.objects.filter(teams=referral.team_id, is_active=True,
                                         role__in=CLINICAL_ROLES)
               .select_related("user").order_by("role", "user__email"))
    connector = next((m for m in members if m.role == Role.CONNECTOR), None)
    member = connector or next(iter(members), None)
    return member.user if member else None


def _answer(rng: random.Random, onward: OnwardReferral, service: Service,
            today: dt.date) -> None:
    """What the partner did: nothing yet (recent, or the odd one left unanswered), decline, or
    accept and log contacts, closing the older ones."""
    staff = list(Membership.objects.filter(employer=service.organisation, is_active=True,
                                           role__in=[Role.VCSE_WORKER, Role.VCSE_LEAD])
                 .select_related("user"))
    waited = working_days_between(onward.sent_on, today)
    if not staff or waited < 2 or rng.random() < 0.1:
        if waited >= 10:
            services.flag_unanswered(onward_id=onward.pk, flagged_on=today)
        return
    worker = rng.choice(staff).user
    answered = min(onward.sent_on + dt.timedelta(days=rng.randint(1, 4)), today)
    if rng.random() < 0.12:
        services.onward_referral_decline(onward=onward, actor=worker, version=onward.version,
                                         reason=rng.choice(["no_capacity", "not_eligible",
                                                            "no_contact"]), on=answered)
        return
    onward = services.onward_referral_accept(onward=onward, actor=worker, version=onward.version,
                                             on=answered)
    day = answered
    for _ in range(rng.randint(1, 4)):
        day += dt.timedelta(days=rng.randint(3, 10))
        if day > today:
            break
        attended = rng.random() > 0.15
        services.vcse_contact_log(onward=onward, actor=worker, data=services.VcseContactInput(
            on=day, mode=rng.choice(["in_person", "in_person", "telephone", "group"]),
            attendance="attended" if attended else "did_not_attend",
            duration_minutes=rng.choice([30, 45, 60, 90]),
            support_types=rng.sample(service.categories, rng.randint(1, min(
                2, len(service.categories)))) if attended else []))
    onward.refresh_from_db()
    last = onward.contacts.order_by("-on").values_list("on", flat=True).first()
    if last is not None and (today - answered).days > 35:
        services.onward_referral_close(
            onward=onward, actor=worker, version=onward.version,
            outcome=rng.choice(["completed", "completed", "ongoing", "disengaged"]),
            note="Finished our one-to-one support; they know they can come back.",
            on=min(last + dt.timedelta(days=7), today))
