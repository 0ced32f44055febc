"""What needs doing now: the figures of a team lead's duty view and a clinician's home, and the
lists behind them.

Each figure is one query for all of the lead's teams together (grouped by team), so the page
takes the same number of queries whatever the number of teams or referrals.

The 4-week wait follows METRICS.md section 2 as the reporting refresh computes it
(reporting/metrics/spells.py), read live for the people concerned: a person's in-scope referrals
(section 1: a community mental health team's, for an adult) group into spells (a referral received
on or before the spell's latest end + 5 days, or while it is open, joins it); the clock starts on
the spell's first received date; the full clock stop needs all four components (first qualifying
contact, first meaningful assessment, first clinical intervention or agreed care plan, first
baseline outcome), each from any referral of the spell, dated from that referral's received date.
The component kinds are caseload.codes' sets, which the refresh uses too. An open referral's spell
is open, so its clock has stopped once all four exist; it counts here as "over 4 weeks" from the
29th day (a wait of 28 days or fewer is within 4 weeks).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from caseload.codes import ASSESSING_KINDS, CLINICAL_INTERVENTION_KINDS, QUALIFYING_MODES
from caseload.models import CarePlanVersion, RiskConcern
from caseload.selectors import open_concerns_exist
from pcns.models import Team, TeamKind
from referrals.codes import Urgency
from referrals.filters import WAITING_BANDS
from referrals.models import Referral
from referrals.states import OPEN_STATUSES, UNTRIAGED_STATUSES, Status

#: The national 4-week wait, in days: "within 4 weeks" means this many days or fewer.
FOUR_WEEKS = 28

#: Components of the full clock stop, in the order a page names the missing ones.
COMPONENTS = {
    "first_contact": "a qualifying contact",
    "first_assessment": "an assessment",
    "first_care": "an intervention or agreed care plan",
    "first_baseline": "a baseline outcome measure",
}

_OPEN = sorted(OPEN_STATUSES)
_ENDED_AT_TRIAGE = [Status.REJECTED, Status.REDIRECTED]

# The open, in-scope referrals asked about (by team or by id), with their spell's start and
# the first date of each clock-stop component. Parameters: tenant, today, teams (uuid[] or
# NULL), ids (uuid[] or NULL), open, ended, modes, assessing, clinical.
_CLOCK = """
WITH asked AS (
    SELECT r.id, r.person_id, r.team_id FROM referrals_referral r
    WHERE r.tenant_id = %(tenant)s AND r.status = ANY(%(open)s)
      AND (%(teams)s::uuid[] IS NULL OR r.team_id = ANY(%(teams)s::uuid[]))
      AND (%(ids)s::uuid[] IS NULL OR r.id = ANY(%(ids)s::uuid[]))
), history AS (
    SELECT r.id, r.person_id, r.received_on,
           CASE WHEN r.discharged_on <= %(today)s THEN r.discharged_on
                WHEN r.status = ANY(%(ended)s) AND r.triaged_on <= %(today)s
                    THEN r.triaged_on END AS end_on
    FROM referrals_referral r
    JOIN pcns_team t ON t.id = r.team_id AND t.kind <> %(vcse)s
    JOIN referrals_person p ON p.id = r.person_id
    WHERE r.tenant_id = %(tenant)s
      AND r.person_id IN (SELECT person_id FROM asked)
      AND r.received_on <= %(today)s
      AND (p.date_of_birth + interval '18 years')::date <= r.received_on
), ordered AS (
    SELECT *, max(coalesce(end_on, 'infinity'::date)) OVER (
                  PARTITION BY person_id ORDER BY received_on, id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
    FROM history
), member AS (
    SELECT id AS referral_id, person_id, received_on,
           sum(CASE WHEN previous_end IS NULL OR received_on > previous_end + 5
                    THEN 1 ELSE 0 END)
               OVER (PARTITION BY person_id ORDER BY received_on, id) AS spell_no
    FROM ordered
), contacts AS (
    SELECT m.person_id, m.spell_no, min(c.on) AS first_contact
    FROM caseload_contact c JOIN member m ON m.referral_id = c.referral_id
    WHERE c.tenant_id = %(tenant)s AND c.attendance = 'attended' AND c.mode = ANY(%(modes)s)
      AND c.entered_in_error_at IS NULL
      AND c.on BETWEEN m.received_on AND %(today)s
    GROUP BY 1, 2
), assessments AS (
    SELECT m.person_id, m.spell_no, min(a.assessed_on) AS first_assessment
    FROM caseload_assessment a JOIN member m ON m.referral_id = a.referral_id
    WHERE a.tenant_id = %(tenant)s AND a.kind = ANY(%(assessing)s)
      AND a.entered_in_error_at IS NULL
      AND a.assessed_on BETWEEN m.received_on AND %(today)s
    GROUP BY 1, 2
), interventions AS (
    SELECT m.person_id, m.spell_no, min(i.started_on) AS first_intervention
    FROM caseload_intervention i JOIN member m ON m.referral_id = i.referral_id
    WHERE i.tenant_id = %(tenant)s AND i.kind = ANY(%(clinical)s)
      AND i.entered_in_error_at IS NULL
      AND i.started_on BETWEEN m.received_on AND %(today)s
    GROUP BY 1, 2
), plans AS (
    -- A plan counts on the agreement date of its first agreed version.
    SELECT DISTINCT ON (plan.referral_id) plan.referral_id, version.agreed_on
    FROM caseload_careplan plan
    JOIN caseload_careplanversion version ON version.plan_id = plan.id
    WHERE plan.tenant_id = %(tenant)s AND version.agreed_on IS NOT NULL
      AND version.entered_in_error_at IS NULL
      AND plan.referral_id IN (SELECT referral_id FROM member)
    ORDER BY plan.referral_id, version.number
), agreed AS (
    SELECT m.person_id, m.spell_no, min(p.agreed_on) AS first_plan
    FROM plans p JOIN member m ON m.referral_id = p.referral_id
    WHERE p.agreed_on BETWEEN m.received_on AND %(today)s
    GROUP BY 1, 2
), baselines AS (
    SELECT m.person_id, m.spell_no, min(o.completed_on) AS first_baseline
    FROM caseload_outcomemeasure o JOIN member m ON m.referral_id = o.referral_id
    WHERE o.tenant_id = %(tenant)s AND o.completed_on BETWEEN m.received_on AND %(today)s
      AND o.entered_in_error_at IS NULL
    GROUP BY 1, 2
), spells AS (
    SELECT person_id, spell_no, min(received_on) AS start_on
    FROM member GROUP BY 1, 2
)
SELECT m.referral_id, asked.team_id, m.person_id, s.start_on, c.first_contact, a.first_assessment,
       least(i.first_intervention, g.first_plan) AS first_care, b.first_baseline
FROM asked
JOIN member m ON m.referral_id = asked.id
JOIN spells s ON (s.person_id, s.spell_no) = (m.person_id, m.spell_no)
LEFT JOIN contacts c ON (c.person_id, c.spell_no) = (m.person_id, m.spell_no)
LEFT JOIN assessments a ON (a.person_id, a.spell_no) = (m.person_id, m.spell_no)
LEFT JOIN interventions i ON (i.person_id, i.spell_no) = (m.person_id, m.spell_no)
LEFT JOIN agreed g ON (g.person_id, g.spell_no) = (m.person_id, m.spell_no)
LEFT JOIN baselines b ON (b.person_id, b.spell_no) = (m.person_id, m.spell_no)
"""


@dataclass(frozen=True)
class Clock:
    """One open referral's 4-week wait: its spell's start and the components it has."""

    referral_id: uuid.UUID
    team_id: uuid.UUID
    person_id: uuid.UUID
    start_on: dt.date
    components: dict[str, dt.date | None]

    @property
    def stopped(self) -> bool:
        return all(self.components.values())

    def days(self, today: dt.date) -> int:
        return (today - self.start_on).days

    @property
    def missing(self) -> list[str]:
        return [COMPONENTS[name] for name, on in self.components.items() if on is None]


def clocks(*, tenant_id: uuid.UUID, today: dt.date, team_ids: list | None = None,
           referral_ids: list | None = None) -> list[Clock]:
    """The clocks of the open in-scope referrals of ``team_ids`` (or of ``referral_ids``): one
    query. Referrals out of scope (a child's, a VCSE service's) have none."""
    params = {
        "tenant": tenant_id, "today": today, "open": _OPEN, "ended": _ENDED_AT_TRIAGE,
        "vcse": TeamKind.VCSE_SERVICE,
        "teams": None if team_ids is None else [str(pk) for pk in team_ids],
        "ids": None if referral_ids is None else [str(pk) for pk in referral_ids],
        "modes": sorted(QUALIFYING_MODES), "assessing": sorted(ASSESSING_KINDS),
        "clinical": sorted(CLINICAL_INTERVENTION_KINDS),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLOCK, params)
        rows = cursor.fetchall()
    return [Clock(referral_id=row[0], team_id=row[1], person_id=row[2], start_on=row[3],
                  components=dict(zip(COMPONENTS, row[4:], strict=True)))
            for row in rows]


def waiting_over_four_weeks(clock_list: list[Clock], today: dt.date) -> list[Clock]:
    """Clocks that have run past 4 weeks without stopping, longest first."""
    return sorted((c for c in clock_list if not c.stopped and c.days(today) > FOUR_WEEKS),
                  key=lambda c: (c.start_on, str(c.referral_id)))


# --------------------------------------------------------------------------- care plan reviews


def with_review_by(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate ``review_by``: the review date of the latest care plan version of the
    referral's episode (the plan its care record shows) not entered in error, as My caseload
    reads it."""
    latest = CarePlanVersion.objects.filter(
        plan__referral__episode_id=OuterRef("episode_id"), tenant_id=OuterRef("tenant_id"),
        entered_in_error_at__isnull=True,
    ).order_by("-recorded_at", "-number")
    return referrals.annotate(review_by=Subquery(latest.values("review_by")[:1]))


def review_overdue(referrals: QuerySet[Referral], today: dt.date) -> QuerySet[Referral]:
    """Open referrals whose care plan's review date has passed (before today)."""
    return with_review_by(referrals.filter(status__in=_OPEN)).filter(review_by__lt=today)


# --------------------------------------------------------------------------- a lead's teams


def _band(code: str) -> str:
    return f"band_{code}"


@dataclass
class TeamDuty:
    """The duty figures of one team."""

    team: Team
    untriaged: int = 0
    by_urgency: dict[str, int] = field(default_factory=dict)
    by_band: dict[str, int] = field(default_factory=dict)
    open_alerts: int = 0
    unallocated: int = 0
    over_four_weeks: int = 0
    reviews_overdue: int = 0


def team_duty(teams: list[Team], today: dt.date | None = None) -> list[TeamDuty]:
    """The duty figures of ``teams`` (one tenant's), in their order: five queries in all.

    - triage backlog: referrals awaiting triage or the MDT, by urgency and by days waiting (the
      triage queue's bands, counted from the date received);
    - open alerts: risk concerns not yet acknowledged (a worker's or the system's), on any of the
      team's referrals, since an alert stays until a lead has acted on it;
    - accepted referrals waiting to be allocated;
    - people with an open referral in the team whose 4-week clock has run past 28 days without
      stopping (a person counts once per team);
    - open referrals whose care plan's review date has passed.
    """
    if not teams:
        return []
    today = today or timezone.localdate()
    tenant_id = teams[0].tenant_id
    ids = [team.pk for team in teams]
    duty = {team.pk: TeamDuty(team=team) for team in teams}
    referrals = Referral.objects.filter(tenant_id=tenant_id, team_id__in=ids)

    bands = {
        _band(code): Count("pk", filter=Q(received_on__lte=today - dt.timedelta(days=low))
                           & (Q() if high is None
                              else Q(received_on__gte=today - dt.timedelta(days=high))))
        for code, _, low, high in WAITING_BANDS
    }
    urgencies = {u: Count("pk", filter=Q(urgency=u)) for u in Urgency.values}
    backlog = (referrals.filter(status__in=UNTRIAGED_STATUSES).order_by().values("team_id")
               .annotate(total=Count("pk"), **urgencies, **bands))
    for row in backlog:
        figures = duty[row["team_id"]]
        figures.untriaged = row["total"]
        figures.by_urgency = {u: row[u] for u in Urgency.values}
        figures.by_band = {code: row[_band(code)] for code, *_ in WAITING_BANDS}

    alerts = (RiskConcern.objects.filter(RiskConcern.open_q(), tenant_id=tenant_id,
                                         referral__team_id__in=ids)
              .order_by().values("referral__team_id").annotate(n=Count("pk")))
    for row in alerts:
        duty[row["referral__team_id"]].open_alerts = row["n"]

    accepted = (referrals.filter(status=Status.ACCEPTED).order_by().values("team_id")
                .annotate(n=Count("pk")))
    for row in accepted:
        duty[row["team_id"]].unallocated = row["n"]

    overdue = (review_overdue(referrals, today).order_by().values("team_id")
               .annotate(n=Count("pk")))
    for row in overdue:
        duty[row["team_id"]].reviews_overdue = row["n"]

    waiting = waiting_over_four_weeks(
        clocks(tenant_id=tenant_id, today=today, team_ids=ids), today)
    for team_id, _ in {(c.team_id, c.person_id) for c in waiting}:
        duty[team_id].over_four_weeks += 1

    for figures in duty.values():
        for code, *_ in WAITING_BANDS:
            figures.by_band.setdefault(code, 0)
        for u in Urgency.values:
            figures.by_urgency.setdefault(u, 0)
    return [duty[team.pk] for team in teams]


# --------------------------------------------------------------------------- the lists behind

#: A team's lists behind the duty figures: ``?show=`` of the team caseload page.
TEAM_LISTS = {
    "unallocated": "Accepted, waiting to be allocated",
    "over-4-weeks": "Waiting over 4 weeks without a clock stop",
    "review-overdue": "Care plan review overdue",
}


def team_list(team: Team, show: str, today: dt.date | None = None) -> list[Referral]:
    """The team's referrals behind one duty figure (a key of TEAM_LISTS), longest waiting
    first. On the 4-week list each carries ``waited_days``: the days since its spell began."""
    today = today or timezone.localdate()
    referrals = (Referral.objects.filter(tenant_id=team.tenant_id, team=team)
                 .select_related("person", "worker__user")
                 .annotate(open_alert=open_concerns_exist(episode=True)))
    if show == "unallocated":
        return list(referrals.filter(status=Status.ACCEPTED).order_by("received_on", "id"))
    if show == "review-overdue":
        return list(review_overdue(referrals, today).order_by("review_by", "received_on", "id"))
    if show == "over-4-weeks":
        waiting = waiting_over_four_weeks(
            clocks(tenant_id=team.tenant_id, today=today, team_ids=[team.pk]), today)
        found = referrals.in_bulk([c.referral_id for c in waiting])
        listed = []
        for c in waiting:
            referral = found[c.referral_id]
            referral.waited_days = c.days(today)
            listed.append(referral)
        return listed
    raise ValueError(show)


def filter_concerns(concerns: QuerySet[RiskConcern], teams: list[Team], query) -> tuple[
        QuerySet[RiskConcern], Team | None]:
    """The risk concerns page's filters: ``team`` (one of ``teams``, by id) and ``status=open``.
    An unknown team is ignored (the page shows all the lead's teams)."""
    chosen = next((t for t in teams if str(t.pk) == query.get("team", "")), None)
    if chosen is not None:
        concerns = concerns.filter(referral__team=chosen)
    if query.get("status") == "open":
        concerns = concerns.filter(RiskConcern.open_q())
    return concerns, chosen
