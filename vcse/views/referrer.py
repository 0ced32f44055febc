"""The referring side of onward referrals: send one from a person's referral, follow it, and
withdraw consent.

Every page fetches through a selector (404 for missing and not-yours alike: VCSE, practice and
programme staff never reach these pages), asks vcse.permissions (403), and writes through one
service. Each page shows the person's details (the onward form shows what will be shared), so
each is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from config.exceptions import Conflict
from config.forms import add_service_errors, date_parts
from config.pages import choice_items as _choices
from config.pages import conflict_page as _conflict
from config.pages import field_value as _value
from config.pages import require as _require
from pcns.audit import audit_shown
from pcns.presenters import error_list
from referrals import selectors as referral_selectors
from vcse import forms, permissions, presenters, selectors, services
from vcse import messages as onward_messages
from vcse.codes import ConsentGiver, MessageSide, SupportCategory


def _page(request, template: str, context: dict, form) -> HttpResponse:
    return render(request, template, context, status=400 if form.errors else 200)


# --------------------------------------------------------------------------- send


def _service_errors(form, error: ValidationError) -> None:
    """The service's errors on the form, with its generic "choose an option" named."""
    if hasattr(error, "error_dict"):
        messages_by_field = {
            name: [forms.OnwardReferralForm.CHOICE_MESSAGES.get(name, m)
                   if m == "Choose an option." else m for m in found]
            for name, found in error.message_dict.items()
        }
        error = ValidationError(messages_by_field)
    add_service_errors(form, error)


def onward_new(request: HttpRequest, referral_id) -> HttpResponse:
    user = request.user
    referral = referral_selectors.referral_get_for_user(user, referral_id)
    _require(permissions.can_send_onward_referral(user, referral))
    directory = selectors.services_for_user(user)
    form = forms.OnwardReferralForm(request.POST if request.method == "POST" else None,
                                    services=directory,
                                    initial={"service": request.GET.get("service", "")})
    if request.method == "POST" and form.is_valid():
        try:
            onward = services.onward_referral_send(referral=referral, actor=user,
                                                   data=form.onward_input())
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, f"Onward referral sent to {onward.organisation.name} "
                             "with the person's consent.")
            return redirect("vcse:onward-detail", onward.pk)
    # The preview shows the person's details, so every showing of the form is audited.
    audit_shown(request, referral, note="onward referral form")
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    needs = form.data.getlist("needs") if form.is_bound else []
    preview = services.minimal_data_set(referral, needs=[], risk="")
    return _page(request, "vcse/onward/onward_new.jinja", {
        "form": form,
        "referral": referral,
        "person": referral.person,
        "v": value,
        "error_list": error_list(form, "service"),
        "given_on_parts": date_parts(form, "consent_given_on"),
        "expires_on_parts": date_parts(form, "consent_expires_on"),
        "preview": presenters.contact_detail_rows(preview),
        "choices": {
            "service": presenters.service_choice_items(
                directory.filter(is_open=True).prefetch_related(None), value("service")),
            "needs": _choices(SupportCategory.choices, needs),
            "given_by": _choices(ConsentGiver.choices, value("consent_given_by")),
            "share_risk": _choices(forms.YES_NO, value("share_risk", "no")),
        },
    }, form)


# --------------------------------------------------------------------------- follow


def onward_detail(request: HttpRequest, onward_id) -> HttpResponse:
    user = request.user
    onward = selectors.onward_referral_get_for_user(user, onward_id)
    _require(permissions.can_view_onward_referral(user, onward))
    audit_shown(request, onward, note="onward referral")
    consent = onward.consent
    contacts = list(selectors.contacts_of(onward))
    thread = list(onward_messages.messages_of(onward))
    audit_shown(request, thread, note="message thread")
    return render(request, "vcse/onward/onward_detail.jinja", {
        "onward": onward,
        "referral": onward.referral,
        "person": onward.person,
        "status": presenters.onward_status_tag(onward),
        "rows": presenters.onward_rows(onward),
        "unanswered": presenters.awaiting_answer_after_flag(onward),
        "consent_rows": presenters.consent_rows(consent),
        "shared_rows": presenters.shared_rows(onward.shared),
        "answer_rows": presenters.answer_rows(onward),
        "contacts": presenters.vcse_contact_rows(contacts),
        "events": presenters.event_rows(selectors.events_of(onward)),
        "may_withdraw": permissions.can_withdraw_consent(user, onward),
        "thread": onward_messages.thread_context(
            onward, thread, side=MessageSide.REFERRER,
            post_url=reverse("vcse:onward-messages", args=[onward.pk])),
    })


def consent_withdraw(request: HttpRequest, onward_id) -> HttpResponse:
    user = request.user
    onward = selectors.onward_referral_get_for_user(user, onward_id)
    if request.method == "POST":
        # A second withdrawal from a stale page is the service's to answer (409), not a 403.
        _require(permissions.can_view_onward_referral(user, onward))
    else:
        _require(permissions.can_withdraw_consent(user, onward))
    form = forms.ConsentWithdrawForm(request.POST if request.method == "POST" else None,
                                     initial={"version": onward.version})
    template = "vcse/onward/consent_withdraw.jinja"

    def context() -> dict:
        return {"form": form, "onward": onward, "referral": onward.referral,
                "person": onward.person, "error_list": error_list(form, "on"),
                "v": lambda name, default="": _value(form, name, default),
                "on_parts": date_parts(form, "on")}

    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_withdraw(onward=onward, actor=user, version=data["version"],
                                      on=data["on"], note=data["note"])
        except Conflict as error:
            return _conflict(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Consent withdrawn. {onward.organisation.name} can no "
                             "longer see this onward referral.")
            return redirect("vcse:onward-detail", onward.pk)
    audit_shown(request, onward, note="consent withdrawal")
    return _page(request, template, context(), form)
