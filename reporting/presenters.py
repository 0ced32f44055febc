"""What the metric pages and their CSVs show, built from stored values (never computed here).

A page reads its values in one query (``reporting.selectors.snapshot_values``) and these
functions lay them out: a table per metric (periods down, the tenant and each PCN across, or a
breakdown across), the figure in each cell as the disclosure rule shows it, and a line chart of
the table's first column laid out for an inline SVG. The CSV of a table is written from the same
``Table``, so a download always matches the screen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from config.charts import ChartPoint, Tick, tick_step
from config.templating import uk_datetime
from referrals.codes import EthnicCategory, Gender
from reporting import selectors
from reporting.disclosure import MISSING, Figure, Rule, figure
from reporting.forms import month_key, month_label
from reporting.metrics.equality import AGE_BANDS, ETHNIC_GROUPS
from reporting.metrics.spells import WAIT_BANDS
from reporting.models import RefreshRun, RefreshStatus
from reporting.registry import BY_CODE, Metric

#: The programme dashboard's metrics, in the order their sections and tables appear.
DASHBOARD_CODES = (
    "RS01b", "RS02", "RS03", "ACC01", "REF01", "REF02", "REF03", "REF04", "ACT01", "ACT02",
    "CAS01", "VCS01", "VCS02", "VCS03", "VCS04", "CCN01", "EQ01", "EQ01m", "EQ01a", "OUT01",
    "OUT02q", "OUT02t",
)
FIELDS = ("code", "version", "period", "period_end", "dimension", "dimension_key",
          "dimension_label", "category", "numerator", "denominator", "value", "computed_at")
SUPPRESSED_NOTE = "* a figure based on 1 to 4 people or records, not shown."


class Value(NamedTuple):
    code: str
    version: int
    period: dt.date
    period_end: dt.date
    dimension: str
    dimension_key: str
    dimension_label: str
    category: str
    numerator: int | None
    denominator: int | None
    value: Decimal | None
    computed_at: dt.datetime


def read(values) -> list[Value]:
    """A selector's queryset as plain tuples (one query, no model instances)."""
    return [Value(*row) for row in values.values_list(*FIELDS)]


def shown(value: Value, rule: Rule) -> Figure:
    return figure(BY_CODE[value.code], numerator=value.numerator,
                  denominator=value.denominator, value=value.value, rule=rule)


# --------------------------------------------------------------------------- labels

_RANGE = re.compile(r"^(\d+)-(\d+)([wd]?)$")
_OPEN = re.compile(r"^(\d+)([wd]?)\+$")
_UNITS = {"w": "weeks", "d": "days", "": ""}


def category_label(category: str) -> str:
    """``band:0-4w`` -> "0 to 4 weeks", ``band:104w+`` -> "Over 104 weeks", ``band:85d+`` ->
    "85 days or more", ``age:65+`` -> "65 and over",
    ``state:awaiting_assessment`` -> "Awaiting assessment"."""
    if not category:
        return "All"
    key = category.split(":", 1)[-1]
    if match := _RANGE.match(key):
        low, high, unit = match.groups()
        # week bands run from over the lower bound (4-8w: over 4 to 8 weeks); others include it
        low = f"Over {low}" if unit == "w" and low != "0" else low
        return f"{low} to {high} {_UNITS[unit]}".strip()
    if match := _OPEN.match(key):
        number, unit = match.groups()
        if unit == "w":  # week bands run from over their lower bound, as above
            return f"Over {number} weeks"
        return f"{number} {_UNITS[unit]} or more" if unit else f"{number} and over"
    return key.replace("_", " ").replace("-", " ").capitalize()


def _category_order(category: str) -> tuple:
    key = category.split(":", 1)[-1]
    number = re.match(r"^(\d+)", key)
    return (0, int(number.group(1)), key) if number else (1, 0, key)


def unit_text(metric: Metric) -> str:
    return {"count": "number", "percent": "%", "median": "median days", "p90": "days",
            "mean": "mean"}[metric.unit]


# --------------------------------------------------------------------------- breakdowns


