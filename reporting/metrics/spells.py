"""Referral spells, clock stops and the RS-* measures (METRICS.md section 2).

Spells are built once over every in-scope referral up to the as-of date; a month's figures are
then read off them as they stood at that month's end. That is exact, not an approximation:
referrals join a spell in received-date order, so the spell as it stood on an earlier date is
the prefix of its referrals received by then (a later referral can only join the last spell),
and a referral that ends after that date was open on it, which joins the same referrals (it
ends at least 5 days after anything received by then). Component records dated before their
referral was received are ignored, so a record belongs to a month only from its own date on.

Tables built here for other calculators:

- ``m_spell_member(referral_id, person_id, spell_id, received_on, end_on, next_received,
  prefix_end)``: ``prefix_end`` is the latest end of the spell's referrals up to this one
  ('infinity' while any is open), ``next_received`` the next referral's received date.
- ``m_spell(spell_id, person_id, pcn_id, start_on, end_on, first_contact, second_contact,
  first_assessment, first_care, first_baseline, clock_stop, partial_stop)``; ``end_on`` NULL
  means open on the as-of date.
"""

from __future__ import annotations

from reporting.engine import RunContext
from reporting.metrics.base import (
    ASSESSING,
    CLINICAL_INTERVENTIONS,
    dimension_columns,
    wait_columns,
)

MEMBERS = """
CREATE TEMP TABLE m_spell_member ON COMMIT DROP AS
WITH ordered AS (
    SELECT r.id, r.person_id, r.received_on, r.end_on,
           max(coalesce(r.end_on, 'infinity'::date)) OVER (
               PARTITION BY r.person_id ORDER BY r.received_on, r.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
    FROM m_referral r
), numbered AS (
    SELECT *, sum(CASE WHEN previous_end IS NULL OR received_on > previous_end + 5
                       THEN 1 ELSE 0 END)
                  OVER (PARTITION BY person_id ORDER BY received_on, id) AS spell_no
    FROM ordered
)
SELECT id AS referral_id, person_id,
       dense_rank() OVER (ORDER BY person_id, spell_no) AS spell_id,
       received_on, end_on,
       lead(received_on) OVER spell AS next_received,
       max(coalesce(end_on, 'infinity'::date)) OVER (spell ROWS UNBOUNDED PRECEDING)
           AS prefix_end
FROM numbered
WINDOW spell AS (PARTITION BY person_id, spell_no ORDER BY received_on, id)
"""

