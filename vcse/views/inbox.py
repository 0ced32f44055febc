"""The VCSE inbox: the partner's side of onward referrals.

Every page fetches through vcse.selectors.inbox_get_for_user (404 for missing, for another
organisation's, and once consent is withdrawn or has ended), asks vcse.permissions (403), and
writes through one service. These pages read the shared snapshot only: nothing here touches
``onward.referral`` or ``onward.person``. Pages that show the snapshot (a name at least) are
audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
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
from vcse import inbox_forms as forms
from vcse import inbox_presenters as presenters
from vcse import messages as messages_
from vcse import permissions, selectors, services
from vcse.codes import (
    ClosureOutcome,
    DeclineReason,
    MessageSide,
    OnwardEventKind,
    OnwardStatus,
    SupportCategory,
    VcseAttendance,
    VcseContactMode,
)
from vcse.models import OnwardReferral
from vcse.states import WORKING, IllegalOnwardTransition, check_transition

PAGE_SIZE = 25


def _page(request, template: str, context: dict, form) -> HttpResponse:
    return render(request, template, context, status=400 if form.errors else 200)


def _onward(request: HttpRequest, onward_id) -> OnwardReferral:
    """The onward referral if it is in this user's inbox (404 otherwise) and theirs to answer
    (403 otherwise)."""
    onward = selectors.inbox_get_for_user(request.user, onward_id)
    _require(permissions.can_answer_onward_referral(request.user, onward))
    return onward


def _blocked(onward: OnwardReferral, event: OnwardEventKind) -> str:
    """Why ``event`` cannot happen in the onward referral's status, or "" if it can."""
    try:
        check_transition(onward.status, event)
    except IllegalOnwardTransition as error:
        return error.messages[0]
    return ""


def _illegal_page(request, template: str, context: dict, error: IllegalOnwardTransition):
    context["blocked"] = error.messages[0]
    return render(request, template, context, status=400)


# --------------------------------------------------------------------------- the list


