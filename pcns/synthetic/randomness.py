"""Seeded randomness that is fast enough for millions of rows, and the calendar as day numbers.

Speed matters here: the generator draws tens of millions of values. A weighted choice is one
``getrandbits`` call indexing a prebuilt table (``Picker``), and skewed waits are drawn the same
way from a table of quantiles (``Waits``), instead of ``random.choices`` or ``lognormvariate``
on every row. Dates are day numbers (``date.toordinal()``) with their ISO text looked up in a
list, so no date objects are made or formatted per row.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Generic, TypeVar

T = TypeVar("T")

#: Table size for weighted choices: a weight below 1/8192 of the total is never drawn.
_BITS = 12
_SIZE = 1 << _BITS


def rng_for(seed: int, tenant: int, stage: str) -> random.Random:
    """An independent stream per tenant and stage, so each stage is reproducible on its own
    and adding a stage never shifts the values of another."""
    return random.Random(f"{seed}/{tenant}/{stage}")  # noqa: S311 - synthetic data, not secrets


class Picker(Generic[T]):
    """A weighted choice drawn by one table lookup."""

    __slots__ = ("table",)

    def __init__(self, weights: Mapping[T, float]) -> None:
        total = float(sum(weights.values()))
        table: list[T] = []
        cumulative = 0.0
        for value, weight in weights.items():
            cumulative += weight
            table.extend([value] * (round(cumulative / total * _SIZE) - len(table)))
        self.table: tuple[T, ...] = tuple(table)

    def __call__(self, rng: random.Random) -> T:
        return self.table[rng.getrandbits(_BITS)]


class Waits:
    """Whole days from a log-normal distribution given its median and 90th percentile.

    Waits in services are skewed: most people wait a little, a few wait a long time. The table
    holds the distribution's quantiles, so a draw is one lookup.
    """

    __slots__ = ("table",)

    def __init__(self, median: float, p90: float, *, lowest: int = 0, highest: int = 720) -> None:
        mu = math.log(median)
        sigma = (math.log(p90) - mu) / NormalDist().inv_cdf(0.9)
        quantiles = (NormalDist().inv_cdf((i + 0.5) / _SIZE) for i in range(_SIZE))
        self.table = tuple(min(highest, max(lowest, round(math.exp(mu + sigma * z))))
                           for z in quantiles)

    def __call__(self, rng: random.Random) -> int:
        return self.table[rng.getrandbits(_BITS)]


def pick(rng: random.Random, values: Sequence[T]) -> T:
    """A uniform choice (faster than ``rng.choice`` for the short tuples used here)."""
    return values[int(rng.random() * len(values))]


class Calendar:
    """The generated period as day numbers, with each day's ISO text looked up, not formatted."""

    #: Days around the period that rows may name: after it, appointments still booked, review
    #: dates and consent end dates (at most a year and a bit).
    MARGIN_BEFORE = 31
    MARGIN_AFTER = 400

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = first.toordinal()
        self.last = last.toordinal()
        self._base = self.first - self.MARGIN_BEFORE
        self._iso = [
            dt.date.fromordinal(day).isoformat()
            for day in range(self._base, self.last + self.MARGIN_AFTER + 1)
        ]

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def iso(self, day: int) -> str:
        return self._iso[day - self._base]

    def uk(self, day: int) -> str:
        """dd/mm/yyyy, as the services write dates into notes."""
        year, month, date = self.iso(day).split("-")
        return f"{date}/{month}/{year}"
