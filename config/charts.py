"""The parts every line chart shares: ticks, points and the step between labelled values.

Charts are laid out in Python as plain numbers on a fixed canvas (the SVG's viewBox, which the
browser scales) and drawn by the ``line_chart`` macro of ``config/jinja2/_chart.jinja``; no
JavaScript and no charting library. Outcome scores (``caseload.charts``) and monthly metrics
(``reporting.presenters``) each lay out their own axes with these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Tick:
    at: float  # position along its axis, in canvas units
    label: str


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str  # what the point is, for its tooltip: "3 March 2026: 12"


def tick_step(span: float, steps: Sequence[int], max_intervals: int) -> int:
    """The first of ``steps`` that splits ``span`` into at most ``max_intervals`` (else the
    largest step)."""
    return next((step for step in steps if span / step <= max_intervals), steps[-1])
