"""Legacy wait from referral to second contact, W2C-* (METRICS.md section 3).

Per in-scope referral, not per spell: the second qualifying contact recorded on it, ordered by
date, time and id; the wait is its date minus the received date. Per tenant and PCN; the
referrals still waiting (W2C05, W2C05m, W2C05p90) also per receiving team, for the team page.
"""

from __future__ import annotations

from reporting.engine import RunContext
from reporting.metrics.base import dimension_columns, wait_columns

SECOND_CONTACTS = """
CREATE TEMP TABLE m_referral_second ON COMMIT DROP AS
SELECT referral_id, contact_on AS second_on
FROM (
    SELECT q.referral_id, q.contact_on,
           row_number() OVER (PARTITION BY q.referral_id
                              ORDER BY q.contact_on, q.contact_at, q.id) AS rank
    FROM m_qcontact q
) q
WHERE rank = 2
"""

_BY_PCN = "GROUP BY GROUPING SETS ((p.period), (p.period, r.pcn_id))"
_DIMENSION = dimension_columns("r.pcn_id")

REACHED = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
SELECT v.code, a.period, a.dimension, a.dimension_key, '', v.numerator, v.denominator, v.value
FROM (
    SELECT p.period, {_DIMENSION}, {wait_columns("w.second_on - r.received_on")}
    FROM m_referral_second w
    JOIN m_referral r ON r.id = w.referral_id
    JOIN m_period p ON w.second_on BETWEEN p.period AND p.period_end
    {_BY_PCN}
) a
CROSS JOIN LATERAL (VALUES
    ('W2C01', a.n, NULL::bigint, a.n::numeric),
    ('W2C02', NULL, a.n, a.median),
    ('W2C03', NULL, a.n, a.p90),
    ('W2C04', a.within, a.n, 100.0 * a.within / a.n)
) AS v(code, numerator, denominator, value)
"""

#: Bands of W2C05 (days waited so far): upper bound in days, category key.
WAITING_BANDS = [(6, "0-6d"), (13, "7-13d"), (27, "14-27d"), (84, "28-84d"), (None, "85d+")]

_BAND = "CASE " + " ".join(
    f"WHEN p.period_end - r.received_on <= {upto} THEN 'band:{key}'"
    for upto, key in WAITING_BANDS if upto is not None
) + f" ELSE 'band:{WAITING_BANDS[-1][1]}' END"

# Still waiting at the month's end: received, not ended, fewer than 2 contacts by then. Per
# tenant, PCN and receiving team too: the team lead's waiting list.
_WAITING_DIMENSION = dimension_columns("r.pcn_id", team="r.team_id")
_WAITING_FROM = """
    FROM m_referral r
    JOIN m_period p ON r.received_on <= p.period_end
                    AND coalesce(r.end_on, 'infinity'::date) > p.period_end
    LEFT JOIN m_referral_second w ON w.referral_id = r.id
    WHERE NOT w.second_on <= p.period_end IS TRUE
"""

WAITING = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
SELECT v.code, a.period, a.dimension, a.dimension_key, '', v.numerator, v.denominator, v.value
FROM (
    SELECT p.period, {_WAITING_DIMENSION}, {wait_columns("p.period_end - r.received_on")}
    {_WAITING_FROM}
    GROUP BY GROUPING SETS ((p.period), (p.period, r.pcn_id), (p.period, r.team_id))
) a
CROSS JOIN LATERAL (VALUES
    ('W2C05', a.n, NULL::bigint, a.n::numeric),
    ('W2C05m', NULL, a.n, a.median),
    ('W2C05p90', NULL, a.n, a.p90)
) AS v(code, numerator, denominator, value)
"""

WAITING_BANDED = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'W2C05', p.period, {_WAITING_DIMENSION}, b.category, count(*), count(*)
{_WAITING_FROM.replace("WHERE", "CROSS JOIN LATERAL (SELECT " + _BAND + " AS category) b WHERE")}
GROUP BY GROUPING SETS ((p.period, b.category), (p.period, r.pcn_id, b.category),
                        (p.period, r.team_id, b.category))
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(SECOND_CONTACTS)
    ctx.execute("CREATE INDEX ON m_referral_second (referral_id)")
    ctx.execute("ANALYZE m_referral_second")
    for statement in (REACHED, WAITING, WAITING_BANDED):
        ctx.execute(statement)
