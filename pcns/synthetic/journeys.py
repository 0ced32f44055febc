"""Synthetic referrals: each person's referrals simulated as journeys through the state machine.

A journey draws its waits (received to triage, to allocation, to the first assessment, the
length of care) and its triage decision, then takes the status those dates give at the end of
the period, so every referral's columns agree with its status (docs/data-formats.md) and the
state machine (referrals/states.py): a referral still waiting at the period end is awaiting
triage or the MDT; later dates are left empty, never in the future.

A person's referrals follow one another: each one before the last is closed (rejected,
redirected or discharged, its waits shortened if need be) before the next is received, so a
person never has two open referrals in a team. Some re-referrals come within 5 days of a
discharge (the same spell in the metrics), others within the tenant's re-referral window, which
links them to the discharged referral and, in the same team, reopens its episode as
referrals.services does.
"""

from __future__ import annotations

import random

from pcns.synthetic import names
from pcns.synthetic.ids import Ids
from pcns.synthetic.people import PersonRec
from pcns.synthetic.places import Place, Staff, TeamInfo
from pcns.synthetic.randomness import Calendar, Picker, Waits, pick
from referrals.codes import PresentingNeed
from referrals.states import Status

N = "\\N"
TIMES = tuple(f"{hour:02d}:{minute:02d}" for hour in range(9, 17) for minute in (0, 15, 30, 45))
MAX_REFERRALS_PER_PERSON = 6

URGENCY = Picker({"routine": 88, "urgent": 11, "emergency": 1})
TRIAGE_WAIT = {
    "routine": Waits(5, 21, highest=150),
    "urgent": Waits(1, 4, highest=14),
    "emergency": Waits(0.5, 1.5, highest=3),
}
MDT_SHARE = 0.08
MDT_WAIT = Waits(7, 14, lowest=1, highest=42)
DECISION = Picker({"accept": 78, "redirect": 12, "reject": 10})
REJECTION = Picker({"not_eligible": 40, "insufficient_information": 20, "declined": 15,
                    "not_registered": 8, "duplicate": 7, "other": 10})
REDIRECTION = Picker({"talking_therapies": 45, "secondary_care": 25, "crisis": 5, "vcse": 15,
                      "other": 10})
#: After acceptance: care; or discharged before allocation; or allocated but never assessed.
PATH = Picker({"care": 90, "unallocated": 4, "unassessed": 6})
ALLOCATION_WAIT = {"routine": Waits(6, 28, highest=180), "urgent": Waits(2, 7, highest=30),
                   "emergency": Waits(1, 2, highest=7)}
ASSESSMENT_WAIT = Waits(7, 25, highest=120)
CARE_LENGTH = Waits(90, 240, lowest=7, highest=540)
SHORT_STAY = Waits(14, 45, lowest=1, highest=120)
DISCHARGE_REASON = {
    "care": Picker({"goals_met": 55, "stepped_down": 12, "stepped_up": 8, "declined": 8,
                    "no_contact": 8.5, "moved_away": 4, "other": 4, "died": 0.5}),
    "unassessed": Picker({"no_contact": 70, "declined": 30}),
    "unallocated": Picker({"declined": 50, "moved_away": 20, "other": 30}),
}
ENTRY_LAG = Picker({0: 55, 1: 20, 2: 8, 3: 5, 5: 4, 7: 3, 14: 3, 28: 2})
LONG_GAP = Waits(200, 420, lowest=91, highest=720)
SOURCE = Picker({"gp": 58, "self": 12, "carer": 3, "talking_therapies": 6, "secondary_care": 7,
                 "vcse": 4, "police": 1, "other_agency": 4, "direct_booking": 5})
NEED = Picker({
    "low_mood": 25, "anxiety": 25, "complex_emotional": 6, "trauma": 6, "self_harm": 4,
    "suicidal_thoughts": 4, "psychosis": 2, "bipolar": 2, "eating": 2, "ocd": 2,
    "substance_use": 3, "neurodevelopmental": 3, "bereavement": 3, "isolation": 4, "housing": 2,
    "money": 3, "employment": 2, "physical_health": 2, "medication": 2, "carer_stress": 2,
    "other": 1,
})
NEED_COUNT = Picker({1: 40, 2: 40, 3: 20})
NEED_LABEL = {code: label for code, label in PresentingNeed.choices}
JOINT_SHARE = 0.06
PLAN_SHARE, PLAN_WAIT, DRAFT_SHARE = 0.8, Waits(10, 35, highest=120), 0.1
INTERVENTION_SHARE, INTERVENTION_WAIT = 0.7, Waits(14, 45, highest=180)
CLINICAL_SHARE = 0.65
CLINICAL_KIND = Picker({"psychological_therapy": 45, "psychosocial": 35,
                        "medication_physical_health": 20})
