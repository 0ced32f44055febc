"""The dashboards' filters: a period of months of the stored run, and a PCN or a team."""

from __future__ import annotations

import datetime as dt

from django import forms

from reporting.engine import add_months
from reporting.models import RefreshRun

#: Months shown when the filter names none: the last 12 of the stored run.
DEFAULT_MONTHS = 12


def run_months(run: RefreshRun) -> list[dt.date]:
    """The periods a run stored, oldest first (its ``months`` months ending with as-of's)."""
    last = run.as_of.replace(day=1)
    return [add_months(last, -back) for back in range(run.months - 1, -1, -1)]


def month_key(period: dt.date) -> str:
    return f"{period:%Y-%m}"


def month_label(period: dt.date) -> str:
    return f"{period:%B %Y}"


class PeriodForm(forms.Form):
    """``from`` and ``to`` (YYYY-MM, months of the run), and an optional ``pcn`` or ``team``.

    ``from`` is a Python keyword, so that field is added by name. An unknown month, PCN or team
    is a field error, never a silent widening. ``team`` is offered only with ``teams``: "All
    teams" (blank) when ``all_teams``, else the first team when none is chosen.
    """

    to = forms.ChoiceField(required=False, error_messages={
        "invalid_choice": "Choose a month the figures cover."})
    pcn = forms.ChoiceField(required=False, error_messages={
        "invalid_choice": "Choose a PCN from the list."})
    team = forms.ChoiceField(required=False, error_messages={
        "invalid_choice": "Choose a team from the list."})

    def __init__(self, data, *, months: list[dt.date], pcns: list[tuple[str, str]] = (),
                 with_pcn: bool = True, teams: list[tuple[str, str]] = (),
                 all_teams: bool = True):
        super().__init__(data)
        self.months = months
        choices = [(month_key(m), month_label(m)) for m in months]
        self.fields["from"] = forms.ChoiceField(required=False, choices=choices, error_messages={
            "invalid_choice": "Choose a month the figures cover."})
        self.fields["to"].choices = choices
        if with_pcn:
            self.fields["pcn"].choices = [("", "All PCNs"), *pcns]
        else:
            del self.fields["pcn"]
        self.default_team = "" if all_teams or not teams else teams[0][0]
        if teams:
            self.fields["team"].choices = [*([("", "All teams")] if all_teams else []), *teams]
        else:
            del self.fields["team"]
        self.order_fields(["from", "to", "pcn", "team"])

    def clean(self):
        data = super().clean()
        if self.errors or not self.months:
            return data
        by_key = {month_key(m): m for m in self.months}
        last = by_key.get(data.get("to") or "", self.months[-1])
        default_first = self.months[max(0, self.months.index(last) - (DEFAULT_MONTHS - 1))]
        first = by_key.get(data.get("from") or "", default_first)
        if first > last:
            self.add_error("to", "The last month must be the same as or after the first.")
            return data
        data["period_from"], data["period_to"] = first, last
        data["pcn"] = data.get("pcn") or ""
        data["team"] = data.get("team") or self.default_team
        return data
