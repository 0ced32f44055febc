"""The Django admin's forms for staff accounts, as tenant administrators use them.

They have no password fields: an administrator never sets or sees a password. A new account has
no usable password until its owner sets one from the invitation emailed to them.
"""

from __future__ import annotations

from django import forms

from pcns.accounts.invitations import EMAIL_UNAVAILABLE
from pcns.models import Membership, User


def _check_email_free(email: str, *, user: User | None) -> str:
    email = email.strip().lower()
    others = User.objects.filter(email__iexact=email)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
    if others.exists():
        # Row-level security shows this tenant's memberships only, so only our own staff are
        # named as such; anyone else gets the same message whoever and wherever they are.
        if Membership.objects.filter(user__in=others).exists():
            raise forms.ValidationError("A member of staff here already has this email address.")
        raise forms.ValidationError(EMAIL_UNAVAILABLE)
    return email


class StaffCreationForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.Meta.fields:
            self.fields[name].required = True
        self.fields["email"].help_text = (
            "Their work email address. They are emailed an invitation to set their own password."
        )

    def clean_email(self) -> str:
        return _check_email_free(self.cleaned_data["email"], user=None)

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class StaffChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "is_active"]

    def clean_email(self) -> str:
        return _check_email_free(self.cleaned_data["email"], user=self.instance)