@dataclass(frozen=True)
class Breakdown:
    """A dashboard table of one code along one axis of its categories (``axis:key``), months
    down and the keys across, for the place chosen: the tenant, or one PCN."""

    code: str
    suffix: str
    axis: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (key, label)
    tenant_only: bool = False  # stored for the tenant only (equality.PCN_AXES)

    @property
    def id(self) -> str:
        return f"{self.code}-{self.suffix}"


_ETHNIC_GROUP_LABELS = {"white": "White", "mixed": "Mixed", "asian": "Asian or Asian British",
                        "black": "Black or Black British", "other": "Other ethnic groups",
                        "not_stated": "Not stated or not known"}
_ETHNIC_GROUPS = tuple((key, _ETHNIC_GROUP_LABELS[key])
                       for key in [*ETHNIC_GROUPS, "not_stated"])
_DEPRIVATION = (("1", "1 (most deprived)"), ("2", "2"), ("3", "3"), ("4", "4"),
                ("5", "5 (least deprived)"), ("unknown", "Not known"))

#: The breakdowns on the dashboard, each after its code's table (METRICS.md sections 2 and 5).
BREAKDOWNS = (
    Breakdown("RS02", "bands", "band", "by weeks waited",
              tuple((key, category_label(f"band:{key}")) for _, key in WAIT_BANDS)),
    Breakdown("EQ01", "ethnic-group", "ethnic_group", "by ethnic group", _ETHNIC_GROUPS),
    Breakdown("EQ01", "ethnic-category", "ethnic_category", "by ethnic category",
              tuple(EthnicCategory.choices), tenant_only=True),
    Breakdown("EQ01", "age", "age", "by age band",
              tuple((key, category_label(f"age:{key}")) for _, key in AGE_BANDS)),
    Breakdown("EQ01", "gender", "gender", "by gender", tuple(Gender.choices)),
    Breakdown("EQ01", "deprivation", "imd", "by deprivation quintile (IMD)", _DEPRIVATION),
    Breakdown("EQ01a", "ethnic-group", "ethnic_group", "by ethnic group", _ETHNIC_GROUPS),
    Breakdown("EQ01a", "deprivation", "imd", "by deprivation quintile (IMD)", _DEPRIVATION),
)
BREAKDOWN_IDS = frozenset(breakdown.id for breakdown in BREAKDOWNS)


# --------------------------------------------------------------------------- charts

