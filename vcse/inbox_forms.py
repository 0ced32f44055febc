"""The VCSE inbox forms. They check the shape of what was typed; vcse/services.py checks the
rules (a note for "other", support given only at a contact that happened, dates in order)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from config import limits
from config.forms import UKDateField, text
from vcse.codes import (
    ClosureOutcome,
    DeclineReason,
    SupportCategory,
    VcseAttendance,
    VcseContactMode,
)

_VERSION = {"required": "Reload the page and try again.",
            "invalid": "Reload the page and try again."}


def _version() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, error_messages=_VERSION)


class AcceptForm(forms.Form):
    version = _version()


class DeclineForm(forms.Form):
    version = _version()
    reason = forms.ChoiceField(choices=DeclineReason.choices,
                               error_messages={"required": "Choose why you are declining."})
    note = text("Note", limits.NOTE, multiline=True)


class VcseContactForm(forms.Form):
    """The one short contact form: the date defaults to today, the worker is whoever logs it."""

    on = UKDateField(label_text="date of the contact")
    mode = forms.ChoiceField(choices=VcseContactMode.choices,
                             error_messages={"required": "Choose how the contact happened."})
    attendance = forms.ChoiceField(choices=VcseAttendance.choices,
                                   error_messages={"required": "Choose what happened."})
    duration_minutes = forms.IntegerField(
        required=False, error_messages={"invalid": "Enter the duration in whole minutes."})
    support_types = forms.MultipleChoiceField(
        choices=SupportCategory.choices, required=False,
        error_messages={"invalid_choice": "Choose the support from the list."})
    note = text("Note", 500, multiline=True,
                error_messages={"max_length": "Keep the note to 500 characters."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class CloseForm(forms.Form):
    version = _version()
    outcome = forms.ChoiceField(choices=ClosureOutcome.choices,
                                error_messages={"required": "Choose the outcome."})
    note = text("Note for the referrer", limits.NOTE, multiline=True)
    closed_on = UKDateField(label_text="date it closed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()
