"""Turn people and referrals into what a page shows, so templates hold no logic."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from config.pages import choice_items
from config.templating import uk_date, uk_datetime
from referrals import triage_facts
from referrals.codes import (
    ETHNIC_BROAD_GROUP,
    ContactMethod,
    EthnicCategory,
    Gender,
    NhsNumberMissingReason,
    PresentingNeed,
    Sex,
)
from referrals.models import Person, Referral, ReferralEvent
from referrals.states import Status
from referrals.validators import format_nhs_number

#: NHS.UK tag colour per status.
STATUS_TAG = {
    Status.AWAITING_TRIAGE: "nhsuk-tag--blue",
    Status.AWAITING_MDT: "nhsuk-tag--purple",
    Status.ACCEPTED: "nhsuk-tag--aqua-green",
    Status.ALLOCATED: "nhsuk-tag--green",
    Status.ACTIVE: "nhsuk-tag--green",
    Status.REDIRECTED: "nhsuk-tag--yellow",
    Status.REJECTED: "nhsuk-tag--red",
    Status.DISCHARGED: "nhsuk-tag--grey",
}
#: Shown on a self-referral until the team has checked who the person is.
IDENTITY_UNCHECKED_TAG = {"text": "Identity not yet checked", "classes": "nhsuk-tag--orange"}
URGENCY_TAG = {"emergency": "nhsuk-tag--red", "urgent": "nhsuk-tag--orange",
               "routine": "nhsuk-tag--white"}


def status_tag(referral: Referral) -> dict[str, str]:
    return {"text": referral.get_status_display(), "classes": STATUS_TAG[referral.status]}


def identity_tag(referral: Referral) -> dict[str, str] | None:
    return None if referral.identity_checked else IDENTITY_UNCHECKED_TAG


def needs_text(codes: list[str]) -> str:
    return ", ".join(PresentingNeed(code).label for code in codes) or "None recorded"


def nhs_number_text(person: Person) -> str:
    if person.nhs_number:
        return format_nhs_number(person.nhs_number)
    return f"Not known ({person.get_nhs_number_missing_reason_display().lower()})"


def age_on(person: Person, day: dt.date) -> int:
    born = person.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def wait_text(days: int) -> dict[str, str]:
    """Days waiting, highlighted from 14 days and again from 28 (the 4-week standard)."""
    text = "1 day" if days == 1 else f"{days} days"
    if days >= 28:
        return {"text": text, "classes": "nhsuk-tag--red", "band": "28 days or more"}
    if days >= 14:
        return {"text": text, "classes": "nhsuk-tag--orange", "band": "14 days or more"}
    return {"text": text, "classes": "", "band": ""}


#: The flag on a row whose referral has a risk alert no lead has acknowledged yet.
ALERT_TAG = {"text": "Open risk alert", "classes": "nhsuk-tag--red"}


def queue_rows(referrals, today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    rows = []
    for referral in referrals:
        person = referral.person
        rows.append({
            "href": reverse("referrals:detail", args=[referral.pk]),
            "name": person.full_name,
            "nhs_number": nhs_number_text(person),
            "age": age_on(person, today),
            "received": uk_date(referral.received_on),
            "wait": wait_text((today - referral.received_on).days),
            "urgency": {"text": referral.get_urgency_display(),
                        "classes": URGENCY_TAG[referral.urgency]},
            "source": referral.get_source_display(),
            "identity": identity_tag(referral),
            "team": referral.team.name,
            "pcn": referral.team.host.name,
            "status": status_tag(referral),
            "needs": needs_text(referral.presenting_needs),
            # The facts for triage (referrals/triage_facts.py).
            "reason": triage_facts.reason_excerpt(referral.reason),
            "risk_flags": triage_facts.risk_flags(referral),
            "other_referrals": getattr(referral, "other_referrals", None),
            "person_href": reverse("referrals:person-detail", args=[person.pk]),
            "mdt_note": referral.mdt_note,
            "triage_href": reverse("referrals:triage", args=[referral.pk]),
            # Annotated by caseload through referrals.hooks.queue_annotations.
            "alert": ALERT_TAG if getattr(referral, "open_alerts", False) else None,
        })
    return rows


def person_rows(person: Person) -> list[tuple[str, str]]:
    contact = {"telephone": person.phone, "text": person.phone, "email": person.email,
               "letter": person.address}
    return [
        ("NHS number", nhs_number_text(person)),
        ("Date of birth", f"{uk_date(person.date_of_birth)} (age "
                          f"{age_on(person, timezone.localdate())})"),
        ("Sex", person.get_sex_display()),
        ("Gender", person.get_gender_display()),
        ("Ethnicity", f"{person.get_ethnicity_display()} "
                      f"({ETHNIC_BROAD_GROUP[person.ethnicity]})"),
        ("Postcode", person.postcode or "Not recorded"),
        ("Deprivation decile", str(person.imd_decile) if person.imd_decile else "Not known"),
        ("Registered practice", person.registered_practice.name
         if person.registered_practice else "Not recorded"),
        ("Interpreter", f"Needed: {person.language}" if person.interpreter_needed else
         "Not needed" + (f" (speaks {person.language})" if person.language else "")),
        ("Preferred contact", f"{person.get_preferred_contact_method_display()}: "
                              f"{contact[person.preferred_contact_method] or 'not recorded'}"),
        ("Phone", person.phone or "Not recorded"),
        ("Email", person.email or "Not recorded"),
        ("Address", person.address or "Not recorded"),
    ]


def referral_rows(referral: Referral, joint_workers) -> list[tuple[str, str]]:
    rows = [
        ("Team", referral.team.name),
        ("Received", uk_date(referral.received_on)),
        ("Entered", uk_datetime(referral.entered_at)),
        ("Source", referral.get_source_display()),
        ("Referrer", ", ".join(filter(None, [
            referral.referrer_name,
            referral.referrer_organisation.name if referral.referrer_organisation else "",
        ])) or "Not recorded"),
        ("Urgency", referral.get_urgency_display()),
        ("Presenting needs", needs_text(referral.presenting_needs)),
        ("Reason for referral", referral.reason or "Not recorded"),
    ]
    if not referral.identity_checked:
        rows.append(("Identity", "Not yet checked: a self-referral sent through the public "
                                 "form. Check who the person is before sharing anything."))
    if referral.previous_referral_id:
        rows.append(("Follows", "A referral discharged within the re-referral window"))
    if referral.triaged_on:
        rows.append(("Triage decision", uk_date(referral.triaged_on)))
    if referral.redirect_destination:
        rows.append(("Redirected to", referral.get_redirect_destination_display()))
    if referral.rejection_reason:
        rows.append(("Rejection reason", referral.get_rejection_reason_display()))
    if referral.decision_note:
        rows.append(("Decision note", referral.decision_note))
    if referral.mdt_note:
        rows.append(("For the MDT", referral.mdt_note))
    if referral.worker_id:
        rows.append(("Named worker", str(referral.worker.user)))
        joint = ", ".join(str(m.user) for m in joint_workers)
        rows.append(("Joint workers", joint or "None"))
        rows.append(("Allocated", uk_date(referral.allocated_on)))
    if referral.discharged_on:
        text = f"{uk_date(referral.discharged_on)}: {referral.get_discharge_reason_display()}"
        if referral.discharge_destination:
            text += f", to {referral.discharge_destination}"
        rows.append(("Discharged", text))
    return rows


def _event_summary(event: ReferralEvent) -> str:
    details = event.details or {}
    if event.kind == "received":
        summary = f"Received by {details.get('team', '')} from {details.get('source', '')}"
        if "re_referral_of" in details:
            summary += " (a re-referral within the window after a discharge)"
        return summary
    if event.kind == "accepted":
        return f"Accepted into {details.get('team', '')} as {details.get('urgency', '').lower()}"
    if event.kind == "redirected":
        return f"Redirected to {details.get('destination', '')}"
    if event.kind == "rejected":
        return f"Rejected: {details.get('reason', '')}"
    if event.kind == "flagged_for_mdt":
        return f"Flagged for the {details.get('team', '')} MDT meeting"
    if event.kind in {"allocated", "reallocated"}:
        joint = details.get("joint_workers") or []
        text = f"{event.get_kind_display()} to {details.get('worker', '')}"
        return text + (f", with {', '.join(joint)}" if joint else "")
    if event.kind in {"discharged", "stepped_up", "stepped_down"}:
        text = f"{event.get_kind_display()}: {details.get('reason', '')}"
        if details.get("destination"):
            text += f", to {details['destination']}"
        return text
    if event.kind == "reopened":
        return "Episode reopened: a re-referral soon after discharge carries on the same care"
    if event.kind in {"contact_booked", "contact_recorded"}:
        verb = "Booked" if event.kind == "contact_booked" else "Contact"
        return (f"{verb}: {details.get('mode', '')}, {details.get('attendance', '').lower()}"
                f" ({details.get('staff', '')})")
    if event.kind == "assessment_recorded":
        return f"{details.get('kind', 'Assessment')} recorded"
    if event.kind == "care_plan_saved":
        agreed = details.get("agreed_on")
        state = f"agreed {uk_date(dt.date.fromisoformat(agreed))}" if agreed else "draft"
        return f"Care plan version {details.get('version', '')} saved ({state})"
    if event.kind in {"intervention_started", "intervention_ended"}:
        verb = "started" if event.kind == "intervention_started" else "ended"
        return f"{details.get('kind', 'Intervention')} {verb}"
    if event.kind == "outcome_recorded":
        return f"{details.get('tool', '')} recorded: score {details.get('score', '')}"
    if event.kind == "identity_checked":
        return "Identity checked: who the person is was confirmed"
    if event.kind == "risk_concern_raised" and details.get("rule"):
        return "Safety alert raised automatically: an answer signals risk"
    if event.kind == "onward_referral_sent":
        return (f"Onward referral sent to {details.get('service', '')} "
                f"({details.get('organisation', '')}) with consent")
    if event.kind == "record_entered_in_error":
        return f"{details.get('record', 'Record')} marked entered in error"
    if event.kind in CORRECTION_EVENTS:
        changed = len(details.get("fields") or [])
        return (f"{details.get('record', 'Record')} amended: {changed} "
                f"detail{'' if changed == 1 else 's'} changed")
    return event.get_kind_display()


#: Events that correct a record: their details name the revision holding its earlier version.
CORRECTION_EVENTS = frozenset({"record_amended", "record_entered_in_error", "referral_amended",
                               "person_amended"})
#: The keys under which care events name their record (caseload/services.py).
RECORD_KEYS = ("contact", "assessment", "intervention", "outcome_measure", "care_plan_version",
               "concern")


def _struck(event: ReferralEvent, struck: set[str]) -> bool:
    """A care event about a record since marked entered in error (not the correction itself)."""
    if event.kind in CORRECTION_EVENTS or not struck:
        return False
    details = event.details or {}
    return any(details.get(key) in struck for key in RECORD_KEYS)


def timeline_rows(events, struck: set[str] | None = None) -> list[dict]:
    """``struck``: ids of care records entered in error, whose events are shown struck
    through (caseload.corrections.entered_in_error_ids)."""
    struck = struck or set()
    return [
        {
            "struck": _struck(event, struck),
            "revision_href": (reverse("caseload:revision", args=[event.details["revision"]])
                              if event.kind in CORRECTION_EVENTS
                              and (event.details or {}).get("revision") else ""),
            "title": event.get_kind_display(),
            "summary": _event_summary(event),
            "effective": uk_date(event.effective_on),
            "at": uk_datetime(event.at),
            "by": event.actor_label,
            "change": (f"{Status(event.from_status).label} to {Status(event.to_status).label}"
                       if event.from_status and event.from_status != event.to_status
                       else Status(event.to_status).label),
            "reason": event.reason,
        }
        for event in events
    ]


def candidate_rows(candidates) -> list[dict]:
    return [
        {
            "id": str(m.pk),
            "name": str(m.user),
            "role": m.get_role_display(),
            "hint": f"{m.get_role_display()}. Caseload: {m.named_count} as named worker, "
                    f"{m.joint_count} as joint worker"
                    + (f" ({m.wte:.2f} WTE)" if m.wte is not None else ""),
            "named": m.named_count,
            "joint": m.joint_count,
        }
        for m in candidates
    ]


def practice_rows(referrals) -> list[dict]:
    return [
        {
            "name": r.person.full_name,
            "nhs_number": nhs_number_text(r.person),
            "received": uk_date(r.received_on),
            "team": r.team.name,
            "status": status_tag(r),
            "outcome": practice_outcome(r),
        }
        for r in referrals
    ]


def practice_outcome(referral: Referral) -> str:
    """What the referring practice is told of a decision: the decision, where to or why, as
    labels from the code lists. Never a note: those hold clinical detail."""
    status = referral.status
    if status in {Status.AWAITING_TRIAGE, Status.AWAITING_MDT}:
        return "Not decided yet"
    decided = f" on {uk_date(referral.triaged_on)}" if referral.triaged_on else ""
    if status == Status.REDIRECTED:
        return f"Redirected{decided} to {referral.get_redirect_destination_display()}"
    if status == Status.REJECTED:
        return f"Rejected{decided}: {referral.get_rejection_reason_display()}"
    if status == Status.DISCHARGED:
        text = (f"Discharged on {uk_date(referral.discharged_on)}: "
                f"{referral.get_discharge_reason_display()}")
        return text + (f", to {referral.discharge_destination}"
                       if referral.discharge_destination else "")
    return f"Accepted{decided} by {referral.team.name}"


def duplicate_rows(people) -> list[dict]:
    return [
        {
            "id": str(p.pk),
            "name": p.full_name,
            "hint": f"NHS number {nhs_number_text(p)}. Born {uk_date(p.date_of_birth)}. "
                    f"{p.registered_practice.name if p.registered_practice else ''}".strip(),
        }
        for p in people
    ]


def identity_choices(value) -> dict:
    """The choice items of a person's identity fields (sex, gender, ethnicity, why the NHS
    number is missing, how to contact them), for every form that takes a person's details.
    ``value(name, default)`` is what the field shows (config.pages.field_value)."""
    return {
        "sex": choice_items(Sex.choices, value("sex")),
        "gender": choice_items(Gender.choices, value("gender", Gender.NOT_STATED)),
        "ethnicity": choice_items(EthnicCategory.choices,
                                  value("ethnicity", EthnicCategory.NOT_STATED)),
        "missing": choice_items(NhsNumberMissingReason.choices,
                                value("nhs_number_missing_reason"), blank="Not applicable"),
        "contact": choice_items(ContactMethod.choices,
                                value("preferred_contact_method", ContactMethod.TELEPHONE)),
    }
