"""Forms for setting a password (from an invitation or a reset link) and asking for a reset."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation

from pcns.accounts import passwords
from pcns.models import User


def password_hint() -> str:
    """What the configured validators ask for, in their own words."""
    return " ".join(password_validation.password_validators_help_texts())


class NewPasswordForm(forms.Form):
    """A new password, typed twice, checked by AUTH_PASSWORD_VALIDATORS against ``user``."""

    password = forms.CharField(
        label="Create a password", strip=False,
        error_messages={"required": "Enter a password"},
    )
    password_confirm = forms.CharField(
        label="Type the password again", strip=False,
        error_messages={"required": "Type the password again"},
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self):
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_confirm")
        if password and again and password != again:
            self.add_error("password_confirm",
                           "The passwords do not match. Type the same password twice.")
        return cleaned


class ResetPasswordForm(NewPasswordForm):
    """The form of Django's PasswordResetConfirmView, which calls ``save()`` once the token is
    checked."""

    def save(self) -> User:
        return passwords.password_reset_complete(
            user=self.user, password=self.cleaned_data["password"]
        )


class ResetRequestForm(forms.Form):
    """The form of Django's PasswordResetView. ``save`` ignores the view's template and domain
    options: our email is built in pcns.accounts.passwords with settings.SITE_URL."""

    email = forms.EmailField(
        label="Email address", max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk",
        },
    )

    def save(self, **_view_options) -> None:
        passwords.password_reset_request(email=self.cleaned_data["email"])