def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.can_use_inbox(user))
    tab = request.GET.get("tab", "new")
    if tab not in selectors.INBOX_TABS:
        tab = "new"
    page = Paginator(selectors.inbox_tab(user, tab), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = presenters.inbox_rows(page.object_list)
    # The list shows names from the shared snapshots: one audit row for each one shown (not
    # for the bare rows of withdrawn ones, which show nobody).
    audit_shown(request, presenters.shown_in_full(page.object_list), note="inbox")
    return render(request, "vcse/inbox/list.jinja", {
        "tabs": presenters.inbox_tabs(selectors.inbox_counts(user), tab),
        "tab": tab,
        "tab_label": selectors.INBOX_TABS[tab][0],
        "rows": rows,
        "page": page,
        "query": f"tab={tab}",
    })


# --------------------------------------------------------------------------- one referral


def inbox_detail(request: HttpRequest, onward_id) -> HttpResponse:
    onward = selectors.inbox_get_for_user(request.user, onward_id)
    _require(permissions.can_use_inbox(request.user))
    audit_shown(request, onward, note="inbox")
    may_answer = permissions.can_answer_onward_referral(request.user, onward)
    thread = list(messages_.messages_of(onward)) if may_answer else []
    audit_shown(request, thread, note="message thread")
    return render(request, "vcse/inbox/detail.jinja", {
        "onward": onward,
        "heading": presenters.heading(onward),
        "status": presenters.status_tag(onward),
        "unanswered": presenters.unanswered_tag(onward),
        "shared_rows": presenters.snapshot_rows(onward),
        "referral_rows": presenters.referral_rows(onward,
                                                  sender_teams=selectors.sender_team_names(onward)),
        "contacts": presenters.contact_rows(list(selectors.contacts_of(onward))),
        "events": presenters.event_rows(list(selectors.events_of(onward))),
        "may": {
            "answer": may_answer and onward.status == OnwardStatus.SENT,
            "work": may_answer and onward.status in WORKING,
        },
        "thread": messages_.thread_context(
            onward, thread, side=MessageSide.PARTNER,
            post_url=reverse("vcse:inbox-messages", args=[onward.pk])) if may_answer else None,
    })


# --------------------------------------------------------------------------- accept


def accept(request: HttpRequest, onward_id) -> HttpResponse:
    onward = _onward(request, onward_id)  # 404 before 405: not-yours looks like missing
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
        return redirect("vcse:inbox-detail", onward.pk)
    try:
        services.onward_referral_accept(onward=onward, actor=request.user,
                                        version=form.cleaned_data["version"])
    except Conflict as error:
        return _conflict(request, "vcse/inbox/conflict.jinja", {"onward": onward}, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("vcse:inbox-detail", onward.pk)
    messages.success(request, "Onward referral accepted. Log a contact once you have been in "
                              "touch.")
    return redirect("vcse:inbox-detail", onward.pk)


def _act(request: HttpRequest, onward, *, blocked: bool, form, template: str, context,
         save, note: str) -> HttpResponse:
    """The flow every inbox form shares. ``blocked``: the status no longer allows it (the
    explanation instead of the form; 400 to a POST). Otherwise a valid POST goes through
    ``save(cleaned_data)``, which calls one service and returns the success message: a stale
    version answers 409, an illegal change its page, field errors the form again with 400.
    Showing the form is audited (it shows the person's shared details)."""
    if blocked:
        audit_shown(request, onward, note=note)
        return render(request, template, context(), status=400 if request.method == "POST"
                      else 200)
    if request.method == "POST" and form.is_valid():
        try:
            message = save(form.cleaned_data)
        except Conflict as error:
            return _conflict(request, template, context(), error)
        except IllegalOnwardTransition as error:
            return _illegal_page(request, template, context(), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, message)
            return redirect("vcse:inbox-detail", onward.pk)
    audit_shown(request, onward, note=note)
    return _page(request, template, context(), form)


# --------------------------------------------------------------------------- decline


def decline(request: HttpRequest, onward_id) -> HttpResponse:
    onward = _onward(request, onward_id)
    blocked = _blocked(onward, OnwardEventKind.DECLINED)
    posted = request.method == "POST" and not blocked
    form = forms.DeclineForm(request.POST if posted else None,
                             initial={"version": onward.version})

    def context() -> dict:
        value = lambda name, default="": _value(form, name, default)  # noqa: E731
        return {"form": form, "onward": onward, "heading": presenters.heading(onward),
                "blocked": blocked, "error_list": error_list(form, "reason"), "v": value,
                "choices": {"reason": _choices(DeclineReason.choices, value("reason"))}}

    def save(data: dict) -> str:
        services.onward_referral_decline(onward=onward, actor=request.user,
                                         version=data["version"], reason=data["reason"],
                                         note=data["note"])
        return "Onward referral declined. The referrer can see your reason."

    return _act(request, onward, blocked=blocked, form=form,
                template="vcse/inbox/decline.jinja", context=context, save=save,
                note="inbox decline")


# --------------------------------------------------------------------------- contacts


def _contact_input(data: dict) -> services.VcseContactInput:
    return services.VcseContactInput(
        on=data["on"], mode=data["mode"], attendance=data["attendance"],
        support_types=list(data["support_types"]), duration_minutes=data["duration_minutes"],
        note=data["note"],
    )


def contact_new(request: HttpRequest, onward_id) -> HttpResponse:
    onward = _onward(request, onward_id)
    blocked = _blocked(onward, OnwardEventKind.CONTACT_LOGGED)
    posted = request.method == "POST" and not blocked
    form = forms.VcseContactForm(request.POST if posted else None)

    def context() -> dict:
        value = lambda name, default="": _value(form, name, default)  # noqa: E731
        support = form.data.getlist("support_types") if form.is_bound else []
        return {"form": form, "onward": onward, "heading": presenters.heading(onward),
                "blocked": blocked, "error_list": error_list(form, "on"), "v": value,
                "on_parts": date_parts(form, "on"),
                "choices": {
                    "mode": _choices(VcseContactMode.choices, value("mode")),
                    "attendance": _choices(VcseAttendance.choices, value("attendance")),
                    "support_types": _choices(SupportCategory.choices, support),
                }}

    def save(data: dict) -> str:
        contact = services.vcse_contact_log(onward=onward, actor=request.user,
                                            data=_contact_input(data))
        return (f"{contact.get_mode_display()} contact logged: "
                f"{contact.get_attendance_display().lower()}.")

    return _act(request, onward, blocked=blocked, form=form,
                template="vcse/inbox/contact_new.jinja", context=context, save=save,
                note="inbox contact")


# --------------------------------------------------------------------------- close


def close(request: HttpRequest, onward_id) -> HttpResponse:
    onward = _onward(request, onward_id)
    blocked = _blocked(onward, OnwardEventKind.CLOSED)
    posted = request.method == "POST" and not blocked
    form = forms.CloseForm(request.POST if posted else None, initial={"version": onward.version})

    def context() -> dict:
        value = lambda name, default="": _value(form, name, default)  # noqa: E731
        return {"form": form, "onward": onward, "heading": presenters.heading(onward),
                "blocked": blocked, "error_list": error_list(form, "outcome"), "v": value,
                "closed_on_parts": date_parts(form, "closed_on"),
                "choices": {"outcome": _choices(ClosureOutcome.choices, value("outcome"))}}

    def save(data: dict) -> str:
        services.onward_referral_close(onward=onward, actor=request.user,
                                       version=data["version"], outcome=data["outcome"],
                                       note=data["note"], on=data["closed_on"])
        return "Onward referral closed. The referrer can see the outcome."

    return _act(request, onward, blocked=blocked, form=form,
                template="vcse/inbox/close.jinja", context=context, save=save,
                note="inbox close")
