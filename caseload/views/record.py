"""The care record of a referral, and the forms that add to it: contacts (and contacts with no
referral), assessments, interventions, risk concerns and discharge.

Every page fetches its referral through referrals.selectors (404 for missing and not-yours
alike), asks caseload.permissions (403), and writes through one service. The care record page is
a view of a person's clinical record, so it is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from caseload import duty, forms, permissions, presenters, selectors, services
from caseload.codes import (
    CLINICAL_INTERVENTION_KINDS,
    AssessmentKind,
    Attendance,
    ContactMode,
    ContactPurpose,
    CoProducer,
    InterventionKind,
)
from config.exceptions import Conflict
from config.forms import add_service_errors, date_parts
from config.pages import choice_items as _choices
from config.pages import conflict_page as _conflict
from config.pages import field_value as _value
from config.pages import require as _require
from pcns import selectors as pcns_selectors
from pcns.audit import audit_shown
from pcns.presenters import error_list
from referrals import presenters as referral_presenters
from referrals import selectors as referral_selectors
from referrals.codes import DischargeReason
from referrals.states import OPEN_STATUSES, TRIAGED_OPEN
from vcse import permissions as vcse_permissions
from vcse import presenters as vcse_presenters
from vcse import selectors as vcse_selectors

#: Care record reads are audited as reads of the referral whose record was shown.
REFERRAL = "referrals.referral"


def _page(request, template: str, context: dict, form) -> HttpResponse:
    return render(request, template, context, status=400 if form.errors else 200)


# --------------------------------------------------------------------------- the care record


def care_record(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_selectors.referral_get_for_user(request.user, referral_id)
    user = request.user
    _require(permissions.can_view_care_record(user, referral))
    audit_shown(request, referral, note="care record")
    is_open = referral.status in OPEN_STATUSES
    in_care = referral.status in TRIAGED_OPEN
    plan = selectors.care_plan_of(referral)
    plan_version = selectors.care_plan_version(plan) if plan else None
    may = {
        "contact": is_open and permissions.can_record_contact(user, referral),
        "assessment": in_care and permissions.can_record_assessment(user, referral),
        "care_plan": in_care and permissions.can_edit_care_plan(user, referral),
        "intervention": in_care and permissions.can_record_any_intervention(user, referral),
        "outcome": in_care and permissions.can_record_outcome(user, referral),
        "risk": is_open and permissions.can_raise_risk_concern(user, referral),
        "discharge": in_care and permissions.can_discharge(user, referral),
        "onward": vcse_permissions.can_send_onward_referral(user, referral),
    }
    may_correct = permissions.care_record_corrector(user, referral)
    measures = list(selectors.episode_outcome_measures(referral))
    concerns = presenters.concern_rows(
        list(selectors.episode_risk_concerns(referral).select_related("referral__team")),
        may_acknowledge=lambda c: permissions.can_acknowledge_risk_concern(user, c),
        may_correct=may_correct)
    return render(request, "caseload/record.jinja", {
        "referral": referral,
        "person": referral.person,
        "status": referral_presenters.status_tag(referral),
        "referral_rows": referral_presenters.referral_rows(
            referral, list(referral_selectors.joint_workers(referral))),
        "may": may,
        "episode": [r for r in selectors.episode_referrals(referral) if r.pk != referral.pk],
        "contacts": presenters.contact_rows(selectors.episode_contacts(referral),
                                            may_record_outcome=may["contact"],
                                            may_correct=may_correct),
        "assessments": presenters.assessment_rows(list(selectors.episode_assessments(referral)),
                                                  may_correct=may_correct),
        "plan": plan,
        "plan_version": plan_version,
        "plan_producers": ", ".join(
            label for code, label in CoProducer.choices
            if plan_version and code in plan_version.co_produced_with),
        "interventions": presenters.intervention_rows(
            list(selectors.episode_interventions(referral)),
            may_end=lambda i: in_care and permissions.can_record_intervention(
                user, referral, i.kind), may_correct=may_correct),
        "outcomes": presenters.outcome_summary_rows(measures),
        "measures": presenters.measure_rows(measures, may_correct=may_correct),
        "plan_correct_href": presenters._correct_href(plan_version, may_correct)
        if plan_version else "",
        "concerns": concerns,
        "open_alerts": [row for row in concerns if row["is_open"]],
        "onward_referrals": vcse_presenters.care_record_rows(
            vcse_selectors.onward_referrals_of(referral)),
    })


# --------------------------------------------------------------------------- contacts


def _contact_context(form, *, referral=None, team=None) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    context = {
        "form": form,
        "referral": referral,
        "person": referral.person if referral else None,
        "team": team,
        "error_list": error_list(form, "on"),
        "v": value,
        "booking": value("attendance") == Attendance.BOOKED,
        "on_parts": date_parts(form, "on"),
        "choices": {
            "mode": _choices(ContactMode.choices, value("mode")),
            "attendance": _choices(Attendance.choices, value("attendance")),
            "direct": _choices(forms.DIRECT_CHOICES, value("direct")),
            "purpose": _choices(ContactPurpose.choices, value("purpose"),
                                blank="Choose the purpose"),
        },
    }
    if team is not None:
        context["choices"]["organisation"] = _choices(
            [(o.pk, o.name) for o in form.fields["organisation"].queryset],
            value("organisation"), blank="None")
    return context


def _contact_input(data: dict, **extra) -> services.ContactInput:
    return services.ContactInput(
        on=data["on"], at=data["at"], mode=data["mode"], attendance=data["attendance"],
        purpose=data["purpose"], duration_minutes=data["duration_minutes"],
        direct=data["direct"] == "yes", note=data["note"], **extra,
    )


def _contact_saved_message(contact) -> str:
    if contact.attendance == Attendance.BOOKED:
        return f"Appointment booked for {contact.on:%d/%m/%Y}."
    return f"{contact.get_mode_display()} contact recorded: {contact.get_attendance_display()}."


def contact_new(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_record_contact(request.user, referral))
    audit_shown(request, referral, note="contact form")
    form = forms.ContactForm(request.POST if request.method == "POST" else None,
                             initial={"attendance": request.GET.get("attendance", "")})
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_record(actor=request.user, referral=referral,
                                              data=_contact_input(form.cleaned_data))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _contact_saved_message(contact))
            return redirect("caseload:record", referral.pk)
    return _page(request, "caseload/contact_new.jinja",
                 _contact_context(form, referral=referral), form)


def team_contact_new(request: HttpRequest, team_id) -> HttpResponse:
    team = pcns_selectors.team_get_for_user(request.user, team_id)
    _require(permissions.can_record_team_contact(request.user, team))
    organisations = pcns_selectors.organisation_list_for_user(request.user).order_by("name")
    form = forms.TeamContactForm(request.POST if request.method == "POST" else None,
                                 organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_record(
                actor=request.user, referral=None,
                data=_contact_input(form.cleaned_data, team=team,
                                    organisation=form.cleaned_data["organisation"]))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _contact_saved_message(contact))
            return redirect("caseload:mine")
    return _page(request, "caseload/contact_new.jinja", _contact_context(form, team=team), form)


def contact_outcome(request: HttpRequest, contact_id) -> HttpResponse:
    contact = selectors.contact_get_for_user(request.user, contact_id)
    if contact.referral_id is None:
        _require(permissions.can_record_team_contact(request.user, contact.team))
    else:
        _require(permissions.can_record_contact(request.user, contact.referral))
    audit_shown(request, contact.referral or contact, note="contact outcome form")
    form = forms.ContactOutcomeForm(request.POST if request.method == "POST" else None,
                                    initial={"version": contact.version})
    template = "caseload/contact_outcome.jinja"

    def context() -> dict:
        value = lambda name, default="": _value(form, name, default)  # noqa: E731
        return {"form": form, "contact": contact, "referral": contact.referral,
                "person": contact.referral.person if contact.referral else None,
                "error_list": error_list(form, "attendance"), "v": value,
                "choices": {"attendance": _choices(form.fields["attendance"].choices,
                                                   value("attendance"))}}

    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.contact_record_outcome(
                contact=contact, actor=request.user, version=data["version"],
                attendance=data["attendance"], duration_minutes=data["duration_minutes"],
                note=data["note"])
        except Conflict as error:
            return _conflict(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _contact_saved_message(saved))
            if saved.referral_id:
                return redirect("caseload:record", saved.referral_id)
            return redirect("caseload:mine")
    return _page(request, template, context(), form)


# --------------------------------------------------------------------------- assessments


def assessment_new(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_record_assessment(request.user, referral))
    audit_shown(request, referral, note="assessment form")
    form = forms.AssessmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assessment_record(
                referral=referral, actor=request.user,
                data=services.AssessmentInput(kind=data["kind"], assessed_on=data["assessed_on"],
                                              summary=data["summary"],
                                              risk_summary=data["risk_summary"]))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Assessment recorded.")
            return redirect("caseload:record", referral.pk)
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    return _page(request, "caseload/assessment_new.jinja", {
        "form": form, "referral": referral, "person": referral.person, "v": value,
        "error_list": error_list(form, "kind-1"),
        "assessed_on_parts": date_parts(form, "assessed_on"),
        "choices": {"kind": _choices(AssessmentKind.choices, value("kind"))},
    }, form)


# --------------------------------------------------------------------------- interventions


def intervention_new(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_record_any_intervention(request.user, referral))
    audit_shown(request, referral, note="intervention form")
    # Only the kinds this user may record are offered (peer support: no clinical kinds).
    kinds = [(code, label) for code, label in InterventionKind.choices
             if permissions.can_record_intervention(request.user, referral, code)]
    form = forms.InterventionForm(request.POST if request.method == "POST" else None,
                                  kinds=kinds)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.intervention_start(
                referral=referral, actor=request.user,
                data=services.InterventionInput(kind=data["kind"],
                                                started_on=data["started_on"],
                                                description=data["description"]))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{InterventionKind(data['kind']).label} started.")
            return redirect("caseload:record", referral.pk)
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    return _page(request, "caseload/intervention_new.jinja", {
        "form": form, "referral": referral, "person": referral.person, "v": value,
        "error_list": error_list(form, "kind-1"),
        "started_on_parts": date_parts(form, "started_on"),
        "clinical_note": len(kinds) < len(InterventionKind.choices),
        "clinical_kinds": ", ".join(InterventionKind(k).label.lower()
                                    for k in sorted(CLINICAL_INTERVENTION_KINDS)),
        "choices": {"kind": _choices(kinds, value("kind"))},
    }, form)


def intervention_end(request: HttpRequest, intervention_id) -> HttpResponse:
    intervention = selectors.intervention_get_for_user(request.user, intervention_id)
    referral = intervention.referral
    _require(permissions.can_record_intervention(request.user, referral, intervention.kind))
    audit_shown(request, referral, note="intervention end form")
    form = forms.InterventionEndForm(request.POST if request.method == "POST" else None,
                                     initial={"version": intervention.version})
    template = "caseload/intervention_end.jinja"

    def context() -> dict:
        return {"form": form, "intervention": intervention, "referral": referral,
                "person": referral.person, "error_list": error_list(form, "ended_on"),
                "version": _value(form, "version"),
                "ended_on_parts": date_parts(form, "ended_on")}

    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_end(intervention=intervention, actor=request.user,
                                      version=form.cleaned_data["version"],
                                      ended_on=form.cleaned_data["ended_on"])
        except Conflict as error:
            return _conflict(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{intervention.get_kind_display()} ended.")
            return redirect("caseload:record", referral.pk)
    return _page(request, template, context(), form)


# --------------------------------------------------------------------------- discharge


def discharge(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_discharge(request.user, referral))
    audit_shown(request, referral, note="discharge form")
    form = forms.DischargeForm(request.POST if request.method == "POST" else None,
                               initial={"version": referral.version})
    template = "caseload/discharge.jinja"

    def context() -> dict:
        value = lambda name, default="": _value(form, name, default)  # noqa: E731
        return {"form": form, "referral": referral, "person": referral.person, "v": value,
                "error_list": error_list(form, "reason"),
                "discharged_on_parts": date_parts(form, "discharged_on"),
                "window": referral.tenant.re_referral_window_days,
                "choices": {"reason": _choices(DischargeReason.choices, value("reason"),
                                               blank="Choose a reason")}}

    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_discharge(
                referral=referral, actor=request.user, version=data["version"],
                reason=data["reason"], on=data["discharged_on"],
                destination=data["destination"], note=data["note"])
        except Conflict as error:
            return _conflict(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Discharged. A re-referral within "
                             f"{referral.tenant.re_referral_window_days} days reopens this "
                             "episode.")
            return redirect("caseload:record", referral.pk)
    return _page(request, template, context(), form)


# --------------------------------------------------------------------------- risk concerns


def risk_concern_new(request: HttpRequest, referral_id) -> HttpResponse:
    referral = referral_selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_raise_risk_concern(request.user, referral))
    audit_shown(request, referral, note="risk concern form")
    form = forms.RiskConcernForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_concern_raise(referral=referral, actor=request.user,
                                        concern=form.cleaned_data["concern"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Risk concern raised. The team's leads have been told.")
            return redirect("caseload:record", referral.pk)
    return _page(request, "caseload/risk_concern_new.jinja", {
        "form": form, "referral": referral, "person": referral.person,
        "error_list": error_list(form, "concern"), "v": lambda n: _value(form, n),
    }, form)


def risk_concerns(request: HttpRequest) -> HttpResponse:
    teams = list(selectors.teams_led_by(request.user))
    _require(bool(teams))
    concerns, team = duty.filter_concerns(selectors.risk_concerns_for_lead(request.user), teams,
                                          request.GET)
    concerns = list(concerns[:200])
    audit_shown(request, [(REFERRAL, c.referral_id) for c in concerns], note="risk concerns")
    return render(request, "caseload/risk_concerns.jinja", {
        "teams": [team] if team else teams, "open_only": request.GET.get("status") == "open",
        "rows": presenters.concern_rows(
            concerns,
            may_acknowledge=lambda c: permissions.can_acknowledge_risk_concern(request.user, c)),
    })


def risk_concern_acknowledge(request: HttpRequest, concern_id) -> HttpResponse:
    concern = selectors.risk_concern_get_for_user(request.user, concern_id)
    _require(permissions.can_acknowledge_risk_concern(request.user, concern))
    audit_shown(request, (REFERRAL, concern.referral_id), note="risk concern")
    form = forms.RiskAcknowledgeForm(request.POST if request.method == "POST" else None,
                                     initial={"version": concern.version})
    template = "caseload/risk_concern_acknowledge.jinja"

    def context() -> dict:
        return {"form": form, "concern": concern, "referral": concern.referral,
                "person": concern.referral.person, "error_list": error_list(form, "response"),
                "version": _value(form, "version"), "v": lambda n: _value(form, n)}

    if request.method == "POST" and form.is_valid():
        try:
            services.risk_concern_acknowledge(concern=concern, actor=request.user,
                                              version=form.cleaned_data["version"],
                                              response=form.cleaned_data["response"])
        except Conflict as error:
            return _conflict(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Concern acknowledged.")
            return redirect("caseload:risk-concerns")
    return _page(request, template, context(), form)
