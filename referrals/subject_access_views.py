"""A person's subject access request, answered by a tenant administrator: everything held about
them as a page to print and as JSON (pcns.subject_access builds it; each app adds its part)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from config.pages import require
from pcns import permissions as pcns_permissions
from pcns.models import AuditAction
from pcns.services import audit_record
from pcns.subject_access import Report, subject_access_report
from referrals import selectors
from referrals.models import Person

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


def _person(request: HttpRequest, person_id) -> Person:
    """The person, for tenant administrators only (404 for another tenant's, as for anyone)."""
    person = selectors.person_get_for_user(request.user, person_id)
    require(pcns_permissions.can_administer_tenant(request.user))
    return person


def _report(request: HttpRequest, person: Person, *, form: str) -> Report:
    report = subject_access_report(person)
    audit_record(actor=request.user, action=AuditAction.EXPORT, target=person,
                 note=f"Subject access request answered ({form})")
    return report


def shown(value: Any) -> str:
    """A report value as the page prints it: UK dates, Yes/No, lists one after another."""
    if value is None or value == "" or value == []:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(shown(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {shown(item)}" for key, item in value.items())
    try:
        if isinstance(value, str) and _DATE.fullmatch(value):
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        if isinstance(value, str) and _DATETIME.fullmatch(value):
            moment = dt.datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%d/%m/%Y %H:%M")
    except ValueError:  # free text that only looks like a date ("2024-02-30")
        pass
    return str(value)


def subject_access(request: HttpRequest, person_id) -> HttpResponse:
    person = _person(request, person_id)
    report = _report(request, person, form="page")
    sections = [{"title": s.title, "description": s.description,
                 "records": [{"title": r.title,
                              "rows": [(label, shown(value)) for _n, label, value in r.fields]}
                             for r in s.records]}
                for s in report.sections]
    response = render(request, "referrals/subject_access.jinja", {
        "person": person, "sections": sections,
        "produced": timezone.localtime(report.produced_at).strftime("%d/%m/%Y at %H:%M"),
    })
    response["Cache-Control"] = "no-store"
    return response


def subject_access_json(request: HttpRequest, person_id) -> HttpResponse:
    person = _person(request, person_id)
    report = _report(request, person, form="JSON")
    response = JsonResponse(report.as_json(), json_dumps_params={"indent": 2,
                                                                 "ensure_ascii": False})
    response["Content-Disposition"] = (
        f'attachment; filename="subject-access-{person.pk}.json"')
    response["Cache-Control"] = "no-store"
    return response