OTHER_KIND = Picker({"peer_support": 30, "community_connection": 30, "group": 20,
                     "advice_signposting": 20})


class Journey:
    """One referral: its columns, and the dates of care the later stages hang records on."""

    __slots__ = (
        "activated", "allocated", "assessment_contact", "decision", "decision_note",
        "discharge_destination", "discharge_note", "discharge_reason", "discharged", "entered",
        "entered_by", "episode", "id", "intervention_by", "intervention_contact",
        "intervention_kind", "intervention_on", "joint", "last_seen", "mdt", "mdt_note", "needs",
        "person", "plan_contact", "plan_draft", "plan_id", "plan_on", "previous", "reason",
        "received", "redirect_destination", "referrer_name", "referrer_org", "rejection_reason",
        "reopened", "source", "status", "team", "triage_call", "triaged", "triager", "urgency",
        "version", "worker",
    )

    def __init__(self) -> None:
        self.assessment_contact = self.plan_contact = self.intervention_contact = None
        self.last_seen: tuple[str, int] | None = None  # (contact id, day): latest attended
        self.plan_id = None

    @property
    def closed_on(self) -> int | None:
        """The referral end date of the metrics: discharge, else rejection or redirection."""
        if self.discharged is not None:
            return self.discharged
        if self.status in (Status.REJECTED, Status.REDIRECTED):
            return self.triaged
        return None


