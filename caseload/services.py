"""Every write to care records: contacts, assessments, care plans, interventions, outcome
measures, risk concerns, and discharge.

Like referrals.services, each service owns its transaction, validates every field before saving
anything (so a form shows all its errors at once), checks the referral's state through
referrals.states, and appends the referral event and the audit row in the same transaction.
Services do not decide who may act; views and the API ask caseload.permissions first. They do
check that the staff *named on* a record (the assessor, who delivered an intervention) may hold
that record, whoever types it in.

Recording care locks the referral's row (so a discharge and a new contact cannot interleave) but
does not change its ``version``: a contact typed in while a lead reallocates the referral is not a
conflict. Changing a record that can change (a contact's outcome, a care plan, an intervention's
end, a concern's acknowledgement) compares that record's own ``version``; the referral is locked
before the record, the order a discharge takes them in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from caseload import alerts
from caseload.codes import (
    ASSESSING_KINDS,
    CLINICAL_INTERVENTION_KINDS,
    OUTCOMES,
    TOOLS,
    AssessmentKind,
    Attendance,
    ContactMode,
    ContactPurpose,
    CoProducer,
    InterventionKind,
    OutcomeTool,
)
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from caseload.tasks import notify_risk_concern
from config.exceptions import Conflict
from pcns.models import AuditAction, Membership, Organisation, Role, Team, TeamMembership, User
from pcns.roles import CLINICAL_ROLES
from pcns.services import audit_record
from referrals.codes import DischargeReason
from referrals.models import JointWorker, Referral
from referrals.services import (
    append_event,
    effective_date,
    lock_referral,
    raise_errors,
    require_code,
    save_referral,
)
from referrals.states import EventKind, Status, check_transition

#: Roles that may not assess, plan care or deliver clinical interventions (SPEC section 2).
NON_CLINICAL_ROLES = frozenset({Role.PEER_SUPPORT, Role.CONNECTOR})
#: Roles that assess, write care plans, deliver clinical interventions and discharge.
PRACTITIONER_ROLES = CLINICAL_ROLES - NON_CLINICAL_ROLES

#: Discharge reasons that are a step up or down: recorded as such, with where the person went.
STEP_EVENTS = {
    DischargeReason.STEPPED_UP: EventKind.STEPPED_UP,
    DischargeReason.STEPPED_DOWN: EventKind.STEPPED_DOWN,
}

# --------------------------------------------------------------------------- helpers


def _today() -> dt.date:
    return timezone.localdate()


def _now_time() -> dt.time:
    return timezone.localtime().time()


def _stale(thing: str) -> Conflict:
    return Conflict(f"Someone else changed this {thing} since you read it. "
                    "Reload it to see their change, then try again.")


def _lock_for_care(referral: Referral, event: EventKind) -> Referral:
    """The referral's row, locked, if care of this kind can be recorded in its state."""
    current = Referral.objects.select_for_update().select_related("tenant").get(pk=referral.pk)
    check_transition(current.status, event)
    return current


def _lock_referral_of(model, pk, event: EventKind) -> Referral | None:
    """Lock a care record's referral (checking ``event`` may happen) before the record itself:
    the order a discharge takes them in, so the two queue instead of deadlocking."""
    referral_id = model.objects.filter(pk=pk).values_list("referral_id", flat=True).get()
    if referral_id is None:
        return None
    return _lock_for_care(Referral(pk=referral_id), event)


def _record_event(
    referral: Referral, *, actor: User, kind: EventKind, on: dt.date, details: dict[str, Any]
) -> None:
    append_event(referral, actor=actor, kind=kind, from_status=referral.status, on=on,
                 details=details)


def _check_date(errors: dict, name: str, value: dt.date | None, referral: Referral | None, *,
                label: str, allow_future: bool = False) -> None:
    if value is None:
        errors.setdefault(name, []).append(f"Enter the date {label}.")
        return
    if not allow_future and value > _today():
        errors.setdefault(name, []).append(f"The date {label} cannot be in the future.")
    if referral is not None and value < referral.received_on:
        errors.setdefault(name, []).append(
            f"The date {label} cannot be before the referral was received "
            f"({referral.received_on:%d/%m/%Y})."
        )


