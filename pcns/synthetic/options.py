"""What to generate: the options of ``manage.py generate_synthetic`` and what follows from them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils import timezone

from pcns.synthetic.ids import MAX_PEOPLE_PER_TENANT
from pcns.synthetic.journeys import MAX_REFERRALS_PER_PERSON
from pcns.synthetic.places import AREA_NAME_COUNT

_SLUG_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def last_month(today: dt.date) -> dt.date:
    """The first day of the month before ``today``'s."""
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Options:
    """Counts are totals over all tenants, shared out as evenly as they go."""

    tenants: int = 1
    pcns_per_tenant: int = 4
    people: int = 2_000
    referrals: int = 3_000
    contacts_per_referral: float = 7.0
    seed: int = 1
    months: int = 24
    #: The first day of the period's last month (by default last month, UK time).
    end_month: dt.date = field(default_factory=lambda: last_month(timezone.localdate()))
    prefix: str = "synthetic"

    @property
    def first_day(self) -> dt.date:
        year, month = divmod(self.end_month.year * 12 + self.end_month.month - self.months, 12)
        return dt.date(year, month + 1, 1)

    @property
    def last_day(self) -> dt.date:
        end = self.end_month
        return end.replace(day=calendar.monthrange(end.year, end.month)[1])

    @property
    def slugs(self) -> list[str]:
        width = max(2, len(str(self.tenants)))
        return [f"{self.prefix}-{n:0{width}d}" for n in range(1, self.tenants + 1)]

    def share(self, total: int, tenant: int) -> int:
        """Tenant ``tenant``'s (1-based) part of ``total``."""
        base, extra = divmod(total, self.tenants)
        return base + (1 if tenant <= extra else 0)

    def problems(self) -> list[str]:
        """Everything wrong with the options, as messages for the command line."""
        found = []
        if self.tenants < 1:
            found.append("--tenants must be at least 1.")
        if not 1 <= self.pcns_per_tenant <= AREA_NAME_COUNT // 2:
            found.append(f"--pcns-per-tenant must be from 1 to {AREA_NAME_COUNT // 2}.")
        if self.tenants >= 1 and self.people < self.tenants:
            found.append("--people must be at least one per tenant.")
        if self.referrals < self.people:
            found.append("--referrals must be at least --people: everyone has a referral.")
        if self.referrals > self.people * MAX_REFERRALS_PER_PERSON:
            found.append(f"--referrals can be at most {MAX_REFERRALS_PER_PERSON} per person.")
        if self.tenants >= 1 and -(-self.people // self.tenants) > MAX_PEOPLE_PER_TENANT:
            found.append(f"At most {MAX_PEOPLE_PER_TENANT:,} people per tenant (NHS numbers "
                         "starting 999 run out): add tenants.")
        if not 0 <= self.contacts_per_referral <= 100:
            found.append("--contacts-per-referral must be from 0 to 100.")
        if not 3 <= self.months <= 120:
            found.append("--months must be from 3 to 120.")
        if not _SLUG_PREFIX.match(self.prefix):
            found.append("--prefix must be lower-case letters, digits and hyphens "
                         "(at most 40), starting with a letter or digit.")
        return found
