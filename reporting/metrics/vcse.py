"""VCSE partners and community connectors: VCS01-VCS04 and CCN01 (METRICS.md section 5).

Onward referrals are not in-scope referrals: every onward referral of the tenant counts,
whatever the person's age, once it was sent (``sent_on``) on or before the as-of date. A
response (``responded_on``) dated after the as-of date has not happened yet. Figures are per
tenant, per VCSE organisation (``vcse_org``, the organisation the onward referral was sent to)
and, where said, per service (``vcse_service``).

- VCS01: onward referrals sent in the month; ``gender:male``, ``gender:female`` and
  ``gender:other`` (every other value: other or not stated), by the person's recorded gender.
- VCS01p: distinct people among them, split the same way (someone referred on twice in a month
  counts once).
- VCS02: what had happened by the month's end to the onward referrals sent in the month.
  ``response:accepted``: answered (``responded_on``) by then and not declined (one accepted and
  later withdrawn or closed was accepted); ``response:declined``: declined, answered by then;
  ``response:none_10wd``: 10 working days after the sending date had passed by the month's end
  and no answer was dated on or before the 10th working day. A late answer therefore counts as
  both ``none_10wd`` and accepted (or declined). '' is every answer (accepted + declined).
  Working days are those of vcse.workdays (Monday to Friday, not an English bank holiday), the
  same rule the partner inbox uses to flag an unanswered referral; the bank holidays are passed
  in as a list and counted in SQL with a calendar table.
- VCS02m: median days from sending to the answer, over the answers dated in the month (whenever
  sent); ``denominator`` is their number.
- VCS03: VCSE contacts logged (dated ``on``) in the month, '' and ``attendance:<attendance>``;
  per tenant and organisation (the organisation that logged it).
- VCS03s: support delivered at attended contacts: ``support:<type>``, one per type per contact;
  '' is the sum over types (support deliveries). Per tenant and organisation.
- VCS04: median days from sending to the onward referral's first logged VCSE contact (any
  attendance), over onward referrals whose first contact is in the month; per tenant and
  organisation.
- CCN01: distinct people with an attended contact with a community connector (the contact's
  ``staff_role``) in the month, on a referral (so the person is known; any referral of the
  tenant, in scope or not). '' plus ``age:18-29`` ... ``age:60+`` (age on their first such
  contact in the month; someone under 18 is in '' but in no band) and the three gender groups.
  Per tenant and PCN: the referral's PCN when the referral is in scope (``m_referral``), else the
  PCN of the team the contact was made in (none for a team with no PCN: key '').
"""

from __future__ import annotations

import datetime as dt

from reporting.engine import RunContext
from vcse.workdays import is_working_day

#: Working days an onward referral may wait for an answer before it counts as unanswered.
ANSWER_WORKING_DAYS = 10

# One row per calendar day from the first month of the refresh to the as-of date, with the
# number of working days up to and including it: the Nth working day after a date D is the
# working day whose number is D's number + N.
CALENDAR = """
CREATE TEMP TABLE m_workday ON COMMIT DROP AS
SELECT day, working,
       count(*) FILTER (WHERE working) OVER (ORDER BY day) AS workdays
FROM (
    SELECT d::date AS day,
           extract(isodow FROM d) < 6 AND NOT d::date = ANY(%(bank_holidays)s::date[])
               AS working
    FROM generate_series(%(first_period)s::date, %(as_of)s::date, interval '1 day') AS d
) days
"""

ONWARD = f"""
CREATE TEMP TABLE m_onward ON COMMIT DROP AS
SELECT o.id, o.person_id, o.organisation_id, o.service_id, o.sent_on, o.status,
       CASE WHEN o.responded_on <= %(as_of)s THEN o.responded_on END AS responded_on,
       CASE WHEN person.gender IN ('male', 'female') THEN 'gender:' || person.gender
            ELSE 'gender:other' END AS gender_category,
       due.day AS answer_due_on
FROM vcse_onwardreferral o
JOIN referrals_person person ON person.id = o.person_id
LEFT JOIN m_workday sent ON sent.day = o.sent_on
LEFT JOIN m_workday due
       ON due.working AND due.workdays = sent.workdays + {ANSWER_WORKING_DAYS}
WHERE o.tenant_id = %(tenant)s AND o.sent_on <= %(as_of)s
"""

