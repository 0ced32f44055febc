"""Access: people with 2+ qualifying contacts in 12 months, ACC01 and ACC01T (METRICS.md
section 4).

A referral counts for month M when two of its qualifying contacts fall in the 12 months ending
with M; contacts on different referrals are not pooled. Taking a referral's contacts in date
order, that holds exactly when some consecutive pair (c1, c2) has c1 on or after the window's
first day and c2 on or before its last: for the pair, the months from c2's month to 11 months
after c1's. Those month ranges are merged per person and PCN and joined to the months, so no
row is made per contact per month.

Table built for other calculators: ``m_access(person_id, pcn_id, transformed, month_from,
month_to)``, the merged ranges of months in which the person had a referral in that PCN with 2+
contacts (``transformed``: counting only contacts on or after the PCN's go-live date).
"""

from __future__ import annotations

from reporting.engine import RunContext

RANGES = """
CREATE TEMP TABLE m_access ON COMMIT DROP AS
WITH contacts AS (
    SELECT q.id, q.referral_id, q.person_id, q.pcn_id, q.contact_on, q.contact_at,
           FALSE AS transformed
    FROM m_qcontact q
    UNION ALL
    SELECT q.id, q.referral_id, q.person_id, q.pcn_id, q.contact_on, q.contact_at, TRUE
    FROM m_qcontact q JOIN m_pcn pcn ON pcn.pcn_id = q.pcn_id
    WHERE q.contact_on >= pcn.go_live_date
), pairs AS (
    SELECT person_id, pcn_id, transformed, contact_on AS first_on,
           lead(contact_on) OVER (PARTITION BY transformed, referral_id
                                  ORDER BY contact_on, contact_at, id) AS next_on
    FROM contacts
), ranges AS (
    SELECT person_id, pcn_id, transformed,
           date_trunc('month', next_on)::date AS month_from,
           (date_trunc('month', first_on) + interval '11 months')::date AS month_to
    FROM pairs
    WHERE next_on IS NOT NULL
), islands AS (
    SELECT *, sum(starts) OVER (PARTITION BY person_id, pcn_id, transformed
                                ORDER BY month_from, month_to) AS island
    FROM (
        SELECT *, CASE WHEN month_from <= max(month_to) OVER (
                               PARTITION BY person_id, pcn_id, transformed
                               ORDER BY month_from, month_to
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                       THEN 0 ELSE 1 END AS starts
        FROM ranges
    ) r
)
SELECT person_id, pcn_id, transformed, min(month_from) AS month_from, max(month_to) AS month_to
FROM islands
GROUP BY person_id, pcn_id, transformed, island
"""

# Distinct people per month for the tenant; once per PCN for each PCN.
PEOPLE = """
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT CASE WHEN a.transformed THEN 'ACC01T' ELSE 'ACC01' END, p.period,
       CASE WHEN grouping(a.pcn_id) = 1 THEN 'tenant' ELSE 'pcn' END,
       CASE WHEN grouping(a.pcn_id) = 1 THEN '' ELSE coalesce(a.pcn_id::text, '') END,
       '', count(DISTINCT a.person_id), count(DISTINCT a.person_id)
FROM m_access a
JOIN m_period p ON p.period BETWEEN a.month_from AND a.month_to
GROUP BY GROUPING SETS ((a.transformed, p.period), (a.transformed, p.period, a.pcn_id))
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(RANGES)
    ctx.execute("ANALYZE m_access")
    ctx.execute(PEOPLE)
