"""The VCSE activity report page and its CSV (definitions in vcse/reports.py).

Programme managers, administrators and clinical leads see every VCSE organisation of the place;
a VCSE lead sees their own (vcse.permissions). The period comes from the query string (``from``
and ``to``, as dd/mm/yyyy or yyyy-mm-dd); with neither, it is the last 12 whole months and this
month so far. The figures are counts only: nothing on the page or in the CSV names a person, so
viewing is not audited, but every CSV download is (an export).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from config.csv_export import csv_response
from config.pages import require as _require
from pcns.models import AuditAction
from pcns.presenters import error_list
from pcns.services import audit_record
from vcse import permissions, reports

INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 whole months before this one, and this month up to today."""
    month = today.year * 12 + today.month - 1 - 12
    return dt.date(month // 12, month % 12 + 1, 1), today


class PeriodForm(forms.Form):
    """``from`` and ``to`` (``from`` is a Python keyword, so the field is added by name)."""

    to = forms.DateField(required=False, input_formats=INPUT_FORMATS, error_messages={
        "invalid": "Enter the end of the period as a real date, like 31/05/2026."})

    def __init__(self, data, *, today: dt.date):
        super().__init__(data)
        self.today = today
        self.fields["from"] = forms.DateField(
            required=False, input_formats=INPUT_FORMATS, error_messages={
                "invalid": "Enter the start of the period as a real date, like 01/06/2025."})
        self.order_fields(["from", "to"])

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = default_period(self.today)
        data["from"] = data.get("from") or start
        data["to"] = data.get("to") or end
        if data["to"] < data["from"]:
            self.add_error("to", "The end of the period must be the same as or after its start.")
        return data


def _period(request: HttpRequest) -> PeriodForm:
    form = PeriodForm(request.GET, today=timezone.localdate())
    form.is_valid()
    return form


def _report(request: HttpRequest, start: dt.date, end: dt.date) -> reports.ActivityReport:
    return reports.activity_report(
        **reports.tenant_sources(request.membership.tenant_id), start=start, end=end,
        organisation_ids=permissions.activity_report_organisations(request.user),
    )


def _query(start: dt.date, end: dt.date) -> str:
    return urlencode({"from": f"{start:%Y-%m-%d}", "to": f"{end:%Y-%m-%d}"})


# --------------------------------------------------------------------------- presenters


def _uk(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _row_cells(row: reports.ActivityRow) -> dict:
    return {
        "organisation": row.organisation,
        "counts": [getattr(row, key) for key, _label in reports.REFERRAL_COUNTS[:5]],
        "answers": [getattr(row, key) for key, _label in
                    reports.REFERRAL_COUNTS[5:] + reports.CONTACT_COUNTS],
        "support": reports.support_summary(row),
    }


def _tables(report: reports.ActivityReport) -> dict:
    return {
        "count_headings": [label for _key, label in reports.REFERRAL_COUNTS[:5]],
        "answer_headings": [label for _key, label in
                            reports.REFERRAL_COUNTS[5:] + reports.CONTACT_COUNTS],
        # The totals row last, shown like the others.
        "rows": [_row_cells(row) for row in [*report.rows, report.totals]],
        "has_organisations": bool(report.rows),
    }


def _field_values(form: PeriodForm) -> dict[str, str]:
    if form.is_valid():
        return {name: f"{form.cleaned_data[name]:%d/%m/%Y}" for name in ("from", "to")}
    return {name: form.data.get(name, "") for name in ("from", "to")}


# --------------------------------------------------------------------------- pages


def _page(request: HttpRequest, form: PeriodForm,
          report: reports.ActivityReport | None) -> HttpResponse:
    context = {
        "form": form,
        "error_list": error_list(form, "from"),
        "values": _field_values(form),
        "own_only": permissions.activity_report_organisations(request.user) is not None,
        "report": None,
    }
    if report is not None:
        context.update(_tables(report))
        context["report"] = report
        context["period"] = f"{_uk(report.start)} to {_uk(report.end)}"
        context["csv_url"] = (reverse("vcse:activity-csv") + "?"
                              + _query(report.start, report.end))
    return render(request, "vcse/report/activity.jinja", context,
                  status=400 if form.errors else 200)


def activity(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_activity_report(request.user))
    form = _period(request)
    if form.errors:
        return _page(request, form, None)
    start, end = form.cleaned_data["from"], form.cleaned_data["to"]
    return _page(request, form, _report(request, start, end))


def activity_csv(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_activity_report(request.user))
    form = _period(request)
    if form.errors:
        return _page(request, form, None)
    start, end = form.cleaned_data["from"], form.cleaned_data["to"]
    report = _report(request, start, end)
    response = csv_response(
        filename=f"vcse-activity-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv",
        rows=[reports.csv_header(), *reports.csv_rows(report)])
    audit_record(actor=request.user, action=AuditAction.EXPORT,
                 target_type="vcse.activityreport",
                 note=f"VCSE activity {start:%d/%m/%Y} to {end:%d/%m/%Y}")
    return response