_ORG = "o.organisation_id"
_SERVICE = "o.service_id"


def _dimension(org: str, service: str | None = None) -> str:
    """The dimension and key columns of a query grouped by tenant, organisation (and service)."""
    by_service = (f"WHEN grouping({service}) = 0 THEN 'vcse_service'" if service else "")
    service_key = f"WHEN grouping({service}) = 0 THEN {service}::text" if service else ""
    return f"""CASE WHEN grouping({org}) = 0 THEN 'vcse_org' {by_service}
            ELSE 'tenant' END AS dimension,
       CASE WHEN grouping({org}) = 0 THEN {org}::text {service_key}
            ELSE '' END AS dimension_key"""


def _sets(dimensions: list[str], category: str | None = None) -> str:
    """GROUPING SETS per period for the tenant and each dimension, with and without the
    category (the whole: category '')."""
    keys = [[], *[[d] for d in dimensions]]
    sets = [["p.period", *k] for k in keys]
    if category:
        sets += [["p.period", *k, category] for k in keys]
    return "GROUP BY GROUPING SETS (" + ", ".join(f"({', '.join(s)})" for s in sets) + ")"


def _category(column: str) -> str:
    return f"CASE WHEN grouping({column}) = 1 THEN '' ELSE {column} END AS category"


SENT = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT v.code, a.period, a.dimension, a.dimension_key, a.category, v.n, v.n
FROM (
    SELECT p.period, {_dimension(_ORG, _SERVICE)}, {_category("o.gender_category")},
           count(*) AS sent, count(DISTINCT o.person_id) AS people
    FROM m_onward o
    JOIN m_period p ON o.sent_on BETWEEN p.period AND p.period_end
    {_sets([_ORG, _SERVICE], "o.gender_category")}
) a
CROSS JOIN LATERAL (VALUES ('VCS01', a.sent), ('VCS01p', a.people)) AS v(code, n)
"""

# An onward referral may be in several categories (a late acceptance), so the whole ('') is
# counted separately as the answers, rather than as the sum of the categories.
RESPONSES = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'VCS02', p.period, {_dimension(_ORG, _SERVICE)}, c.category, count(*), count(*)
FROM m_onward o
JOIN m_period p ON o.sent_on BETWEEN p.period AND p.period_end
CROSS JOIN LATERAL (
    SELECT '' WHERE o.responded_on <= p.period_end
    UNION ALL
    SELECT 'response:accepted' WHERE o.responded_on <= p.period_end AND o.status <> 'declined'
    UNION ALL
    SELECT 'response:declined' WHERE o.responded_on <= p.period_end AND o.status = 'declined'
    UNION ALL
    SELECT 'response:none_10wd'
    WHERE o.answer_due_on <= p.period_end AND NOT o.responded_on <= o.answer_due_on IS TRUE
) AS c(category)
GROUP BY GROUPING SETS ((p.period, c.category), (p.period, {_ORG}, c.category),
                        (p.period, {_SERVICE}, c.category))
"""

DAYS_TO_RESPONSE = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, denominator, value)
SELECT 'VCS02m', p.period, {_dimension(_ORG, _SERVICE)}, '', count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY o.responded_on - o.sent_on)
FROM m_onward o
JOIN m_period p ON o.responded_on BETWEEN p.period AND p.period_end
{_sets([_ORG, _SERVICE])}
"""

_CONTACT_ORG = "vc.organisation_id"

CONTACTS = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'VCS03', p.period, {_dimension(_CONTACT_ORG)}, {_category("c.category")},
       count(*), count(*)
FROM vcse_vcsecontact vc
JOIN m_period p ON vc.on BETWEEN p.period AND p.period_end
CROSS JOIN LATERAL (SELECT 'attendance:' || vc.attendance) AS c(category)
WHERE vc.tenant_id = %(tenant)s
{_sets([_CONTACT_ORG], "c.category")}
"""

SUPPORT = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'VCS03s', p.period, {_dimension(_CONTACT_ORG)}, {_category("s.category")},
       count(*), count(*)
