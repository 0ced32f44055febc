"""Pages for the other doors in: a GP practice refers from its page, and anyone refers
themselves through the public form of their place (referrals/doors.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from config.exceptions import Conflict
from config.forms import add_service_errors, date_parts
from config.pages import choice_items as _choices
from config.pages import conflict_page as _conflict
from config.pages import field_value as _value
from config.pages import require as _require
from pcns.audit import audit_shown
from pcns.models import Tenant
from pcns.presenters import error_list
from pcns.tenancy import tenant_context, tenant_id_for_slug
from referrals import door_forms, door_limits, doors, permissions, presenters, selectors
from referrals.codes import (
    PresentingNeed,
    Urgency,
)
from referrals.services import IntakePaused

# --------------------------------------------------------------------------- GP practices


def gp_referral_new(request: HttpRequest) -> HttpResponse:
    """A GP practice refers a patient to a mental health team of its PCN."""
    _require(permissions.can_view_practice_referrals(request.user))
    form = door_forms.GpReferralForm(request.POST if request.method == "POST" else None,
                                     user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            referral = doors.gp_referral_create(actor=request.user,
                                                person_data=form.person_input(),
                                                data=form.gp_input())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Referral sent to {referral.team.name}. It is waiting "
                                      "for the team to triage it.")
            return redirect("referrals:practice-list")
    return render(request, "referrals/gp_referral_new.jinja", _gp_context(request, form),
                  status=400 if form.errors else 200)


def _gp_context(request, form) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    teams = list(form.fields["team"].queryset)
    needs = form.data.getlist("presenting_needs") if form.is_bound else []
    return {
        "form": form,
        "practice": request.membership.employer,
        "teams": teams,
        "error_list": error_list(form, "nhs_number"),
        "v": value,
        "dob": date_parts(form, "date_of_birth"),
        "choices": {
            **presenters.identity_choices(value),
            "urgency": _choices(Urgency.choices, value("urgency", Urgency.ROUTINE)),
            "needs": _choices(PresentingNeed.choices, needs),
            "team": _choices([(t.pk, t.name) for t in teams],
                             value("team", str(teams[0].pk) if len(teams) == 1 else "")),
        },
    }


# --------------------------------------------------------------------------- self-referral


def _public(view):
    """No sign-in, never cached, and run in the place named by the slug (404 if none)."""

    @login_not_required
    @never_cache
    def wrapped(request: HttpRequest, tenant_slug: str) -> HttpResponse:
        tenant_id = tenant_id_for_slug(tenant_slug)
        if tenant_id is None:
            raise Http404
        with tenant_context(tenant_id):
            return view(request, Tenant.objects.get(pk=tenant_id))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


#: What a refused submission is told: the same for every person, and never a detail.
REFUSALS = {
    door_limits.Refusal.TOO_MANY: (
        429, "Too many forms have been sent from your connection",
        "To protect this service, we accept only a few forms from one connection each hour. "
        "Wait an hour and try again, or contact your GP practice."),
    door_limits.Refusal.UNAVAILABLE: (
        503, "The form cannot be sent at the moment",
        "Something is wrong on our side, so nothing you typed has been sent. Try again later, "
        "or contact your GP practice."),
    door_limits.Refusal.HONEYPOT: (
        400, "We could not accept this form",
        "The form was filled in by an automated program, so it has not been sent. If you are "
        "a person, go back to the start and fill the form in again."),
    door_limits.Refusal.TOO_FAST: (
        400, "We could not accept this form",
        "The form was sent back too quickly for a person to have filled it in, so it has not "
        "been sent. If you are a person, go back to the start and fill the form in again."),
}


@_public
def self_referral(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The public form. Whatever is sent, a person who is sent on is told the same thing
    (``self_referral_sent``): nothing on these pages depends on who is already known."""
    form = door_forms.SelfReferralForm(request.POST if request.method == "POST" else None,
                                       tenant_id=tenant.pk)
    token = door_limits.new_token(tenant.slug)
    if request.method == "POST":
        refusal = door_limits.count_submission(request)
        if refusal is None and door_limits.honeypot_filled(request):
            refusal = door_limits.Refusal.HONEYPOT
        started = request.POST.get(door_limits.STARTED_FIELD, "")
        problem = door_limits.check_token(started, tenant.slug)
        if refusal is None and problem is door_limits.TokenProblem.TOO_FAST:
            refusal = door_limits.Refusal.TOO_FAST
        if refusal is not None:
            status, title, text = REFUSALS[refusal]
            return render(request, "referrals/self_referral_refused.jinja",
                          {"place": tenant, "title": title, "text": text}, status=status)
        if problem is None:  # shown again with errors: the time it was first shown still counts
            token = started
        if form.is_valid():
            if problem is door_limits.TokenProblem.EXPIRED:
                form.add_error(None, "This form was open for too long, so it has not been "
                                     "sent. Check your answers and send it again.")
            else:
                try:
                    doors.self_referral_create(data=form.self_referral_input())
                except IntakePaused:
                    form.add_error("practice", "The mental health team for this practice is "
                                               "not taking new referrals at the moment. "
                                               "Contact your GP practice instead.")
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    return redirect("referrals:self-referral-sent", tenant.slug)
    return render(request, "referrals/self_referral.jinja",
                  _self_context(tenant, form, token), status=400 if form.errors else 200)


def _self_context(tenant: Tenant, form, token: str) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    needs = form.data.getlist("presenting_needs") if form.is_bound else []
    return {
        "place": tenant,
        "form": form,
        "error_list": error_list(form, "given_name"),
        "v": value,
        "dob": date_parts(form, "date_of_birth"),
        "token": token,
        "token_name": door_limits.STARTED_FIELD,
        "honeypot": door_limits.HONEYPOT,
        "choices": {
            "sex": _choices(door_forms.PUBLIC_SEX, value("sex")),
            "contact": _choices(door_forms.PUBLIC_CONTACT, value("preferred_contact_method")),
            "needs": _choices(door_forms.PUBLIC_NEEDS, needs),
            "practice": _choices([(p.pk, p.name) for p in form.fields["practice"].queryset],
                                 value("practice"), blank="Choose your GP practice"),
        },
    }


@_public
def self_referral_sent(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(request, "referrals/self_referral_sent.jinja", {"place": tenant})


@_public
def self_referral_privacy(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(request, "referrals/self_referral_privacy.jinja", {"place": tenant})


# --------------------------------------------------------------------------- identity check


def referral_identity_check(request: HttpRequest, referral_id) -> HttpResponse:
    """The team records that it checked who a self-referrer is (MHPs and leads of the team)."""
    referral = selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_triage_referral(request.user, referral))
    form = door_forms.IdentityCheckForm(request.POST if request.method == "POST" else None,
                                        initial={"version": referral.version})
    template = "referrals/referral_identity_check.jinja"
    if request.method == "POST" and form.is_valid():
        try:
            doors.referral_confirm_identity(referral=referral, actor=request.user,
                                            version=form.cleaned_data["version"],
                                            note=form.cleaned_data["note"])
        except Conflict as error:
            audit_shown(request, referral, note="identity check")
            return _conflict(request, template, _identity_context(form, referral), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Identity checked. The referral's timeline says how.")
            return redirect("referrals:detail", referral.pk)
    audit_shown(request, referral, note="identity check")
    return render(request, template, _identity_context(form, referral),
                  status=400 if form.errors else 200)


def _identity_context(form, referral) -> dict:
    return {"form": form, "referral": referral, "person": referral.person,
            "checked": referral.identity_checked,
            "error_list": error_list(form, "note"), "note": _value(form, "note"),
            "version": _value(form, "version")}
