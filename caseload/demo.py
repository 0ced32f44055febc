"""Care for the demo's allocated referrals: contacts (with a DNA now and then), an assessment,
a baseline DIALOG, a care plan and a booked next appointment. Made through the services, so the
timeline and audit log look as they would in use."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from caseload import services
from caseload.codes import TOOLS, OutcomeTool
from pcns.tenancy import tenant_context
from referrals.models import Referral
from referrals.states import Status

GOALS = [
    "Sleep through most nights", "Get out of the house three times a week",
    "Sort out the debt letters with support", "Feel less on edge at work",
    "See friends again", "Understand my medication",
]


def load_care(tenant_id, *, seed: int = 2026) -> int:
    """Returns how many referrals were given care records."""
    rng = random.Random(f"care-{seed}-{tenant_id}")  # noqa: S311 - made-up demo data
    today = timezone.localdate()
    made = 0
    with tenant_context(tenant_id):
        referrals = (Referral.objects.filter(status=Status.ALLOCATED)
                     .select_related("worker__user").order_by("received_on", "id"))
        for referral in referrals:
            if (today - referral.received_on).days < 7 or rng.random() < 0.3:
                continue  # recently allocated: nothing yet
            _care(rng, referral, today)
            made += 1
    return made


def _care(rng: random.Random, referral: Referral, today: dt.date) -> None:
    worker = referral.worker
    actor = worker.user
    first = referral.received_on + dt.timedelta(days=rng.randint(2, 6))
    if rng.random() < 0.25:
        services.contact_record(actor=actor, referral=referral, data=services.ContactInput(
            on=first, mode="telephone", attendance="dna", purpose="assessment"))
        first += dt.timedelta(days=2)
    first = min(first, today)
    contact = services.contact_record(actor=actor, referral=referral, data=services.ContactInput(
        on=first, at=dt.time(rng.choice([9, 10, 11, 14, 15]), 0),
        mode=rng.choice(["face_to_face", "telephone", "video"]), attendance="attended",
        purpose="assessment", duration_minutes=rng.choice([45, 60, 60, 75])))
    if worker.role in services.PRACTITIONER_ROLES:
        services.assessment_record(referral=referral, actor=actor, data=services.AssessmentInput(
            kind="initial", assessed_on=first, contact=contact,
            summary="Low mood and worry about money; sleeping badly; supportive sister nearby.",
            risk_summary="No thoughts of self-harm. Safety plan shared with the person."))
        services.care_plan_save(referral=referral, actor=actor, version=None,
                                data=services.CarePlanInput(
                                    goals=rng.sample(GOALS, 2),
                                    co_produced_with=["person"], agreed_on=first,
                                    review_trigger="If sleep or mood gets worse, or money "
                                                   "worries grow",
                                    safety_plan="Call NHS 111 (option 2) any time for urgent "
                                                "mental health help; call 999 in an "
                                                "emergency."))
    spec = TOOLS[OutcomeTool.DIALOG]
    services.outcome_record(
        referral=referral, actor=actor, tool=OutcomeTool.DIALOG, completed_on=first,
        items=[rng.randint(2, 5) for _ in spec.items],
        wants_more_help=[rng.random() < 0.4 for _ in spec.items], contact=contact)
    services.contact_record(actor=actor, referral=referral, data=services.ContactInput(
        on=today + dt.timedelta(days=rng.randint(1, 14)), at=dt.time(10, 30),
        mode="face_to_face", attendance="booked", purpose="review"))
