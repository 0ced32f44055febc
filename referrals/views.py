"""Pages: intake, the triage queue, triage decisions, allocation, the timeline, MDT lists,
person records and merges, and the GP view."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from caseload import permissions as care_permissions
from config.exceptions import Conflict
from config.forms import add_service_errors, date_parts
from config.pages import choice_items as _choices
from config.pages import conflict_page as _conflict
from config.pages import field_value as _value
from config.pages import require as _require
from pcns import permissions as pcns_permissions
from pcns import selectors as pcns_selectors
from pcns.audit import audit_shown
from pcns.presenters import audit_rows, error_list
from referrals import (
    corrections,
    forms,
    permissions,
    presenters,
    selectors,
    services,
    triage_facts,
)
from referrals.codes import (
    PresentingNeed,
    RedirectDestination,
    RejectionReason,
    Source,
    Urgency,
)
from referrals.filters import ReferralFilter
from referrals.models import Person
from referrals.states import CASELOAD_STATUSES, UNTRIAGED_STATUSES, Status
from referrals.validators import normalise_nhs_number

QUEUE_PAGE_SIZE = 25
LOOKED_PAGE_SIZE = 20


# --------------------------------------------------------------------------- intake


def _intake_context(form, *, person=None, duplicates=None) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731
    needs = form.data.getlist("presenting_needs") if form.is_bound else []
    return {
        "form": form,
        "person": person,
        "person_rows": presenters.person_rows(person) if person else None,
        "duplicates": presenters.duplicate_rows(duplicates or []),
        "error_list": error_list(form, "given_name" if person is None else "team"),
        "v": value,
        "dob": date_parts(form, "date_of_birth") if "date_of_birth" in form.fields else None,
        "received": date_parts(form, "received_on"),
        "choices": {
            **presenters.identity_choices(value),
            "source": _choices(Source.choices, value("source"), blank="Choose a source"),
            "urgency": _choices(Urgency.choices, value("urgency", Urgency.ROUTINE)),
            "needs": _choices(PresentingNeed.choices, needs),
            "team": _choices([(t.pk, t.name) for t in form.fields["team"].queryset],
                             value("team"), blank="Choose a team"),
            "practice": _choices(
                [(o.pk, o.name) for o in form.fields["registered_practice"].queryset],
                value("registered_practice"), blank="Not known",
            ) if "registered_practice" in form.fields else [],
            "referrer_org": _choices(
                [(o.pk, f"{o.name} ({o.get_kind_display()})")
                 for o in form.fields["referrer_organisation"].queryset],
                value("referrer_organisation"), blank="Not one of ours",
            ),
        },
    }


def referral_new(request: HttpRequest) -> HttpResponse:
    """The staff referral form. A new person is checked for possible duplicates first; the
    user chooses an existing record or confirms a new one."""
    _require(permissions.can_receive_referrals(request.user))
    person = None
    identity: dict[str, str] = {}
    person_id = request.POST.get("person_choice") or request.GET.get("person", "")
    if person_id and person_id != "new":
        try:
            person = selectors.person_get_for_user(request.user, uuid.UUID(person_id))
        except (ValueError, Http404):
            person = _duplicate_candidate(request, person_id)
            # Carried through the form again, so a resubmission still proves the match.
            identity = {key: request.POST.get(key, "") for key in IDENTITY_KEYS}
    form_class = forms.ExistingPersonReferralForm if person else forms.ReferralIntakeForm
    data = request.POST if request.method == "POST" else None
    form = form_class(data, user=request.user,
                      initial={"person_choice": str(person.pk) if person else ""})
    duplicates = []
    if request.method == "POST" and form.is_valid():
        if person is None and form.cleaned_data["person_choice"] != "new":
            duplicates = selectors.possible_duplicates(
                request.user,
                nhs_number=_normalised_nhs_number(form.cleaned_data["nhs_number"]),
                given_name=form.cleaned_data["given_name"],
                family_name=form.cleaned_data["family_name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        if not duplicates:
            try:
                referral = services.referral_intake(
                    actor=request.user,
                    person=person,
                    person_data=None if person else form.person_input(),
                    data=form.referral_input(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Referral received. It is now in the triage queue.")
                if permissions.can_view_referral(request.user, referral):
                    return redirect("referrals:detail", referral.pk)
                return redirect("referrals:triage-queue")
    context = _intake_context(form, person=person, duplicates=duplicates)
    context["identity"] = identity
    audit_shown(request, [*([person] if person else []), *duplicates], note="referral form")
    return render(request, "referrals/referral_new.jinja", context,
                  status=400 if form.errors else 200)


#: The typed details that matched a person known to another team (see _duplicate_candidate).
IDENTITY_KEYS = ["nhs_number", "given_name", "family_name", "date_of_birth-day",
                 "date_of_birth-month", "date_of_birth-year"]


def _normalised_nhs_number(value: str) -> str:
    try:
        return normalise_nhs_number(value) if value else ""
    except ValidationError:
        return ""


def _duplicate_candidate(request: HttpRequest, person_id: str) -> Person:
    """A person chosen from the possible duplicates: known to another team, so not otherwise
    visible, but offered because the details typed in matched them."""
    try:
        pk = uuid.UUID(person_id)
    except ValueError:
        raise Http404 from None
    data = request.POST
    form = forms.ReferralIntakeForm(data, user=request.user)
    form.is_valid()
    matches = selectors.possible_duplicates(
        request.user,
        nhs_number=_normalised_nhs_number(data.get("nhs_number", "")),
        given_name=data.get("given_name", ""),
        family_name=data.get("family_name", ""),
        date_of_birth=form.cleaned_data.get("date_of_birth"),
    )
    for match in matches:
        if match.pk == pk:
            return match
    raise Http404


# --------------------------------------------------------------------------- triage queue


def triage_queue(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_triage_queue(request.user))
    queue = ReferralFilter(request.GET or None,
                           queryset=triage_facts.with_other_referral_count(
                               selectors.triage_queue_for_user(request.user)),
                           request=request)
    if queue.is_bound and not queue.is_valid():
        referrals = selectors.triage_queue_for_user(request.user).none()
    else:
        referrals = queue.qs
    page = Paginator(referrals, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_shown(request, page.object_list, note="triage queue")
    query = request.GET.copy()
    query.pop("page", None)
    form = queue.form
    return render(
        request,
        "referrals/triage_queue.jinja",
        {
            "rows": presenters.queue_rows(page.object_list),
            "page": page,
            "query": query.urlencode(),
            "filters": [
                {"name": name, "label": form.fields[name].label or name.title(),
                 "items": _choices(
                     [(str(k), str(v)) for k, v in form.fields[name].choices if k != ""],
                     request.GET.get(name), blank=form.fields[name].empty_label
                     if hasattr(form.fields[name], "empty_label") else "Any")}
                for name in ["team", "pcn", "source", "urgency", "waiting"]
            ],
        },
    )


def mdt_list(request: HttpRequest, team_id) -> HttpResponse:
    team = pcns_selectors.team_get_for_user(request.user, team_id)
    _require(permissions.can_view_mdt_list(request.user, team))
    referrals = list(selectors.mdt_list(request.user, team))
    audit_shown(request, referrals, note="MDT list")
    return render(request, "referrals/mdt_list.jinja",
                  {"team": team, "rows": presenters.queue_rows(referrals)})


# --------------------------------------------------------------------------- one referral


def referral_detail(request: HttpRequest, referral_id) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, referral_id)
    audit_shown(request, referral)
    joint = list(selectors.joint_workers(referral))
    can_triage = (permissions.can_triage_referral(request.user, referral)
                  and referral.status in UNTRIAGED_STATUSES)
    can_allocate = (permissions.can_allocate_referral(request.user, referral)
                    and referral.status in {Status.ACCEPTED, *CASELOAD_STATUSES})
    return render(
        request,
        "referrals/referral_detail.jinja",
        {
            "referral": referral,
            "status": presenters.status_tag(referral),
            "identity_tag": presenters.identity_tag(referral),
            "person": referral.person,
            "person_rows": presenters.person_rows(referral.person),
            "referral_rows": presenters.referral_rows(referral, joint),
            "can_triage": can_triage,
            "can_triage_referral": permissions.can_triage_referral(request.user, referral),
            "can_allocate": can_allocate,
            "can_view_care": care_permissions.can_view_care_record(request.user, referral),
            "recent": presenters.timeline_rows(
                list(selectors.referral_timeline(referral))[-3:],
                struck=corrections.entered_in_error_ids(referral),
            ),
            "can_amend": permissions.can_amend_referral(request.user, referral),
        },
    )


def referral_timeline(request: HttpRequest, referral_id) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, referral_id)
    audit_shown(request, referral, note="timeline")
    return render(
        request,
        "referrals/referral_timeline.jinja",
        {"referral": referral, "person": referral.person,
         "events": presenters.timeline_rows(selectors.referral_timeline(referral),
                                            struck=corrections.entered_in_error_ids(referral))},
    )


def referral_triage(request: HttpRequest, referral_id) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_triage_referral(request.user, referral))
    data = request.POST if request.method == "POST" else None
    form = forms.TriageForm(data, user=request.user,
                            initial={"version": referral.version, "team": referral.team_id,
                                     "urgency": referral.urgency})
    template = "referrals/referral_triage.jinja"
    confirm = False
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        if decision == "reject" and not form.cleaned_data["confirmed"] and not _reject_errors(
            form
        ):
            confirm = True
        elif not form.errors:
            try:
                _decide(request, referral, form)
            except Conflict as error:
                return _conflict(request, template, _triage_context(form, referral), error)
            except ValidationError as error:
                add_service_errors(form, error, aliases=forms.TriageForm.ALIASES[decision])
            else:
                return redirect("referrals:detail", referral.pk)
    context = _triage_context(form, referral)
    context["confirm"] = confirm
    context["facts"] = {"reason": referral.reason or "Not recorded",
                        "needs": presenters.needs_text(referral.presenting_needs),
                        "risk_flags": triage_facts.risk_flags(referral),
                        "others": triage_facts.other_referrals(request.user, referral)}
    audit_shown(request, referral, note="triage form")
    return render(request, template, context, status=400 if form.errors else 200)


def _reject_errors(form) -> bool:
    """Check the rejection fields before asking for confirmation, so the question is asked
    only about a rejection that can be saved."""
    if not form.cleaned_data.get("rejection_reason"):
        form.add_error("rejection_reason", "Choose the reason for rejecting the referral.")
    elif form.cleaned_data["rejection_reason"] == "other" and not form.cleaned_data.get(
        "rejection_note", ""
    ).strip():
        form.add_error("rejection_note", "Explain the reason for rejecting the referral.")
    return bool(form.errors)


#: What the page says after each decision, and the form field holding its note.
DECIDED = {
    "accept": ("Referral accepted. Allocate it to a worker next.", "accept_note"),
    "redirect": ("Referral redirected. The handover is on its timeline.", "redirect_note"),
    "reject": ("Referral rejected.", "rejection_note"),
    "mdt": ("Referral added to the MDT meeting list.", "mdt_note"),
}


def _decide(request, referral, form) -> None:
    data = form.cleaned_data
    message, note_field = DECIDED[data["decision"]]
    services.referral_decide(
        referral=referral, actor=request.user, version=data["version"],
        decision=data["decision"], note=data[note_field], team=data["team"],
        urgency=data["urgency"], destination=data["destination"],
        reason=data["rejection_reason"],
    )
    messages.success(request, message)


def _triage_value(form, name: str, default=""):
    """What was posted in the decision's form that was sent; the other decisions' forms keep
    their initial values (the referral's own team and urgency), not the blanks they did not
    send, so that an error in one decision never changes what another would save."""
    sent = form.data.get("decision") if form.is_bound else None
    others = {field for decision, fields in form.FIELDS.items() if decision != sent
              for field in fields}
    if sent in form.FIELDS and name in others:
        initial = form.initial.get(name)
        return default if initial in (None, "") else initial
    return _value(form, name, default)


def _triage_context(form, referral) -> dict:
    value = lambda name, default="": _triage_value(form, name, default)  # noqa: E731
    return {
        "form": form,
        "referral": referral,
        "person": referral.person,
        "referral_rows": presenters.referral_rows(referral, []),
        "identity_tag": presenters.identity_tag(referral),
        "error_list": error_list(form, "decision-accept"),
        "v": value,
        "offers": {"accept": True, "mdt": referral.status != Status.AWAITING_MDT},
        "choices": {
            "team": _choices([(t.pk, t.name) for t in form.fields["team"].queryset],
                             value("team")),
            "urgency": _choices(Urgency.choices, value("urgency")),
            "destination": _choices(RedirectDestination.choices, value("destination")),
            "rejection_reason": _choices(RejectionReason.choices, value("rejection_reason"),
                                         blank="Choose a reason"),
        },
    }


def referral_allocate(request: HttpRequest, referral_id) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, referral_id)
    _require(permissions.can_allocate_referral(request.user, referral))
    candidates = list(selectors.allocation_candidates(referral))
    data = request.POST if request.method == "POST" else None
    current_joint = [str(m.pk) for m in selectors.joint_workers(referral)]
    form = forms.AllocationForm(
        data, candidates=candidates,
        initial={"version": referral.version,
                 "worker": str(referral.worker_id) if referral.worker_id else "",
                 "joint_workers": current_joint},
    )
    template = "referrals/referral_allocate.jinja"
    if request.method == "POST" and form.is_valid():
        worker, joint = form.chosen()
        try:
            services.referral_assign(referral=referral, actor=request.user,
                                     version=form.cleaned_data["version"], worker=worker,
                                     joint_workers=joint)
        except Conflict as error:
            return _conflict(request, template, _allocate_context(form, referral, candidates),
                             error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Allocated to {worker.user}. The referral is in their "
                                      "caseload, awaiting assessment.")
            return redirect("referrals:detail", referral.pk)
    audit_shown(request, referral, note="allocation form")
    return render(request, template, _allocate_context(form, referral, candidates),
                  status=400 if form.errors else 200)


def _allocate_context(form, referral, candidates) -> dict:
    worker = _value(form, "worker")
    joint = form.data.getlist("joint_workers") if form.is_bound else form.initial.get(
        "joint_workers", [])
    rows = presenters.candidate_rows(candidates)
    return {
        "form": form,
        "referral": referral,
        "person": referral.person,
        "error_list": error_list(form, "worker"),
        "version": _value(form, "version"),
        "candidates": rows,
        "worker_items": [{"value": r["id"], "text": r["name"], "hint": {"text": r["hint"]},
                          "checked": r["id"] == worker} for r in rows],
        "joint_items": [{"value": r["id"], "text": r["name"], "checked": r["id"] in joint}
                        for r in rows],
    }


# --------------------------------------------------------------------------- GP view


def practice_referrals(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_practice_referrals(request.user))
    referrals = selectors.practice_referral_list(request.user)
    page = Paginator(referrals, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_shown(request, page.object_list, note="practice referrals")
    return render(
        request,
        "referrals/practice_referrals.jinja",
        {"practice": request.membership.employer, "page": page, "query": "",
         "rows": presenters.practice_rows(page.object_list)},
    )


# --------------------------------------------------------------------------- people


def person_detail(request: HttpRequest, person_id) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, person_id)
    referrals = list(selectors.person_referrals_for_user(request.user, person))
    looked = None
    if permissions.can_view_record_audit(request.user, person):
        looked = Paginator(selectors.person_audit_events(request.user, person),
                           LOOKED_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_shown(request, [person, *referrals],
                note="with who has looked at it" if looked is not None else "")
    can_merge = permissions.can_merge_people(request.user) and person.merged_into_id is None
    return render(
        request,
        "referrals/person_detail.jinja",
        {
            "person": person,
            "person_rows": presenters.person_rows(person),
            "referrals": [
                {"href": reverse("referrals:detail", args=[r.pk]), "team": r.team.name,
                 "received": presenters.uk_date(r.received_on),
                 "status": presenters.status_tag(r)}
                for r in referrals
            ],
            "can_refer": permissions.can_receive_referrals(request.user)
            and person.merged_into_id is None,
            "can_merge": can_merge,
            "can_change": permissions.can_change_person(request.user, person),
            "can_answer_subject_access": pcns_permissions.can_administer_tenant(request.user),
            "looked": looked,
            "looked_rows": audit_rows(looked.object_list) if looked is not None else [],
        },
    )


def person_merge(request: HttpRequest, person_id) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, person_id)
    _require(permissions.can_merge_people(request.user))
    candidates = selectors.possible_duplicates(
        request.user, nhs_number=person.nhs_number, given_name=person.given_name,
        family_name=person.family_name, date_of_birth=person.date_of_birth, exclude=person.pk,
    )
    form = forms.MergeForm(request.POST if request.method == "POST" else None,
                           candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_merge(kept=person, merged=form.candidates[form.cleaned_data["other"]],
                                  actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error, aliases={"merged": "other"})
        else:
            messages.success(request, "Records merged. You can undo this from the list below.")
            return redirect("referrals:merge-list")
    audit_shown(request, [person, *candidates], note="merge form")
    return render(
        request,
        "referrals/person_merge.jinja",
        {"person": person, "person_rows": presenters.person_rows(person), "form": form,
         "error_list": error_list(form, "other"),
         "items": [{"value": r["id"], "text": r["name"], "hint": {"text": r["hint"]},
                    "checked": _value(form, "other") == r["id"]}
                   for r in presenters.duplicate_rows(candidates)],
         "reason": _value(form, "reason")},
        status=400 if form.errors else 200,
    )


def merge_list(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_merge_people(request.user))
    merges = list(selectors.merges_for_user(request.user)[:200])
    audit_shown(request, [person for merge in merges for person in (merge.kept, merge.merged)],
                note="merged records")
    return render(request, "referrals/merge_list.jinja", {"merges": merges})


def merge_undo(request: HttpRequest, merge_id) -> HttpResponse:
    merge = selectors.merge_get_for_user(request.user, merge_id)  # 404 unless yours to undo
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.person_merge_undo(merge=merge, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Merge undone: the two records are separate again.")
    return redirect("referrals:merge-list")
