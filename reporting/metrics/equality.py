"""Inequalities: EQ01, EQ01a, EQ01r and EQ01m (METRICS.md section 5).

Over in-scope referrals (``m_referral``) and the person's current record (``referrals_person``);
per tenant and PCN (the referral's PCN, as for REF01).

- EQ01: referrals received in the month by the person's groups: ``ethnic_category:<code>`` (the
  national code, referrals.codes.EthnicCategory), ``ethnic_group:<group>`` (white A-C, mixed D-G,
  asian H-L, black M-P, other R-S, not_stated for Z, 99 or anything else), ``gender:<gender>``,
  ``age:18-24`` / ``25-44`` / ``45-64`` / ``65+`` (age on the day received) and ``imd:1`` to
  ``imd:5`` (deprivation quintile, (decile + 1) / 2, 1 = most deprived) or ``imd:unknown``.
  Each referral is in one category of each axis. '' is every referral received (REF01's total),
  stored so that the whole is not left to the engine's zero fill. The ethnic categories are
  stored for the tenant only; PCNs have the other axes (see ``PCN_AXES``).
- EQ01a: the ACC01 people of the month (``m_access``, not the transformed-only variant; see
  reporting.metrics.access) in the same groups, their age taken on the month's last day; once per
  PCN, and once for the tenant however many PCNs they are in. '' is ACC01.
- EQ01r: referrals received per 1,000 registered population, category ''. A PCN's population is
  its ``registered_population``; the tenant's is the sum over the PCNs that have one, and only
  those PCNs' referrals are counted for it. Stored only where a population is known, every
  month (a month with no referrals is a rate of 0): ``value`` = referrals * 1000 / population,
  ``numerator`` = the population, ``denominator`` = the referrals (the base for disclosure).
- EQ01m: minority-ethnic share of referrals received, %, category '': ``numerator`` = referrals
  of people in the mixed, asian, black or other groups, ``denominator`` = referrals with a stated
  ethnicity (not Z, 99); stored only where the denominator is above 0.
"""

from __future__ import annotations

from reporting.engine import RunContext
from reporting.metrics.base import dimension_columns

#: The five broad groups of the national ethnic categories (Z, 99 and anything else: not stated).
ETHNIC_GROUPS = {
    "white": ["A", "B", "C"],
    "mixed": ["D", "E", "F", "G"],
    "asian": ["H", "J", "K", "L"],
    "black": ["M", "N", "P"],
    "other": ["R", "S"],
}
MINORITY_GROUPS = ["mixed", "asian", "black", "other"]

#: EQ01 age bands: (from, key); everyone in m_referral is 18 or over.
AGE_BANDS = [(18, "18-24"), (25, "25-44"), (45, "45-64"), (65, "65+")]

_ETHNIC_GROUP = "CASE " + " ".join(
    f"WHEN person.ethnicity IN ({', '.join(repr(code) for code in codes)}) THEN '{group}'"
    for group, codes in ETHNIC_GROUPS.items()
) + " ELSE 'not_stated' END"

# Each person's category on every axis but age, and the days they reach each age band (whole
# years added to the date of birth, as base.py counts age), so that the counts below join one
# small table by hash rather than look each person up.
PERSON_GROUPS = f"""
CREATE TEMP TABLE m_person_groups ON COMMIT DROP AS
SELECT person.id AS person_id,
       'ethnic_category:' || person.ethnicity AS ethnic_category,
       'ethnic_group:' || {_ETHNIC_GROUP} AS ethnic_group,
       'gender:' || person.gender AS gender,
       CASE WHEN person.imd_decile BETWEEN 1 AND 10
            THEN 'imd:' || (person.imd_decile + 1) / 2 ELSE 'imd:unknown' END AS imd,
       {", ".join(f"(person.date_of_birth + interval '{low} years')::date AS aged_{low}"
                  for low, _ in AGE_BANDS)}
FROM referrals_person person
WHERE person.tenant_id = %(tenant)s
"""


def _age(on: str) -> str:
    """The age band on ``on`` of the person in ``g`` (m_person_groups); NULL under 18."""
    return "CASE " + " ".join(
        f"WHEN g.aged_{low} <= {on} THEN 'age:{key}'" for low, key in reversed(AGE_BANDS)
    ) + " END"


#: The axes of the tenant's figures. A PCN's leave out the 17 national ethnic categories: a
#: PCN receives a few dozen referrals a month, so nearly every one of those cells would be
#: suppressed on its dashboard, and they were a ninth of all the values a refresh stores.
AXES = ["ethnic_category", "ethnic_group", "gender", "age", "imd"]
PCN_AXES = [axis for axis in AXES if axis != "ethnic_category"]


def _category(axes: list[str]) -> str:
    """The category of a row of the grouping sets below: the axis grouped by, or the whole
    (''). An age under every band is a NULL category, left out."""
    return "CASE " + " ".join(
        f"WHEN grouping({axis}) = 0 THEN {axis}" for axis in axes
    ) + " ELSE '' END AS category"


