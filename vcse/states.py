"""The onward referral state machine: the only place that says which change may follow which.

    sent ─accept─> accepted ─first contact─> in_progress ─close─> closed
      └─decline─> declined         └──────────close──────────────┘
    any open state ─consent withdrawn, or its end date passed─> withdrawn
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from vcse.codes import OnwardEventKind, OnwardStatus

#: The partner can still act on these (and sees them in its inbox as new, accepted or in
#: progress).
OPEN = frozenset({OnwardStatus.SENT, OnwardStatus.ACCEPTED, OnwardStatus.IN_PROGRESS})
#: Contacts and closing happen once the partner has accepted.
WORKING = frozenset({OnwardStatus.ACCEPTED, OnwardStatus.IN_PROGRESS})

#: event -> (statuses it may follow, status after it; None keeps the status)
TRANSITIONS: dict[OnwardEventKind, tuple[frozenset[str], str | None]] = {
    OnwardEventKind.ACCEPTED: (frozenset({OnwardStatus.SENT}), OnwardStatus.ACCEPTED),
    OnwardEventKind.DECLINED: (frozenset({OnwardStatus.SENT}), OnwardStatus.DECLINED),
    OnwardEventKind.CONTACT_LOGGED: (WORKING, OnwardStatus.IN_PROGRESS),
    OnwardEventKind.CLOSED: (WORKING, OnwardStatus.CLOSED),
    OnwardEventKind.WITHDRAWN: (OPEN, OnwardStatus.WITHDRAWN),
    OnwardEventKind.CONSENT_ENDED: (OPEN, OnwardStatus.WITHDRAWN),
    OnwardEventKind.FLAGGED_UNANSWERED: (frozenset({OnwardStatus.SENT}), None),
}

_VERBS = {
    OnwardEventKind.ACCEPTED: "accepted",
    OnwardEventKind.DECLINED: "declined",
    OnwardEventKind.CONTACT_LOGGED: "given a contact (accept it first)",
    OnwardEventKind.CLOSED: "closed",
    OnwardEventKind.WITHDRAWN: "withdrawn",
    OnwardEventKind.CONSENT_ENDED: "ended for lapsed consent",
    OnwardEventKind.FLAGGED_UNANSWERED: "flagged as unanswered",
}


class IllegalOnwardTransition(ValidationError):
    """A change the onward referral's current status does not allow."""


def check_transition(status: str, event: OnwardEventKind) -> str:
    """The status after ``event``, or IllegalOnwardTransition with a message to act on."""
    sources, target = TRANSITIONS[event]
    if status not in sources:
        label = OnwardStatus(status).label.split(":")[0].lower()
        raise IllegalOnwardTransition(
            f"This onward referral is {label}, so it cannot be {_VERBS[event]}.",
            code="illegal",
        )
    return target or status
