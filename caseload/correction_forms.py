"""Forms for correcting a care record (caseload/corrections.py checks the rules): one to mark
it entered in error, and one per kind to amend it, made of the fields that kind may amend."""

from __future__ import annotations

from django import forms

from caseload.codes import ContactMode, ContactPurpose
from caseload.corrections import Correctable
from config import limits
from config.forms import UKDateField, text

CORRECTION_REASON = {"required": "Say why the record is being corrected."}


def _reason() -> forms.CharField:
    return text("Reason", limits.REASON, multiline=True, required=True,
                error_messages=CORRECTION_REASON)


#: Each amendable field: its form field, and how the page shows it (an NHS.UK macro).
FIELDS = {
    "on": (lambda: UKDateField(label_text="date of the contact"), "date", "Date of the contact"),
    "at": (lambda: forms.TimeField(required=False, input_formats=["%H:%M", "%H.%M", "%H%M"],
                                   error_messages={"invalid": "Enter the time like 14:30."}),
           "input", "Time (optional)"),
    "duration_minutes": (lambda: forms.IntegerField(
        required=False, error_messages={"invalid": "Enter the duration in whole minutes."}),
        "input", "Duration in minutes (optional)"),
    "mode": (lambda: forms.ChoiceField(choices=ContactMode.choices), "select", "How"),
    "purpose": (lambda: forms.ChoiceField(choices=ContactPurpose.choices), "select", "Purpose"),
    "note": (lambda: text("Note", limits.NOTE, multiline=True), "textarea", "Note"),
    "assessed_on": (lambda: UKDateField(label_text="date of the assessment"), "date",
                    "Date of the assessment"),
    "summary": (lambda: text("Summary", limits.NOTE, multiline=True), "textarea", "Summary"),
    "risk_summary": (lambda: text("Risk summary", limits.NOTE, multiline=True), "textarea",
                     "Risks, and what keeps the person safe"),
    "completed_on": (lambda: UKDateField(label_text="date it was completed"), "date",
                     "Date it was completed"),
    "description": (lambda: text("Description", 300), "input", "Description"),
    "started_on": (lambda: UKDateField(label_text="date it started"), "date",
                   "Date it started"),
    "ended_on": (lambda: UKDateField(label_text="date it ended", required=False), "date",
                 "Date it ended (leave empty if it is still running)"),
    "concern": (lambda: text("Concern", limits.NOTE, multiline=True), "textarea", "Concern"),
}
CHOICES = {"mode": ContactMode.choices, "purpose": ContactPurpose.choices}


class EnteredInErrorForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    error_reason = _reason()


def amend_form_class(spec: Correctable) -> type[forms.Form]:
    attrs = {"version": forms.IntegerField(widget=forms.HiddenInput, required=False),
             "correction_reason": _reason()}
    for name in spec.amendable:
        attrs[name] = FIELDS[name][0]()
    return type(f"Amend{spec.model.__name__}Form", (forms.Form,), attrs)
