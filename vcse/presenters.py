"""Turn directory entries and onward referrals into what the pages show, so templates hold no
logic."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from config.templating import uk_date, uk_datetime
from vcse.codes import OnwardEventKind, OnwardStatus, SupportCategory
from vcse.models import Consent, OnwardReferral, OnwardReferralEvent, Service, VcseContact

#: NHS.UK tag colour per onward referral status.
ONWARD_STATUS_TAG = {
    OnwardStatus.SENT: "nhsuk-tag--blue",
    OnwardStatus.ACCEPTED: "nhsuk-tag--aqua-green",
    OnwardStatus.IN_PROGRESS: "nhsuk-tag--green",
    OnwardStatus.DECLINED: "nhsuk-tag--red",
    OnwardStatus.CLOSED: "nhsuk-tag--grey",
    OnwardStatus.WITHDRAWN: "nhsuk-tag--orange",
}

NOT_GIVEN = "Not given"


def onward_status_tag(onward: OnwardReferral) -> dict[str, str]:
    return {"text": onward.get_status_display(), "classes": ONWARD_STATUS_TAG[onward.status]}


def open_tag(service: Service) -> dict[str, str]:
    if service.is_open:
        return {"text": "Open to referrals", "classes": "nhsuk-tag--green"}
    return {"text": "Closed to referrals", "classes": "nhsuk-tag--grey"}


def categories_text(codes: list[str]) -> str:
    return ", ".join(SupportCategory(code).label for code in codes) or "None recorded"


def areas_text(service: Service) -> str:
    """The PCNs covered (from the prefetched ``areas``), or the whole place, and the note."""
    names = ", ".join(area.name for area in service.areas.all()) or "The whole place"
    return f"{names} ({service.area_note})" if service.area_note else names


# --------------------------------------------------------------------------- the directory


def service_cards(services) -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "href": reverse("vcse:service-detail", args=[s.pk]),
            "organisation": s.organisation.name,
            "categories": categories_text(s.categories),
            "open": open_tag(s),
            "capacity": s.capacity_note,
            "areas": areas_text(s),
        }
        for s in services
    ]


def service_rows(service: Service) -> list[tuple[str, str]]:
    return [
        ("Organisation", service.organisation.name),
        ("Referrals", "Open" if service.is_open else "Closed at the moment"),
        ("Capacity", service.capacity_note or NOT_GIVEN),
        ("What it offers", categories_text(service.categories)),
        ("Description", service.description or NOT_GIVEN),
        ("Who it is for", service.eligibility or NOT_GIVEN),
        ("Areas covered", areas_text(service)),
        ("Email", service.email or NOT_GIVEN),
        ("Phone", service.phone or NOT_GIVEN),
        ("Website", service.website or NOT_GIVEN),
        ("Address", service.address or NOT_GIVEN),
        ("Open directory feed", "Published" if service.is_published else "Not published"),
        ("Last updated", uk_datetime(service.updated_at)),
    ]


def service_choice_items(services, selected: str = "") -> list[dict[str, Any]]:
    """The services a person may be referred to, each labelled with its organisation."""
    items = [{"value": "", "text": "Choose a service"}]
    for s in services:
        items.append({"value": str(s.pk), "text": f"{s.name} ({s.organisation.name})",
                      "selected": str(s.pk) == str(selected)})
    return items


# --------------------------------------------------------------------------- what is shared


def contact_detail_rows(shared: dict[str, Any]) -> list[tuple[str, str]]:
    """The person's details in a minimal data set (a snapshot, or the preview of one)."""
    return [
        ("Name", f"{shared.get('given_name', '')} {shared.get('family_name', '')}".strip()),
        ("Phone", shared.get("phone") or "Not recorded"),
        ("Email", shared.get("email") or "Not recorded"),
        # Two rows, as the partner's inbox shows them: a postcode alone is not an address.
        ("Address", shared.get("address") or "Not recorded"),
        ("Postcode", shared.get("postcode") or "Not recorded"),
        ("Preferred contact method", shared.get("preferred_contact_method") or "Not recorded"),
    ]


def shared_rows(shared: dict[str, Any]) -> list[tuple[str, str]]:
    """Everything in a snapshot, as the partner sees it."""
    return [
        *contact_detail_rows(shared),
        ("Needs", ", ".join(shared.get("needs") or []) or "None recorded"),
        ("Risk information", shared.get("risk") or "Not shared"),
    ]


# --------------------------------------------------------------------------- the referrer's view


