"""Outcome measure pages: record a questionnaire item by item, and the chart of scores."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from caseload import permissions, plan_presenters, selectors, services
from caseload.plan_forms import OutcomeForm, OutcomeToolForm, add_outcome_errors
from config.forms import date_parts
from config.pages import require as _require
from pcns.audit import audit_shown
from pcns.presenters import error_list
from referrals.selectors import referral_get_for_user


def outcome_chart(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_get_for_user(request.user, referral_id)
    _require(permissions.can_view_care_record(request.user, referral))
    # Measures entered in error are not charted (the care record lists them, struck through).
    measures = list(selectors.episode_outcome_measures(referral).filter(
        entered_in_error_at__isnull=True))
    audit_shown(request, referral, note="outcome measures")
    return render(
        request,
        "caseload/outcome_chart.jinja",
        {
            "referral": referral,
            "person": referral.person,
            "sections": plan_presenters.outcome_sections(measures),
            "risk_flags": plan_presenters.outcome_risk_flags(measures),
            "can_record": permissions.can_record_outcome(request.user, referral),
        },
    )


def outcome_new(request: HttpRequest, referral_id) -> HttpResponse:
    """Step 1 chooses the questionnaire (``?tool=``); step 2 is that questionnaire."""
    referral = referral_get_for_user(request.user, referral_id)
    _require(permissions.can_record_outcome(request.user, referral))
    audit_shown(request, referral, note="outcome measure form")
    choice = OutcomeToolForm(request.GET if "tool" in request.GET else None)
    if not choice.is_bound or not choice.is_valid():
        return render(
            request,
            "caseload/outcome_new.jinja",
            {"referral": referral, "person": referral.person, "step": "tool",
             "error_list": error_list(choice, "tool") if choice.is_bound else [],
             "tool_error": choice.errors.get("tool"),
             "tools": plan_presenters.tool_choices(request.GET.get("tool", ""))},
            status=400 if choice.is_bound else 200,
        )
    tool = choice.cleaned_data["tool"]
    form = OutcomeForm(request.POST if request.method == "POST" else None, tool=tool)
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.outcome_record(
                referral=referral, actor=request.user, tool=tool,
                completed_on=form.cleaned_data["completed_on"], items=form.items(),
                wants_more_help=form.wants_more_help(),
            )
        except ValidationError as error:
            add_outcome_errors(form, error)
        else:
            messages.success(request, plan_presenters.saved_message(measure))
            return redirect("caseload:outcomes", referral.pk)
    return render(
        request,
        "caseload/outcome_new.jinja",
        {
            "referral": referral,
            "person": referral.person,
            "step": "items",
            "form": form,
            "action": f"{reverse('caseload:outcome-new', args=[referral.pk])}?tool={tool}",
            "change_tool": reverse("caseload:outcome-new", args=[referral.pk]),
            "error_list": error_list(form, "completed_on"),
            "completed_on": date_parts(form, "completed_on"),
            "questionnaire": plan_presenters.questionnaire(form),
        },
        status=400 if form.errors else 200,
    )
