"""Pages for setting a password: from an invitation, and by a reset link sent by email.

Neither signs the person in: they are sent to the sign-in page, which checks every factor.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from pcns import presenters
from pcns.accounts import invitations, passwords
from pcns.accounts.password_forms import (
    NewPasswordForm,
    ResetPasswordForm,
    ResetRequestForm,
    password_hint,
)

#: The invitation moves from the link into the session, so that the page the person types their
#: password on (and any address it leaks from) has no token in its URL. The session keeps only
#: the token's hash, as the database does: a copy of the sessions table opens no invitation.
INVITATION_SESSION_KEY = "_invitation_token_hash"

SET_MESSAGE = "Your password has been set. Sign in with your email address and new password."


@login_not_required
@never_cache
@sensitive_variables("token")
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    request.session[INVITATION_SESSION_KEY] = invitations.token_hash(token[:100])
    return redirect("pcns:invitation-set-password")


@login_not_required
@sensitive_post_parameters("password", "password_confirm")
@csrf_protect
@never_cache
def invitation_set_password(request: HttpRequest) -> HttpResponse:
    try:
        invitation = invitations.invitation_for_digest(
            digest=request.session.get(INVITATION_SESSION_KEY, "")
        )
    except invitations.InvitationRefused as refused:
        return render(request, "accounts/invitation_refused.jinja",
                      {"message": refused.message}, status=refused.status)
    form = NewPasswordForm(invitation.user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invitation_accept(
                invitation=invitation, password=form.cleaned_data["password"]
            )
        except invitations.InvitationRefused as refused:  # used in another tab meanwhile
            return render(request, "accounts/invitation_refused.jinja",
                          {"message": refused.message}, status=refused.status)
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.success(request, SET_MESSAGE)
        return redirect("pcns:sign-in")
    return render(request, "accounts/invitation_set_password.jinja", {
        "form": form, "error_list": presenters.error_list(form), "email": invitation.user.email,
        "hint": password_hint(),
    })


class ResetRequestView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.jinja"
    form_class = ResetRequestForm
    success_url = reverse_lazy("pcns:password-reset-sent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["error_list"] = presenters.error_list(context["form"])
        return context


class ResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.jinja"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "lifetime": passwords.reset_link_lifetime()}


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.jinja"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("pcns:sign-in")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        return {**context, "error_list": presenters.error_list(form) if form else [],
                "hint": password_hint(), "lifetime": passwords.reset_link_lifetime()}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, SET_MESSAGE)
        return response