def _check_staff(errors: dict, name: str, membership: Membership | None, *, team_id,
                 referral: Referral | None, roles=CLINICAL_ROLES, doing: str) -> None:
    """``membership`` works in the referral's team (or holds the referral), in one of ``roles``."""
    if membership is None:
        errors.setdefault(name, []).append("Choose the staff member.")
        return
    if not membership.is_active or membership.role not in CLINICAL_ROLES:
        errors.setdefault(name, []).append(f"{membership.user} does not work with people here.")
        return
    if membership.role not in roles:
        errors.setdefault(name, []).append(
            f"{membership.get_role_display()}s do not {doing}."
        )
        return
    in_team = TeamMembership.objects.filter(membership=membership, team_id=team_id).exists()
    holds = referral is not None and (
        referral.worker_id == membership.pk
        or JointWorker.objects.filter(referral=referral, membership=membership).exists()
    )
    if not (in_team or holds):
        errors.setdefault(name, []).append(f"{membership.user} does not work in this team.")


def _clean_text(errors: dict, name: str, value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors.setdefault(name, []).append(message)
    return value


# --------------------------------------------------------------------------- contacts


@dataclass
class ContactInput:
    on: dt.date | None
    mode: str
    attendance: str
    purpose: str
    at: dt.time | None = None
    duration_minutes: int | None = None
    direct: bool = True
    staff: Membership | None = None  # the actor's membership when not given
    note: str = ""
    team: Team | None = None  # only for a contact with no referral
    organisation: Organisation | None = None  # only for a contact with no referral


def _check_when(errors: dict, attendance: str, on: dt.date | None, at: dt.time | None) -> None:
    if on is None or attendance not in OUTCOMES:
        return
    if on > _today() or (on == _today() and at is not None and at > _now_time()):
        errors.setdefault("on", []).append(
            "A contact that has happened cannot be in the future. Book it instead, and record "
            "what happened on the day."
        )


def _clean_contact(data: ContactInput, referral: Referral | None, team_id) -> None:
    errors: dict[str, list[str]] = {}
    require_code(errors, "mode", data.mode, ContactMode)
    require_code(errors, "attendance", data.attendance, Attendance)
    require_code(errors, "purpose", data.purpose, ContactPurpose)
    _check_date(errors, "on", data.on, referral, label="of the contact", allow_future=True)
    _check_when(errors, data.attendance, data.on, data.at)
    if data.duration_minutes is not None and not 1 <= data.duration_minutes <= 720:
        errors["duration_minutes"] = ["Enter a duration from 1 to 720 minutes."]
    _check_staff(errors, "staff", data.staff, team_id=team_id, referral=referral,
                 doing="record contacts")
    if referral is not None and data.organisation is not None:
        errors["organisation"] = ["Only a contact with no referral names an organisation."]
    raise_errors(errors)


@transaction.atomic
def contact_record(*, actor: User, referral: Referral | None, data: ContactInput) -> Contact:
    """Book an appointment (attendance ``booked``, any date from the referral on) or record a
    contact that happened (not in the future, not before the referral was received).

    With no referral the contact belongs to ``data.team`` (advice to a GP about someone not
    referred); it then carries no person and no referral event.
    """
    if data.staff is None:
        data.staff = actor.membership
    if referral is not None:
        event = (EventKind.CONTACT_BOOKED if data.attendance == Attendance.BOOKED
                 else EventKind.CONTACT_RECORDED)
        referral = _lock_for_care(referral, event)
        team_id = referral.team_id
    else:
        if data.team is None:
            raise ValidationError({"team": ["Choose the team this contact was for."]})
        team_id = data.team.pk
    _clean_contact(data, referral, team_id)
    contact = Contact.objects.create(
        tenant_id=data.staff.tenant_id,
        referral=referral,
        team_id=team_id,
        staff=data.staff,
        staff_role=data.staff.role,
        on=data.on,
        at=data.at,
        duration_minutes=data.duration_minutes,
        mode=data.mode,
        attendance=data.attendance,
        direct=data.direct,
        purpose=data.purpose,
        organisation=data.organisation,
        note=data.note.strip(),
        recorded_by=actor,
    )
    if referral is not None:
        _record_event(referral, actor=actor, kind=event, on=data.on,
                      details=_contact_details(contact))
    audit_record(actor=actor, action=AuditAction.CREATE, target=contact)
    return contact


def _contact_details(contact: Contact) -> dict[str, Any]:
    return {"contact": str(contact.pk), "mode": contact.get_mode_display(),
            "attendance": contact.get_attendance_display(),
            "staff": str(contact.staff.user)}


@transaction.atomic
def contact_record_outcome(
    *,
    contact: Contact,
    actor: User,
    version: int,
    attendance: str,
    on: dt.date | None = None,
    at: dt.time | None = None,
    duration_minutes: int | None = None,
    note: str = "",
) -> Contact:
    """Say what happened at a booked appointment. The date and time default to the booking's;
    a note is added to the booking's."""
    referral = _lock_referral_of(Contact, contact.pk, EventKind.CONTACT_RECORDED)
    current = Contact.objects.select_for_update().get(pk=contact.pk)
    if current.version != version:
        raise _stale("contact")
    if current.attendance != Attendance.BOOKED:
        raise ValidationError({"attendance": ["This contact already has an outcome."]})
    errors: dict[str, list[str]] = {}
    if attendance == Attendance.BOOKED:
        errors["attendance"] = ["Choose what happened."]
    else:
        require_code(errors, "attendance", attendance, Attendance)
    on = on or current.on
    at = at if at is not None else current.at
    _check_date(errors, "on", on, referral, label="of the contact", allow_future=True)
    _check_when(errors, attendance, on, at)
    if duration_minutes is not None and not 1 <= duration_minutes <= 720:
        errors["duration_minutes"] = ["Enter a duration from 1 to 720 minutes."]
    raise_errors(errors)
    current.attendance = attendance
    current.on = on
    current.at = at
    if duration_minutes is not None:
        current.duration_minutes = duration_minutes
    if note.strip():
        current.note = "\n\n".join(part for part in [current.note, note.strip()] if part)
    current.version += 1
    current.save(update_fields=["attendance", "on", "at", "duration_minutes", "note", "version"])
    if referral is not None:
        _record_event(referral, actor=actor, kind=EventKind.CONTACT_RECORDED, on=on,
                      details=_contact_details(current))
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current,
                 fields=["attendance", "on", "at", "duration_minutes", "note"])
    return current


