"""Line charts of outcome scores, laid out as plain numbers for an inline SVG.

No JavaScript and no charting library (config.charts): ``score_chart`` places one tool's scores
on a fixed canvas (the SVG's viewBox, which the browser scales) and words the same facts for the
chart's description, so a screen reader gets what a sighted reader gets. The table beside the
chart on the page carries every number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from caseload.codes import DIALOG_LIFE_DOMAINS, TOOLS, OutcomeTool
from config.charts import ChartPoint, Tick, tick_step
from config.templating import uk_date

#: The canvas, in SVG user units (about the pixels of half a desktop page), the margins that
#: hold the axis labels, and how far inside the axes the first and last dates sit (so their
#: labels fit).
WIDTH, HEIGHT = 480, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 16, 56
INSET = 36
#: At most this many dates are labelled along the time axis.
MAX_X_TICKS = 4
#: At most this many intervals between labelled scores; steps tried in order.
MAX_Y_INTERVALS = 8
Y_STEPS = (1, 2, 5, 10, 20)


@dataclass(frozen=True)
class LineChart:
    tool: str
    title: str
    description: str
    better: str
    x_label: str
    y_label: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    points: tuple[ChartPoint, ...]
    line: str  # the polyline's ``points`` attribute
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """What the chart macro draws: the one line, once there are two points to join."""
        return (self.line,) if len(self.points) > 1 else ()


def format_score(tool: str, value: Decimal | float | int) -> str:
    """DIALOG scores are means, shown to 2 decimal places; other tools' totals are whole."""
    value = Decimal(str(value))
    if tool == OutcomeTool.DIALOG:
        return f"{value:.2f}"
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value.normalize()}"


def change_text(tool: str, change: Decimal) -> str:
    """How far a score moved from the first one, and whether that is better for the person."""
    if change == 0:
        return "No change"
    spec = TOOLS[tool]
    better = (change > 0) == spec.higher_is_better
    direction = "Up" if change > 0 else "Down"
    return f"{direction} {format_score(tool, abs(change))} ({'better' if better else 'worse'})"


def better_text(tool: str) -> str:
    return "Higher scores are better." if TOOLS[tool].higher_is_better else (
        "Lower scores are better.")


def score_label(tool: str) -> str:
    """What the plotted score is, with its range."""
    spec = TOOLS[tool]
    low, high = spec.total_range
    if tool == OutcomeTool.DIALOG:
        return (f"Quality of life (mean of the {DIALOG_LIFE_DOMAINS} life domains, "
                f"{low} to {high})")
    return f"Total score ({low} to {high})"


def axis_label(tool: str) -> str:
    """The score axis's title: short, to fit beside the chart."""
    low, high = TOOLS[tool].total_range
    what = "Quality of life" if tool == OutcomeTool.DIALOG else "Total score"
    return f"{what} ({low} to {high})"


def _y_ticks(low: int, high: int) -> list[int]:
    span = high - low
    step = tick_step(span, Y_STEPS, MAX_Y_INTERVALS)
    first = -(-low // step) * step  # the first multiple of step at or above low
    return list(range(first, high + 1, step))


def _x_tick_dates(first: dt.date, last: dt.date) -> list[dt.date]:
    span = (last - first).days
    if span == 0:
        return [first]
    count = min(MAX_X_TICKS, span + 1)
    dates = [first + dt.timedelta(days=round(span * i / (count - 1))) for i in range(count)]
    return list(dict.fromkeys(dates))


def _short_date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def score_chart(tool: str, scores: Sequence[tuple[dt.date, Decimal]]) -> LineChart:
    """One tool's scores over time, oldest first, as a line chart.

    The score axis always spans the tool's whole range, so charts of one tool look alike and a
    small change is not drawn as a large one. Time runs left to right in proportion to the days
    between measures; a single measure (or several on one day) sits in the middle.
    """
    spec = TOOLS[tool]
    scores = sorted(scores, key=lambda pair: pair[0])
    low, high = spec.total_range
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    plot_top, plot_bottom = TOP, HEIGHT - BOTTOM

    def y_of(value: Decimal | int) -> float:
        share = (float(value) - low) / (high - low)
        return round(plot_bottom - share * (plot_bottom - plot_top), 1)

    first_day = scores[0][0] if scores else None
    last_day = scores[-1][0] if scores else None
    span = (last_day - first_day).days if scores else 0

    def x_of(day: dt.date) -> float:
        if span == 0:
            return round((plot_left + plot_right) / 2, 1)
        share = (day - first_day).days / span
        return round(plot_left + INSET + share * (plot_right - plot_left - 2 * INSET), 1)

    points = tuple(
        ChartPoint(x=x_of(day), y=y_of(value), label=f"{uk_date(day)}: {format_score(tool, value)}")
        for day, value in scores
    )
    return LineChart(
        tool=tool,
        title=f"{spec.tool.label} scores over time",
        description=_describe(tool, scores),
        better=better_text(tool),
        x_label="Date completed",
        y_label=axis_label(tool),
        width=WIDTH,
        height=HEIGHT,
        left=plot_left,
        right=plot_right,
        top=plot_top,
        bottom=plot_bottom,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points),
        x_ticks=tuple(Tick(at=x_of(day), label=_short_date(day))
                      for day in (_x_tick_dates(first_day, last_day) if scores else [])),
        y_ticks=tuple(Tick(at=y_of(value), label=str(value)) for value in _y_ticks(low, high)),
    )


def _describe(tool: str, scores: Sequence[tuple[dt.date, Decimal]]) -> str:
    spec = TOOLS[tool]
    what = score_label(tool)
    if not scores:
        return f"No {spec.tool.label} scores yet. {better_text(tool)}"
    first_day, first = scores[0]
    last_day, last = scores[-1]
    if len(scores) == 1:
        return (f"{what}: one measure, {format_score(tool, first)} on {uk_date(first_day)}. "
                f"{better_text(tool)}")
    return (
        f"{what}: {len(scores)} measures from {uk_date(first_day)} to {uk_date(last_day)}. "
        f"First {format_score(tool, first)}, latest {format_score(tool, last)}: "
        f"{change_text(tool, Decimal(last) - Decimal(first)).lower()}. {better_text(tool)}"
    )