# Per spell: the first date of each clock-stop component, then the clock stops.
SPELLS = """
CREATE TEMP TABLE m_spell ON COMMIT DROP AS
WITH firsts AS (
    SELECT DISTINCT ON (m.spell_id) m.spell_id, m.person_id, m.received_on AS start_on,
           r.pcn_id
    FROM m_spell_member m JOIN m_referral r ON r.id = m.referral_id
    ORDER BY m.spell_id, m.received_on, m.referral_id
), ends AS (
    SELECT spell_id, nullif(max(coalesce(end_on, 'infinity'::date)), 'infinity') AS end_on
    FROM m_spell_member GROUP BY spell_id
), contacts AS (
    SELECT spell_id,
           min(q.contact_on) FILTER (WHERE rank = 1) AS first_contact,
           min(q.contact_on) FILTER (WHERE rank = 2) AS second_contact
    FROM (
        SELECT m.spell_id, q.contact_on,
               row_number() OVER (PARTITION BY m.spell_id
                                  ORDER BY q.contact_on, q.contact_at, q.id) AS rank
        FROM m_qcontact q JOIN m_spell_member m ON m.referral_id = q.referral_id
    ) q
    WHERE rank <= 2
    GROUP BY spell_id
), assessments AS (
    SELECT m.spell_id, min(a.assessed_on) AS first_assessment
    FROM caseload_assessment a
    JOIN m_spell_member m ON m.referral_id = a.referral_id
    WHERE a.tenant_id = %(tenant)s AND a.kind = ANY(%(assessing)s)
      AND a.entered_in_error_at IS NULL
      AND a.assessed_on BETWEEN m.received_on AND %(as_of)s
    GROUP BY m.spell_id
), interventions AS (
    SELECT m.spell_id, min(i.started_on) AS first_intervention
    FROM caseload_intervention i
    JOIN m_spell_member m ON m.referral_id = i.referral_id
    WHERE i.tenant_id = %(tenant)s AND i.kind = ANY(%(clinical)s)
      AND i.entered_in_error_at IS NULL
      AND i.started_on BETWEEN m.received_on AND %(as_of)s
    GROUP BY m.spell_id
), plans AS (
    -- A plan counts on the agreement date of its first agreed version.
    SELECT DISTINCT ON (plan.referral_id) plan.referral_id, version.agreed_on
    FROM caseload_careplan plan
    JOIN caseload_careplanversion version ON version.plan_id = plan.id
    JOIN m_referral r ON r.id = plan.referral_id
    WHERE plan.tenant_id = %(tenant)s AND version.agreed_on IS NOT NULL
      AND version.entered_in_error_at IS NULL
    ORDER BY plan.referral_id, version.number
), agreed AS (
    SELECT m.spell_id, min(p.agreed_on) AS first_plan
    FROM plans p JOIN m_spell_member m ON m.referral_id = p.referral_id
    WHERE p.agreed_on BETWEEN m.received_on AND %(as_of)s
    GROUP BY m.spell_id
), baselines AS (
    SELECT m.spell_id, min(o.completed_on) AS first_baseline
    FROM caseload_outcomemeasure o
    JOIN m_spell_member m ON m.referral_id = o.referral_id
    WHERE o.tenant_id = %(tenant)s AND o.completed_on BETWEEN m.received_on AND %(as_of)s
      AND o.entered_in_error_at IS NULL
    GROUP BY m.spell_id
), components AS (
    SELECT f.spell_id, f.person_id, f.pcn_id, f.start_on, e.end_on, c.first_contact,
           c.second_contact, a.first_assessment, b.first_baseline,
           -- the plan counts only if the spell was open on the day it was agreed
           least(i.first_intervention,
                 CASE WHEN g.first_plan <= coalesce(e.end_on, 'infinity'::date)
                      THEN g.first_plan END) AS first_care
    FROM firsts f
    JOIN ends e USING (spell_id)
    LEFT JOIN contacts c USING (spell_id)
    LEFT JOIN assessments a USING (spell_id)
    LEFT JOIN interventions i USING (spell_id)
    LEFT JOIN agreed g USING (spell_id)
    LEFT JOIN baselines b USING (spell_id)
)
SELECT *,
       CASE WHEN first_contact IS NOT NULL AND first_assessment IS NOT NULL
                 AND first_care IS NOT NULL AND first_baseline IS NOT NULL
            THEN greatest(first_contact, first_assessment, first_care, first_baseline)
       END AS clock_stop,
       CASE WHEN first_contact IS NOT NULL
                 AND coalesce(first_assessment, first_care, first_baseline) IS NOT NULL
            THEN greatest(first_contact, least(first_assessment, first_care, first_baseline))
       END AS partial_stop
FROM components
"""

# Spells open at each month's end, and how long they had waited then.
OPEN_AT_END = """
CREATE TEMP TABLE m_spell_open ON COMMIT DROP AS
SELECT DISTINCT p.period, p.period_end, m.spell_id
FROM m_spell_member m
JOIN m_period p ON m.received_on <= p.period_end
                AND coalesce(m.end_on, 'infinity'::date) > p.period_end
"""

# The month's figures per tenant and PCN, unpacked into one row per code.
_BY_PCN = "GROUP BY GROUPING SETS ((p.period), (p.period, s.pcn_id))"
_DIMENSION = dimension_columns("s.pcn_id")

CLOCK_STOPS = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
SELECT v.code, a.period, a.dimension, a.dimension_key, '', v.numerator, v.denominator, v.value
FROM (
    SELECT p.period, {_DIMENSION}, {wait_columns("s.clock_stop - s.start_on")}
    FROM m_spell s JOIN m_period p ON s.clock_stop BETWEEN p.period AND p.period_end
    {_BY_PCN}
) a
CROSS JOIN LATERAL (VALUES
    ('RS01', a.n, NULL::bigint, a.n::numeric),
    ('RS01a', a.within, NULL, a.within),
    ('RS01b', a.within, a.n, 100.0 * a.within / a.n),
    ('RS01m', NULL, a.n, a.median),
    ('RS01p90', NULL, a.n, a.p90)
) AS v(code, numerator, denominator, value)
"""


def _single(code: str, join: str, where: str = "TRUE") -> str:
    """A count of spells per month, tenant and PCN."""
    return f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT '{code}', p.period, {_DIMENSION}, '', count(*), count(*)
FROM m_spell s {join}
WHERE {where}
{_BY_PCN}
"""


PARTIAL = _single("RS01pt", "JOIN m_period p ON s.partial_stop BETWEEN p.period AND p.period_end")
STARTED = _single("RS04", "JOIN m_period p ON s.start_on BETWEEN p.period AND p.period_end")
SECOND_CONTACT = _single(
    "RS15", "JOIN m_period p ON s.second_contact BETWEEN p.period AND p.period_end"
)

