from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache

THROTTLE_MESSAGE = (
    "Too many failed attempts to sign in. Wait 15 minutes and try again, or ask your service "
    "administrator to reset your password."
)


def _throttle_keys(email: str, address: str) -> list[str]:
    return [f"sign-in-failures:email:{email.lower()}", f"sign-in-failures:ip:{address}"]


class SignInForm(forms.Form):
    """Email and password, with failures counted per email and per address (Redis cache)."""

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
        keys = _throttle_keys(email, self.request.META.get("REMOTE_ADDR", ""))
        limit = settings.SIGN_IN_MAX_FAILURES
        if any((cache.get(key) or 0) >= limit for key in keys):
            raise forms.ValidationError(THROTTLE_MESSAGE, code="throttled")
        user = authenticate(self.request, email=email.lower(), password=password)
        if user is None:
            for key in keys:
                cache.add(key, 0, settings.SIGN_IN_FAILURE_WINDOW_SECONDS)
                cache.incr(key)
            raise forms.ValidationError(
                "Enter a correct email address and password. The password is case-sensitive.",
                code="invalid_login",
            )
        cache.delete_many(keys)
        self.user_cache = user
        return cleaned

    def get_user(self):
        return self.user_cache
