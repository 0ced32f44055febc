"""The temporary tables every calculator reads: the tenant's records as of the as-of date.

Built once per refresh, analysed so the planner knows their sizes, dropped at commit:

- ``m_period(period, period_end)``: the months of the refresh; ``period_end`` is the month's
  last day, or the as-of date in its own month.
- ``m_pcn(pcn_id, name, go_live_date)``: the tenant's PCNs.
- ``m_team(team_id, pcn_id, in_scope)``: every team, the PCN it belongs to (its host, or its
  host practice's PCN) and whether it is a community mental health team (not a VCSE service).
- ``m_referral``: in-scope referrals (METRICS.md section 1): a community mental health team's,
  received by the as-of date, for a person 18 or over on the day it was received. Anything dated
  after the as-of date is treated as not having happened yet: ``end_on`` is the discharge date,
  else the rejection or redirection date, else NULL (open); ``triaged_on``, ``worker_id`` and
  ``allocated_on`` are NULL if later. ``pcn_id`` is the PCN of the person's registered practice,
  else that of the receiving team.
- ``m_qcontact``: qualifying contacts of in-scope referrals: attended, in a qualifying mode,
  dated from the referral's received date to the as-of date.
"""

from __future__ import annotations

from caseload.codes import ASSESSING_KINDS, CLINICAL_INTERVENTION_KINDS, QUALIFYING_MODES
from reporting.engine import RunContext

PERIODS = """
CREATE TEMP TABLE m_period ON COMMIT DROP AS
SELECT p::date AS period,
       least((p + interval '1 month' - interval '1 day')::date, %(as_of)s::date) AS period_end
FROM generate_series(%(first_period)s::date, %(last_period)s::date, interval '1 month') AS p
"""

PCNS = """
CREATE TEMP TABLE m_pcn ON COMMIT DROP AS
SELECT id AS pcn_id, name, go_live_date
FROM pcns_organisation WHERE tenant_id = %(tenant)s AND kind = 'pcn'
"""

TEAMS = """
CREATE TEMP TABLE m_team ON COMMIT DROP AS
SELECT t.id AS team_id,
       CASE WHEN host.kind = 'pcn' THEN host.id
            WHEN host.kind = 'gp_practice' AND parent.kind = 'pcn' THEN parent.id END AS pcn_id,
       t.kind <> 'vcse_service' AS in_scope
FROM pcns_team t
JOIN pcns_organisation host ON host.id = t.host_id
LEFT JOIN pcns_organisation parent ON parent.id = host.parent_id
WHERE t.tenant_id = %(tenant)s
"""

REFERRALS = """
CREATE TEMP TABLE m_referral ON COMMIT DROP AS
SELECT r.id, r.person_id, r.team_id, coalesce(practice_pcn.id, t.pcn_id) AS pcn_id,
       r.received_on, r.source, r.urgency, r.status,
       r.rejection_reason, r.redirect_destination, r.previous_referral_id,
       CASE WHEN r.triaged_on <= %(as_of)s THEN r.triaged_on END AS triaged_on,
       CASE WHEN r.discharged_on <= %(as_of)s THEN r.discharged_on
            WHEN r.status IN ('rejected', 'redirected') AND r.triaged_on <= %(as_of)s
                THEN r.triaged_on END AS end_on,
       CASE WHEN r.discharged_on <= %(as_of)s THEN 'discharged'
            WHEN r.status IN ('rejected', 'redirected') AND r.triaged_on <= %(as_of)s
                THEN r.status END AS ended_as,
       CASE WHEN r.allocated_on <= %(as_of)s THEN r.worker_id END AS worker_id,
       CASE WHEN r.allocated_on <= %(as_of)s THEN r.allocated_on END AS allocated_on
FROM referrals_referral r
JOIN m_team t ON t.team_id = r.team_id AND t.in_scope
JOIN referrals_person person ON person.id = r.person_id
LEFT JOIN pcns_organisation practice ON practice.id = person.registered_practice_id
LEFT JOIN pcns_organisation practice_pcn
       ON practice_pcn.id = practice.parent_id AND practice_pcn.kind = 'pcn'
WHERE r.tenant_id = %(tenant)s
  AND r.received_on <= %(as_of)s
  AND (person.date_of_birth + interval '18 years')::date <= r.received_on
"""

QUALIFYING_CONTACTS = """
CREATE TEMP TABLE m_qcontact ON COMMIT DROP AS
SELECT c.id, c.referral_id, r.person_id, r.pcn_id, c.on AS contact_on, c.at AS contact_at
FROM caseload_contact c
JOIN m_referral r ON r.id = c.referral_id
WHERE c.tenant_id = %(tenant)s
  AND c.attendance = 'attended'
  AND c.entered_in_error_at IS NULL
  AND c.mode = ANY(%(modes)s)
  AND c.on BETWEEN r.received_on AND %(as_of)s
"""


def prepare(ctx: RunContext) -> None:
    ctx.execute(PERIODS)
    ctx.execute(PCNS)
    ctx.execute(TEAMS)
    ctx.execute(REFERRALS)
    ctx.execute("CREATE INDEX ON m_referral (id)")
    ctx.execute(QUALIFYING_CONTACTS, {"modes": sorted(QUALIFYING_MODES)})
    ctx.execute("ANALYZE m_period, m_pcn, m_team, m_referral, m_qcontact")


def dimension_columns(pcn: str, team: str | None = None, worker: str | None = None) -> str:
    """``dimension, dimension_key`` of a row of ``GROUP BY GROUPING SETS``: the finest of
    ``worker``, ``team`` and ``pcn`` grouped on, else the tenant. Each grouping set names at
    most one of them (an unknown PCN has the key '')."""
    levels = [(column, name) for column, name in ((worker, "worker"), (team, "team"))
              if column is not None]
    dimension = " ".join(f"WHEN grouping({column}) = 0 THEN '{name}'" for column, name in levels)
    key = " ".join(f"WHEN grouping({column}) = 0 THEN {column}::text" for column, _ in levels)
    return (f"CASE {dimension} WHEN grouping({pcn}) = 0 THEN 'pcn' ELSE 'tenant' END "
            f"AS dimension,\n"
            f"       CASE {key} WHEN grouping({pcn}) = 0 THEN coalesce({pcn}::text, '') "
            f"ELSE '' END AS dimension_key")


def in_month(day: str) -> str:
    """Join condition of ``m_period p`` to the month ``day`` falls in, up to its period_end
    (an equality join, so the planner can hash it)."""
    return f"p.period = date_trunc('month', {day})::date AND {day} <= p.period_end"


#: The national 4-week wait, in days (RS01a/b, W2C04).
FOUR_WEEKS = 28


def wait_columns(days: str) -> str:
    """``n, within, median, p90`` of the waits ``days`` in a group: how many, how many within
    4 weeks, and the median and 90th percentile (interpolated, as METRICS.md counts them)."""
    return (f"count(*) AS n, count(*) FILTER (WHERE {days} <= {FOUR_WEEKS}) AS within,\n"
            f"           percentile_cont(0.5) WITHIN GROUP (ORDER BY {days}) AS median,\n"
            f"           percentile_cont(0.9) WITHIN GROUP (ORDER BY {days}) AS p90")


#: Shared with calculators that filter the same records.
ASSESSING = sorted(ASSESSING_KINDS)
CLINICAL_INTERVENTIONS = sorted(CLINICAL_INTERVENTION_KINDS)
