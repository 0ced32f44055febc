"""Turn care records into what the caseload pages show, so templates hold no logic."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils import timezone

from caseload.codes import TOOLS, Attendance
from caseload.corrections import kind_of
from caseload.models import Assessment, Contact, Intervention, OutcomeMeasure, RiskConcern
from caseload.selectors import FLAGS, care_flags
from config.templating import uk_date, uk_datetime
from referrals.presenters import nhs_number_text, status_tag

ATTENDANCE_TAG = {
    Attendance.BOOKED: "nhsuk-tag--blue",
    Attendance.ATTENDED: "nhsuk-tag--green",
    Attendance.DNA: "nhsuk-tag--red",
    Attendance.CANCELLED_BY_PATIENT: "nhsuk-tag--grey",
    Attendance.CANCELLED_BY_PROVIDER: "nhsuk-tag--grey",
}


FLAG_TAG = {"open_alert": "nhsuk-tag--red", "no_recent_contact": "nhsuk-tag--red",
            "two_dnas": "nhsuk-tag--red", "review_due": "nhsuk-tag--orange",
            "no_outcome_measure": "nhsuk-tag--yellow"}


def caseload_flags(referral, today: dt.date) -> list[dict[str, str]]:
    return [{"text": FLAGS[code], "classes": FLAG_TAG[code]}
            for code in care_flags(referral, today)]


def caseload_rows(referrals, today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    return [
        {
            "href": reverse("caseload:record", args=[r.pk]),
            "name": r.person.full_name,
            "nhs_number": nhs_number_text(r.person),
            "team": r.team.name,
            "days": (today - r.received_on).days,
            "last_contact": uk_date(r.last_contact_on) if r.last_contact_on else "None yet",
            "next_contact": uk_date(r.next_contact_on) if r.next_contact_on else "None booked",
            "status": status_tag(r),
            "role": "Named worker" if r.is_named_worker else "Joint worker",
            "flags": caseload_flags(r, today),
        }
        for r in referrals
    ]


def _per_wte(total: int, wte) -> str:
    if not wte:
        return "WTE not known"
    return str((Decimal(total) / wte).quantize(Decimal("0.1"), ROUND_HALF_UP))


def team_caseload_rows(members) -> list[dict]:
    return [
        {
            "name": str(m.user),
            "role": m.get_role_display(),
            "awaiting": m.awaiting,
            "active": m.active,
            "named_total": m.named_total,
            "joint": m.joint,
            "wte": f"{m.wte:.2f}" if m.wte is not None else "Not known",
            "per_wte": _per_wte(m.named_total, m.wte),
        }
        for m in members
    ]


def team_referral_rows(referrals, today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    return [
        {
            "name": r.person.full_name,
            "href": reverse("caseload:record", args=[r.pk]),
            "worker": str(r.worker.user) if r.worker_id else "Nobody",
            "worker_id": r.worker_id,
            "days": getattr(r, "waited_days", (today - r.received_on).days),
            "status": status_tag(r),
            "reallocate": reverse("referrals:allocate", args=[r.pk]),
            "alert": ({"text": FLAGS["open_alert"], "classes": FLAG_TAG["open_alert"]}
                      if r.open_alert else None),
        }
        for r in referrals
    ]


def _time(contact: Contact) -> str:
    return contact.at.strftime("%H:%M") if contact.at else ""


def _correct_href(record, may_correct) -> str:
    """The link to correct a record, for those who may (not once it is entered in error)."""
    if may_correct is None or record.entered_in_error_at is not None or not may_correct(record):
        return ""
    return reverse("caseload:correct", args=[kind_of(record).slug, record.pk])


def contact_rows(contacts, *, may_record_outcome: bool, may_correct=None) -> list[dict]:
    return [
        {
            "struck": c.entered_in_error_at is not None,
            "correct_href": _correct_href(c, may_correct),
            "date": uk_date(c.on),
            "time": _time(c),
            "mode": c.get_mode_display(),
            "attendance": {"text": c.get_attendance_display(),
                           "classes": ATTENDANCE_TAG[c.attendance]},
            "purpose": c.get_purpose_display(),
            "direct": "Direct" if c.direct else "Indirect",
            "duration": f"{c.duration_minutes} min" if c.duration_minutes else "",
            "staff": f"{c.staff.user} ({c.staff.get_role_display()})",
            "note": c.note,
            "outcome_href": (reverse("caseload:contact-outcome", args=[c.pk])
                             if may_record_outcome and c.attendance == Attendance.BOOKED
                             and c.entered_in_error_at is None else ""),
        }
        for c in contacts
    ]


def assessment_rows(assessments: list[Assessment], may_correct=None) -> list[dict]:
    return [
        {
            "struck": a.entered_in_error_at is not None,
            "correct_href": _correct_href(a, may_correct),
            "date": uk_date(a.assessed_on),
            "kind": a.get_kind_display(),
            "assessor": str(a.assessor.user),
            "summary": a.summary,
            "risk": a.risk_summary,
        }
        for a in assessments
    ]


def intervention_rows(interventions: list[Intervention], *, may_end,
                      may_correct=None) -> list[dict]:
    return [
        {
            "struck": i.entered_in_error_at is not None,
            "correct_href": _correct_href(i, may_correct),
            "kind": i.get_kind_display(),
            "description": i.description,
            "started": uk_date(i.started_on),
            "ended": uk_date(i.ended_on) if i.ended_on else "Ongoing",
            "by": str(i.delivered_by.user),
            "end_href": (reverse("caseload:intervention-end", args=[i.pk])
                         if i.ended_on is None and i.entered_in_error_at is None and may_end(i)
                         else ""),
        }
        for i in interventions
    ]


def outcome_summary_rows(measures: list[OutcomeMeasure]) -> list[dict]:
    """Per tool: the first (baseline) and latest score."""
    by_tool: dict[str, list[OutcomeMeasure]] = {}
    for measure in measures:
        if measure.entered_in_error_at is not None:
            continue
        by_tool.setdefault(measure.tool, []).append(measure)
    rows = []
    for tool, series in by_tool.items():
        spec = TOOLS[tool]
        first, last = series[0], series[-1]
        rows.append({
            "tool": spec.tool.label,
            "baseline": f"{first.score.normalize():f} on {uk_date(first.completed_on)}",
            "latest": (f"{last.score.normalize():f} on {uk_date(last.completed_on)}"
                       if len(series) > 1 else "Baseline only"),
            "count": len(series),
        })
    return rows


#: Who raised an alert, as the care record and the risk concerns page say it.
SYSTEM_RAISED = "automatic safety alert"


def concern_rows(concerns: list[RiskConcern], *, may_acknowledge,
                 may_correct=None) -> list[dict]:
    return [
        {
            "struck": c.entered_in_error_at is not None,
            "correct_href": _correct_href(c, may_correct),
            "raised": uk_datetime(c.raised_at),
            "by": str(c.raised_by) if c.raised_by_id else SYSTEM_RAISED,
            "concern": c.concern,
            "is_open": c.is_open,
            "status": ({"text": "Open", "classes": "nhsuk-tag--red"} if c.is_open
                       else {"text": "Acknowledged", "classes": "nhsuk-tag--grey"}),
            "response": (f"{c.response} ({c.acknowledged_by}, {uk_datetime(c.acknowledged_at)})"
                         if not c.is_open else ""),
            "acknowledge_href": (reverse("caseload:risk-concern-acknowledge", args=[c.pk])
                                 if c.is_open and c.entered_in_error_at is None
                                 and may_acknowledge(c) else ""),
            "person": c.referral.person.full_name if hasattr(c.referral, "person") else "",
            "team": c.referral.team.name,
            "record_href": reverse("caseload:record", args=[c.referral_id]),
        }
        for c in concerns
    ]


def measure_rows(measures: list[OutcomeMeasure], may_correct=None) -> list[dict]:
    """Each outcome measure recorded, newest first, so one can be corrected."""
    return [
        {
            "struck": m.entered_in_error_at is not None,
            "correct_href": _correct_href(m, may_correct),
            "tool": m.get_tool_display(),
            "date": uk_date(m.completed_on),
            "score": f"{m.score.normalize():f}",
        }
        for m in reversed(measures)
    ]
