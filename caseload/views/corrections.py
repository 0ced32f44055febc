"""Pages: correct a care record (amend it, or mark it entered in error), and read the earlier
version of any corrected record (care record, referral or person) from the timeline.

The record comes through caseload.corrections.care_record_get_for_user (404 for missing and
not-yours alike); only its author and the leads of its team may correct it (403).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from caseload import correction_forms, corrections, permissions
from config.exceptions import Conflict
from config.forms import add_service_errors, date_parts
from config.pages import choice_items as _choices
from config.pages import conflict_page as _conflict
from config.pages import field_value as _value
from config.pages import require as _require
from config.templating import uk_date, uk_datetime
from pcns.audit import audit_shown
from pcns.models import Organisation
from pcns.presenters import error_list
from referrals.models import Person, Referral

#: Service field names that the forms call something else.
ALIASES = {"reason": "correction_reason"}


def _back(referral) -> str:
    return reverse("caseload:record", args=[referral.pk]) if referral else reverse("caseload:mine")


def _fields(form, spec) -> list[dict]:
    """What the page shows for each amendable field, in the shape of its NHS.UK macro."""
    shown = []
    for name in spec.amendable:
        _field, macro, label = correction_forms.FIELDS[name]
        error = form.errors.get(name)
        item = {"macro": macro, "name": name, "label": label,
                "error": {"text": error[0]} if error else None}
        if macro == "date":
            item["parts"] = date_parts(form, name)
        elif macro == "select":
            item["choices"] = _choices(correction_forms.CHOICES[name], _value(form, name))
        else:
            value = _value(form, name)
            item["value"] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
        shown.append(item)
    return shown


def care_record_correct(request: HttpRequest, kind: str, record_id) -> HttpResponse:
    record = corrections.care_record_get_for_user(request.user, kind, record_id)
    _require(permissions.can_correct_care_record(request.user, record))
    spec = corrections.KINDS[kind]
    referral = corrections.referral_of(record)
    version = getattr(record, "version", None)
    action = request.POST.get("action") if request.method == "POST" else None
    amend_class = correction_forms.amend_form_class(spec)
    amend = amend_class(request.POST if action == "amend" else None,
                        initial={**{n: getattr(record, n) for n in spec.amendable},
                                 "version": version})
    in_error = correction_forms.EnteredInErrorForm(
        request.POST if action == "entered_in_error" else None, initial={"version": version})
    template = "caseload/correct.jinja"

    def context() -> dict:
        return {
            "record": record, "spec": spec, "referral": referral,
            "person": referral.person if referral else None, "back": _back(referral),
            "title": f"Correct this {spec.label}: {record}",
            "already": record.entered_in_error_at is not None,
            "amend": amend, "in_error": in_error, "fields": _fields(amend, spec),
            "error_list": (error_list(amend, "correction_reason") if amend.errors
                           else error_list(in_error, "error_reason")),
            "version": "" if version is None else version,
            "amend_reason": _value(amend, "correction_reason"),
            "error_reason": _value(in_error, "error_reason"),
        }

    if action == "entered_in_error" and in_error.is_valid():
        try:
            corrections.care_record_enter_in_error(
                record=record, actor=request.user, version=in_error.cleaned_data["version"],
                reason=in_error.cleaned_data["error_reason"])
        except Conflict as error:
            audit_shown(request, referral, note=f"correcting a {spec.label}")
            return _conflict(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(in_error, error, aliases={"reason": "error_reason"})
        else:
            messages.success(request, f"The {spec.label} is marked entered in error. It stays on "
                                      "the record, struck through, and leaves the figures.")
            return redirect(_back(referral))
    elif action == "amend" and amend.is_valid():
        try:
            corrections.care_record_amend(
                record=record, actor=request.user, version=amend.cleaned_data["version"],
                reason=amend.cleaned_data["correction_reason"],
                changes={name: amend.cleaned_data[name] for name in spec.amendable})
        except Conflict as error:
            audit_shown(request, referral, note=f"correcting a {spec.label}")
            return _conflict(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(amend, error, aliases=ALIASES)
        else:
            messages.success(request, f"The {spec.label} is amended. The earlier version is "
                                      "kept and the timeline shows the change.")
            return redirect(_back(referral))
    audit_shown(request, referral, note=f"correcting a {spec.label}")
    page = context()
    unknown = request.method == "POST" and action not in {"amend", "entered_in_error"}
    if unknown:
        page["error_list"] = [{"text": "Choose to amend it or to mark it entered in error.",
                               "href": "#entered-in-error"}]
    failed = amend.errors or in_error.errors or unknown
    return render(request, template, page, status=400 if failed else 200)


# --------------------------------------------------------------------------- earlier versions


def _shown_value(field, value, organisations: dict) -> str:
    if value in (None, "", []):
        return "Not recorded"
    if field.is_relation:
        return organisations.get(value, "Not known")
    if field.choices:
        labels = dict(field.choices)
        return str(labels.get(value, value))
    base = getattr(field, "base_field", None)
    if isinstance(value, list):
        labels = dict(base.choices) if base is not None and base.choices else {}
        return "; ".join(str(labels.get(item, item)) for item in value)
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return uk_date(dt.date.fromisoformat(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def revision_rows(revision, model) -> list[dict]:
    ids = [value for name, value in revision.prior.items()
           if value and model._meta.get_field(name).is_relation]
    organisations = {str(o.pk): o.name for o in Organisation.objects.filter(pk__in=ids)}
    rows = []
    for name, value in revision.prior.items():
        field = model._meta.get_field(name)
        label = str(field.verbose_name)
        rows.append({"key": label[:1].upper() + label[1:],
                     "value": _shown_value(field, value, organisations),
                     "changed": name in revision.fields})
    return rows


def revision_detail(request: HttpRequest, revision_id) -> HttpResponse:
    revision, record = corrections.revision_get_for_user(request.user, revision_id)
    if isinstance(record, Person):
        person, referral, label = record, None, "Person's details"
    elif isinstance(record, Referral):
        person, referral, label = record.person, record, "Referral details"
    else:
        referral = corrections.referral_of(record)
        if referral is not None:
            _require(permissions.can_view_care_record(request.user, referral))
        person = referral.person if referral else None
        label = corrections.kind_of(record).label.capitalize()
    audit_shown(request, [t for t in (person, referral, record) if t is not None],
                note="earlier version")
    return render(request, "caseload/revision.jinja", {
        "revision": revision, "person": person, "referral": referral, "label": label,
        "rows": revision_rows(revision, type(record)),
        "at": uk_datetime(revision.at),
        "back": (reverse("referrals:timeline", args=[referral.pk]) if referral
                 else reverse("referrals:person-detail", args=[person.pk]) if person
                 else reverse("caseload:mine")),
    })
