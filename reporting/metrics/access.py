"""Access: people with 2+ qualifying contacts in 12 months, ACC01 and ACC01T (METRICS.md
section 4).

A referral counts for month M when two of its qualifying contacts fall in the 12 months ending
with M; contacts on different referrals are not pooled. Taking a referral's contacts in date
order, that holds exactly when some consecutive pair (c1, c2) has c1 on or after the window's
first day and c2 on or before its last: for the pair, the months from c2's month to 11 months
after c1's. Those month ranges are merged per person and PCN, and again per person over all
PCNs, and joined to the months, so no row is made per contact per month.

ACC01T counts only contacts on or after the PCN's go-live date. A referral's PCN is fixed, so
that drops a first run of its contacts in date order, and its consecutive pairs are the pairs
above whose first contact is on or after go-live: one pass over the contacts serves both.

Table built for other calculators: ``m_access(person_id, pcn_id, transformed, for_tenant,
month_from, month_to)``, the merged ranges of months in which the person had a referral with 2+
contacts (``transformed``: counting only contacts on or after the PCN's go-live date): per PCN
(``for_tenant`` false; a PCN not known is a NULL ``pcn_id``), and over the whole tenant
(``for_tenant`` true, ``pcn_id`` NULL). Within each of those the ranges of one person do not
overlap, so a plain count of rows in a month is a count of distinct people.
"""

from __future__ import annotations

from reporting.engine import RunContext


def _merged(ranges: str, by: str) -> str:
    """The ranges of ``ranges`` (with columns ``by``, month_from, month_to) merged where they
    overlap or touch, per ``by``: gaps and islands, in one sort."""
    return f"""
SELECT {by}, min(month_from) AS month_from, max(month_to) AS month_to
FROM (
    SELECT *, sum(starts) OVER (PARTITION BY {by} ORDER BY month_from, month_to) AS island
    FROM (
        SELECT *, CASE WHEN month_from <= max(month_to) OVER (
                               PARTITION BY {by} ORDER BY month_from, month_to
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                       THEN 0 ELSE 1 END AS starts
        FROM ({ranges}) r
    ) r
) islands
GROUP BY {by}, island
"""


_PAIRS = """
SELECT DISTINCT pair.person_id, pair.pcn_id, t.transformed,
       date_trunc('month', pair.next_on)::date AS month_from,
       (date_trunc('month', pair.first_on) + interval '11 months')::date AS month_to
FROM (
    SELECT person_id, pcn_id, contact_on AS first_on,
           lead(contact_on) OVER (PARTITION BY referral_id
                                  ORDER BY contact_on, contact_at, id) AS next_on
    FROM m_qcontact
) pair
LEFT JOIN m_pcn pcn ON pcn.pcn_id = pair.pcn_id
CROSS JOIN (VALUES (FALSE), (TRUE)) AS t(transformed)
WHERE pair.next_on IS NOT NULL
  AND date_trunc('month', pair.next_on) <= date_trunc('month', pair.first_on)
                                           + interval '11 months'
  AND (NOT t.transformed OR pair.first_on >= pcn.go_live_date)
"""

PER_PCN = f"""
CREATE TEMP TABLE m_access ON COMMIT DROP AS
SELECT person_id, pcn_id, transformed, FALSE AS for_tenant, month_from, month_to
FROM ({_merged(_PAIRS, "person_id, pcn_id, transformed")}) merged
"""

# A person's PCN ranges merged again: their months in any PCN.
PER_TENANT = f"""
INSERT INTO m_access (person_id, pcn_id, transformed, for_tenant, month_from, month_to)
SELECT person_id, NULL, transformed, TRUE, month_from, month_to
FROM ({_merged("SELECT * FROM m_access", "person_id, transformed")}) merged
"""

PEOPLE = """
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT CASE WHEN a.transformed THEN 'ACC01T' ELSE 'ACC01' END, p.period,
       CASE WHEN a.for_tenant THEN 'tenant' ELSE 'pcn' END,
       CASE WHEN a.for_tenant THEN '' ELSE coalesce(a.pcn_id::text, '') END,
       '', count(*), count(*)
FROM m_access a
JOIN m_period p ON p.period BETWEEN a.month_from AND a.month_to
GROUP BY a.transformed, a.for_tenant, a.pcn_id, p.period
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(PER_PCN)
    ctx.execute(PER_TENANT)
    ctx.execute("ANALYZE m_access")
    ctx.execute(PEOPLE)