# --------------------------------------------------------------------------- assessments


@dataclass
class AssessmentInput:
    kind: str
    assessed_on: dt.date | None
    summary: str
    risk_summary: str = ""
    assessor: Membership | None = None  # the actor's membership when not given
    contact: Contact | None = None


#: Kinds whose record must say what the risks are.
RISK_REQUIRED_KINDS = frozenset(
    {AssessmentKind.INITIAL, AssessmentKind.BIOPSYCHOSOCIAL, AssessmentKind.RISK}
)


def _check_contact_link(errors: dict, contact: Contact | None, referral: Referral) -> None:
    if contact is not None and contact.referral_id != referral.pk:
        errors["contact"] = ["Choose a contact on this referral."]


@transaction.atomic
def assessment_record(*, referral: Referral, actor: User, data: AssessmentInput) -> Assessment:
    """Record an assessment once; later referrals in the episode reuse it. The first assessing
    kind (METRICS.md "meaningful assessment") moves an allocated referral to active."""
    referral = _lock_for_care(referral, EventKind.ASSESSMENT_RECORDED)
    assessor = data.assessor or actor.membership
    errors: dict[str, list[str]] = {}
    require_code(errors, "kind", data.kind, AssessmentKind)
    _check_date(errors, "assessed_on", data.assessed_on, referral, label="of the assessment")
    summary = _clean_text(errors, "summary", data.summary, "Enter a summary of the assessment.")
    risk = (data.risk_summary or "").strip()
    if data.kind in RISK_REQUIRED_KINDS and not risk:
        errors["risk_summary"] = ["Enter the risks and what keeps the person safe."]
    _check_staff(errors, "assessor", assessor, team_id=referral.team_id, referral=referral,
                 roles=PRACTITIONER_ROLES, doing="record assessments")
    _check_contact_link(errors, data.contact, referral)
    raise_errors(errors)
    assessment = Assessment.objects.create(
        tenant_id=referral.tenant_id, referral=referral, kind=data.kind,
        assessed_on=data.assessed_on, assessor=assessor, contact=data.contact, summary=summary,
        risk_summary=risk, recorded_by=actor,
    )
    _record_event(referral, actor=actor, kind=EventKind.ASSESSMENT_RECORDED,
                  on=data.assessed_on, details={"kind": assessment.get_kind_display(),
                                                "assessment": str(assessment.pk)})
    audit_record(actor=actor, action=AuditAction.CREATE, target=assessment)
    if data.kind in ASSESSING_KINDS and referral.status == Status.ALLOCATED:
        _activate(referral, actor=actor, on=data.assessed_on)
    return assessment


