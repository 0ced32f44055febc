"""Care plan pages: edit (a new version each save), one version, and the printable copy."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from caseload import permissions, plan_presenters, selectors, services
from caseload.codes import CoProducer
from caseload.models import CarePlan
from caseload.plan_forms import CarePlanForm, care_plan_initial
from config.exceptions import Conflict
from config.forms import add_service_errors, date_parts
from config.pages import conflict_page
from config.pages import field_value as _value
from config.pages import require as _require
from pcns.audit import audit_shown
from pcns.presenters import error_list
from referrals.models import Referral
from referrals.selectors import referral_get_for_user


def _own_version(plan: CarePlan | None, referral: Referral) -> int:
    """The version number a save must name: the referral's own plan's latest, or 0 to start
    one (a reopened episode shows the episode's earlier plan, but saves a plan of its own)."""
    return plan.version if plan is not None and plan.referral_id == referral.pk else 0


def care_plan_edit(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_get_for_user(request.user, referral_id)
    _require(permissions.can_edit_care_plan(request.user, referral))
    audit_shown(request, referral, note="care plan")
    plan = selectors.care_plan_of(referral)
    current = selectors.care_plan_version(plan) if plan is not None else None
    goal_count = len(current.goals) if current is not None else 0
    data = request.POST if request.method == "POST" else None
    form = CarePlanForm(data, goal_count=goal_count,
                        initial=care_plan_initial(current, _own_version(plan, referral)))
    template = "caseload/care_plan_edit.jinja"
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.care_plan_save(
                referral=referral, actor=request.user,
                version=form.cleaned_data["version"] or None, data=form.plan_input(),
            )
        except Conflict as error:
            return conflict_page(request, template,
                                 _edit_context(form, referral, plan, current), error)
        except ValidationError as error:
            add_service_errors(form, error, aliases=CarePlanForm.ALIASES)
        else:
            messages.success(request, f"Care plan saved as version {saved.number}")
            return redirect("caseload:record", referral.pk)
    return render(request, template, _edit_context(form, referral, plan, current),
                  status=400 if form.errors else 200)


def _edit_context(form, referral: Referral, plan: CarePlan | None, current) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    producers = (form.data.getlist("co_produced_with") if form.is_bound
                 else form.initial.get("co_produced_with", []))
    return {
        "form": form,
        "referral": referral,
        "person": referral.person,
        "error_list": error_list(form, "goal_1"),
        "v": value,
        "goals": [{"name": name, "label": f"Goal {number}", "value": value(name),
                   "error": form.errors.get(name)}
                  for number, name in enumerate(form.goal_names, start=1)],
        "producers": [{"value": code, "text": label, "checked": code in producers}
                      for code, label in CoProducer.choices],
        "agreed_on": date_parts(form, "agreed_on"),
        "review_by": date_parts(form, "review_by"),
        "current": plan_presenters.plan_summary(plan, current) if current else None,
        "from_earlier_referral": plan is not None and plan.referral_id != referral.pk,
        "history": plan_presenters.history_rows(plan, selectors.care_plan_versions(plan))
        if plan is not None else [],
    }


def care_plan_version(request: HttpRequest, plan_id, number: int) -> HttpResponse:
    plan = selectors.care_plan_get_for_user(request.user, plan_id)
    referral = plan.referral
    _require(permissions.can_view_care_record(request.user, referral))
    version = selectors.care_plan_version(plan, number)
    audit_shown(request, plan, note=f"care plan version {number}")
    return render(
        request,
        "caseload/care_plan_version.jinja",
        {
            "referral": referral,
            "person": referral.person,
            "plan": plan,
            "shown": plan_presenters.plan_summary(plan, version),
            "can_edit": permissions.can_edit_care_plan(request.user, referral),
            "history": plan_presenters.history_rows(plan, selectors.care_plan_versions(plan),
                                                    showing=version.number),
        },
    )


def care_plan_print(request: HttpRequest, plan_id) -> HttpResponse:
    plan = selectors.care_plan_get_for_user(request.user, plan_id)
    referral = plan.referral
    _require(permissions.can_view_care_record(request.user, referral))
    version = selectors.care_plan_version(plan)
    audit_shown(request, plan, note="care plan printable copy")
    return render(
        request,
        "caseload/care_plan_print.jinja",
        {"referral": referral, "plan": plan,
         "copy": plan_presenters.printable_plan(referral, version)},
    )
