"""Referral flow, REF01 to REF05 (METRICS.md section 5), over ``m_referral``.

Every figure is over in-scope referrals (``m_referral``: a community mental health team's, for a
person 18 or over on the day it was received; VCSE services' referrals are not in it), per month,
for the tenant and for each PCN (the referral's PCN: the registered practice's, else the receiving
team's), as the records stood at the month's end:

- REF01: referrals received in the month. Category '' for the tenant, each PCN and each
  receiving team; ``source:<source>`` and ``urgency:<urgency>`` for the tenant and each PCN.
- REF02: median days from received to the triage decision, over the referrals whose triage
  decision (accepted, rejected or redirected) is dated in the month; ``denominator`` is how many.
  A re-referral that reopened its episode is decided on the day it arrived (0 days).
- REF03: rejections dated in the month (``triaged_on``, the decision's date), category '' and
  ``reason:<rejection_reason>``. REF03p: REF03 as a % of REF01 for the same month and PCN
  (``numerator`` rejections, ``denominator`` referrals received), only where REF01 > 0; the
  two counts are of different referrals (a rejection in March may be of a February referral).
- REF04: redirections dated in the month, category '' and ``destination:<destination>``.
- REF05: re-referrals: referrals received in the month by someone with an in-scope referral
  discharged in the 365 days before the day it was received (discharged before that day, not
  on it). A referral counts once however many discharges precede it.

A decision recorded after the as-of date has not happened yet (``m_referral`` leaves such dates
out), so a month recomputed later keeps its figures unless back-dated records were added.

``dimension_columns`` and ``in_month`` are shared with the activity and caseload calculators.
"""

from __future__ import annotations

from reporting.engine import RunContext
from reporting.metrics.base import dimension_columns, in_month

_DIMENSION = dimension_columns("r.pcn_id", team="r.team_id")

# Received in the month: the whole per tenant, PCN and team; by source and urgency per tenant
# and PCN.
RECEIVED = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'REF01', p.period, {_DIMENSION}, c.category, count(*), count(*)
FROM m_referral r
JOIN m_period p ON {in_month('r.received_on')}
CROSS JOIN LATERAL (VALUES (''), ('source:' || r.source), ('urgency:' || r.urgency))
    AS c(category)
GROUP BY GROUPING SETS ((p.period, c.category), (p.period, r.pcn_id, c.category),
                        (p.period, r.team_id, c.category))
HAVING grouping(r.team_id) = 1 OR c.category = ''
"""

_BY_PCN = "GROUPING SETS ((p.period, c.category), (p.period, r.pcn_id, c.category))"
_PCN_DIMENSION = dimension_columns("r.pcn_id")

TRIAGE_WAIT = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, denominator, value)
SELECT 'REF02', p.period, {_PCN_DIMENSION}, '', count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.triaged_on - r.received_on)
FROM m_referral r
JOIN m_period p ON {in_month('r.triaged_on')}
GROUP BY GROUPING SETS ((p.period), (p.period, r.pcn_id))
"""

# Rejections by reason and redirections by destination, dated in the month.
DECISIONS = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT CASE r.ended_as WHEN 'rejected' THEN 'REF03' ELSE 'REF04' END, p.period,
       {_PCN_DIMENSION}, c.category, count(*), count(*)
FROM m_referral r
JOIN m_period p ON {in_month('r.triaged_on')}
CROSS JOIN LATERAL (VALUES (''), (CASE r.ended_as
    WHEN 'rejected' THEN 'reason:' || r.rejection_reason
    ELSE 'destination:' || r.redirect_destination END)) AS c(category)
WHERE r.ended_as IN ('rejected', 'redirected')
GROUP BY r.ended_as, {_BY_PCN}
"""

# Referrals received and rejections, counted together per month and PCN: a month with
# referrals but no rejections is 0%.
REJECTED_SHARE = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
SELECT 'REF03p', period, dimension, dimension_key, '', rejected, received,
       100.0 * rejected / received
FROM (
    SELECT p.period, {_PCN_DIMENSION},
           count(*) FILTER (WHERE e.kind = 'received') AS received,
           count(*) FILTER (WHERE e.kind = 'rejected') AS rejected
    FROM m_referral r
    CROSS JOIN LATERAL (VALUES
        ('received', r.received_on),
        ('rejected', CASE WHEN r.ended_as = 'rejected' THEN r.triaged_on END)) AS e(kind, day)
    JOIN m_period p ON {in_month('e.day')}
    GROUP BY GROUPING SETS ((p.period), (p.period, r.pcn_id))
) a
WHERE received > 0
"""

RE_REFERRALS = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'REF05', p.period, {_PCN_DIMENSION}, '', count(*), count(*)
FROM m_referral r
JOIN m_period p ON {in_month('r.received_on')}
WHERE EXISTS (
    SELECT 1 FROM m_referral earlier
    WHERE earlier.person_id = r.person_id AND earlier.ended_as = 'discharged'
      AND earlier.end_on < r.received_on AND earlier.end_on >= r.received_on - 365)
GROUP BY GROUPING SETS ((p.period), (p.period, r.pcn_id))
"""


def compute(ctx: RunContext) -> None:
    for statement in (RECEIVED, TRIAGE_WAIT, DECISIONS, REJECTED_SHARE, RE_REFERRALS):
        ctx.execute(statement)