def _activate(referral: Referral, *, actor: User, on: dt.date) -> None:
    from_status = referral.status
    referral.status = check_transition(referral.status, EventKind.ACTIVATED)
    save_referral(referral, ["status"])
    append_event(referral, actor=actor, kind=EventKind.ACTIVATED, from_status=from_status,
                 on=max(on, referral.allocated_on or on))
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral, fields=["status"])


# --------------------------------------------------------------------------- care plans


@dataclass
class CarePlanInput:
    goals: list[str]
    co_produced_with: list[str]
    review_trigger: str
    safety_plan: str
    agreed_on: dt.date | None = None  # empty: a draft, not yet agreed with the person
    review_by: dt.date | None = None


def _clean_care_plan(data: CarePlanInput, referral: Referral) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    goals = [goal.strip() for goal in data.goals if goal and goal.strip()]
    if not goals:
        errors["goals"] = ["Enter at least one goal, in the person's words."]
    producers = list(dict.fromkeys(data.co_produced_with))
    if not producers:
        errors["co_produced_with"] = ["Say who the plan was written with."]
    for code in producers:
        require_code(errors, "co_produced_with", code, CoProducer)
    review_trigger = _clean_text(errors, "review_trigger", data.review_trigger,
                                 "Say what should prompt a review of the plan.")
    safety_plan = _clean_text(errors, "safety_plan", data.safety_plan,
                              "Enter the safety and crisis plan.")
    if data.agreed_on is not None:
        _check_date(errors, "agreed_on", data.agreed_on, referral, label="the plan was agreed")
    if data.review_by is not None:
        earliest = data.agreed_on or _today()
        if data.review_by < earliest:
            errors["review_by"] = ["The review date cannot be before the plan was agreed."]
    raise_errors(errors)
    return {"goals": goals, "co_produced_with": producers, "review_trigger": review_trigger,
            "safety_plan": safety_plan, "agreed_on": data.agreed_on,
            "review_by": data.review_by}


@transaction.atomic
def care_plan_save(
    *, referral: Referral, actor: User, version: int | None, data: CarePlanInput
) -> CarePlanVersion:
    """Save the referral's care plan as a new version; earlier versions are kept as they were.

    ``version`` is the number of the latest version the author read: None (or 0) to start the
    plan. If someone saved a version in between, the author gets Conflict, not an overwrite.
    """
    referral = _lock_for_care(referral, EventKind.CARE_PLAN_SAVED)
    values = _clean_care_plan(data, referral)
    plan = CarePlan.objects.select_for_update().filter(referral=referral).first()
    if plan is None:
        if version:
            raise _stale("care plan")
        plan = CarePlan.objects.create(tenant_id=referral.tenant_id, referral=referral,
                                       version=1)
        number = 1
    else:
        if version != plan.version:
            raise _stale("care plan")
        number = plan.version + 1
        plan.version = number
        plan.save(update_fields=["version"])
    saved = CarePlanVersion.objects.create(
        tenant_id=referral.tenant_id, plan=plan, number=number, recorded_by=actor, **values
    )
    on = values["agreed_on"] or _today()
    _record_event(referral, actor=actor, kind=EventKind.CARE_PLAN_SAVED, on=on,
                  details={"version": number, "care_plan_version": str(saved.pk),
                           "agreed_on": values["agreed_on"].isoformat()
                           if values["agreed_on"] else ""})
    audit_record(actor=actor, action=AuditAction.CREATE, target=saved)
    return saved


