"""Every metric code of docs METRICS.md, with its definition version and how it is shown.

A changed rule is a new version here; stored values keep the version they were computed with.
``unit`` says how a value is read and how disclosure control treats it:

- ``count``: ``numerator`` is the count (``value`` repeats it);
- ``percent``: ``numerator`` / ``denominator`` * 100 in ``value``; suppressed with its base,
  the denominator;
- ``median``, ``p90``, ``mean``, ``days``: ``value`` is the statistic and ``denominator`` the
  number of items it summarises (the count it is based on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "percent", "median", "p90", "mean"]


@dataclass(frozen=True)
class Metric:
    code: str
    version: int
    title: str
    unit: Unit
    group: str  # the dashboard section it belongs to
    national: bool = False  # a national (MHSDS) measure rather than a local one

    @property
    def is_count(self) -> bool:
        return self.unit == "count"


def _m(code: str, title: str, unit: Unit, group: str, *, national: bool = False,
       version: int = 1) -> Metric:
    return Metric(code=code, version=version, title=title, unit=unit, group=group,
                  national=national)


SPELLS = "Referral spells and the 4-week wait"
WAITS = "Wait from referral to second contact"
ACCESS = "Access"
REFERRALS = "Referrals"
ACTIVITY = "Activity"
CASELOAD = "Caseload"
VCSE = "VCSE partners"
EQUALITY = "Inequalities"
OUTCOMES = "Outcomes"

METRICS: tuple[Metric, ...] = (
    _m("RS01", "Spells with a clock stop in the month", "count", SPELLS, national=True),
    _m("RS01a", "Clock stops within 4 weeks (28 days)", "count", SPELLS, national=True),
    _m("RS01b", "Clock stops within 4 weeks, %", "percent", SPELLS, national=True),
    _m("RS01m", "Median days to clock stop", "median", SPELLS, national=True),
    _m("RS01p90", "90th percentile days to clock stop", "p90", SPELLS, national=True),
    _m("RS01pt", "Spells with a partial clock stop in the month (local)", "count", SPELLS),
    _m("RS02", "Waiting list: open spells with no clock stop", "count", SPELLS, national=True),
    _m("RS03", "Open spells with fewer than 2 contacts", "count", SPELLS, national=True),
    _m("RS03m", "Median days waited so far, fewer than 2 contacts", "median", SPELLS,
       national=True),
    _m("RS03p90", "90th percentile days waited so far, fewer than 2 contacts", "p90", SPELLS,
       national=True),
    _m("RS04", "Spells started", "count", SPELLS, national=True),
    _m("RS05", "Spells closed", "count", SPELLS, national=True),
    _m("RS06", "Open spells at month end", "count", SPELLS, national=True),
    _m("RS15", "Spells reaching their second contact", "count", SPELLS, national=True),
    _m("RS20", "Open spells with a clock stop", "count", SPELLS, national=True),
    _m("RS21", "Open spells with 2 or more contacts", "count", SPELLS, national=True),
    _m("RS22", "Open spells with 2+ contacts that have a clock stop, %", "percent", SPELLS,
       national=True),
    _m("W2C01", "Referrals reaching their second contact", "count", WAITS, national=True),
    _m("W2C02", "Median days to second contact", "median", WAITS, national=True),
    _m("W2C03", "90th percentile days to second contact", "p90", WAITS, national=True),
    _m("W2C04", "Second contact within 4 weeks, %", "percent", WAITS, national=True),
    _m("W2C05", "Referrals still waiting for a second contact", "count", WAITS, national=True),
    _m("W2C05m", "Median days waited so far for a second contact", "median", WAITS,
       national=True),
    _m("W2C05p90", "90th percentile days waited so far for a second contact", "p90", WAITS,
       national=True),
    _m("ACC01", "People with 2+ contacts in the last 12 months", "count", ACCESS, national=True),
    _m("ACC01T", "People with 2+ contacts in the last 12 months, transformed PCNs", "count",
       ACCESS, national=True),
    _m("REF01", "Referrals received", "count", REFERRALS),
    _m("REF02", "Median days from referral to triage decision", "median", REFERRALS),
    _m("REF03", "Referrals rejected", "count", REFERRALS),
    _m("REF03p", "Rejections as a % of referrals received", "percent", REFERRALS),
    _m("REF04", "Referrals redirected", "count", REFERRALS),
    _m("REF05", "Re-referrals within 12 months of a discharge", "count", REFERRALS),
    _m("ACT01", "Contacts", "count", ACTIVITY),
    _m("ACT02", "DNA rate, %", "percent", ACTIVITY),
    _m("ACT02c", "Cancelled contacts", "count", ACTIVITY),
    _m("CAS01", "Open caseload", "count", CASELOAD),
    _m("CAS01w", "Open caseload per whole-time equivalent", "mean", CASELOAD),
    _m("CAS02", "Referrals awaiting triage", "count", CASELOAD),
    _m("VCS01", "Onward referrals sent", "count", VCSE),
    _m("VCS01p", "People referred on", "count", VCSE),
    _m("VCS02", "Onward referral responses", "count", VCSE),
    _m("VCS02m", "Median days to a response", "median", VCSE),
    _m("VCS03", "VCSE contacts logged", "count", VCSE),
    _m("VCS03s", "Support delivered, by type", "count", VCSE),
    _m("VCS04", "Median days from onward referral to first VCSE contact", "median", VCSE),
    _m("CCN01", "People seen by community connectors", "count", VCSE),
    _m("EQ01", "Referrals received, by group", "count", EQUALITY),
    _m("EQ01a", "People with 2+ contacts in the last 12 months, by group", "count", EQUALITY),
    _m("EQ01r", "Referrals received per 1,000 registered population", "mean", EQUALITY),
    _m("EQ01m", "Minority-ethnic share of referrals received, %", "percent", EQUALITY),
    _m("OUT01", "Closed spells with a paired outcome, %", "percent", OUTCOMES),
    _m("OUT02q", "Mean change in DIALOG quality of life", "mean", OUTCOMES),
    _m("OUT02t", "Mean change in DIALOG treatment satisfaction", "mean", OUTCOMES),
)

BY_CODE: dict[str, Metric] = {metric.code: metric for metric in METRICS}


def metric(code: str) -> Metric:
    return BY_CODE[code]
