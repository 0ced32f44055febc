"""The referral state machine: every status, and every transition allowed between them.

This is the only place that says which change may follow which. Each transition is carried out by
one service in referrals/services.py, which calls ``check_transition`` before it changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models


class Status(models.TextChoices):
    AWAITING_TRIAGE = "awaiting_triage", "Awaiting triage"
    AWAITING_MDT = "awaiting_mdt", "Awaiting MDT discussion"
    ACCEPTED = "accepted", "Accepted, awaiting allocation"
    ALLOCATED = "allocated", "Allocated, awaiting assessment"
    ACTIVE = "active", "Active"
    REDIRECTED = "redirected", "Redirected"
    REJECTED = "rejected", "Rejected"
    DISCHARGED = "discharged", "Discharged"


#: A person may have one open referral per team at a time.
OPEN_STATUSES = frozenset(
    {Status.AWAITING_TRIAGE, Status.AWAITING_MDT, Status.ACCEPTED, Status.ALLOCATED, Status.ACTIVE}
)
#: Waiting for a triage decision (the triage queue).
UNTRIAGED_STATUSES = frozenset({Status.AWAITING_TRIAGE, Status.AWAITING_MDT})
#: In a worker's caseload.
CASELOAD_STATUSES = frozenset({Status.ALLOCATED, Status.ACTIVE})
#: Accepted by a team and not yet closed: where assessments, plans and discharges happen.
TRIAGED_OPEN = frozenset({Status.ACCEPTED, Status.ALLOCATED, Status.ACTIVE})


class EventKind(models.TextChoices):
    RECEIVED = "received", "Referral received"
    ACCEPTED = "accepted", "Accepted"
    REDIRECTED = "redirected", "Redirected with a warm handover"
    REJECTED = "rejected", "Rejected"
    FLAGGED_FOR_MDT = "flagged_for_mdt", "Flagged for the MDT meeting"
    ALLOCATED = "allocated", "Allocated"
    REALLOCATED = "reallocated", "Reallocated"
    DISCHARGED = "discharged", "Discharged"
    STEPPED_UP = "stepped_up", "Stepped up to secondary care"
    STEPPED_DOWN = "stepped_down", "Stepped down to primary care"
    REOPENED = "reopened", "Episode reopened"
    ACTIVATED = "activated", "Active: first assessment recorded"
    CONTACT_BOOKED = "contact_booked", "Appointment booked"
    CONTACT_RECORDED = "contact_recorded", "Contact recorded"
    ASSESSMENT_RECORDED = "assessment_recorded", "Assessment recorded"
    CARE_PLAN_SAVED = "care_plan_saved", "Care plan saved"
    INTERVENTION_STARTED = "intervention_started", "Intervention started"
    INTERVENTION_ENDED = "intervention_ended", "Intervention ended"
    OUTCOME_RECORDED = "outcome_recorded", "Outcome measure recorded"
    RISK_CONCERN_RAISED = "risk_concern_raised", "Risk concern raised"
    RISK_CONCERN_ACKNOWLEDGED = "risk_concern_acknowledged", "Risk concern acknowledged"
    ONWARD_REFERRAL_SENT = "onward_referral_sent", "Onward referral sent to a VCSE partner"
    PERSON_MERGED = "person_merged", "Person record merged"
    PERSON_UNMERGED = "person_unmerged", "Person record merge undone"
    IMPORTED = "imported", "Imported from another system"
    IDENTITY_CHECKED = "identity_checked", "Identity checked"
    TRIAGE_ESCALATED = "triage_escalated", "Not triaged in time: the team's leads were emailed"
    RECORD_AMENDED = "record_amended", "Record amended"
    RECORD_ENTERED_IN_ERROR = "record_entered_in_error", "Record marked entered in error"
    REFERRAL_AMENDED = "referral_amended", "Referral details amended"
    PERSON_AMENDED = "person_amended", "Person's details amended"


@dataclass(frozen=True)
class Transition:
    event: EventKind
    sources: frozenset[str]
    target: str | None  # None: the status does not change
    verb: str  # for messages: "A referral that is <status> cannot be <verb>."


TRANSITIONS: dict[EventKind, Transition] = {
    t.event: t
    for t in [
        Transition(EventKind.ACCEPTED, UNTRIAGED_STATUSES, Status.ACCEPTED, "accepted"),
        Transition(EventKind.REDIRECTED, UNTRIAGED_STATUSES, Status.REDIRECTED, "redirected"),
        Transition(EventKind.REJECTED, UNTRIAGED_STATUSES, Status.REJECTED, "rejected"),
        Transition(
            EventKind.FLAGGED_FOR_MDT, frozenset({Status.AWAITING_TRIAGE}), Status.AWAITING_MDT,
            "flagged for the MDT meeting",
        ),
        Transition(
            EventKind.ALLOCATED, frozenset({Status.ACCEPTED}), Status.ALLOCATED, "allocated"
        ),
        Transition(EventKind.REALLOCATED, CASELOAD_STATUSES, None, "reallocated"),
        Transition(EventKind.DISCHARGED, TRIAGED_OPEN, Status.DISCHARGED, "discharged"),
        Transition(EventKind.STEPPED_UP, TRIAGED_OPEN, Status.DISCHARGED, "stepped up"),
        Transition(EventKind.STEPPED_DOWN, TRIAGED_OPEN, Status.DISCHARGED, "stepped down"),
        Transition(
            EventKind.REOPENED, frozenset({Status.AWAITING_TRIAGE}), Status.ACCEPTED, "reopened"
        ),
        Transition(EventKind.ACTIVATED, frozenset({Status.ALLOCATED}), Status.ACTIVE,
                   "made active"),
        # Care records: the status does not change, but the referral must be in a state where
        # care is given. Contacts are possible from the first triage call.
        Transition(EventKind.CONTACT_BOOKED, OPEN_STATUSES, None, "given an appointment"),
        Transition(EventKind.CONTACT_RECORDED, OPEN_STATUSES, None, "given a contact"),
        Transition(EventKind.ASSESSMENT_RECORDED, TRIAGED_OPEN, None, "assessed"),
        Transition(EventKind.CARE_PLAN_SAVED, TRIAGED_OPEN, None, "given a care plan"),
        Transition(EventKind.INTERVENTION_STARTED, TRIAGED_OPEN, None,
                   "given an intervention"),
        Transition(EventKind.INTERVENTION_ENDED, OPEN_STATUSES | {Status.DISCHARGED}, None,
                   "given an intervention end"),
        Transition(EventKind.OUTCOME_RECORDED, TRIAGED_OPEN, None,
                   "given an outcome measure"),
        Transition(EventKind.RISK_CONCERN_RAISED, OPEN_STATUSES, None,
                   "given a risk concern"),
        # In any state: an alert on a referral since redirected or rejected must not stay open.
        Transition(EventKind.RISK_CONCERN_ACKNOWLEDGED, frozenset(Status), None,
                   "given an acknowledgement"),
        Transition(EventKind.ONWARD_REFERRAL_SENT, OPEN_STATUSES, None,
                   "referred on to a VCSE partner"),
        Transition(EventKind.IDENTITY_CHECKED, OPEN_STATUSES, None,
                   "marked as identity checked"),
    ]
}

#: Events that record care rather than change a referral's status.
CARE_EVENTS = frozenset(
    {EventKind.CONTACT_BOOKED, EventKind.CONTACT_RECORDED, EventKind.ASSESSMENT_RECORDED,
     EventKind.CARE_PLAN_SAVED, EventKind.INTERVENTION_STARTED, EventKind.INTERVENTION_ENDED,
     EventKind.OUTCOME_RECORDED, EventKind.RISK_CONCERN_RAISED,
     EventKind.RISK_CONCERN_ACKNOWLEDGED, EventKind.ONWARD_REFERRAL_SENT}
)
#: Ways a referral is closed after care: discharge, or a step up or down (also a discharge).
DISCHARGE_EVENTS = frozenset({EventKind.DISCHARGED, EventKind.STEPPED_UP, EventKind.STEPPED_DOWN})


class IllegalTransition(ValidationError):
    """A change the state machine does not allow from the referral's current status."""


def check_transition(status: str, event: EventKind) -> str:
    """The status after ``event``, or IllegalTransition with a message a person can act on."""
    transition = TRANSITIONS[event]
    if status not in transition.sources:
        label = Status(status).label.lower()
        raise IllegalTransition(
            f"This referral is {label}, so it cannot be {transition.verb}.", code="illegal"
        )
    return transition.target or status


def allowed_events(status: str) -> list[EventKind]:
    return [event for event, t in TRANSITIONS.items() if status in t.sources]
