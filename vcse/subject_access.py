"""Onward referrals to VCSE services, consents, VCSE contacts and messages, for a subject access
request
(pcns.subject_access)."""

from __future__ import annotations

from pcns.subject_access import Section, record_of, register
from referrals.subject_access import people_of
from vcse.models import (
    Consent,
    OnwardMessage,
    OnwardReferral,
    OnwardReferralEvent,
    VcseContact,
)


def sections(person) -> list[Section]:
    onward = list(OnwardReferral.objects.filter(person__in=people_of(person)).select_related(
        "referral", "person", "service", "organisation", "sent_by", "responded_by"
    ).order_by("sent_at", "pk"))
    onward_section = Section(key="onward_referrals", title="Onward referrals to VCSE services")
    for row in onward:
        onward_section.records.append(
            record_of(row, title=f"Onward referral to {row.service}", exclude=["version"]))
    consents = Section(key="consents", title="Consents to share")
    for row in Consent.objects.filter(onward_referral__in=onward).select_related(
            "onward_referral__service", "organisation", "recorded_by", "withdrawn_recorded_by"
    ).order_by("recorded_at", "pk"):
        consents.records.append(record_of(row, title=f"Consent for {row.organisation}"))
    contacts = Section(key="vcse_contacts", title="Contacts with VCSE services")
    for row in VcseContact.objects.filter(onward_referral__in=onward).select_related(
            "onward_referral__service", "organisation", "staff__user", "recorded_by"):
        contacts.records.append(record_of(row, title=f"Contact with {row.organisation} on "
                                                     f"{row.on:%d/%m/%Y}"))
    events = Section(key="onward_referral_events", title="Onward referral history")
    for row in OnwardReferralEvent.objects.filter(onward_referral__in=onward).select_related(
            "onward_referral__service", "actor").order_by("at", "pk"):
        events.records.append(record_of(row, title=f"{row.get_kind_display()} on "
                                                   f"{row.effective_on:%d/%m/%Y}"))
    messages = Section(key="onward_messages",
                       title="Messages between the referring team and VCSE services")
    for row in OnwardMessage.objects.filter(onward_referral__in=onward).select_related(
            "onward_referral__service", "organisation", "author").order_by("sent_at", "pk"):
        messages.records.append(record_of(row, title=f"Message about the onward referral to "
                                                     f"{row.onward_referral.service}"))
    return [onward_section, consents, contacts, events, messages]


register(order=30, name="vcse", contributor=sections)