# A spell closed on the day its referrals up to then had all ended, counted in that month if
# no later referral had joined it by the month's end.
CLOSED = _single(
    "RS05",
    """JOIN m_spell_member m ON m.spell_id = s.spell_id
       JOIN m_period p ON m.prefix_end BETWEEN p.period AND p.period_end""",
    "m.next_received IS NULL OR m.next_received > p.period_end",
)

# Open at the month's end: the waiting list (with its bands and the components missing), the
# spells still short of a second contact, and those with a clock stop or 2+ contacts.
OPEN_SPELLS = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
SELECT v.code, a.period, a.dimension, a.dimension_key, '', v.numerator, v.denominator, v.value
FROM (
    SELECT o.period, {_DIMENSION},
           count(*) AS open,
           count(*) FILTER (WHERE NOT stopped) AS waiting,
           count(*) FILTER (WHERE NOT two) AS short,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY o.period_end - s.start_on)
               FILTER (WHERE NOT two) AS short_median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY o.period_end - s.start_on)
               FILTER (WHERE NOT two) AS short_p90,
           count(*) FILTER (WHERE stopped) AS stopped,
           count(*) FILTER (WHERE two) AS two,
           count(*) FILTER (WHERE two AND stopped) AS two_stopped
    FROM m_spell_open o
    JOIN m_spell s USING (spell_id)
    CROSS JOIN LATERAL (SELECT s.clock_stop <= o.period_end IS TRUE AS stopped,
                               s.second_contact <= o.period_end IS TRUE AS two) f
    GROUP BY GROUPING SETS ((o.period), (o.period, s.pcn_id))
) a
CROSS JOIN LATERAL (VALUES
    ('RS06', a.open, NULL::bigint, a.open::numeric),
    ('RS02', a.waiting, NULL, a.waiting),
    ('RS03', a.short, NULL, a.short),
    ('RS03m', NULL, a.short, a.short_median),
    ('RS03p90', NULL, a.short, a.short_p90),
    ('RS20', a.stopped, NULL, a.stopped),
    ('RS21', a.two, NULL, a.two),
    ('RS22', a.two_stopped, a.two, 100.0 * a.two_stopped / nullif(a.two, 0))
) AS v(code, numerator, denominator, value)
WHERE NOT (v.code IN ('RS03m', 'RS03p90') AND a.short = 0)
  AND NOT (v.code = 'RS22' AND a.two = 0)
"""

#: Weeks-waited bands of RS02 (METRICS.md): upper bound in days, category key.
WAIT_BANDS = [(28, "0-4w"), (56, "4-8w"), (84, "8-12w"), (126, "12-18w"), (364, "18-52w"),
              (546, "52-78w"), (728, "78-104w"), (None, "104w+")]


def _band_case(days: str) -> str:
    whens = " ".join(f"WHEN {days} <= {upto} THEN 'band:{key}'"
                     for upto, key in WAIT_BANDS if upto is not None)
    return f"CASE {whens} ELSE 'band:{WAIT_BANDS[-1][1]}' END"


# The waiting list by weeks waited, and by the clock-stop components still missing (a spell
# missing several is counted under each).
WAITING_BREAKDOWN = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'RS02', o.period, {_DIMENSION}, c.category, count(*), count(*)
FROM m_spell_open o
JOIN m_spell s USING (spell_id)
CROSS JOIN LATERAL (
    SELECT {_band_case("o.period_end - s.start_on")} AS category
    UNION ALL SELECT 'missing:contact' WHERE NOT s.first_contact <= o.period_end IS TRUE
    UNION ALL SELECT 'missing:assessment' WHERE NOT s.first_assessment <= o.period_end IS TRUE
    UNION ALL SELECT 'missing:care' WHERE NOT s.first_care <= o.period_end IS TRUE
    UNION ALL SELECT 'missing:outcome' WHERE NOT s.first_baseline <= o.period_end IS TRUE
) c
WHERE NOT s.clock_stop <= o.period_end IS TRUE
GROUP BY GROUPING SETS ((o.period, c.category), (o.period, s.pcn_id, c.category))
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(MEMBERS)
    ctx.execute("CREATE INDEX ON m_spell_member (referral_id)")
    ctx.execute("ANALYZE m_spell_member")
    ctx.execute(SPELLS, {"assessing": ASSESSING, "clinical": CLINICAL_INTERVENTIONS})
    ctx.execute("ANALYZE m_spell")
    ctx.execute(OPEN_AT_END)
    ctx.execute("ANALYZE m_spell_open")
    for statement in (CLOCK_STOPS, PARTIAL, STARTED, SECOND_CONTACT, CLOSED, OPEN_SPELLS,
                      WAITING_BREAKDOWN):
        ctx.execute(statement)