#: The canvas in SVG user units (the browser scales the viewBox) and the margins for labels.
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
MAX_X_TICKS = 6
Y_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)
MAX_Y_INTERVALS = 5


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    y_label: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    lines: tuple[str, ...]  # one polyline per run of months with a figure (gaps break it)
    points: tuple[ChartPoint, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    x_label: str = ""  # the months speak for themselves


def _y_top(highest: Decimal, unit: str) -> int:
    if unit == "percent":
        return 100
    highest = max(int(highest.to_integral_value(rounding="ROUND_CEILING")), 1)
    step = tick_step(highest, Y_STEPS, MAX_Y_INTERVALS)
    return -(-highest // step) * step


def line_chart(*, title: str, series: str, metric: Metric,
               points: Sequence[tuple[dt.date, Figure]]) -> Chart:
    """One series of monthly figures, oldest first; suppressed or missing months are gaps."""
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    numbers = [f.number for _, f in points if f.number is not None]
    top = _y_top(max(numbers, default=Decimal(0)), metric.unit)
    step = tick_step(top, Y_STEPS, MAX_Y_INTERVALS)
    count = len(points)

    def x_of(index: int) -> float:
        if count == 1:
            return round((plot_left + plot_right) / 2, 1)
        return round(plot_left + 12 + index * (plot_right - plot_left - 24) / (count - 1), 1)

    def y_of(number: Decimal) -> float:
        return round(plot_bottom - float(number) / top * (plot_bottom - plot_top), 1)

    lines, current, drawn = [], [], []
    for index, (period, shown_figure) in enumerate(points):
        if shown_figure.number is None:
            if current:
                lines.append(current)
            current = []
            continue
        point = ChartPoint(x_of(index), y_of(shown_figure.number),
                      f"{month_label(period)}: {shown_figure.text}")
        current.append(point)
        drawn.append(point)
    if current:
        lines.append(current)
    every = max(1, -(-count // MAX_X_TICKS))
    # Counted back from the last month, which is always labelled: evenly spaced, so that no
    # two labels sit side by side and overprint.
    x_ticks = tuple(Tick(x_of(i), f"{period:%b %Y}") for i, (period, _) in enumerate(points)
                    if (count - 1 - i) % every == 0)
    return Chart(
        title=title, description=_describe(series, metric, points),
        y_label=unit_text(metric).capitalize(), width=WIDTH, height=HEIGHT, left=plot_left,
        right=plot_right, top=plot_top, bottom=plot_bottom,
        lines=tuple(" ".join(f"{p.x},{p.y}" for p in line) for line in lines if len(line) > 1),
        points=tuple(drawn), x_ticks=x_ticks,
        y_ticks=tuple(Tick(y_of(Decimal(v)), str(v)) for v in range(0, top + 1, step)),
    )


def _describe(series: str, metric: Metric, points: Sequence[tuple[dt.date, Figure]]) -> str:
    if not points:
        return f"{series}: no months chosen."
    first, last = points[0][0], points[-1][0]
    known = [(period, f) for period, f in points if f.number is not None]
    hidden = sum(1 for _, f in points if f.suppressed)
    words = [f"{series}, {month_label(first)} to {month_label(last)}."]
    if known:
        suffix = "%" if metric.unit == "percent" else ""
        (start, a), (end, b) = known[0], known[-1]
        high_period, high = max(known, key=lambda pair: pair[1].number)
        words.append(f"{a.text}{suffix} in {month_label(start)}, {b.text}{suffix} in "
                     f"{month_label(end)}; highest {high.text}{suffix} in "
                     f"{month_label(high_period)}.")
    else:
        words.append("No month has a figure that can be shown.")
    if hidden:
        words.append(f"{hidden} month{'s' if hidden != 1 else ''} not shown because the "
                     "figure is based on 1 to 4 people or records (gaps in the line).")
    return " ".join(words)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Cell:
    text: str
    number: Decimal | None = None

    @property
    def missing(self) -> bool:
        return self.text == ""


@dataclass
class Table:
    id: str
    title: str
    caption: str
    row_heading: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    values: list[Value]  # the values shown, in the order of the cells (for the CSV)
    rule: Rule
    chart: Chart | None = None
    suppressed: bool = False
    metric: Metric | None = None
    csv_url: str = ""
    publication_csv_url: str = ""
    extra: dict = field(default_factory=dict)


Placement = Callable[[Value], tuple[str, str] | None]


def build_table(*, id: str, title: str, caption: str, row_heading: str,
                rows: Sequence[tuple[str, str]], columns: Sequence[tuple[str, str]],
                values: Iterable[Value], place: Placement, rule: Rule) -> Table:
    """A grid of figures: ``place`` puts a value in (row key, column key), or leaves it out."""
    cells: dict[tuple[str, str], tuple[Value, Figure]] = {}
    for value in values:
        where = place(value)
        if where is not None:
            cells[where] = (value, shown(value, rule))
    grid, ordered, suppressed = [], [], False
    for row_key, row_label in rows:
        line = []
        for column_key, _ in columns:
            value, shown_figure = cells.get((row_key, column_key), (None, MISSING))
            if value is not None:
                ordered.append(value)
            suppressed = suppressed or shown_figure.suppressed
            line.append(Cell(shown_figure.text, shown_figure.number))
        grid.append((row_label, line))
    return Table(id=id, title=title, caption=caption, row_heading=row_heading,
                 columns=[label for _, label in columns], rows=grid, values=ordered, rule=rule,
                 suppressed=suppressed)


def periods_between(first: dt.date, last: dt.date, months: Sequence[dt.date]) -> list[dt.date]:
    return [m for m in months if first <= m <= last]


def _period_rows(periods: Sequence[dt.date]) -> list[tuple[str, str]]:
    return [(month_key(p), month_label(p)) for p in periods]


def _series(table: Table, periods: Sequence[dt.date], column: int) -> list[tuple[dt.date, Figure]]:
    """The figures of one column again, as the chart plots them (numbers, None for gaps)."""
    cells = {label: cells[column] for label, cells in table.rows}
    missing = Cell("")
    return [(period, Figure(cell.text, cell.number))
            for period in periods for cell in [cells.get(month_label(period), missing)]]


# --------------------------------------------------------------------------- the dashboard


def dashboard_values(run: RefreshRun, *, codes: Sequence[str], period_from: dt.date,
                     period_to: dt.date, pcn: str) -> list[Value]:
    """The one read of the dashboard: the whole of each code for the tenant and every PCN (or
    one PCN's rows), and the breakdowns of those codes for the same place."""
    from django.db.models import Q

    values = selectors.snapshot_values(run, codes=codes, period_from=period_from,
                                       period_to=period_to)
    if pcn:
        values = values.filter(dimension="pcn", dimension_key=pcn)
        place = Q(dimension="pcn", dimension_key=pcn)
    else:
        values = values.filter(dimension__in=["tenant", "pcn"])
        place = Q(dimension="tenant")
    broken_down = Q(pk__in=[])
    for breakdown in BREAKDOWNS:
        if breakdown.code in codes:
            broken_down |= Q(code=breakdown.code, category__startswith=f"{breakdown.axis}:")
    return read(values.filter(Q(category="") | (broken_down & place)))


def dashboard_tables(*, values: Sequence[Value], codes: Sequence[str], periods: list[dt.date],
                     pcn: str, pcn_label: str, rule: Rule, tenant_name: str,
                     pcns: Sequence[tuple[str, str]] = ()) -> list[Table]:
    """One table per code (and its breakdowns): months down; the chosen PCN across, or the
    tenant and every PCN of ``pcns`` (id, name), the same columns in every table, with
    "PCN not known" where a code has figures for it."""
    by_code: dict[str, list[Value]] = {}
    for value in values:
        by_code.setdefault(value.code, []).append(value)
    rows = _period_rows(periods)
    tables = []
    for code in codes:
        metric = BY_CODE[code]
        mine = by_code.get(code, [])
        whole = [v for v in mine if v.category == ""]
        if pcn:
            columns = [(f"pcn:{pcn}", pcn_label)]
        else:
            named = {str(key): label for key, label in pcns}
            named.update({v.dimension_key: v.dimension_label or "PCN not known"
                          for v in whole if v.dimension == "pcn" and v.dimension_key not in named})
            columns = [("tenant:", f"{tenant_name} (all PCNs)")] + [
                (f"pcn:{key}", label)
                for key, label in sorted(named.items(), key=lambda item: (item[1], item[0]))]
        table = build_table(
            id=code, title=metric.title, caption=f"{metric.title} by month",
            row_heading="Month", rows=rows, columns=columns, values=whole, rule=rule,
            place=lambda v: (month_key(v.period), f"{v.dimension}:{v.dimension_key}"),
        )
        table.metric = metric
        table.chart = line_chart(title=f"{metric.title}: {columns[0][1]}", series=columns[0][1],
                                 metric=metric, points=_series(table, periods, 0))
        tables.append(table)
        tables.extend(_breakdown_table(breakdown, metric, mine, rows, columns[0][1], rule)
                      for breakdown in BREAKDOWNS
                      if breakdown.code == code and not (pcn and breakdown.tenant_only))
    return tables


def _breakdown_table(breakdown: Breakdown, metric: Metric, values: Sequence[Value], rows,
                     place_label: str, rule: Rule) -> Table:
    columns = [(f"{breakdown.axis}:{key}", label) for key, label in breakdown.columns]
    table = build_table(
        id=breakdown.id, title=f"{metric.title}, {breakdown.title}",
        caption=f"{metric.title} {breakdown.title}, {place_label}", row_heading="Month",
        rows=rows, columns=columns, values=[v for v in values if v.category], rule=rule,
        place=lambda v: (month_key(v.period), v.category),
    )
    table.metric = metric
    return table


def sections(tables: Sequence[Table]) -> list[dict]:
    """Tables grouped under their registry group, in the order they first appear."""
    grouped: dict[str, list[Table]] = {}
    for table in tables:
        grouped.setdefault(table.metric.group, []).append(table)
    return [{"id": f"section-{index}", "title": title, "tables": items}
            for index, (title, items) in enumerate(grouped.items(), start=1)]


# --------------------------------------------------------------------------- team and mine

TEAM_TRIAGE = "triage"
TEAM_WAITING = "waiting"
TEAM_CASELOAD = "caseload"


def team_values(run: RefreshRun, *, period_from: dt.date, period_to: dt.date,
                team_ids: Sequence[str], worker_ids: Sequence[str]) -> list[Value]:
    """One read for the team page: CAS02 and W2C05 per team over the months, CAS01 and CAS01w
    per worker in the last month (the only one the page shows)."""
    from django.db.models import Q

    values = selectors.snapshot_values(run, codes=["CAS02", "W2C05", "CAS01", "CAS01w"],
                                       period_from=period_from, period_to=period_to)
    values = values.filter(
        Q(code__in=["CAS02", "W2C05"], dimension="team", dimension_key__in=list(team_ids))
        | Q(code__in=["CAS01", "CAS01w"], dimension="worker", period=period_to,
            dimension_key__in=list(worker_ids)))
    return read(values)


def _categories(values: Iterable[Value]) -> list[str]:
    return sorted({v.category for v in values if v.category}, key=_category_order)


def team_tables(*, team_id: str, team_name: str, workers: Sequence[tuple[str, str]],
                values: Sequence[Value], periods: list[dt.date]) -> list[Table]:
    """The team's waiting list and triage backlog by days waited over time, and each worker's
    caseload in the last month chosen (exact figures: direct care)."""
    waiting = _team_over_time(
        "W2C05", TEAM_WAITING, "Waiting list: referrals waiting for a second contact",
        "by days waited so far", team_id=team_id, team_name=team_name, values=values,
        periods=periods)
    backlog = _team_over_time(
        "CAS02", TEAM_TRIAGE, "Referrals awaiting triage", "by days waiting",
        team_id=team_id, team_name=team_name, values=values, periods=periods)

    last = periods[-1] if periods else None
    keys = {key for key, _ in workers}
    held = [v for v in values if v.code in ("CAS01", "CAS01w") and v.period == last
            and v.dimension_key in keys]
    labels = {v.dimension_key: v.dimension_label for v in held if v.dimension_label}
    columns = _caseload_columns(held)
    caseload = build_table(
        id=f"team-{team_id}-{TEAM_CASELOAD}", title="Caseload per worker",
        caption=f"Open caseload per worker at the end of "
                f"{month_label(last) if last else 'the month'}, {team_name}",
        row_heading="Worker",
        rows=[(key, labels.get(key) or name) for key, name in workers], columns=columns,
        values=held, rule=Rule.EXACT,
        place=lambda v: (v.dimension_key, f"{v.code}:{v.category}") if v.code == "CAS01"
        or v.category == "" else None)
    caseload.metric = BY_CODE["CAS01"]
    return [waiting, backlog, caseload]


def _team_over_time(code: str, key: str, title: str, by: str, *, team_id: str, team_name: str,
                    values: Sequence[Value], periods: list[dt.date]) -> Table:
    """A count of the team's at each month end, in all and by its bands, with its chart."""
    mine = [v for v in values if v.code == code and v.dimension_key == team_id]
    columns = [("", "All")] + [(c, category_label(c)) for c in _categories(mine)]
    table = build_table(
        id=f"team-{team_id}-{key}", title=title,
        caption=f"{title} at each month end, {team_name}, {by}", row_heading="Month",
        rows=_period_rows(periods), columns=columns, values=mine, rule=Rule.EXACT,
        place=lambda v: (month_key(v.period), v.category))
    table.metric = BY_CODE[code]
    table.chart = line_chart(title=f"{title}: {team_name}", series=team_name,
                             metric=table.metric, points=_series(table, periods, 0))
    return table


def _caseload_columns(values: Iterable[Value]) -> list[tuple[str, str]]:
    """The open caseload, its states found in ``values`` and the caseload per WTE."""
    states = _categories(v for v in values if v.code == "CAS01")
    return ([("CAS01:", "Open caseload")]
            + [(f"CAS01:{c}", category_label(c)) for c in states]
            + [("CAS01w:", "Per whole-time equivalent")])


MINE_TABLE = "mine-caseload"


def mine_values(run: RefreshRun, *, period_from: dt.date, period_to: dt.date,
                worker_id: str) -> list[Value]:
    return read(selectors.snapshot_values(
        run, codes=["CAS01", "CAS01w"], dimension="worker", dimension_keys=[worker_id],
        period_from=period_from, period_to=period_to))


def mine_table(*, values: Sequence[Value], periods: list[dt.date]) -> Table:
    columns = _caseload_columns(values)
    table = build_table(
        id=MINE_TABLE, title="My caseload", caption="My open caseload at each month end",
        row_heading="Month", rows=_period_rows(periods), columns=columns, values=values,
        rule=Rule.EXACT,
        place=lambda v: (month_key(v.period), f"{v.code}:{v.category}")
        if v.code == "CAS01" or v.category == "" else None)
    table.metric = BY_CODE["CAS01"]
    table.chart = line_chart(title="My open caseload", series="My open caseload",
                             metric=table.metric, points=_series(table, periods, 0))
    return table


# --------------------------------------------------------------------------- CSV

CSV_HEADER = ["code", "title", "version", "period", "dimension", "dimension label", "category",
              "figure", "computed at"]

def csv_rows(table: Table, rule: Rule | None = None) -> list[list[str]]:
    """The table's values, one line each, with the figure as ``rule`` (default: the table's)
    shows it."""
    rule = rule or table.rule
    return [[value.code, BY_CODE[value.code].title, str(value.version), month_key(value.period),
             value.dimension, value.dimension_label, value.category,
             shown(value, rule).text, value.computed_at.isoformat()]
            for value in table.values]


# --------------------------------------------------------------------------- runs

RUN_TAGS = {
    RefreshStatus.QUEUED: "nhsuk-tag--grey",
    RefreshStatus.RUNNING: "nhsuk-tag--blue",
    RefreshStatus.SUCCEEDED: "nhsuk-tag--green",
    RefreshStatus.FAILED: "nhsuk-tag--red",
}


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} seconds"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def run_row(run: RefreshRun) -> dict:
    by = run.requested_by
    return {
        "trigger": run.get_trigger_display(),
        "by": (by.get_full_name() or by.email) if by else "",
        "tag": {"text": run.get_status_display(), "classes": RUN_TAGS[RefreshStatus(run.status)]},
        "as_of": f"{run.as_of.day} {run.as_of:%B %Y}",
        "requested": uk_datetime(run.requested_at),
        "started": uk_datetime(run.started_at),
        "finished": uk_datetime(run.finished_at),
        "duration": duration_text(run.seconds),
        "values_written": (f"{run.values_written:,}"
                           if run.status == RefreshStatus.SUCCEEDED else ""),
        "error": run.error,
    }


def progress_view(run: RefreshRun | None, progress) -> dict | None:
    """A queued or running refresh, for the live part of the dashboard and the run log."""
    if run is None:
        return None
    if progress is None or not progress.total:
        text = ("Waiting for the refresh to start" if run.status == RefreshStatus.QUEUED
                else "Starting the refresh")
        return {"value": 0, "max": 1, "text": text, "status": run.get_status_display(),
                "requested": uk_datetime(run.requested_at)}
    return {"value": progress.done, "max": progress.total,
            "text": f"{progress.done} of {progress.total} steps done (now: {progress.step})",
            "status": run.get_status_display(), "requested": uk_datetime(run.requested_at)}
