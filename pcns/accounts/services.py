"""The one place a sign-in is completed, whichever route (password, two factors, SSO) led here."""

from __future__ import annotations

import logging

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.db import transaction
from django.http import HttpRequest

from pcns.models import AuditAction, User
from pcns.services import audit_record
from pcns.tenancy import activate_for_request

security_log = logging.getLogger("pcns.security")

#: Whether the session began with two factors; pcns.accounts.middleware ends a session that
#: began with one once two are required of its user (a new role, or the place's setting).
TWO_FACTORS_KEY = "signed_in_with_two_factors"


def complete_sign_in(
    request: HttpRequest, *, user: User, method: str, two_factors: bool = False
) -> None:
    """Start the session for ``user`` and record the sign-in (``method`` goes in the audit note).

    Call only once every factor the user needs has been checked; ``two_factors`` says whether
    two were.
    """
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[TWO_FACTORS_KEY] = two_factors
    membership = activate_for_request(request, user)
    if membership is not None:
        with transaction.atomic():
            audit_record(actor=user, action=AuditAction.SIGN_IN, target=user, note=method)
    else:
        # A platform account belongs to no tenant, so no tenant's audit log can hold this;
        # the security log does (the account id, never a name or email).
        security_log.warning("platform account %s signed in (%s)", user.pk, method)


def sign_out(request: HttpRequest) -> None:
    """Record the sign-out (for a member of a tenant) and end the session."""
    if getattr(request, "membership", None) is not None:
        with transaction.atomic():
            audit_record(actor=request.user, action=AuditAction.SIGN_OUT, target=request.user)
    auth_logout(request)
