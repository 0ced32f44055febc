"""The demo's service directory and onward referrals.

Each demo VCSE organisation lists its services (after the support types in the Sheffield VCSE
activity table); some of the people in care are referred on with consent, and the partners
answer, log contacts and close, so the inbox, the referrer's view and the activity report have
something to show. Written through the services, deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from pcns.models import Membership, Organisation, OrganisationKind, Role
from pcns.roles import CLINICAL_ROLES
from pcns.tenancy import tenant_context
from referrals.models import Referral
from referrals.states import TRIAGED_OPEN
from vcse import services
from vcse.models import OnwardReferral, Service
from vcse.workdays import working_days_between

#: Organisation name -> its services: (name, categories, eligibility, description).
DIRECTORY: dict[str, list[tuple[str, list[str], str, str]]] = {
    "Sheffield Mind": [
        ("Community support and peer groups",
         ["peer_support", "social_groups", "personal_development"],
         "Adults in Sheffield living with their mental health.",
         "Weekly peer groups, one-to-one support and a wellbeing programme."),
    ],
    "Sheffield African Caribbean Mental Health Association": [
        ("Community wellbeing service", ["holistic_needs", "social_groups", "peer_support"],
         "Adults of African and Caribbean heritage, and their families.",
         "Culturally informed support, a drop-in and social activities."),
    ],
    "Age UK Sheffield": [
        ("Holistic support for older people",
         ["holistic_needs", "welfare_benefits", "housing", "caring", "physical_health",
          "fuel_poverty"],
         "People aged 50 and over, and their carers.",
         "A holistic needs assessment, a full benefits check, and help with housing, caring, "
         "keeping warm and keeping well."),
    ],
    "Cutlery Works Money Advice Project": [
        ("Debt and welfare advice", ["debt_advice", "welfare_benefits", "other"],
         "Adults in Sheffield; no other criteria.",
         "Debt advice, social welfare advice (benefits, bills, appeals) and other advice."),
    ],
    "Green Shoots Community Garden Trust": [
        ("Garden and walk and talk groups",
         ["community_garden", "walk_and_talk", "social_groups", "volunteering"],
         "Adults who can get to the garden; the walks are step-free.",
         "A garden self-care group, walk and talk sessions, social groups and volunteering."),
    ],
    "Ironside Boxing and Wellbeing Club": [
        ("Exercise and personal development", ["physical_health", "personal_development",
                                               "debt_advice"],
         "Adults of any fitness; no experience needed.",
         "Non-contact boxing fitness sessions, personal development planning and debt support."),
    ],
    "Larchwood Learning and Skills Trust": [
        ("Learning, volunteering and employment",
         ["employment", "volunteering", "social_groups", "physical_health"],
         "Adults looking to learn, volunteer or get back to work.",
         "Training and education, volunteering and employment support, hobby groups and "
         "activities for physical health."),
    ],
    "Leeds Mind": [
        ("Recovery and employment support", ["employment", "peer_support",
                                             "personal_development"],
         "Adults in Leeds.", "Peer support, recovery courses and help into work."),
    ],
    "Leeds Involving People": [
        ("Peer involvement", ["peer_support", "volunteering"],
         "Adults in Leeds who want to have their say and help others.",
         "Peer involvement groups and volunteering."),
    ],
    "Harebell Community Connect": [
        ("Community wellbeing connectors", ["social_groups", "walk_and_talk", "holistic_needs"],
         "Adults in Leeds.", "Connectors who help people find local groups and activities."),
    ],
}

REASONS = [
    "Money worries are making things worse; would like help sorting out debts and benefits.",
    "Lonely since moving here; keen to meet people and get out more.",
    "Wants to get fitter and into a routine; likes being outdoors.",
    "Would like to get back into work or volunteering when ready.",
    "Caring for a parent and struggling to keep on top of things at home.",
]


def load_directory(tenant_id) -> int:
    """The services of the tenant's VCSE organisations; returns how many were listed."""
    made = 0
    with tenant_context(tenant_id):
        admin = Membership.objects.filter(role=Role.TENANT_ADMIN, is_active=True).first()
        for organisation in Organisation.objects.filter(kind=OrganisationKind.VCSE):
            for name, categories, eligibility, description in DIRECTORY.get(
                    organisation.name, []):
                services.service_create(
                    actor=admin.user, organisation=organisation,
                    data=services.ServiceInput(
                        name=name, categories=categories, eligibility=eligibility,
                        description=description, area_note="City-wide",
                        email=f"referrals@{_domain(organisation.name)}.example.org",
                        phone="0114 496 0" + f"{made:03d}"[-3:],
                        capacity_note="" if made % 3 else "About a three-week wait for "
                                                          "one-to-one support."))
                made += 1
    return made


def _domain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:20]


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