def _sets(axes: list[str], *keys: str) -> str:
    """One grouping set per axis and one for the whole, each by ``keys``: PostgreSQL counts
    them all in one pass over the rows."""
    by = ", ".join(keys)
    return "GROUPING SETS (" + ", ".join(
        [f"({by})", *(f"({by}, {axis})" for axis in axes)]
    ) + ")"


def _counts(code: str, rows: str, age_on: str) -> str:
    """``code`` per tenant and PCN from ``rows`` (period, pcn_id, person_id, tenant_row): a row
    per referral, or per person, PCN and month plus one per person and month for the tenant
    (``tenant_row``), so that plain counts are counts of distinct people."""
    return f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
WITH rows AS ({rows})
SELECT '{code}', period, dimension, dimension_key, category, n, n
FROM (
    SELECT period, 'tenant' AS dimension, '' AS dimension_key, {_category(AXES)}, count(*) AS n
    FROM (
        SELECT r.period, g.ethnic_category, g.ethnic_group, g.gender, g.imd,
               {_age(age_on)} AS age
        FROM rows r
        JOIN m_period p ON p.period = r.period
        JOIN m_person_groups g ON g.person_id = r.person_id
        WHERE r.tenant_row
    ) r
    GROUP BY {_sets(AXES, "period")}
    UNION ALL
    SELECT period, 'pcn', coalesce(pcn_id::text, ''), {_category(PCN_AXES)}, count(*)
    FROM (
        SELECT r.period, r.pcn_id, g.ethnic_group, g.gender, g.imd,
               {_age(age_on)} AS age
        FROM rows r
        JOIN m_period p ON p.period = r.period
        JOIN m_person_groups g ON g.person_id = r.person_id
        WHERE r.pcn_row
    ) r
    GROUP BY {_sets(PCN_AXES, "period", "pcn_id")}
) counts
WHERE category IS NOT NULL
"""


# Referrals received, their age on the day received.
REFERRALS = _counts("EQ01", """
    SELECT p.period, r.pcn_id, r.person_id, r.received_on, TRUE AS tenant_row, TRUE AS pcn_row
    FROM m_referral r
    JOIN m_period p ON r.received_on BETWEEN p.period AND p.period_end""", "r.received_on")

# The ACC01 people, their age at the month's end: m_access has each person once per PCN and
# once for the tenant in a month.
PEOPLE = _counts("EQ01a", """
    SELECT p.period, a.pcn_id, a.person_id, a.for_tenant AS tenant_row,
           NOT a.for_tenant AS pcn_row
    FROM m_access a
    JOIN m_period p ON p.period BETWEEN a.month_from AND a.month_to
    WHERE NOT a.transformed""", "p.period_end")

# Per PCN with a population, and for the tenant over those PCNs; every month.
RATE = """
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
WITH populations AS (
    SELECT org.id AS pcn_id, org.registered_population AS population
    FROM pcns_organisation org
    WHERE org.tenant_id = %(tenant)s AND org.kind = 'pcn' AND org.registered_population > 0
), received AS (
    SELECT p.period, pop.pcn_id, pop.population, count(r.id) AS referrals
    FROM m_period p
    CROSS JOIN populations pop
    LEFT JOIN m_referral r ON r.pcn_id = pop.pcn_id
                          AND r.received_on BETWEEN p.period AND p.period_end
    GROUP BY p.period, pop.pcn_id, pop.population
)
SELECT 'EQ01r', period,
       CASE WHEN grouping(pcn_id) = 1 THEN 'tenant' ELSE 'pcn' END,
       CASE WHEN grouping(pcn_id) = 1 THEN '' ELSE pcn_id::text END,
       '', sum(population), sum(referrals), 1000.0 * sum(referrals) / sum(population)
FROM received
GROUP BY GROUPING SETS ((period), (period, pcn_id))
"""

_MINORITY = ", ".join(f"'ethnic_group:{group}'" for group in MINORITY_GROUPS)

MINORITY_SHARE = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator,
                     denominator, value)
SELECT 'EQ01m', a.period, a.dimension, a.dimension_key, '', a.minority, a.stated,
       100.0 * a.minority / a.stated
FROM (
    SELECT p.period, {dimension_columns("r.pcn_id")},
           count(*) FILTER (WHERE g.ethnic_group IN ({_MINORITY})) AS minority,
           count(*) FILTER (WHERE g.ethnic_group <> 'ethnic_group:not_stated') AS stated
    FROM m_referral r
    JOIN m_period p ON r.received_on BETWEEN p.period AND p.period_end
    JOIN m_person_groups g ON g.person_id = r.person_id
    GROUP BY GROUPING SETS ((p.period), (p.period, r.pcn_id))
) a
WHERE a.stated > 0
"""


def compute(ctx: RunContext) -> None:
    ctx.execute(PERSON_GROUPS)
    ctx.execute("ANALYZE m_person_groups")
    for statement in (REFERRALS, PEOPLE, RATE, MINORITY_SHARE):
        ctx.execute(statement)