class JourneyMaker:
    """Simulates the referrals of one tenant's people."""

    def __init__(self, place: Place, *, cal: Calendar, rng: random.Random, ids: Ids) -> None:
        self.place, self.cal, self.rng, self.ids = place, cal, rng, ids

    def chain(self, person: PersonRec, count: int) -> list[Journey]:
        """``count`` referrals for ``person``, one after another."""
        rng, cal = self.rng, self.cal
        # Dates received are spread evenly over the period; each referral then has to close
        # a gap before the next one arrives.
        days = sorted(cal.first + int(rng.random() * cal.length) for _ in range(count))
        journeys = []
        for n, received in enumerate(days):
            limit = None
            if n + 1 < count:
                following = days[n + 1]
                limit = following - min(self._gap(), (following - received) // 2)
            journey = self._journey(person, received, limit=limit)
            person.history.append(journey)
            journeys.append(journey)
        person.created = journeys[0].entered
        return journeys

    def _gap(self) -> int:
        """The least number of days between one referral's end and the next: for some at
        most 5 (the same spell in the metrics), for some within the re-referral window."""
        draw = self.rng.random()
        if draw < 0.15:
            return int(self.rng.random() * 6)
        if draw < 0.50:
            return 6 + int(self.rng.random() * 85)
        return LONG_GAP(self.rng)

    def _team(self, person: PersonRec) -> TeamInfo:
        rng = self.rng
        if person.history and rng.random() < 0.7:
            return person.history[-1].team
        return person.home_team if rng.random() < 0.9 else self.place.city_team

    def _previous_within_window(self, person: PersonRec, received: int,
                                team: TeamInfo) -> Journey | None:
        """As referrals.services: the latest discharge within the window, from the same team
        when there is one."""
        best, best_key = None, None
        window = self.place.re_referral_window
        for earlier in person.history:
            day = earlier.discharged
            if day is not None and received - window <= day <= received:
                key = (earlier.team is team, day)
                if best_key is None or key > best_key:
                    best, best_key = earlier, key
        return best

    def _journey(self, person: PersonRec, received: int, *, limit: int | None) -> Journey:
        rng, cal = self.rng, self.cal
        j = Journey()
        j.id = self.ids.next()
        j.person = person
        j.received = received
        j.team = team = self._team(person)
        previous = self._previous_within_window(person, received, team)
        j.previous = previous.id if previous else None
        reopened_from = previous if previous is not None and previous.team is team else None
        j.reopened = reopened_from is not None
        j.episode = reopened_from.episode if reopened_from else j.id
        self._intake(j)
        j.triager = pick(rng, team.triagers)
        j.entered_by = team.triagers[0].user
        j.entered = f"{cal.iso(received + ENTRY_LAG(rng))} {pick(rng, TIMES)}:00+00"
        offsets, path = self._timeline(j, reopened_from)
        if limit is not None and received + offsets[-1] > limit:
            # An earlier referral of a person must close in time for their next one.
            scale = (limit - received) / offsets[-1]
            offsets = [int(offset * scale) for offset in offsets]
        self._settle(j, offsets, path, reopened_from)
        self._milestones(j)
        return j

    def _intake(self, j: Journey) -> None:
        rng, person = self.rng, j.person
        j.source = SOURCE(rng)
        j.referrer_org = person.practice if j.source in ("gp", "direct_booking") else None
        j.referrer_name = {"gp": f"Dr {pick(rng, names.FAMILY)}", "self": "",
                           "carer": f"{pick(rng, names.FEMALE_GIVEN)} {person.family}"
                           }.get(j.source, "Duty worker")
        j.urgency = URGENCY(rng)
        needs = sorted({NEED(rng) for _ in range(NEED_COUNT(rng))})
        j.needs = "{" + ",".join(needs) + "}"
        j.reason = pick(rng, names.REFERRAL_REASONS).format(need=NEED_LABEL[needs[0]])

    def _timeline(self, j: Journey,
                  reopened_from: Journey | None) -> tuple[list[int], str]:
        """Days after receipt of: MDT flag, triage, allocation, first assessment, end; and
        the path taken after acceptance."""
        rng = self.rng
        j.mdt, j.mdt_note = False, ""
        if reopened_from is not None:  # accepted on the day received, without a new triage
            j.decision, triage, flag = "accept", 0, 0
        else:
            triage = TRIAGE_WAIT[j.urgency](rng)
            flag = min(triage, 2)
            if j.urgency == "routine" and rng.random() < MDT_SHARE:
                j.mdt, j.mdt_note = True, pick(rng, names.MDT_NOTES)
                triage += MDT_WAIT(rng)
            j.decision = DECISION(rng)
        if j.decision != "accept":
            return [flag, triage, triage, triage, triage], ""
        path = "care" if reopened_from is not None else PATH(rng)
        if reopened_from is not None and reopened_from.worker is not None:
            allocation = triage  # back to the same worker on the day
        else:
            allocation = triage + ALLOCATION_WAIT[j.urgency](rng)
        if path == "unallocated":
            end = triage + SHORT_STAY(rng)
            return [flag, triage, end, end, end], path
        assessment = allocation + ASSESSMENT_WAIT(rng)
        if path == "unassessed":
            end = allocation + SHORT_STAY(rng)
            return [flag, triage, allocation, end, end], path
        return [flag, triage, allocation, assessment, assessment + CARE_LENGTH(rng)], path

    def _settle(self, j: Journey, offsets: list[int], path: str,
                reopened_from: Journey | None) -> None:
        """Set the status and dates as they stand at the end of the period."""
        rng, received, last_day = self.rng, j.received, self.cal.last
        flag, triage, allocation, assessment, end = (received + o for o in offsets)
        j.triaged = j.allocated = j.activated = j.discharged = j.worker = j.joint = None
        j.rejection_reason = j.redirect_destination = j.decision_note = ""
        j.discharge_reason = j.discharge_destination = j.discharge_note = ""
        if triage > last_day:
            j.status = (Status.AWAITING_MDT if j.mdt and flag <= last_day
                        else Status.AWAITING_TRIAGE)
            return
        j.triaged = triage
        if j.decision == "reject":
            j.status = Status.REJECTED
            j.rejection_reason = REJECTION(rng)
            j.decision_note = names.REJECTION_NOTES[j.rejection_reason]
            return
        if j.decision == "redirect":
            j.status = Status.REDIRECTED
            j.redirect_destination = REDIRECTION(rng)
            j.decision_note = names.REDIRECT_NOTES[j.redirect_destination]
            return
        if reopened_from is not None:
            j.decision_note = (f"Re-referred within {self.place.re_referral_window} days of "
                               f"discharge on {self.cal.uk(reopened_from.discharged)}.")
        j.status = Status.ACCEPTED
        if path != "unallocated" and allocation <= last_day:
            j.allocated, j.status = allocation, Status.ALLOCATED
            j.worker = (reopened_from.worker if reopened_from and reopened_from.worker
                        else pick(rng, j.team.workers))
            if reopened_from is not None:
                j.joint = reopened_from.joint
            elif j.team.non_clinical and rng.random() < JOINT_SHARE:
                j.joint = pick(rng, j.team.non_clinical)
            if path == "care" and assessment <= last_day:
                j.activated, j.status = assessment, Status.ACTIVE
        if end <= last_day:
            j.discharged, j.status = end, Status.DISCHARGED
            reason = DISCHARGE_REASON[path](rng)
            j.discharge_reason = reason
            j.discharge_note = names.DISCHARGE_NOTES[reason]
            if reason in names.STEP_DESTINATIONS:
                j.discharge_destination = pick(rng, names.STEP_DESTINATIONS[reason])

    def _milestones(self, j: Journey) -> None:
        """The days of the care records the later stages write, so contacts can be booked on
        them: a triage call, the care plan and the first intervention."""
        rng, last_day = self.rng, self.cal.last
        j.triage_call = j.plan_on = j.intervention_on = None
        j.intervention_kind = j.intervention_by = None
        j.plan_draft = False
        chance = 0.6 if j.status not in (Status.REJECTED, Status.REDIRECTED) else 0.45
        if j.triaged is None:
            chance = 0.25
        if j.reopened:
            chance = 0.0
        if rng.random() < chance:
            until = j.triaged if j.triaged is not None else last_day
            j.triage_call = j.received + int(rng.random() * (until - j.received + 1))
        j.version = 1 + sum(day is not None for day in (j.triaged, j.allocated, j.activated,
                                                        j.discharged)) + j.mdt
        if j.activated is None:
            return
        end = j.discharged if j.discharged is not None else last_day
        if rng.random() < PLAN_SHARE:
            day = j.activated + PLAN_WAIT(rng)
            if day <= end:
                j.plan_on, j.plan_draft = day, rng.random() < DRAFT_SHARE
        if rng.random() < INTERVENTION_SHARE:
            day = j.activated + INTERVENTION_WAIT(rng)
            if day <= end:
                j.intervention_on = day
                j.intervention_kind, j.intervention_by = self._intervention(j)

    def _intervention(self, j: Journey) -> tuple[str, Staff]:
        """Clinical kinds by practitioners; peer support and connection by those who give it."""
        rng, team = self.rng, j.team
        if rng.random() < CLINICAL_SHARE:
            kind = CLINICAL_KIND(rng)
            if kind == "psychological_therapy" and team.therapists and rng.random() < 0.7:
                return kind, pick(rng, team.therapists)
            return kind, j.worker
        kind = OTHER_KIND(rng)
        return kind, (pick(rng, team.non_clinical) if team.non_clinical else j.worker)


def referral_counts(rng: random.Random, people: int, referrals: int) -> list[int]:
    """How many referrals each person has: one each, the rest spread at random (at most
    MAX_REFERRALS_PER_PERSON each)."""
    counts = [1] * people
    extra = referrals - people
    while extra > 0:
        n = int(rng.random() * people)
        if counts[n] < MAX_REFERRALS_PER_PERSON:
            counts[n] += 1
            extra -= 1
    return counts


def referral_row(j: Journey, tenant: str, cal: Calendar) -> str:
    """One ``referrals_referral`` row in REFERRAL_COLUMNS order."""
    iso = cal.iso
    triaged = N if j.triaged is None else iso(j.triaged)
    triaged_by = N if j.triaged is None else j.triager.user
    allocated = N if j.allocated is None else iso(j.allocated)
    discharged = N if j.discharged is None else iso(j.discharged)
    worker = N if j.worker is None else j.worker.membership
    return (
        f"{j.id}\t{tenant}\t{j.person.id}\t{j.team.id}\t{j.source}\t{j.referrer_name}\t"
        f"{j.referrer_org or N}\t{iso(j.received)}\t{j.entered}\t{j.entered_by}\t{j.urgency}\t"
        f"{j.needs}\t{j.reason}\t{j.status}\t{triaged}\t{triaged_by}\t"
        f"{j.redirect_destination}\t{j.rejection_reason}\t{j.decision_note}\t{j.mdt_note}\t"
        f"{worker}\t{allocated}\t{discharged}\t{j.discharge_reason}\t"
        f"{j.discharge_destination}\t{j.discharge_note}\t{j.previous or N}\t{j.episode}\t"
        f"{j.version}\tt\t{N}\n"
    )


REFERRAL_COLUMNS = (
    "id", "tenant_id", "person_id", "team_id", "source", "referrer_name",
    "referrer_organisation_id", "received_on", "entered_at", "entered_by_id", "urgency",
    "presenting_needs", "reason", "status", "triaged_on", "triaged_by_id",
    "redirect_destination", "rejection_reason", "decision_note", "mdt_note", "worker_id",
    "allocated_on", "discharged_on", "discharge_reason", "discharge_destination",
    "discharge_note", "previous_referral_id", "episode_id", "version", "identity_checked",
    "triage_escalated_at",
)


def joint_worker_rows(journeys: list[Journey], tenant: str, ids: Ids):
    """``referrals_jointworker`` rows: a second worker (peer support or a connector) on a few
    allocated referrals."""
    for j in journeys:
        if j.joint is not None and j.worker is not None and j.joint != j.worker:
            yield f"{ids.next()}\t{tenant}\t{j.id}\t{j.joint.membership}\n"


JOINT_WORKER_COLUMNS = ("id", "tenant_id", "referral_id", "membership_id")
