"""The person and their referrals, for a subject access request (pcns.subject_access)."""

from __future__ import annotations

from pcns.subject_access import Section, record_of, register
from referrals.models import (
    JointWorker,
    Person,
    PersonMerge,
    Referral,
    ReferralEvent,
    Revision,
)


def people_of(person: Person) -> list[Person]:
    """The person and any duplicate records merged into theirs: the same person."""
    return [person, *Person.objects.filter(merged_into=person).order_by("created_at", "pk")]


def referrals_of(person: Person):
    return Referral.objects.filter(person__in=people_of(person)).select_related(
        "team", "referrer_organisation", "entered_by", "triaged_by", "worker__user",
        "previous_referral").order_by("received_on", "entered_at", "pk")


def sections(person: Person) -> list[Section]:
    people = people_of(person)
    details = Section(key="person", title="Personal details")
    for index, someone in enumerate(people):
        title = "Personal details" if index == 0 else "A duplicate record merged into this one"
        details.records.append(record_of(someone, title=title, exclude=["version"]))
    merges = PersonMerge.objects.filter(kept__in=people) | PersonMerge.objects.filter(
        merged__in=people)
    for merge in merges.select_related("kept", "merged", "merged_by", "undone_by").order_by(
            "merged_at", "pk"):
        details.records.append(record_of(merge, title="Records merged"))

    referrals = list(referrals_of(person))
    referral_section = Section(key="referrals", title="Referrals")
    for referral in referrals:
        referral_section.records.append(record_of(referral, title=str(referral),
                                                  exclude=["version"]))
    for joint in JointWorker.objects.filter(referral__in=referrals).select_related(
            "referral", "membership__user").order_by("pk"):
        referral_section.records.append(record_of(joint, title="Joint worker"))

    events = Section(key="referral_events", title="Referral history",
                     description="What happened to each referral, in order.")
    for event in ReferralEvent.objects.filter(referral__in=referrals).select_related(
            "referral", "actor").order_by("at", "pk"):
        events.records.append(record_of(event, title=str(event)))
    corrections = Section(key="corrections", title="Corrections",
                          description="Each correction of a record: who, when, why, and the "
                                      "values it replaced.")
    revisions = Revision.objects.filter(person__in=people) | Revision.objects.filter(
        referral__in=referrals)
    for revision in revisions.select_related("actor").distinct().order_by("at", "pk"):
        corrections.records.append(record_of(revision, title=str(revision)))
    return [details, referral_section, events, corrections]


register(order=10, name="referrals", contributor=sections)
