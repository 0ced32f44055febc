"""Turn onward referrals into what the VCSE inbox pages show, so templates hold no logic.

Everything here reads the onward referral's own columns, its ``shared`` snapshot, its consent,
contacts and events: never ``onward.referral`` or ``onward.person`` (a partner sees only what
the person agreed to share).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from config.templating import uk_date
from vcse.codes import (
    ClosureOutcome,
    DeclineReason,
    OnwardEventKind,
    OnwardStatus,
    SupportCategory,
)
from vcse.models import OnwardReferral, OnwardReferralEvent, VcseContact
from vcse.selectors import INBOX_TABS, partner_access_ended
from vcse.workdays import working_days_between

STATUS_TAG = {
    OnwardStatus.SENT: "nhsuk-tag--blue",
    OnwardStatus.ACCEPTED: "nhsuk-tag--aqua-green",
    OnwardStatus.IN_PROGRESS: "nhsuk-tag--green",
    OnwardStatus.DECLINED: "nhsuk-tag--grey",
    OnwardStatus.CLOSED: "nhsuk-tag--grey",
    OnwardStatus.WITHDRAWN: "nhsuk-tag--red",
}

UNANSWERED_TAG = {"text": "No answer after 10 working days", "classes": "nhsuk-tag--red"}

ATTENDANCE_TAG = {
    "attended": "nhsuk-tag--green",
    "did_not_attend": "nhsuk-tag--red",
    "cancelled": "nhsuk-tag--grey",
}


def shared_name(onward: OnwardReferral) -> str:
    shared = onward.shared or {}
    return " ".join(p for p in (shared.get("given_name", ""), shared.get("family_name", ""))
                    if p) or "Name not shared"


def status_tag(onward: OnwardReferral) -> dict[str, str]:
    return {"text": OnwardStatus(onward.status).label, "classes": STATUS_TAG[onward.status]}


def unanswered_tag(onward: OnwardReferral) -> dict[str, str] | None:
    if onward.flagged_unanswered_at and onward.status == OnwardStatus.SENT:
        return UNANSWERED_TAG
    return None


def _labels(codes) -> str:
    return ", ".join(SupportCategory(code).label for code in codes or [])


def _outcome(onward: OnwardReferral) -> str:
    if onward.status == OnwardStatus.CLOSED and onward.outcome:
        return ClosureOutcome(onward.outcome).label
    if onward.status == OnwardStatus.DECLINED and onward.decline_reason:
        return f"Declined: {DeclineReason(onward.decline_reason).label}"
    return ""


def inbox_tabs(counts: dict[str, int], current: str) -> list[dict]:
    base = reverse("vcse:inbox")
    return [
        {"code": code, "label": label, "count": counts.get(code, 0),
         "href": f"{base}?tab={code}", "selected": code == current}
        for code, (label, _statuses) in INBOX_TABS.items()
    ]


WITHDRAWN_TAG = {"text": "Withdrawn", "classes": STATUS_TAG[OnwardStatus.WITHDRAWN]}


def ended_row(onward: OnwardReferral) -> dict:
    """An onward referral the partner may no longer see (withdrawn, or consent ended): its
    reference and dates, and nothing about the person, not even the service it was for."""
    consent = onward.consent
    withdrawn = consent.withdrawn_on is not None
    ended_on = consent.withdrawn_on if withdrawn else min(
        consent.expires_on + dt.timedelta(days=1), timezone.localdate())
    if onward.status != OnwardStatus.WITHDRAWN:
        # Finished by the partner (closed or declined) before consent ended: that outcome is
        # what happened, and it stays; only the person's details go.
        return {
            "ended": True,
            "reference": onward.reference,
            "sent_on": uk_date(onward.sent_on),
            "status": {"text": onward.get_status_display(),
                       "classes": STATUS_TAG.get(onward.status, "")},
            "outcome": ("Consent withdrawn since: details no longer shown" if withdrawn
                        else "Consent ended since: details no longer shown"),
            "closed_on": uk_date(onward.closed_on or onward.responded_on or ended_on),
        }
    return {
        "ended": True,
        "reference": onward.reference,
        "sent_on": uk_date(onward.sent_on),
        "status": WITHDRAWN_TAG,
        "outcome": "Withdrawn by the referrer" if withdrawn else "Withdrawn: consent ended",
        "closed_on": uk_date(ended_on),
    }


def inbox_rows(onwards, today: dt.date | None = None) -> list[dict]:
    """Rows of the inbox list; each onward referral carries ``contact_count``
    (selectors.inbox_for_user). In the Closed tab, those whose access has ended are bare
    (``ended_row``)."""
    today = today or timezone.localdate()
    return [
        ended_row(o) if partner_access_ended(o, today) else {
            "href": reverse("vcse:inbox-detail", args=[o.pk]),
            "name": shared_name(o),
            "service": o.service.name,
            "sent_on": uk_date(o.sent_on),
            "waiting": (working_days_between(o.sent_on, today)
                        if o.status == OnwardStatus.SENT else None),
            "status": status_tag(o),
            "unanswered": unanswered_tag(o),
            "contacts": o.contact_count,
            "outcome": _outcome(o),
            "closed_on": uk_date(o.closed_on or o.responded_on) if _outcome(o) else "",
        }
        for o in onwards
    ]


def shown_in_full(onwards, today: dt.date | None = None) -> list[OnwardReferral]:
    """The rows that show the person's shared details (to audit); not the bare ones."""
    return [o for o in onwards if not partner_access_ended(o, today)]


