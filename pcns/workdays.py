"""Working days in England: Monday to Friday, not a bank holiday (shared by the VCSE
unanswered-referral rule and the escalation of untriaged urgent referrals)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not later)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start``."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        days -= is_working_day(day)
    return day


def latest_start_for(today: dt.date, days: int) -> dt.date:
    """The latest date from which ``days`` working days have passed by ``today``: anything sent
    on or before it has waited at least that long."""
    day, passed = today, 0
    while passed < days:
        passed += is_working_day(day)
        day -= dt.timedelta(days=1)
    return day
