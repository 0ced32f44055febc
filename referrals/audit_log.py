"""The audit log page for tenant administrators (``/admin-tools/audit/``) and its CSV.

Search by person (an NHS number: that person, the records merged into theirs, their referrals,
care records and onward referrals), by user (part of a name or an email) and by UK dates. The NHS
number is sent by POST and the page is then shown for the person's id, so no NHS number ever
stands in a URL. Targets are named (a person's name, "referral of Alex Smith", a team's name),
never shown as ids. Searching and downloading are themselves audited: the people named on the
page or in the file as viewed, and each download as an export.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from config.csv_export import csv_response
from config.forms import text
from config.pages import require as _require
from pcns import permissions as pcns_permissions
from pcns.audit import audit_shown
from pcns.models import AuditAction
from pcns.presenters import audit_kind, audit_rows, audit_what, error_list
from pcns.services import audit_record
from referrals import selectors
from referrals.presenters import nhs_number_text
from referrals.validators import normalise_nhs_number

PAGE_SIZE = 50
INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class AuditSearchForm(forms.Form):
    """The search. ``from`` is a Python keyword, so that field is added by name."""

    nhs_number = text("NHS number", 20)
    person = forms.UUIDField(required=False)
    user = text("User", 200)
    to = forms.DateField(required=False, input_formats=INPUT_FORMATS, error_messages={
        "invalid": "Enter the last day as a real date, like 31/05/2026."})

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["from"] = forms.DateField(
            required=False, input_formats=INPUT_FORMATS, error_messages={
                "invalid": "Enter the first day as a real date, like 01/05/2026."})
        self.order_fields(["nhs_number", "user", "from", "to"])

    def clean_nhs_number(self) -> str:
        value = self.cleaned_data["nhs_number"].strip()
        return normalise_nhs_number(value) if value else ""

    def clean_user(self) -> str:
        value = self.cleaned_data["user"].strip()
        if "\x00" in value:
            raise ValidationError("Enter a name or email without control characters.")
        return value

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["to"] < data["from"]:
            self.add_error("to", "The last day must be the same as or after the first.")
        return data


def _search(request: HttpRequest, form: AuditSearchForm):
    """The person searched for (or None) and the matching events."""
    person = None
    if form.cleaned_data.get("person"):
        person = selectors.person_get_for_user(request.user, form.cleaned_data["person"])
    events = selectors.audit_log_search(
        request.user, person=person, actor=form.cleaned_data.get("user", ""),
        start=form.cleaned_data.get("from"), end=form.cleaned_data.get("to"))
    return person, events


def _query(data: dict) -> str:
    values = {"person": data.get("person") or "", "user": data.get("user") or "",
              "from": f"{data['from']:%d/%m/%Y}" if data.get("from") else "",
              "to": f"{data['to']:%d/%m/%Y}" if data.get("to") else ""}
    return urlencode({key: value for key, value in values.items() if value})


def _searched_for(data: dict) -> str:
    """What the search was by, for the audit note (kinds only: no NHS number, no name)."""
    kinds = [label for key, label in (("person", "person"), ("user", "user"), ("from", "dates"),
                                      ("to", "dates")) if data.get(key)]
    return ", ".join(dict.fromkeys(kinds)) or "everything"


def audit_log(request: HttpRequest) -> HttpResponse:
    _require(pcns_permissions.can_view_audit_log(request.user))
    if request.method == "POST":
        form = AuditSearchForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["person"] = None
            if data["nhs_number"]:
                found = selectors.people_with_nhs_number(request.user, data["nhs_number"])
                if found:
                    data["person"] = found[0].pk
                else:
                    form.add_error("nhs_number", "No one with this NHS number is recorded here.")
            if not form.errors:
                query = _query(data)
                return redirect(reverse("referrals:audit-log") + (f"?{query}" if query else ""))
        return _page(request, form, None, None)
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return _page(request, form, None, None)
    person, events = _search(request, form)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(request, form, person, page)


def _page(request: HttpRequest, form: AuditSearchForm, person, page) -> HttpResponse:
    context = {"form": form, "error_list": error_list(form, "nhs_number"), "person": None,
               "page": page, "rows": [], "query": "", "csv_url": ""}
    values = {name: form.data.get(name, "") for name in ("nhs_number", "user", "from", "to")}
    if person is not None:
        values["nhs_number"] = person.nhs_number
        context["person"] = {"name": person.full_name, "nhs_number": nhs_number_text(person),
                             "href": reverse("referrals:person-detail", args=[person.pk])}
    context["values"] = values
    if page is not None:
        names, people = selectors.audit_target_names(request.user, page.object_list)
        context["rows"] = audit_rows(page.object_list, names)
        context["query"] = _query(form.cleaned_data)
        context["csv_url"] = reverse("referrals:audit-log-csv") + (
            f"?{context['query']}" if context["query"] else "")
        audit_shown(request, [*([person] if person else []), *people], note="audit log")
        audit_shown(request, ("audit_log", ""),
                    note=f"audit log search by {_searched_for(form.cleaned_data)}")
    return render(request, "referrals/audit_log.jinja", context,
                  status=400 if form.errors else 200)


# --------------------------------------------------------------------------- CSV


CSV_HEADER = ["When", "Who", "Email", "Action", "Kind", "What", "Details"]
CSV_BATCH = 1000


def audit_log_csv(request: HttpRequest) -> HttpResponse:
    _require(pcns_permissions.can_view_audit_log(request.user))
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return _page(request, form, None, None)
    person, events = _search(request, form)
    rows: list[list[str]] = [CSV_HEADER]
    named = [person] if person else []
    paginator = Paginator(events.select_related("actor"), CSV_BATCH)
    for number in paginator.page_range:
        batch = list(paginator.page(number).object_list)
        names, people = selectors.audit_target_names(request.user, batch)
        named += people
        rows += [[
            f"{timezone.localtime(event.at):%d/%m/%Y %H:%M:%S}", event.actor_label,
            event.actor.email if event.actor else "", event.get_action_display(),
            audit_kind(event.target_type),
            audit_what(event, names.get((event.target_type, event.target_id), "")),
            ", ".join(event.fields) or event.note,
        ] for event in batch]
    response = csv_response(filename=f"audit-log-{timezone.localdate():%Y-%m-%d}.csv",
                            rows=rows)
    audit_shown(request, named, note="audit log download")
    audit_record(actor=request.user, action=AuditAction.EXPORT, target_type="audit_log",
                 note=f"audit log CSV by {_searched_for(form.cleaned_data)}")
    return response