# --------------------------------------------------------------------------- the detail page


def snapshot_rows(onward: OnwardReferral) -> list[tuple[str, str]]:
    """The minimal data set as it was shared, and nothing else."""
    shared = onward.shared or {}
    rows = [
        ("Name", shared_name(onward)),
        ("Phone", shared.get("phone") or "Not shared"),
        ("Email", shared.get("email") or "Not shared"),
        ("Address", shared.get("address") or "Not shared"),
        ("Postcode", shared.get("postcode") or "Not shared"),
        ("Preferred contact method", shared.get("preferred_contact_method") or "Not stated"),
        ("Needs", ", ".join(shared.get("needs") or []) or "None given"),
    ]
    if shared.get("risk"):
        rows.append(("Risk information", shared["risk"]))
    return rows


def _answer(onward: OnwardReferral) -> str:
    if onward.responded_on is None:
        return "Not answered yet"
    by = f" by {onward.responded_by}" if onward.responded_by_id else ""
    when = f"{uk_date(onward.responded_on)}{by}"
    if onward.status == OnwardStatus.DECLINED:
        reason = DeclineReason(onward.decline_reason).label if onward.decline_reason else ""
        note = f". {onward.decline_note}" if onward.decline_note else ""
        return f"Declined on {when}: {reason}{note}"
    return f"Accepted on {when}"


def _sender(onward: OnwardReferral, sender_teams: list[str]) -> str:
    teams = f" ({', '.join(sender_teams)})" if sender_teams else ""
    return f"{uk_date(onward.sent_on)} by {onward.sent_by}{teams}"


def referral_rows(onward: OnwardReferral, *, sender_teams: list[str]) -> list[tuple[str, str]]:
    """What the referrer asked for, under what consent, and where it stands."""
    consent = onward.consent
    rows = [
        ("Service", onward.service.name),
        ("Reason for the onward referral", onward.reason),
        ("Sent", _sender(onward, sender_teams)),
        ("Consent given for", consent.purpose),
        ("Consent lasts until", uk_date(consent.expires_on)),
        ("Status", OnwardStatus(onward.status).label),
        ("Answer", _answer(onward)),
    ]
    if onward.status == OnwardStatus.CLOSED:
        outcome = ClosureOutcome(onward.outcome).label if onward.outcome else "Not recorded"
        rows.append(("Outcome", f"{outcome} (closed {uk_date(onward.closed_on)})"))
        rows.append(("Note for the referrer", onward.outcome_note or "None"))
    return rows


def contact_rows(contacts: list[VcseContact]) -> list[dict]:
    return [
        {
            "date": uk_date(c.on),
            "mode": c.get_mode_display(),
            "attendance": {"text": c.get_attendance_display(),
                           "classes": ATTENDANCE_TAG.get(c.attendance, "nhsuk-tag--grey")},
            "duration": f"{c.duration_minutes} min" if c.duration_minutes else "Not recorded",
            "support": _labels(c.support_types) or "None",
            "note": c.note,
            "by": str(c.staff.user),
        }
        for c in contacts
    ]


def _event_detail(event: OnwardReferralEvent) -> str:
    details = event.details or {}
    parts = []
    for key in ("service", "reason", "outcome", "mode", "attendance"):
        if details.get(key):
            parts.append(str(details[key]))
    if details.get("support"):
        parts.append(", ".join(details["support"]))
    return "; ".join(parts)


def event_rows(events: list[OnwardReferralEvent]) -> list[dict]:
    return [
        {
            "date": uk_date(e.effective_on),
            "what": OnwardEventKind(e.kind).label,
            "by": e.actor_label,
            "detail": _event_detail(e),
        }
        for e in events
    ]


def heading(onward: OnwardReferral) -> dict[str, str]:
    return {"name": shared_name(onward), "service": onward.service.name}
