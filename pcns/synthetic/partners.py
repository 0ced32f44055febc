"""Synthetic VCSE onward referrals, their consent, and the contacts partners logged.

A few allocated referrals are referred on to one of the tenant's VCSE services while open,
with consent given on or before the day sent. The partner accepts, declines or never answers
(flagged after 10 working days, about 14 days); accepted ones get contacts and may close with
an outcome. Consent lasts a year: an onward referral still open when it lapses is withdrawn, as
vcse.services.consent_lapse does. The shared snapshot is built like
vcse.services.minimal_data_set, from the person's record at the time.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from pcns.synthetic import names
from pcns.synthetic.ids import Ids
from pcns.synthetic.journeys import TIMES, Journey
from pcns.synthetic.places import Place, Staff
from pcns.synthetic.randomness import Calendar, Picker, Waits, pick
from referrals.codes import ContactMethod
from vcse.codes import OnwardStatus, SupportCategory

N = "\\N"
ONWARD_SHARE = 0.08
RESPONSE = Picker({"accept": 72, "decline": 15, "none": 10, "withdraw": 3})
RESPONSE_WAIT = Waits(5, 15, highest=60)
UNANSWERED_AFTER = 14  # 10 working days
DECLINE_REASON = Picker({"not_eligible": 20, "no_capacity": 25, "better_elsewhere": 15,
                         "person_declined": 20, "no_contact": 15, "other": 5})
SUPPORT_LENGTH = Waits(60, 150, lowest=7, highest=330)
CLOSURE = Picker({"completed": 45, "ongoing": 15, "referred_on": 10, "disengaged": 20,
                  "person_ended": 7, "other": 3})
CONSENT_DAYS = 365
MODE = Picker({"in_person": 45, "telephone": 30, "video": 5, "text": 10, "group": 10})
ATTENDANCE = Picker({"attended": 82, "did_not_attend": 12, "cancelled": 6})
DURATION = Picker({20: 15, 30: 30, 45: 25, 60: 20, 90: 10})
CONTACT_METHOD_LABEL = dict(ContactMethod.choices)
SUPPORT_LABEL = dict(SupportCategory.choices)


class Onward:
    """One onward referral as it stands at the end of the period."""

    __slots__ = (
        "categories",
        "closed",
        "contacts",
        "decline_reason",
        "expires",
        "flagged",
        "given",
        "id",
        "journey",
        "needs",
        "outcome",
        "partner",
        "responded",
        "sent",
        "sent_by",
        "service",
        "status",
        "version",
        "withdrawn",
    )


def plan_onward(journeys: list[Journey], place: Place, *, cal: Calendar, rng: random.Random,
                ids: Ids) -> list[Onward]:
    """Choose which referrals are referred on, and play each one through to the period end."""
    services = place.services
    onward: list[Onward] = []
    if not services:
        return onward
    for j in journeys:
        if j.allocated is None or rng.random() >= ONWARD_SHARE:
            continue
        o = Onward()
        o.id, o.journey = ids.next(), j
        o.service, o.categories, o.partner = pick(rng, services)
        o.needs = sorted(rng.sample(o.categories, min(len(o.categories), rng.randint(1, 2))))
        end = j.discharged if j.discharged is not None else cal.last
        o.sent = j.allocated + int(rng.random() * min(61, end - j.allocated + 1))
        o.sent_by = j.joint if j.joint is not None and rng.random() < 0.5 else j.worker
        o.given = max(j.received, o.sent - pick(rng, (0, 0, 0, 1, 2, 7)))
        o.expires = o.given + CONSENT_DAYS
        _play(o, cal.last, rng)
        onward.append(o)
    return onward


def _play(o: Onward, last_day: int, rng: random.Random) -> None:
    """Set status, response, contacts and closure as they stand on ``last_day``."""
    o.responded = o.closed = o.withdrawn = o.flagged = None
    o.decline_reason = o.outcome = ""
    o.contacts = []
    o.status, o.version = OnwardStatus.SENT, 1
    response = RESPONSE(rng)
    answered = o.sent + RESPONSE_WAIT(rng)
    unanswered = response == "none" or answered > o.sent + UNANSWERED_AFTER
    if unanswered and o.sent + UNANSWERED_AFTER <= last_day:
        o.flagged = o.sent + UNANSWERED_AFTER
    if response == "withdraw":
        day = o.sent + rng.randint(1, 30)
        if day <= last_day:
            o.status, o.withdrawn, o.version = OnwardStatus.WITHDRAWN, day, 2
        return
    if response == "none" or answered > last_day:
        _lapse(o, last_day)
        return
    o.responded, o.version = answered, 2
    if response == "decline":
        o.status, o.decline_reason = OnwardStatus.DECLINED, DECLINE_REASON(rng)
        return
    o.status = OnwardStatus.ACCEPTED
    close = answered + SUPPORT_LENGTH(rng)
    open_until = min(last_day, o.expires)
    o.contacts = sorted(day for day in (answered + int(rng.random() * (close - answered))
                                        for _ in range(rng.randint(1, 5)))
                        if day <= open_until)
    if o.contacts:
        o.status, o.version = OnwardStatus.IN_PROGRESS, 3
    if close <= open_until:
        o.status, o.closed, o.outcome, o.version = OnwardStatus.CLOSED, close, CLOSURE(rng), 4
        return
    _lapse(o, last_day)


def _lapse(o: Onward, last_day: int) -> None:
    """Consent past its end date ends an open onward referral (vcse.services.consent_lapse)."""
    if o.expires < last_day:
        o.status, o.version = OnwardStatus.WITHDRAWN, o.version + 1


def onward_rows(onward: list[Onward], *, cal: Calendar, rng: random.Random,
                tenant: str) -> Iterator[str]:
    iso = cal.iso
    for o in onward:
        j, person = o.journey, o.journey.person
        shared = {
            "given_name": person.given, "family_name": person.family, "phone": person.phone,
            "email": person.email, "address": person.address, "postcode": person.postcode,
            "preferred_contact_method": CONTACT_METHOD_LABEL[person.contact_method],
            "needs": [SUPPORT_LABEL[code] for code in o.needs], "risk": "",
        }
        responder = o.partner.workers[0].user if o.responded is not None else N
        decline_note = "Not able to help at the moment." if o.decline_reason else ""
        outcome_note = "Support finished; see the outcome." if o.outcome else ""
        flagged = N if o.flagged is None else f"{iso(o.flagged)} 07:00:00+00"
        yield (
            f"{o.id}\t{tenant}\t{j.id}\t{person.id}\t{o.service}\t{o.partner.id}\t"
            f"{iso(o.sent)}\t{iso(o.sent)} {pick(rng, TIMES)}:00+00\t{o.sent_by.user}\t"
            f"{pick(rng, names.ONWARD_REASONS)}\t{{{','.join(o.needs)}}}\t{_copy_text(shared)}\t"
            f"{o.status}\t{_day(cal, o.responded)}\t{responder}\t{o.decline_reason}\t"
            f"{decline_note}\t{_day(cal, o.closed)}\t{o.outcome}\t{outcome_note}\t{flagged}\t"
            f"{o.version}\n"
        )


ONWARD_COLUMNS = (
    "id", "tenant_id", "referral_id", "person_id", "service_id", "organisation_id", "sent_on",
    "sent_at", "sent_by_id", "reason", "needs", "shared", "status", "responded_on",
    "responded_by_id", "decline_reason", "decline_note", "closed_on", "outcome", "outcome_note",
    "flagged_unanswered_at", "version",
)


def consent_rows(onward: list[Onward], *, cal: Calendar, rng: random.Random, ids: Ids,
                 tenant: str) -> Iterator[str]:
    iso = cal.iso
    for o in onward:
        by_person = rng.random() < 0.9
        given_by, name = ("person", "") if by_person else (
            "representative", f"{pick(rng, names.FEMALE_GIVEN)} {o.journey.person.family}")
        withdrawn_by = N if o.withdrawn is None else o.sent_by.user
        note = "The person asked us to stop sharing." if o.withdrawn is not None else ""
        yield (
            f"{ids.next()}\t{tenant}\t{o.id}\t{o.partner.id}\t{given_by}\t{name}\t"
            f"{iso(o.given)}\t{pick(rng, names.CONSENT_PURPOSES)}\t{iso(o.expires)}\tf\t"
            f"{o.sent_by.user}\t{iso(o.sent)} 12:00:00+00\t{_day(cal, o.withdrawn)}\t"
            f"{withdrawn_by}\t{note}\n"
        )


CONSENT_COLUMNS = (
    "id", "tenant_id", "onward_referral_id", "organisation_id", "given_by", "given_by_name",
    "given_on", "purpose", "expires_on", "includes_risk", "recorded_by_id", "recorded_at",
    "withdrawn_on", "withdrawn_recorded_by_id", "withdrawal_note",
)


def vcse_contact_rows(onward: list[Onward], *, cal: Calendar, rng: random.Random, ids: Ids,
                      tenant: str) -> Iterator[str]:
    iso = cal.iso
    for o in onward:
        for day in o.contacts:
            staff: Staff = pick(rng, o.partner.workers)
            attendance = ATTENDANCE(rng)
            duration = DURATION(rng) if attendance == "attended" else N
            support = (sorted(rng.sample(o.categories, min(2, len(o.categories))))
                       if attendance == "attended" else [])
            yield (
                f"{ids.next()}\t{tenant}\t{o.id}\t{o.partner.id}\t{staff.membership}\t"
                f"{iso(day)}\t{MODE(rng)}\t{attendance}\t{duration}\t{{{','.join(support)}}}\t"
                f"\t{staff.user}\t{iso(day)} 16:00:00+00\n"
            )


VCSE_CONTACT_COLUMNS = (
    "id", "tenant_id", "onward_referral_id", "organisation_id", "staff_id", "on", "mode",
    "attendance", "duration_minutes", "support_types", "note", "recorded_by_id", "recorded_at",
)


def _day(cal: Calendar, day: int | None) -> str:
    return N if day is None else cal.iso(day)


def _copy_text(value: object) -> str:
    """JSON as COPY text: backslashes (from JSON escapes) doubled."""
    return json.dumps(value).replace("\\", "\\\\")

