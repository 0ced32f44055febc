"""The refresh: every metric for one tenant, computed in SQL into a new snapshot.

``compute_snapshot`` runs inside the caller's transaction. It builds temporary tables of the
tenant's records as they stood on the as-of date (``reporting.metrics.base``), runs each
calculator (an ``INSERT INTO m_value ... SELECT`` over them) and then copies ``m_value`` into
``reporting_metricvalue`` for the run, with labels, versions and zero rows filled in. Nothing is
computed row by row in Python: calculators are SQL statements over the whole tenant.

Conventions for calculators (``reporting/metrics/*.py``): a function taking a ``RunContext``
that inserts rows into the temporary table ``m_value``::

    code text, period date, dimension text, dimension_key text, dimension_label text,
    category text, numerator bigint, denominator bigint, value numeric

``dimension`` is tenant, pcn, team, worker, vcse_org or vcse_service, with the record's id as
``dimension_key`` ('' for the tenant, and for a PCN that is not known); a NULL label is filled
in here from the organisation, team or member of staff. ``category`` is '' for the whole or
``axis:key`` for a breakdown (``band:0-4w``, ``mode:telephone``). SQL parameters available:
``%(tenant)s``, ``%(as_of)s``, ``%(first_period)s``, ``%(last_period)s``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection

from reporting.registry import BY_CODE, METRICS

#: How many months a refresh covers, ending with the as-of date's month, unless the tenant
#: asks for more (Tenant.metrics_months).
MONTHS = 24


@dataclass
class RunContext:
    tenant_id: uuid.UUID
    as_of: date
    months: int = MONTHS
    progress: Callable[[str], None] = field(default=lambda step: None)

    @property
    def last_period(self) -> date:
        return self.as_of.replace(day=1)

    @property
    def first_period(self) -> date:
        return add_months(self.last_period, -(self.months - 1))

    @property
    def params(self) -> dict:
        return {"tenant": self.tenant_id, "as_of": self.as_of,
                "first_period": self.first_period, "last_period": self.last_period}

    def execute(self, sql: str, extra: dict | None = None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, **(extra or {})})
            return cursor.rowcount


def add_months(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def calculators() -> list[Callable[[RunContext], None]]:
    """The calculators in the order they run (the base tables first)."""
    from reporting.metrics import CALCULATORS

    return list(CALCULATORS)


_VALUE_TABLE = """
CREATE TEMP TABLE m_value (
    code text NOT NULL, period date NOT NULL, dimension text NOT NULL,
    dimension_key text NOT NULL DEFAULT '', dimension_label text,
    category text NOT NULL DEFAULT '', numerator bigint, denominator bigint, value numeric
) ON COMMIT DROP
"""

# Counts are stored as 0 rather than left out, for the tenant and, for codes broken down by
# PCN or by team, for every PCN or community mental health team: a table on a dashboard then
# shows a 0 rather than a gap.
_ZERO_FILL = """
INSERT INTO m_value (code, period, dimension, dimension_key, category, numerator, value)
SELECT c.code, p.period, d.dimension, d.dimension_key, '', 0, 0
FROM unnest(%(count_codes)s::text[]) AS c(code)
CROSS JOIN m_period p
CROSS JOIN (SELECT 'tenant' AS dimension, '' AS dimension_key
            UNION ALL SELECT 'pcn', pcn_id::text FROM m_pcn
            UNION ALL SELECT 'team', team_id::text FROM m_team WHERE in_scope) d
WHERE (d.dimension = 'tenant'
       OR EXISTS (SELECT 1 FROM m_value v WHERE v.code = c.code AND v.dimension = d.dimension))
  AND NOT EXISTS (
    SELECT 1 FROM m_value v
    WHERE v.code = c.code AND v.period = p.period AND v.dimension = d.dimension
      AND v.dimension_key = d.dimension_key AND v.category = '')
"""

# Every label a value may take, by dimension and key: a few hundred rows, so that storing
# joins one small table on the text key rather than each source on a cast of it.
_LABELS = """
CREATE TEMP TABLE m_label ON COMMIT DROP AS
SELECT 'tenant' AS dimension, '' AS dimension_key, %(tenant_name)s::text AS label
UNION ALL SELECT 'pcn', '', 'PCN not known'
UNION ALL SELECT 'pcn', id::text, name FROM pcns_organisation
          WHERE tenant_id = %(tenant)s AND kind = 'pcn'
UNION ALL SELECT 'vcse_org', id::text, name FROM pcns_organisation WHERE tenant_id = %(tenant)s
UNION ALL SELECT 'team', id::text, name FROM pcns_team WHERE tenant_id = %(tenant)s
UNION ALL SELECT 'vcse_service', id::text, name FROM vcse_service WHERE tenant_id = %(tenant)s
UNION ALL SELECT 'worker', m.id::text, trim(u.first_name || ' ' || u.last_name)
          FROM pcns_membership m JOIN pcns_user u ON u.id = m.user_id
          WHERE m.tenant_id = %(tenant)s
"""

_STORE = """
INSERT INTO reporting_metricvalue (
    tenant_id, run_id, code, version, period, period_end, dimension, dimension_key,
    dimension_label, category, numerator, denominator, value, computed_at)
SELECT %(tenant)s, %(run)s, v.code, ver.version, v.period, p.period_end, v.dimension,
       v.dimension_key, left(coalesce(v.dimension_label, l.label, ''), 200),
       v.category, v.numerator, v.denominator, round(v.value, 2), %(computed_at)s
FROM m_value v
JOIN m_period p ON p.period = v.period
JOIN unnest(%(codes)s::text[], %(versions)s::int[]) AS ver(code, version) ON ver.code = v.code
LEFT JOIN m_label l ON l.dimension = v.dimension AND l.dimension_key = v.dimension_key
"""


# The temporary tables are dropped at commit; dropping them here as well lets two refreshes
# share one transaction (a test's, or a command that refreshes as of several dates).
_DROP_TEMPORARY = """
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT relname FROM pg_class
                WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r'
                  AND relname LIKE 'm\\_%'
    LOOP
        EXECUTE format('DROP TABLE %I', name);
    END LOOP;
END $$
"""


def _drop_temporary_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_DROP_TEMPORARY)  # no parameters: the % signs are PL/pgSQL's


def compute_snapshot(*, ctx: RunContext, run_id: uuid.UUID, tenant_name: str,
                     computed_at: datetime) -> int:
    """Compute every metric into the run's rows; returns how many values were stored.

    Must run inside a transaction (the temporary tables are dropped at its commit).
    """
    _drop_temporary_tables()
    ctx.execute(_VALUE_TABLE)
    for calculate in calculators():
        ctx.progress(calculate.__module__.rsplit(".", 1)[-1])
        calculate(ctx)
    unknown = _unknown_codes(ctx)
    if unknown:
        raise ValueError(f"calculators wrote codes missing from the registry: {unknown}")
    ctx.execute(_ZERO_FILL, {"count_codes": [m.code for m in METRICS if m.is_count]})
    ctx.execute(_LABELS, {"tenant_name": tenant_name})
    ctx.execute("ANALYZE m_label")
    stored = ctx.execute(_STORE, {
        "run": run_id, "computed_at": computed_at,
        "codes": [m.code for m in METRICS], "versions": [m.version for m in METRICS],
    })
    _drop_temporary_tables()
    return stored


def _unknown_codes(ctx: RunContext) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT code FROM m_value")
        return sorted(code for (code,) in cursor.fetchall() if code not in BY_CODE)
