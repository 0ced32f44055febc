"""Pages: correct a person's details, and a referral's intake details. Each keeps the earlier
version (referrals.corrections); a stale form gets 409."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.exceptions import Conflict
from config.forms import add_service_errors, date_parts
from config.pages import choice_items as _choices
from config.pages import conflict_page as _conflict
from config.pages import field_value as _value
from config.pages import require as _require
from pcns.audit import audit_shown
from pcns.presenters import error_list
from referrals import corrections, permissions, presenters, selectors
from referrals.codes import (
    PresentingNeed,
    Source,
    Urgency,
)
from referrals.correction_forms import PersonEditForm, ReferralAmendForm

#: Service field names that the forms call something else.
ALIASES = {"reason": "correction_reason"}


def _initial(record, fields) -> dict:
    values = {name: getattr(record, name) for name in fields}
    for name in ("registered_practice", "referrer_organisation"):
        if name in values:
            values[name] = getattr(record, f"{name}_id") or ""
    values["version"] = record.version
    return values


# --------------------------------------------------------------------------- a person


def _person_context(form, person) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    return {
        "form": form,
        "person": person,
        "error_list": error_list(form, "given_name"),
        "v": value,
        "dob": date_parts(form, "date_of_birth"),
        "choices": {
            **presenters.identity_choices(value),
            "practice": _choices(
                [(o.pk, o.name) for o in form.fields["registered_practice"].queryset],
                value("registered_practice"), blank="Not known"),
        },
    }


def person_edit(request: HttpRequest, person_id) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, person_id)
    _require(permissions.can_change_person(request.user, person))
    data = request.POST if request.method == "POST" else None
    form = PersonEditForm(data, user=request.user,
                          initial=_initial(person, PersonEditForm.PERSON_FIELDS))
    template = "referrals/person_edit.jinja"
    if request.method == "POST" and form.is_valid():
        try:
            corrections.person_amend(
                person=person, actor=request.user, version=form.cleaned_data["version"],
                reason=form.cleaned_data["correction_reason"], data=form.person_input(),
            )
        except Conflict as error:
            audit_shown(request, person, note="details form")
            return _conflict(request, template, _person_context(form, person), error)
        except ValidationError as error:
            add_service_errors(form, error, aliases=ALIASES)
        else:
            messages.success(request, "Details saved. The earlier version is kept.")
            return redirect("referrals:person-detail", person.pk)
    audit_shown(request, person, note="details form")
    return render(request, template, _person_context(form, person),
                  status=400 if form.errors else 200)


# --------------------------------------------------------------------------- a referral


def _referral_context(form, referral) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    needs = (form.data.getlist("presenting_needs") if form.is_bound
             else form.initial.get("presenting_needs", []))
    return {
        "form": form,
        "referral": referral,
        "person": referral.person,
        "error_list": error_list(form, "received_on"),
        "v": value,
        "received": date_parts(form, "received_on"),
        "choices": {
            "source": _choices(Source.choices, value("source"), blank="Choose a source"),
            "urgency": _choices(Urgency.choices, value("urgency", Urgency.ROUTINE)),
            "needs": _choices(PresentingNeed.choices, needs),
            "referrer_org": _choices(
                [(o.pk, f"{o.name} ({o.get_kind_display()})")
                 for o in form.fields["referrer_organisation"].queryset],
                value("referrer_organisation"), blank="Not one of ours"),
        },
    }


def referral_amend(request: HttpRequest, referral_id) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_amend_referral(request.user, referral))
    data = request.POST if request.method == "POST" else None
    form = ReferralAmendForm(data, user=request.user,
                             initial=_initial(referral, corrections.REFERRAL_INTAKE_FIELDS))
    template = "referrals/referral_amend.jinja"
    if request.method == "POST" and form.is_valid():
        try:
            corrections.referral_amend(
                referral=referral, actor=request.user, version=form.cleaned_data["version"],
                reason=form.cleaned_data["correction_reason"], data=form.intake_input(),
            )
        except Conflict as error:
            audit_shown(request, referral, note="intake correction form")
            return _conflict(request, template, _referral_context(form, referral), error)
        except ValidationError as error:
            add_service_errors(form, error, aliases=ALIASES)
        else:
            messages.success(request, "Referral details saved. The earlier version is kept "
                                      "and the change is on the timeline.")
            return redirect("referrals:detail", referral.pk)
    audit_shown(request, referral, note="intake correction form")
    return render(request, template, _referral_context(form, referral),
                  status=400 if form.errors else 200)
