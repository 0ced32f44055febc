"""Two factors stay required for the whole session, not only at sign-in."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect

from pcns.accounts import services, two_factor

SIGN_IN_AGAIN = (
    "You have been signed out: your role or your place now asks you to sign in with two "
    "factors. Sign in again to set up or use your authenticator app."
)


class TwoFactorsStillSatisfiedMiddleware:
    """End a session that began with one factor once its user must use two.

    A member promoted to tenant administrator, or a place that turns on "two-factor sign-in for
    everyone", would otherwise keep a password-only session with the new rights until it
    expired. Sessions say how they began (``services.TWO_FACTORS_KEY``); API token requests have
    no session and are not affected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if (
            request.user.is_authenticated
            and session is not None
            and session.get(services.TWO_FACTORS_KEY) is False
            and two_factor.is_required(request.user, getattr(request, "membership", None))
        ):
            two_factor.audit_for(request.user, action="sign_in_security",
                                 note="signed out: two factors now required")
            services.sign_out(request)
            messages.warning(request, SIGN_IN_AGAIN)
            return redirect("pcns:sign-in")
        return self.get_response(request)