FROM vcse_vcsecontact vc
JOIN m_period p ON vc.on BETWEEN p.period AND p.period_end
CROSS JOIN LATERAL (SELECT DISTINCT 'support:' || t FROM unnest(vc.support_types) AS t)
    AS s(category)
WHERE vc.tenant_id = %(tenant)s AND vc.attendance = 'attended'
{_sets([_CONTACT_ORG], "s.category")}
"""

FIRST_CONTACT = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, denominator, value)
SELECT 'VCS04', p.period, {_dimension(_ORG)}, '', count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY f.first_on - o.sent_on)
FROM (
    SELECT vc.onward_referral_id, min(vc.on) AS first_on
    FROM vcse_vcsecontact vc
    WHERE vc.tenant_id = %(tenant)s AND vc.on <= %(as_of)s
    GROUP BY vc.onward_referral_id
) f
JOIN m_onward o ON o.id = f.onward_referral_id
JOIN m_period p ON f.first_on BETWEEN p.period AND p.period_end
{_sets([_ORG])}
"""

#: CCN01 age bands (age on the first connector contact of the month): (from, to, key).
CONNECTOR_AGE_BANDS = [(18, 29, "18-29"), (30, 39, "30-39"), (40, 49, "40-49"),
                       (50, 59, "50-59"), (60, None, "60+")]

_AGE_BAND = "CASE " + " ".join(
    f"WHEN s.age >= {low} THEN 'age:{key}'" for low, _, key in reversed(CONNECTOR_AGE_BANDS)
) + " END"

CONNECTORS = f"""
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT 'CCN01', s.period,
       CASE WHEN grouping(s.pcn_id) = 1 THEN 'tenant' ELSE 'pcn' END,
       CASE WHEN grouping(s.pcn_id) = 1 THEN '' ELSE coalesce(s.pcn_id::text, '') END,
       c.category, count(DISTINCT s.person_id), count(DISTINCT s.person_id)
FROM (
    SELECT seen.*,
           extract(year FROM age(min(seen.contact_on) OVER (PARTITION BY seen.period,
                                                             seen.person_id),
                                 person.date_of_birth))::int AS age,
           CASE WHEN person.gender IN ('male', 'female') THEN 'gender:' || person.gender
                ELSE 'gender:other' END AS gender_category
    FROM (
        SELECT p.period, r.person_id, coalesce(mr.pcn_id, t.pcn_id) AS pcn_id,
               c.on AS contact_on
        FROM caseload_contact c
        JOIN m_period p ON c.on BETWEEN p.period AND p.period_end
        JOIN referrals_referral r ON r.id = c.referral_id AND r.tenant_id = %(tenant)s
        LEFT JOIN m_referral mr ON mr.id = c.referral_id
        LEFT JOIN m_team t ON t.team_id = c.team_id
        WHERE c.tenant_id = %(tenant)s AND c.attendance = 'attended'
          AND c.staff_role = 'connector' AND c.entered_in_error_at IS NULL
    ) seen
    JOIN referrals_person person ON person.id = seen.person_id
) s
CROSS JOIN LATERAL (
    SELECT '' UNION ALL SELECT s.gender_category UNION ALL SELECT {_AGE_BAND}
) AS c(category)
WHERE c.category IS NOT NULL
GROUP BY GROUPING SETS ((s.period, c.category), (s.period, s.pcn_id, c.category))
"""


def bank_holidays(start: dt.date, end: dt.date) -> list[dt.date]:
    """The weekdays from ``start`` to ``end`` that are not working days (vcse.workdays)."""
    days = (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in days if day.weekday() < 5 and not is_working_day(day)]


def compute(ctx: RunContext) -> None:
    ctx.execute(CALENDAR, {"bank_holidays": bank_holidays(ctx.first_period, ctx.as_of)})
    ctx.execute("ANALYZE m_workday")
    ctx.execute(ONWARD)
    ctx.execute("ANALYZE m_onward")
    for statement in (SENT, RESPONSES, DAYS_TO_RESPONSE, CONTACTS, SUPPORT, FIRST_CONTACT,
                      CONNECTORS):
        ctx.execute(statement)