def _by(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else "Unknown"


def onward_rows(onward: OnwardReferral) -> list[tuple[str, str]]:
    rows = [
        ("Service", onward.service.name),
        ("Organisation", onward.organisation.name),
        ("Sent", f"{uk_date(onward.sent_on)} by {_by(onward.sent_by)}"),
        ("Reason", onward.reason),
        ("Needs", categories_text(onward.needs)),
    ]
    if onward.flagged_unanswered_at:
        rows.append(("No answer after 10 working days",
                     f"Flagged {uk_date(onward.flagged_unanswered_at)}"))
    return rows


def awaiting_answer_after_flag(onward: OnwardReferral) -> bool:
    """Flagged as unanswered and still not answered: the referrer should follow it up."""
    return bool(onward.flagged_unanswered_at) and onward.status == OnwardStatus.SENT


def consent_rows(consent: Consent) -> list[tuple[str, str]]:
    given_by = consent.get_given_by_display()
    if consent.given_by_name:
        given_by = f"{consent.given_by_name} ({given_by.lower()})"
    rows = [
        ("Given by", given_by),
        ("Given on", uk_date(consent.given_on)),
        ("To", consent.organisation.name),
        ("Purpose", consent.purpose),
        ("Lasts until", uk_date(consent.expires_on)),
        ("Risk information", "May be shared" if consent.includes_risk else "Not to be shared"),
        ("Recorded", f"{uk_datetime(consent.recorded_at)} by {_by(consent.recorded_by)}"),
    ]
    if consent.withdrawn_on:
        withdrawn = f"{uk_date(consent.withdrawn_on)}"
        if consent.withdrawn_recorded_by_id:
            withdrawn += f", recorded by {_by(consent.withdrawn_recorded_by)}"
        rows.append(("Withdrawn", withdrawn))
        if consent.withdrawal_note:
            rows.append(("Why withdrawn", consent.withdrawal_note))
    return rows


def answer_rows(onward: OnwardReferral) -> list[tuple[str, str]]:
    """The partner's answer and, once closed, the outcome; empty while unanswered."""
    rows: list[tuple[str, str]] = []
    if onward.responded_on:
        answer = "Declined" if onward.decline_reason else "Accepted"
        by = f" by {_by(onward.responded_by)}" if onward.responded_by_id else ""
        rows.append((answer, f"{uk_date(onward.responded_on)}{by}"))
    if onward.decline_reason:
        rows.append(("Reason", onward.get_decline_reason_display()))
        if onward.decline_note:
            rows.append(("Their note", onward.decline_note))
    if onward.closed_on:
        rows.append(("Closed", uk_date(onward.closed_on)))
        rows.append(("Outcome", onward.get_outcome_display()))
        rows.append(("Note for you", onward.outcome_note or "None"))
    return rows


def vcse_contact_rows(contacts: list[VcseContact]) -> list[dict[str, str]]:
    return [
        {
            "date": uk_date(c.on),
            "mode": c.get_mode_display(),
            "attendance": c.get_attendance_display(),
            "duration": f"{c.duration_minutes} min" if c.duration_minutes else "",
            "support": categories_text(c.support_types) if c.support_types else "None",
            "staff": str(c.staff.user),
            "note": c.note,
        }
        for c in contacts
    ]


def _event_summary(event: OnwardReferralEvent) -> str:
    details = event.details or {}
    if event.kind == OnwardEventKind.SENT:
        return f"To {details.get('service', 'the service')}"
    if event.kind == OnwardEventKind.DECLINED:
        return f"Reason: {details.get('reason', '')}"
    if event.kind == OnwardEventKind.CLOSED:
        return f"Outcome: {details.get('outcome', '')}"
    if event.kind == OnwardEventKind.CONTACT_LOGGED:
        support = ", ".join(details.get("support") or []) or "no support recorded"
        return f"{details.get('mode', '')}, {details.get('attendance', '').lower()}: {support}"
    return ""


def event_rows(events) -> list[dict[str, str]]:
    return [
        {
            "title": e.get_kind_display(),
            "effective": uk_date(e.effective_on),
            "at": uk_datetime(e.at),
            "by": e.actor_label,
            "summary": _event_summary(e),
            "status": e.get_to_status_display(),
        }
        for e in events
    ]


# --------------------------------------------------------------------------- the care record


def care_record_rows(onwards) -> list[dict[str, Any]]:
    """The onward referrals made from a referral, for its care record (``contact_count`` is
    annotated by vcse.selectors.onward_referrals_of)."""
    return [
        {
            "href": reverse("vcse:onward-detail", args=[o.pk]),
            "service": o.service.name,
            "organisation": o.organisation.name,
            "sent": uk_date(o.sent_on),
            "status": onward_status_tag(o),
            "contacts": o.contact_count,
            "outcome": o.get_outcome_display() if o.outcome else "",
        }
        for o in onwards
    ]
