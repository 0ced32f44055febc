"""Outcomes of closed spells: OUT01, OUT02q and OUT02t (METRICS.md section 5).

A spell is counted as closed in a month by the rule of RS05 (reporting.metrics.spells): it closed
on the latest end of its referrals up to then (``m_spell_member.prefix_end``), in that month,
and no later referral had joined it by the month's end (``next_received``). The spell as it
stood then is its referrals received by the month's end; a spell that closed, reopened and
closed again is counted in each month it closed, each time with the outcomes up to that close.

An outcome measure belongs to the spell when it is recorded on one of those referrals and
completed on or after that referral was received and on or before the spell's end.

- OUT01: % of the month's closed spells with a paired outcome: a baseline (a measure completed
  on the spell's first outcome date; if several tools were completed that day, any of them) and
  a later measure of the same tool, completed on a later date. ``numerator`` = spells paired,
  ``denominator`` = spells closed; per tenant and PCN (the spell's PCN), only where some spell
  closed.
- OUT02q / OUT02t: over the month's closed spells with a paired DIALOG: the first DIALOG of the
  spell and the latest (by date, then as recorded), completed on a later date than the first.
  The change is latest - first in subjective quality of life (mean of items 1-8) and in
  treatment satisfaction (mean of items 9-11), computed from the items rather than the rounded
  stored scores. ``value`` = the mean change (negative when things got worse), ``denominator`` =
  the number of spells.
"""

from __future__ import annotations

from reporting.engine import RunContext
from reporting.metrics.base import dimension_columns

CLOSED = """
CREATE TEMP TABLE m_spell_closed ON COMMIT DROP AS
SELECT p.period, p.period_end, m.spell_id, s.pcn_id, m.prefix_end AS end_on
FROM m_spell_member m
JOIN m_spell s ON s.spell_id = m.spell_id
JOIN m_period p ON m.prefix_end BETWEEN p.period AND p.period_end
WHERE m.next_received IS NULL OR m.next_received > p.period_end
"""

# The outcome measures of each closed spell as it stood when it closed.
MEASURES = """
CREATE TEMP TABLE m_spell_measure ON COMMIT DROP AS
SELECT c.period, c.spell_id, o.id, o.tool, o.completed_on, o.recorded_at, o.items
FROM m_spell_closed c
JOIN m_spell_member m ON m.spell_id = c.spell_id AND m.received_on <= c.period_end
JOIN caseload_outcomemeasure o ON o.referral_id = m.referral_id
WHERE o.tenant_id = %(tenant)s AND o.entered_in_error_at IS NULL
  AND o.completed_on BETWEEN m.received_on AND c.end_on
"""

_BY_PCN = dimension_columns("c.pcn_id")

PAIRED = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
WITH tools AS (
    SELECT period, spell_id, tool, min(completed_on) AS first_on, max(completed_on) AS last_on
    FROM m_spell_measure
    GROUP BY period, spell_id, tool
), paired AS (
    -- a tool completed on the spell's first outcome date and completed again later
    SELECT period, spell_id,
           bool_or(last_on > first_on) FILTER (WHERE first_on = spell_first_on) AS paired
    FROM (SELECT *, min(first_on) OVER (PARTITION BY period, spell_id) AS spell_first_on
          FROM tools) t
    GROUP BY period, spell_id
)
SELECT 'OUT01', c.period, {_BY_PCN}, '',
       count(*) FILTER (WHERE d.paired), count(*),
       100.0 * count(*) FILTER (WHERE d.paired) / count(*)
FROM m_spell_closed c
LEFT JOIN paired d ON d.period = c.period AND d.spell_id = c.spell_id
GROUP BY GROUPING SETS ((c.period), (c.period, c.pcn_id))
"""

DIALOG_CHANGE = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, denominator, value)
WITH ranked AS (
    SELECT period, spell_id, completed_on, items,
           row_number() OVER (PARTITION BY period, spell_id
                              ORDER BY completed_on, recorded_at, id) AS first_rank,
           row_number() OVER (PARTITION BY period, spell_id
                              ORDER BY completed_on DESC, recorded_at DESC, id DESC)
               AS last_rank
    FROM m_spell_measure
    WHERE tool = 'dialog'
), pairs AS (
    SELECT f.period, f.spell_id,
           (SELECT avg(x) FROM unnest(l.items[1:8]) AS x)
               - (SELECT avg(x) FROM unnest(f.items[1:8]) AS x) AS quality_of_life,
           (SELECT avg(x) FROM unnest(l.items[9:11]) AS x)
               - (SELECT avg(x) FROM unnest(f.items[9:11]) AS x) AS satisfaction
    FROM ranked f
    JOIN ranked l ON l.period = f.period AND l.spell_id = f.spell_id AND l.last_rank = 1
    WHERE f.first_rank = 1 AND l.completed_on > f.completed_on
), changes AS (
    SELECT c.period, {_BY_PCN},
           count(*) AS spells, avg(d.quality_of_life) AS quality_of_life,
           avg(d.satisfaction) AS satisfaction
    FROM pairs d
    JOIN m_spell_closed c ON c.period = d.period AND c.spell_id = d.spell_id
    GROUP BY GROUPING SETS ((c.period), (c.period, c.pcn_id))
)
SELECT v.code, a.period, a.dimension, a.dimension_key, '', a.spells, v.value
FROM changes a
CROSS JOIN LATERAL (VALUES ('OUT02q', a.quality_of_life), ('OUT02t', a.satisfaction))
    AS v(code, value)
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(CLOSED)
    ctx.execute("ANALYZE m_spell_closed")
    ctx.execute(MEASURES)
    ctx.execute("ANALYZE m_spell_measure")
    ctx.execute(PAIRED)
    ctx.execute(DIALOG_CHANGE)
