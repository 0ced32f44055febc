"""Disclosure control of shown and exported figures (METRICS.md section 6).

Stored values are exact; the rule is applied when a figure is shown or exported:

- ``PUBLICATION`` (programme dashboards by default, and every export marked for publication):
  a count of 1 to 4 is ``*``; other counts are rounded to the nearest 5 (0 stays 0). A
  percentage, median, percentile or mean is ``*`` when the count it is based on is 1 to 4, and
  otherwise is worked out from the unrounded numbers and rounded to a whole number. A mean or
  rate (a change in DIALOG score on a 1-7 scale, a caseload per WTE) keeps one decimal place:
  section 6 names percentages, medians and percentiles, and a whole number would hide a
  DIALOG change of 0.4.
- ``MANAGEMENT`` (a tenant's choice for internal dashboards): as above without rounding counts.
- ``EXACT`` (team and clinician views used for direct care): figures as stored.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pcns.models import DisclosureMode
from reporting.registry import Metric

SUPPRESSED = "*"


class Rule(enum.Enum):
    EXACT = "exact"
    MANAGEMENT = "management"
    PUBLICATION = "publication"


def rule_for_tenant(mode: str, *, publication: bool = False) -> Rule:
    """The rule for a programme-level view of a tenant in ``mode`` (pcns.DisclosureMode)."""
    if publication or mode != DisclosureMode.MANAGEMENT:
        return Rule.PUBLICATION
    return Rule.MANAGEMENT


@dataclass(frozen=True)
class Figure:
    """A figure as shown: ``text`` for tables and CSV, ``number`` for charts (None when
    suppressed or missing)."""

    text: str
    number: Decimal | None

    @property
    def suppressed(self) -> bool:
        return self.text == SUPPRESSED


MISSING = Figure("", None)


def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _small(count: int | None) -> bool:
    return count is not None and 1 <= count <= 4


def count_figure(count: int | None, rule: Rule) -> Figure:
    if count is None:
        return MISSING
    if rule is not Rule.EXACT and _small(count):
        return Figure(SUPPRESSED, None)
    if rule is Rule.PUBLICATION:
        rounded = int(_whole(Decimal(count) / 5) * 5)
        return Figure(str(rounded), Decimal(rounded))
    return Figure(str(count), Decimal(count))


def statistic_figure(value: Decimal | float | None, base: int | None, rule: Rule, *,
                     places: int = 0) -> Figure:
    """A percentage, median, percentile or mean, suppressed with the count it is based on."""
    if value is None:
        return MISSING
    if rule is not Rule.EXACT and _small(base):
        return Figure(SUPPRESSED, None)
    value = Decimal(str(value))
    if rule is Rule.EXACT:
        shown = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).normalize()
        return Figure(f"{shown:f}", value)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return Figure(str(rounded), rounded)


def figure(metric: Metric, *, numerator: int | None, denominator: int | None,
           value: Decimal | float | None, rule: Rule) -> Figure:
    """How a stored value of ``metric`` is shown under ``rule``."""
    if metric.is_count:
        return count_figure(numerator, rule)
    if metric.unit == "percent" and denominator and numerator is not None:
        # from the unrounded numbers, whatever the stored value's rounding
        value = Decimal(numerator) * 100 / Decimal(denominator)
    return statistic_figure(value, denominator, rule, places=1 if metric.unit == "mean" else 0)