# --------------------------------------------------------------------------- interventions


@dataclass
class InterventionInput:
    kind: str
    started_on: dt.date | None
    description: str = ""
    ended_on: dt.date | None = None
    delivered_by: Membership | None = None  # the actor's membership when not given
    contact: Contact | None = None


@transaction.atomic
def intervention_start(
    *, referral: Referral, actor: User, data: InterventionInput
) -> Intervention:
    """Record an intervention from its start. Clinical kinds (therapy, psychosocial, medication
    or physical health) are delivered by practitioners only."""
    referral = _lock_for_care(referral, EventKind.INTERVENTION_STARTED)
    delivered_by = data.delivered_by or actor.membership
    errors: dict[str, list[str]] = {}
    require_code(errors, "kind", data.kind, InterventionKind)
    _check_date(errors, "started_on", data.started_on, referral, label="it started")
    if data.ended_on is not None:
        _check_date(errors, "ended_on", data.ended_on, referral, label="it ended")
        if data.started_on and data.ended_on < data.started_on:
            errors.setdefault("ended_on", []).append("The end cannot be before the start.")
    roles = PRACTITIONER_ROLES if data.kind in CLINICAL_INTERVENTION_KINDS else CLINICAL_ROLES
    _check_staff(errors, "delivered_by", delivered_by, team_id=referral.team_id,
                 referral=referral, roles=roles, doing="deliver clinical interventions")
    _check_contact_link(errors, data.contact, referral)
    raise_errors(errors)
    intervention = Intervention.objects.create(
        tenant_id=referral.tenant_id, referral=referral, kind=data.kind,
        description=data.description.strip(), started_on=data.started_on,
        ended_on=data.ended_on, delivered_by=delivered_by, contact=data.contact,
        recorded_by=actor,
    )
    _record_event(referral, actor=actor, kind=EventKind.INTERVENTION_STARTED,
                  on=data.started_on, details={"kind": intervention.get_kind_display(),
                                               "intervention": str(intervention.pk)})
    audit_record(actor=actor, action=AuditAction.CREATE, target=intervention)
    return intervention


@transaction.atomic
def intervention_end(
    *, intervention: Intervention, actor: User, version: int, ended_on: dt.date | None
) -> Intervention:
    referral = _lock_referral_of(Intervention, intervention.pk, EventKind.INTERVENTION_ENDED)
    current = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if current.version != version:
        raise _stale("intervention")
    if current.ended_on is not None:
        raise ValidationError({"ended_on": ["This intervention has already ended."]})
    errors: dict[str, list[str]] = {}
    _check_date(errors, "ended_on", ended_on, referral, label="it ended")
    if ended_on is not None and ended_on < current.started_on:
        errors.setdefault("ended_on", []).append(
            f"The end cannot be before the start ({current.started_on:%d/%m/%Y})."
        )
    raise_errors(errors)
    current.ended_on = ended_on
    current.version += 1
    current.save(update_fields=["ended_on", "version"])
    _record_event(referral, actor=actor, kind=EventKind.INTERVENTION_ENDED, on=ended_on,
                  details={"kind": current.get_kind_display(),
                           "intervention": str(current.pk)})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current, fields=["ended_on"])
    return current


# --------------------------------------------------------------------------- outcome measures


def _item_error(errors: dict, number: int, label: str, message: str) -> None:
    name = f"Item {number}"
    if label != name:  # ReQoL-10's items are labelled by number only
        name = f"{name} ({label})"
    errors.setdefault("items", []).append(
        ValidationError(f"{name}: {message}", code="item", params={"item": number})
    )


