"""Sign-in forms: email and password (throttled), and the second factor's code."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate

from config.forms import text
from pcns.accounts import throttle
from pcns.accounts.two_factor import audit_for
from pcns.models import AuditAction, User


class SignInForm(forms.Form):
    """Email and password, with failures counted per account and per address (throttle.py)."""

    email = forms.EmailField(
        label="Email address",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk",
        },
    )
    password = forms.CharField(
        label="Password", strip=False, error_messages={"required": "Enter your password"}
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email, password = cleaned.get("email"), cleaned.get("password")
        if not email or not password:
            return cleaned
        address = throttle.client_address(self.request)
        # A real user's failures count against their account. A made-up email's count against
        # that email alone: it can lock no real account, and it is locked after as many tries,
        # so the answers do not tell which emails have accounts.
        known = User.objects.filter(email=email.lower()).first()
        user_id = known.pk if known else throttle.unknown_email_id(email)
        lockout = throttle.lockout(user_id=user_id, address=address)
        if lockout is not None:
            if known is not None:
                audit_for(known, action=AuditAction.SIGN_IN_FAILED,
                          note=f"refused: {lockout.scope} locked")
            raise forms.ValidationError(throttle.message(), code="throttled")
        user = authenticate(self.request, email=email.lower(), password=password)
        if user is None:
            locked_now = throttle.record_failure(user_id=user_id, address=address)
            if known is not None:
                audit_for(known, action=AuditAction.SIGN_IN_FAILED,
                          note="wrong password" + ("; account locked" if locked_now else ""))
            raise forms.ValidationError(
                "Enter a correct email address and password. The password is case-sensitive.",
                code="invalid_login",
            )
        self.user_cache = user
        return cleaned

    def get_user(self):
        return self.user_cache


class CodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    code = text(
        "Security code", 40, label="Security code", required=True,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )


class SetUpForm(forms.Form):
    """The first code from a newly added authenticator app."""

    code = text(
        "Code from the app", 20, label="Code from the app", required=True,
        error_messages={"required": "Enter the 6-digit code shown in your authenticator app"},
    )
