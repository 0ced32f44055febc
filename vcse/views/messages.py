"""An onward referral's message thread, from either side.

Both sides see the thread and its form on the page they already have (the partner's inbox item,
the referrer's onward referral page); the form posts here. This page shows the thread with the
form again when a post has errors (or when opened directly). Each side fetches through its own
selector, so another organisation's, another tenant's or a withdrawn referral (for the partner)
is 404; then vcse.permissions (403). The page names no person, only the reference, the partner
and the messages; the onward referral and each message shown are audited.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from config.forms import add_service_errors
from config.pages import require as _require
from pcns.audit import audit_shown
from pcns.presenters import error_list
from vcse import messages, permissions, selectors
from vcse.codes import MessageSide
from vcse.message_forms import MessageForm
from vcse.models import OnwardReferral


def inbox_messages(request: HttpRequest, onward_id) -> HttpResponse:
    """The partner's side: staff of the receiving organisation, while consent stands."""
    onward = selectors.inbox_get_for_user(request.user, onward_id)
    _require(permissions.can_answer_onward_referral(request.user, onward))
    return _thread(request, onward, side=MessageSide.PARTNER,
                   detail=reverse("vcse:inbox-detail", args=[onward.pk]),
                   post_url=reverse("vcse:inbox-messages", args=[onward.pk]))


def onward_messages(request: HttpRequest, onward_id) -> HttpResponse:
    """The referring side: clinical staff who may see the person's referral."""
    onward = selectors.onward_referral_get_for_user(request.user, onward_id)
    _require(permissions.can_view_onward_referral(request.user, onward))
    return _thread(request, onward, side=MessageSide.REFERRER,
                   detail=reverse("vcse:onward-detail", args=[onward.pk]),
                   post_url=reverse("vcse:onward-messages", args=[onward.pk]))


def _thread(request: HttpRequest, onward: OnwardReferral, *, side: MessageSide, detail: str,
            post_url: str) -> HttpResponse:
    form = MessageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            messages.onward_message_post(onward=onward, actor=request.user, side=side,
                                         body=form.cleaned_data["body"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            flash.success(request, "Message sent. They are emailed a link to read it.")
            return redirect(f"{detail}#messages")
    thread = list(messages.messages_of(onward))
    audit_shown(request, [onward, *thread], note="message thread")
    return render(request, "vcse/messages/thread.jinja", {
        "onward": onward,
        "back": detail,
        "error_list": error_list(form, "body") if form.errors else [],
        "thread": messages.thread_context(onward, thread, side=side, post_url=post_url,
                                          form=form),
    }, status=400 if form.errors else 200)