def _clean_items(tool: str, items: list, wants_more_help: list | None) -> dict[str, list]:
    """Each item checked on its own, so the message names every item that is wrong."""
    spec = TOOLS[tool]
    errors: dict[str, list] = {}
    if not isinstance(items, list | tuple) or len(items) != len(spec.items):
        errors["items"] = [f"{spec.tool.label} has {len(spec.items)} items: enter a score for "
                           "each."]
    else:
        for number, (label, value) in enumerate(zip(spec.items, items, strict=True), start=1):
            if value is None or value == "":
                _item_error(errors, number, label, "enter a score.")
            elif isinstance(value, bool) or not isinstance(value, int):
                _item_error(errors, number, label, "enter a whole number.")
            elif not spec.minimum <= value <= spec.maximum:
                _item_error(errors, number, label,
                            f"enter a score from {spec.minimum} to {spec.maximum}.")
    help_answers = list(wants_more_help or [])
    if spec.asks_wants_more_help:
        if len(help_answers) != len(spec.items) or any(
            not isinstance(answer, bool) for answer in help_answers
        ):
            errors["wants_more_help"] = [
                f"Say, for each of the {len(spec.items)} items, whether the person wants more "
                "help (yes or no)."
            ]
    elif help_answers:
        errors["wants_more_help"] = [f"{spec.tool.label} does not ask about more help."]
    return errors


@transaction.atomic
def outcome_record(
    *,
    referral: Referral,
    actor: User,
    tool: str,
    completed_on: dt.date | None,
    items: list,
    wants_more_help: list | None = None,
    contact: Contact | None = None,
) -> OutcomeMeasure:
    """Record a completed questionnaire; its score is computed here from the items. An answer
    that signals risk (caseload.alerts.RULES) raises an alert in the same transaction."""
    referral = _lock_for_care(referral, EventKind.OUTCOME_RECORDED)
    errors: dict[str, list] = {}
    require_code(errors, "tool", tool, OutcomeTool)
    _check_date(errors, "completed_on", completed_on, referral, label="it was completed")
    _check_contact_link(errors, contact, referral)
    if tool in TOOLS:
        errors.update(_clean_items(tool, items, wants_more_help))
    raise_errors(errors)
    spec = TOOLS[tool]
    score, subscores = spec.score(list(items))
    measure = OutcomeMeasure.objects.create(
        tenant_id=referral.tenant_id, referral=referral, tool=tool, completed_on=completed_on,
        items=list(items), wants_more_help=list(wants_more_help or []), score=score,
        subscores=subscores, contact=contact, recorded_by=actor,
    )
    _record_event(referral, actor=actor, kind=EventKind.OUTCOME_RECORDED, on=completed_on,
                  details={"tool": spec.tool.label, "score": str(score),
                           "outcome_measure": str(measure.pk)})
    audit_record(actor=actor, action=AuditAction.CREATE, target=measure)
    alerts.alerts_raise(record=measure, referral=referral)
    return measure


# --------------------------------------------------------------------------- risk concerns


@transaction.atomic
def risk_concern_raise(*, referral: Referral, actor: User, concern: str) -> RiskConcern:
    """Any worker on the referral may raise a concern; the team's leads are told at once by
    email (which names no one: they sign in to read it)."""
    referral = _lock_for_care(referral, EventKind.RISK_CONCERN_RAISED)
    errors: dict[str, list[str]] = {}
    text = _clean_text(errors, "concern", concern, "Describe the concern.")
    raise_errors(errors)
    raised = RiskConcern.objects.create(tenant_id=referral.tenant_id, referral=referral,
                                        raised_by=actor, concern=text)
    _record_event(referral, actor=actor, kind=EventKind.RISK_CONCERN_RAISED, on=_today(),
                  details={"concern": str(raised.pk)})
    audit_record(actor=actor, action=AuditAction.CREATE, target=raised)
    tenant_id, concern_id = str(raised.tenant_id), str(raised.pk)
    transaction.on_commit(
        lambda: notify_risk_concern.delay(tenant_id=tenant_id, concern_id=concern_id)
    )
    return raised


