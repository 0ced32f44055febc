"""Contacts, DNAs and cancellations, ACT01, ACT02 and ACT02c (METRICS.md section 5).

Over the tenant's contacts themselves (``caseload_contact``), not only the qualifying ones:
every contact of a community mental health team (``m_team.in_scope``; VCSE services' contacts
are left out), with or without a referral (a contact on a referral that is not in scope, such as
a child's, is still the team's activity), dated in the month up to its ``period_end``. Booked
contacts (attendance ``booked``: not happened yet) are left out everywhere; the other four
attendance values are the attendance groups. A contact belongs to its team, and to its team's
PCN (``m_team.pcn_id``; a hub's has no PCN, key '').

- ACT01: contacts. Category '' for the tenant, each PCN and each team; ``mode:<mode>``,
  ``attendance:<group>`` (attended, dna, cancelled_by_patient, cancelled_by_provider) and
  ``role:<staff_role>`` (the staff member's role on the day) for the tenant and each PCN.
- ACT02: DNA rate, % = dna / (attended + dna), ``numerator`` dna, ``denominator`` attended +
  dna; category '' and ``mode:<mode>``, for the tenant, each PCN and each team; no row where
  there were no attended or DNA contacts.
- ACT02c: cancelled contacts, ``by:patient`` and ``by:provider``, and '' for both; for the
  tenant, each PCN and each team.

The contacts are first counted per month, team, mode, attendance and role (``m_activity``), so
the figures are sums over a table far smaller than the contacts.
"""

from __future__ import annotations

from reporting.engine import RunContext
from reporting.metrics.base import dimension_columns, in_month

COUNTED = f"""
CREATE TEMP TABLE m_activity ON COMMIT DROP AS
SELECT p.period, c.team_id, t.pcn_id, c.mode, c.attendance, c.staff_role, count(*) AS contacts
FROM caseload_contact c
JOIN m_team t ON t.team_id = c.team_id AND t.in_scope
JOIN m_period p ON {in_month("c.on")}
WHERE c.tenant_id = %(tenant)s
  AND c.on BETWEEN %(first_period)s AND %(as_of)s
  AND c.attendance <> 'booked'
  AND c.entered_in_error_at IS NULL
GROUP BY p.period, c.team_id, t.pcn_id, c.mode, c.attendance, c.staff_role
"""

_DIMENSION = dimension_columns("a.pcn_id", team="a.team_id")
_SETS = """GROUP BY GROUPING SETS ((a.period, c.category), (a.period, a.pcn_id, c.category),
                        (a.period, a.team_id, c.category))"""

CONTACTS = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'ACT01', a.period, {_DIMENSION}, c.category, sum(a.contacts), sum(a.contacts)
FROM m_activity a
CROSS JOIN LATERAL (VALUES (''), ('mode:' || a.mode), ('attendance:' || a.attendance),
                           ('role:' || a.staff_role)) AS c(category)
{_SETS}
HAVING grouping(a.team_id) = 1 OR c.category = ''
"""

DNA_RATE = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
SELECT 'ACT02', period, dimension, dimension_key, category, dna, kept_or_missed,
       100.0 * dna / kept_or_missed
FROM (
    SELECT a.period, {_DIMENSION}, c.category,
           coalesce(sum(a.contacts) FILTER (WHERE a.attendance = 'dna'), 0) AS dna,
           sum(a.contacts) AS kept_or_missed
    FROM m_activity a
    CROSS JOIN LATERAL (VALUES (''), ('mode:' || a.mode)) AS c(category)
    WHERE a.attendance IN ('attended', 'dna')
    {_SETS}
) rates
WHERE kept_or_missed > 0
"""

CANCELLED = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'ACT02c', a.period, {_DIMENSION}, c.category, sum(a.contacts), sum(a.contacts)
FROM m_activity a
CROSS JOIN LATERAL (VALUES (''), (CASE a.attendance
    WHEN 'cancelled_by_patient' THEN 'by:patient' ELSE 'by:provider' END)) AS c(category)
WHERE a.attendance IN ('cancelled_by_patient', 'cancelled_by_provider')
{_SETS}
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(COUNTED)
    ctx.execute("ANALYZE m_activity")
    for statement in (CONTACTS, DNA_RATE, CANCELLED):
        ctx.execute(statement)
