"""Caseloads and the triage queue at each month's end, CAS01, CAS01w and CAS02 (METRICS.md
section 5), over ``m_referral`` (in-scope referrals) as they stood on the month's
``period_end``.

- CAS01: open caseload: referrals allocated to a named worker by the month's end
  (``allocated_on``) and not ended by then (``end_on`` NULL or later). Category '' and the two
  states, for the tenant, each PCN (the referral's), each team (the receiving team) and each
  worker (``dimension_key`` the worker's membership id).
  ``state:active`` / ``state:awaiting_assessment``: in the service (caseload/services.py
  ``assessment_record``) an allocated referral becomes active when the first assessment of an
  assessing kind (METRICS.md "meaningful assessment") is recorded on it, and the activation is
  dated the later of the assessment's date and the allocation's. Contacts, plans and
  interventions do not activate a referral. So a referral counts as active at a month's end when
  it has a meaningful assessment of its own dated on or before then (allocated by then is
  already required); a referral assessed after the month's end was awaiting assessment in that
  month. A re-referral that reopened an episode is active only once an assessment is recorded
  on it, as in the service (the earlier referral's assessments do not activate it).
- CAS01w: caseload per whole-time equivalent, category '' only. Per worker: their caseload /
  their ``pcns_membership.wte``, only where the wte is known (and above 0). Per team: the team's
  caseload / the sum of the wte of its members (``pcns_teammembership``) who are active and
  have a wte, only where that sum is above 0. ``value`` is the ratio; ``numerator`` and
  ``denominator`` are both the caseload it is based on, so disclosure control (which reads
  ``denominator`` as a statistic's base) suppresses the ratio of a caseload of 1 to 4. The
  wte and team memberships are as recorded now: they carry no dates.
- CAS02: referrals awaiting triage at the month's end: received by then, with no triage
  decision by then (``triaged_on`` NULL or later) and not ended by then. Category '' and the
  bands of days waited (``period_end`` - received date; ``waits.WAITING_BANDS``), for the
  tenant, each PCN and each team.

A referral is counted under the worker it is allocated to now: a reallocation's date is kept
only in the referral's event log, so a past month's caseload follows the referral to its
current worker.
"""

from __future__ import annotations

from reporting.engine import RunContext
from reporting.metrics.base import ASSESSING, dimension_columns
from reporting.metrics.waits import WAITING_BANDS

# Each month's open caseload, one row per referral, with its state at the month's end.
CASELOAD = """
CREATE TEMP TABLE m_caseload ON COMMIT DROP AS
WITH assessed AS (
    SELECT a.referral_id, min(a.assessed_on) AS first_assessment
    FROM caseload_assessment a
    JOIN m_referral r ON r.id = a.referral_id
    WHERE a.tenant_id = %(tenant)s AND a.kind = ANY(%(assessing)s)
      AND a.entered_in_error_at IS NULL
      AND a.assessed_on <= %(as_of)s
    GROUP BY a.referral_id
)
SELECT p.period, r.id AS referral_id, r.worker_id, r.team_id, r.pcn_id,
       s.first_assessment <= p.period_end IS TRUE AS active
FROM m_referral r
JOIN m_period p ON r.allocated_on <= p.period_end
                AND coalesce(r.end_on, 'infinity'::date) > p.period_end
LEFT JOIN assessed s ON s.referral_id = r.id
WHERE r.worker_id IS NOT NULL
"""

_SETS = """GROUP BY GROUPING SETS ((k.period, c.category), (k.period, k.pcn_id, c.category),
                        (k.period, k.team_id, c.category), (k.period, k.worker_id, c.category))"""

OPEN_CASELOAD = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'CAS01', k.period,
       {dimension_columns("k.pcn_id", team="k.team_id", worker="k.worker_id")},
       c.category, count(*), count(*)
FROM m_caseload k
CROSS JOIN LATERAL (VALUES (''), (CASE WHEN k.active THEN 'state:active'
                                       ELSE 'state:awaiting_assessment' END)) AS c(category)
{_SETS}
"""

PER_WTE = """
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
WITH team_wte AS (
    SELECT tm.team_id, sum(m.wte) AS wte
    FROM pcns_teammembership tm
    JOIN pcns_membership m ON m.id = tm.membership_id
    WHERE tm.tenant_id = %(tenant)s AND m.is_active AND m.wte IS NOT NULL
    GROUP BY tm.team_id
    HAVING sum(m.wte) > 0
)
SELECT 'CAS01w', k.period, 'worker', k.worker_id::text, '', count(*), count(*),
       count(*) / m.wte
FROM m_caseload k
JOIN pcns_membership m ON m.id = k.worker_id
WHERE m.tenant_id = %(tenant)s AND m.wte > 0
GROUP BY k.period, k.worker_id, m.wte
UNION ALL
SELECT 'CAS01w', k.period, 'team', k.team_id::text, '', count(*), count(*), count(*) / w.wte
FROM m_caseload k
JOIN team_wte w ON w.team_id = k.team_id
GROUP BY k.period, k.team_id, w.wte
"""

_BAND = "CASE " + " ".join(
    f"WHEN p.period_end - r.received_on <= {upto} THEN 'band:{key}'"
    for upto, key in WAITING_BANDS if upto is not None
) + f" ELSE 'band:{WAITING_BANDS[-1][1]}' END"

AWAITING_TRIAGE = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'CAS02', p.period, {dimension_columns("r.pcn_id", team="r.team_id")},
       c.category, count(*), count(*)
FROM m_referral r
JOIN m_period p ON r.received_on <= p.period_end
                AND coalesce(r.end_on, 'infinity'::date) > p.period_end
                AND NOT r.triaged_on <= p.period_end IS TRUE
CROSS JOIN LATERAL (VALUES (''), ({_BAND})) AS c(category)
GROUP BY GROUPING SETS ((p.period, c.category), (p.period, r.pcn_id, c.category),
                        (p.period, r.team_id, c.category))
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(CASELOAD, {"assessing": ASSESSING})
    ctx.execute("ANALYZE m_caseload")
    for statement in (OPEN_CASELOAD, PER_WTE, AWAITING_TRIAGE):
        ctx.execute(statement)
