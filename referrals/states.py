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


class EventKind(models.TextChoices):
    RECEIVED = "received", "Referral received"
    ACCEPTED = "accepted", "Accepted"
    REDIRECTED = "redirected", "Redirected with a warm handover"
    REJECTED = "rejected", "Rejected"
    FLAGGED_FOR_MDT = "flagged_for_mdt", "Flagged for the MDT meeting"
    ALLOCATED = "allocated", "Allocated"
    REALLOCATED = "reallocated", "Reallocated"
    DISCHARGED = "discharged", "Discharged"
    PERSON_MERGED = "person_merged", "Person record merged"
    PERSON_UNMERGED = "person_unmerged", "Person record merge undone"


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
        Transition(
            EventKind.DISCHARGED,
            frozenset({Status.ACCEPTED, Status.ALLOCATED, Status.ACTIVE}),
            Status.DISCHARGED,
            "discharged",
        ),
    ]
}


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
