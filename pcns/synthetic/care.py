"""Synthetic care records: contacts, assessments, care plans, interventions, outcome measures.

Records hang on the days the journey chose (journeys.py), and each record that happened at an
appointment points at an attended contact on that day, so the metrics' clock-stop components
(first qualifying contact, meaningful assessment, intervention or agreed care plan, baseline
outcome) line up as they would in real records. Everything is dated inside the referral's open
period: from receipt (triage calls) or allocation (care) to discharge or the period end; only
contacts still ``booked`` lie after the period end.

Each generator yields COPY text rows for one table and records on the journeys what a later
table needs (the ids of the assessment, care plan and intervention contacts; the care plan's
id; the latest attended contact for a follow-up outcome measure).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from caseload.codes import DIALOG_LIFE_DOMAINS, QUALIFYING_MODES, TOOLS, ToolSpec
from pcns.synthetic import names
from pcns.synthetic.ids import Ids
from pcns.synthetic.journeys import TIMES, Journey
from pcns.synthetic.places import Place, Staff
from pcns.synthetic.randomness import Calendar, Picker, Waits, pick
from referrals.states import CASELOAD_STATUSES

N = "\\N"

MODE = Picker({"face_to_face": 48, "telephone": 36, "video": 10, "text_email": 4.5,
               "talk_type": 0.3, "other": 1.2})
#: Modes of the contacts where an assessment, care planning or intervention happened.
SESSION_MODE = Picker({"face_to_face": 65, "video": 15, "telephone": 20})
ATTENDANCE = Picker({"attended": 68, "dna": 16, "cancelled_by_patient": 9,
                     "cancelled_by_provider": 7})
PURPOSE = Picker({"support": 35, "intervention": 30, "review": 20, "care_planning": 5,
                  "liaison": 5, "other": 5})
DURATION = {
    "face_to_face": Picker({30: 10, 45: 40, 60: 40, 90: 10}),
    "telephone": Picker({10: 15, 15: 35, 20: 25, 30: 25}),
    "video": Picker({30: 40, 45: 40, 60: 20}),
    "text_email": Picker({5: 100}),
    "talk_type": Picker({30: 60, 45: 40}),
    "other": Picker({15: 50, 30: 50}),
}
#: An appointment for an assessment, care planning or an intervention is sometimes missed
#: first: not attended, or cancelled, a few days before the one that happened.
MISSED_FIRST = Picker({"": 78, "dna": 14, "cancelled_by_patient": 5,
                       "cancelled_by_provider": 3})
MISSED_SHARE = 0.22
BOOKED_SHARE = 0.7  # open caseload referrals with an appointment booked after the period
ADVICE_SHARE = 0.01  # contacts with no referral: advice to a GP about someone not referred

FIRST_ASSESSMENT = Picker({"initial": 55, "biopsychosocial": 30, "risk": 10, "specialist": 5})
OTHER_ASSESSMENT = Picker({"consultation": 40, "signposting": 30, "professional_discussion": 30})
RISK_REVIEW_SHARE, OTHER_ASSESSMENT_SHARE = 0.15, 0.10
CO_PRODUCERS = Picker({"{person}": 60, "{person,carer}": 15, "{person,gp}": 10,
                       "{person,peer_support}": 10, "{person,vcse}": 5})
INTERVENTION_LENGTH = Waits(42, 120, lowest=1, highest=365)
SECOND_INTERVENTION_SHARE = 0.2
TOOL = Picker({"dialog": 80, "phq9": 8, "gad7": 5, "core10": 5, "reqol10": 2})
BASELINE_SHARE = 0.85
NOISE = Picker({-2: 5, -1: 20, 0: 50, 1: 20, 2: 5})


def _time(rng: random.Random) -> str:
    return pick(rng, TIMES)


class Contacts:
    """Contact rows for one tenant, about ``contacts_per_referral`` per referral on average."""

    def __init__(self, place: Place, *, cal: Calendar, rng: random.Random, ids: Ids,
                 tenant: str) -> None:
        self.place, self.cal, self.rng, self.ids, self.tenant = place, cal, rng, ids, tenant

    def rows(self, journeys: list[Journey], target: int) -> Iterator[str]:
        fillers = self._fillers(journeys, target)
        for j, count in zip(journeys, fillers, strict=True):
            yield from self._for_journey(j, count)
        yield from self._advice(round(target * ADVICE_SHARE))

    def _fillers(self, journeys: list[Journey], target: int) -> list[int]:
        """How many everyday contacts each referral gets besides those on its milestone days,
        in proportion to how long it has been in someone's care, so the total is near
        ``target``."""
        last_day = self.cal.last
        fixed = 0.0
        spans = []
        for j in journeys:
            sessions = sum(day is not None for day in (j.activated, j.plan_on, j.intervention_on))
            fixed += (j.triage_call is not None) + sessions * (1 + MISSED_SHARE)
            if j.status in CASELOAD_STATUSES:
                fixed += BOOKED_SHARE
            end = j.discharged if j.discharged is not None else last_day
            spans.append(0 if j.allocated is None else end - j.allocated + 1)
        budget = max(0.0, target * (1 - ADVICE_SHARE) - fixed)
        total = sum(spans) or 1
        rng = self.rng
        return [int(budget * span / total + rng.random()) for span in spans]

    def _for_journey(self, j: Journey, fillers: int) -> Iterator[str]:
        rng, last_day = self.rng, self.cal.last
        # (day, time, staff, mode, attendance, purpose, tag)
        entries: list[tuple[int, str, Staff, str, str, str, str]] = []
        if j.triage_call is not None:
            entries.append((j.triage_call, _time(rng), j.triager, "telephone", "attended",
                            "triage", ""))
        for day, staff, purpose, tag in (
            (j.activated, j.worker, "assessment", "assessment"),
            (j.plan_on, j.worker, "care_planning", "plan"),
            (j.intervention_on, j.intervention_by, "intervention", "intervention"),
        ):
            if day is None:
                continue
            mode = SESSION_MODE(rng)
            entries.append((day, _time(rng), staff, mode, "attended", purpose, tag))
            if missed := MISSED_FIRST(rng):
                earlier = max(j.allocated, day - 1 - int(rng.random() * 7))
                entries.append((earlier, _time(rng), staff, mode, missed, purpose, ""))
        if fillers and j.allocated is not None:
            start = j.allocated
            span = (j.discharged if j.discharged is not None else last_day) - start + 1
            others = j.team.workers
            for _ in range(fillers):
                purpose = PURPOSE(rng)
                if purpose == "liaison":  # about the person, with another service
                    mode, attendance = "telephone", "attended"
                else:
                    mode = MODE(rng)
                    attendance = "attended" if mode == "text_email" else ATTENDANCE(rng)
                draw = rng.random()
                staff = (j.worker if draw < 0.8 or not others
                         else j.joint if draw < 0.9 and j.joint is not None
                         else pick(rng, others))
                entries.append((start + int(rng.random() * span), _time(rng), staff, mode,
                                attendance, purpose, ""))
        if j.status in CASELOAD_STATUSES and rng.random() < BOOKED_SHARE:
            entries.append((last_day + 1 + int(rng.random() * 28), _time(rng), j.worker,
                            SESSION_MODE(rng), "booked", "review", ""))
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        yield from self._rows(j, entries)

    def _rows(self, j: Journey, entries) -> Iterator[str]:
        rng, cal, tenant, ids, last_day = self.rng, self.cal, self.tenant, self.ids, self.cal.last
        activated = j.activated if j.activated is not None else last_day + 1
        head = f"{tenant}\t{j.id}\t{j.team.id}"
        for day, at, staff, mode, attendance, purpose, tag in entries:
            contact_id = ids.next()
            if tag:
                setattr(j, f"{tag}_contact", contact_id)
            direct = "f" if purpose == "liaison" else "t"
            if attendance == "attended":
                duration = DURATION[mode](rng)
                if mode in QUALIFYING_MODES and direct == "t" and day > activated:
                    j.last_seen = (contact_id, day)
            else:
                duration = N
            recorded_day = day if day <= last_day else last_day - int(rng.random() * 14)
            yield (f"{contact_id}\t{head}\t{staff.membership}\t{staff.role}\t{staff.user}\t"
                   f"{cal.iso(day)}\t{at}\t{cal.iso(recorded_day)} {at}:00+00\t{duration}\t"
                   f"{mode}\t{attendance}\t{direct}\t{purpose}\t{N}\t\t1\t{N}\n")

    def _advice(self, count: int) -> Iterator[str]:
        """Advice to a GP about someone not referred: a contact with a team but no referral."""
        rng, cal, tenant = self.rng, self.cal, self.tenant
        for _ in range(count):
            team = pick(rng, self.place.pcn_teams)
            staff = pick(rng, team.workers)
            day = cal.first + int(rng.random() * cal.length)
            at = _time(rng)
            yield (f"{self.ids.next()}\t{tenant}\t{N}\t{team.id}\t{staff.membership}\t"
                   f"{staff.role}\t{staff.user}\t{cal.iso(day)}\t{at}\t{cal.iso(day)} {at}:00+00"
                   f"\t15\ttelephone\tattended\tf\tadvice_to_professional\t"
                   f"{pick(rng, team.practices)}\t\t1\t{N}\n")


CONTACT_COLUMNS = (
    "id", "tenant_id", "referral_id", "team_id", "staff_id", "staff_role", "recorded_by_id",
    "on", "at", "recorded_at", "duration_minutes", "mode", "attendance", "direct", "purpose",
    "organisation_id", "note", "version", "entered_in_error_at",
)


def _end(j: Journey, cal: Calendar) -> int:
    return j.discharged if j.discharged is not None else cal.last


def _between(rng: random.Random, first: int, last: int) -> int:
    return first + int(rng.random() * (last - first + 1))


def assessment_rows(journeys: list[Journey], *, cal: Calendar, rng: random.Random, ids: Ids,
                    tenant: str) -> Iterator[str]:
    """The first meaningful assessment (the day the referral became active), some later risk
    reviews, and some consultation-only or signposting records, which the metrics ignore."""
    iso = cal.iso

    def row(j: Journey, kind: str, day: int, assessor: Staff, contact: str | None) -> str:
        at = _time(rng)
        return (f"{ids.next()}\t{tenant}\t{iso(day)} {at}:00+00\t{assessor.user}\t{j.id}\t"
                f"{kind}\t{iso(day)}\t{assessor.membership}\t{contact or N}\t"
                f"{pick(rng, names.ASSESSMENT_SUMMARIES)}\t{pick(rng, names.RISK_SUMMARIES)}\t"
                f"1\t{N}\n")

    for j in journeys:
        if j.triaged is not None and j.decision == "accept" and (
                rng.random() < OTHER_ASSESSMENT_SHARE):
            yield row(j, OTHER_ASSESSMENT(rng), _between(rng, j.triaged, _end(j, cal)),
                      j.triager, None)
        if j.activated is None:
            continue
        yield row(j, FIRST_ASSESSMENT(rng), j.activated, j.worker, j.assessment_contact)
        if rng.random() < RISK_REVIEW_SHARE:
            yield row(j, "risk", _between(rng, j.activated, _end(j, cal)), j.worker, None)


ASSESSMENT_COLUMNS = (
    "id", "tenant_id", "recorded_at", "recorded_by_id", "referral_id", "kind", "assessed_on",
    "assessor_id", "contact_id", "summary", "risk_summary", "version", "entered_in_error_at",
)


def care_plan_rows(journeys: list[Journey], *, cal: Calendar, ids: Ids,
                   tenant: str) -> Iterator[str]:
    """One care plan per referral that has one (``journey.plan_on``); its id is kept for the
    version rows."""
    for j in journeys:
        if j.plan_on is not None:
            j.plan_id = ids.next()
            yield f"{j.plan_id}\t{tenant}\t{j.id}\t{cal.iso(j.plan_on)} 12:00:00+00\t1\n"


CARE_PLAN_COLUMNS = ("id", "tenant_id", "referral_id", "created_at", "version")


def care_plan_version_rows(journeys: list[Journey], *, cal: Calendar, rng: random.Random,
                           ids: Ids, tenant: str) -> Iterator[str]:
    """Version 1 of each care plan: agreed on its day, or a draft (no agreement date)."""
    iso = cal.iso
    for j in journeys:
        if j.plan_id is None:
            continue
        goals = rng.sample(names.CARE_GOALS, rng.randint(2, 3))
        goals_literal = "{" + ",".join(f'"{goal}"' for goal in goals) + "}"
        agreed = N if j.plan_draft else iso(j.plan_on)
        review_by = (iso(j.plan_on + rng.randint(90, 180))
                     if not j.plan_draft and rng.random() < 0.5 else N)
        yield (f"{ids.next()}\t{tenant}\t{iso(j.plan_on)} 12:00:00+00\t{j.worker.user}\t"
               f"{j.plan_id}\t1\t{goals_literal}\t{CO_PRODUCERS(rng)}\t{agreed}\t"
               f"{pick(rng, names.REVIEW_TRIGGERS)}\t{review_by}\t"
               f"{pick(rng, names.SAFETY_PLANS)}\t{N}\n")


CARE_PLAN_VERSION_COLUMNS = (
    "id", "tenant_id", "recorded_at", "recorded_by_id", "plan_id", "number", "goals",
    "co_produced_with", "agreed_on", "review_trigger", "review_by", "safety_plan",
    "entered_in_error_at",
)


def intervention_rows(journeys: list[Journey], *, cal: Calendar, rng: random.Random, ids: Ids,
                      tenant: str) -> Iterator[str]:
    """The first intervention (at its contact) and, for some, a peer support or community
    connection alongside it. A discharge ends any that were still running."""
    iso, last_day = cal.iso, cal.last

    def row(j: Journey, kind: str, start: int, by: Staff, contact: str | None) -> str:
        stop = start + INTERVENTION_LENGTH(rng)
        if j.discharged is not None:
            stop = min(stop, j.discharged)
        ended = iso(stop) if stop <= last_day else N
        version = 1 if ended == N else 2
        return (f"{ids.next()}\t{tenant}\t{iso(start)} 12:00:00+00\t{by.user}\t{j.id}\t{kind}\t"
                f"{names.INTERVENTION_DESCRIPTIONS[kind]}\t{iso(start)}\t{ended}\t"
                f"{by.membership}\t{contact or N}\t{version}\t{N}\n")

    for j in journeys:
        if j.intervention_on is None:
            continue
        yield row(j, j.intervention_kind, j.intervention_on, j.intervention_by,
                  j.intervention_contact)
        helpers = j.team.non_clinical
        if helpers and rng.random() < SECOND_INTERVENTION_SHARE:
            kind = pick(rng, ("peer_support", "community_connection"))
            yield row(j, kind, _between(rng, j.intervention_on, _end(j, cal)),
                      pick(rng, helpers), None)


INTERVENTION_COLUMNS = (
    "id", "tenant_id", "recorded_at", "recorded_by_id", "referral_id", "kind", "description",
    "started_on", "ended_on", "delivered_by_id", "contact_id", "version", "entered_in_error_at",
)


def outcome_rows(journeys: list[Journey], *, cal: Calendar, rng: random.Random, ids: Ids,
                 tenant: str) -> Iterator[str]:
    """A baseline questionnaire at the first assessment for most active referrals and, for
    some, a follow-up at the latest attended contact, usually a little better. Scores come
    from caseload.codes.TOOLS, as caseload.services.outcome_record computes them."""
    iso = cal.iso
    for j in journeys:
        if j.activated is None or rng.random() >= BASELINE_SHARE:
            continue
        spec = TOOLS[TOOL(rng)]
        level = 0.25 + rng.random() * 0.35  # how well the person is doing: 0 worst, 1 best
        yield _outcome_row(j, spec, level, j.activated, j.assessment_contact, rng, ids, iso,
                           tenant)
        follow_up = 0.65 if j.discharged is not None else 0.35
        if j.last_seen is not None and rng.random() < follow_up:
            contact, day = j.last_seen
            better = min(1.0, level + rng.random() * 0.3 - 0.05)
            yield _outcome_row(j, spec, better, day, contact, rng, ids, iso, tenant)


def _outcome_row(j: Journey, spec: ToolSpec, level: float, day: int, contact: str | None,
                 rng: random.Random, ids: Ids, iso, tenant: str) -> str:
    items = _items(spec, level, rng)
    score, subscores = spec.score(items)
    if spec.asks_wants_more_help:
        wants = [(item <= 3 and rng.random() < 0.7) or rng.random() < 0.1 for item in items]
        wants_literal = "{" + ",".join("t" if w else "f" for w in wants) + "}"
    else:
        wants_literal = "{}"
    at = _time(rng)
    return (f"{ids.next()}\t{tenant}\t{iso(day)} {at}:00+00\t{j.worker.user}\t{j.id}\t"
            f"{spec.tool.value}\t{iso(day)}\t{{{','.join(map(str, items))}}}\t{wants_literal}\t"
            f"{score}\t{json.dumps(subscores)}\t{contact or N}\t1\t{N}\n")


def _items(spec: ToolSpec, level: float, rng: random.Random) -> list[int]:
    """Item answers around ``level`` (0 worst, 1 best) on the tool's own scale. DIALOG's three
    treatment items (satisfaction with care) run higher than its life domains."""
    low, high = spec.minimum, spec.maximum
    spread = (high - low) / 6
    items = []
    for n in range(len(spec.items)):
        treatment = spec.tool == "dialog" and n >= DIALOG_LIFE_DOMAINS
        good = min(1.0, level + 0.25) if treatment else level
        centre = low + (good if spec.higher_is_better else 1 - good) * (high - low)
        items.append(min(high, max(low, round(centre + NOISE(rng) * spread))))
    return items


OUTCOME_COLUMNS = (
    "id", "tenant_id", "recorded_at", "recorded_by_id", "referral_id", "tool", "completed_on",
    "items", "wants_more_help", "score", "subscores", "contact_id", "version",
    "entered_in_error_at",
)