@transaction.atomic
def risk_concern_acknowledge(
    *, concern: RiskConcern, actor: User, version: int, response: str
) -> RiskConcern:
    referral = _lock_referral_of(RiskConcern, concern.pk, EventKind.RISK_CONCERN_ACKNOWLEDGED)
    current = RiskConcern.objects.select_for_update().get(pk=concern.pk)
    if current.version != version:
        raise _stale("risk concern")
    if current.acknowledged_at is not None:
        raise ValidationError({"response": ["This concern has already been acknowledged."]})
    errors: dict[str, list[str]] = {}
    text = _clean_text(errors, "response", response, "Say what you did about the concern.")
    raise_errors(errors)
    current.acknowledged_by = actor
    current.acknowledged_at = timezone.now()
    current.response = text
    current.version += 1
    current.save(update_fields=["acknowledged_by", "acknowledged_at", "response", "version"])
    _record_event(referral, actor=actor, kind=EventKind.RISK_CONCERN_ACKNOWLEDGED, on=_today(),
                  details={"concern": str(current.pk)})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current,
                 fields=["acknowledged_by", "acknowledged_at", "response"])
    return current


# --------------------------------------------------------------------------- discharge


@transaction.atomic
def referral_discharge(
    *,
    referral: Referral,
    actor: User,
    version: int,
    reason: str,
    on: dt.date | None = None,
    destination: str = "",
    note: str = "",
) -> Referral:
    """Close a referral after care, with a reason. A step up or down is recorded as such (its
    own event) and names where the person went. Interventions still running end on the
    discharge date; booked appointments after it are cancelled by us.

    Not before the referral was received, nor before a contact that happened or the start of
    an intervention still running. A re-referral to the same team within the tenant's window
    then reopens the episode (referrals.services).
    """
    referral = lock_referral(referral, version)
    event = STEP_EVENTS.get(reason, EventKind.DISCHARGED)
    to_status = check_transition(referral.status, event)
    errors: dict[str, list[str]] = {}
    require_code(errors, "reason", reason, DischargeReason)
    try:
        on = effective_date(referral, on, "discharged_on")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        on = None
    last_contact = (
        Contact.objects.filter(referral=referral, attendance__in=OUTCOMES - {Attendance.BOOKED},
                               entered_in_error_at__isnull=True)
        .order_by("-on").values_list("on", flat=True).first()
    )
    if on is not None and last_contact is not None and on < last_contact:
        errors.setdefault("discharged_on", []).append(
            f"The discharge cannot be before the last contact ({last_contact:%d/%m/%Y})."
        )
    # Running interventions end on the discharge date, which cannot be before they started.
    last_start = (
        Intervention.objects.filter(referral=referral, ended_on__isnull=True)
        .order_by("-started_on").values_list("started_on", flat=True).first()
    )
    if on is not None and last_start is not None and on < last_start:
        errors.setdefault("discharged_on", []).append(
            f"The discharge cannot be before the start of an intervention still running "
            f"({last_start:%d/%m/%Y})."
        )
    destination = destination.strip()
    if reason in STEP_EVENTS and not destination:
        errors["destination"] = ["Say which service the person moved to."]
    if reason == DischargeReason.OTHER and not note.strip():
        errors["note"] = ["Explain the reason for discharge."]
    raise_errors(errors)
    from_status = referral.status
    referral.status = to_status
    referral.discharged_on = on
    referral.discharge_reason = reason
    referral.discharge_destination = destination
    referral.discharge_note = note.strip()
    changed = ["status", "discharged_on", "discharge_reason", "discharge_destination",
               "discharge_note"]
    save_referral(referral, changed)
    ended = Intervention.objects.filter(referral=referral, ended_on__isnull=True).update(
        ended_on=on, version=F("version") + 1)
    cancelled = Contact.objects.filter(referral=referral, attendance=Attendance.BOOKED,
                                       on__gte=on).update(
        attendance=Attendance.CANCELLED_BY_PROVIDER, version=F("version") + 1)
    details: dict[str, Any] = {"reason": DischargeReason(reason).label}
    if destination:
        details["destination"] = destination
    if ended:
        details["interventions_ended"] = ended
    if cancelled:
        details["appointments_cancelled"] = cancelled
    append_event(referral, actor=actor, kind=event, from_status=from_status, on=on,
                 reason=referral.discharge_note, details=details)
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral, fields=changed)
    return referral
