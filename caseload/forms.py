"""Forms check the shape of what was typed; the services check the rules (caseload/services.py).

Care plan and outcome measure forms are in caseload/plan_forms.py.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from caseload.codes import (
    AssessmentKind,
    Attendance,
    ContactMode,
    ContactPurpose,
    InterventionKind,
)
from config import limits
from config.forms import UKDateField, text
from pcns.models import Organisation
from referrals.codes import DischargeReason

DIRECT_CHOICES = [
    ("yes", "With the person (direct)"),
    ("no", "About them, without them (indirect)"),
]


def _blank(choices, label: str = "Choose an option"):
    return [("", label), *choices]


class ContactForm(forms.Form):
    """The quick contact form: the date defaults to today, the staff member is whoever records
    it."""

    on = UKDateField(label_text="date of the contact")
    at = forms.TimeField(required=False, input_formats=["%H:%M", "%H.%M", "%H%M"],
                         error_messages={"invalid": "Enter the time like 14:30."})
    mode = forms.ChoiceField(choices=ContactMode.choices,
                             error_messages={"required": "Choose how the contact happened."})
    attendance = forms.ChoiceField(choices=Attendance.choices,
                                   error_messages={"required": "Choose what happened."})
    duration_minutes = forms.IntegerField(
        required=False, error_messages={"invalid": "Enter the duration in whole minutes."}
    )
    direct = forms.ChoiceField(choices=DIRECT_CHOICES, initial="yes")
    purpose = forms.ChoiceField(choices=_blank(ContactPurpose.choices),
                                error_messages={"required": "Choose the purpose."})
    note = text("Note", limits.NOTE, multiline=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class TeamContactForm(ContactForm):
    """A contact with no referral behind it: advice to a practice or another agency."""

    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["direct"].initial = "no"
        self.fields["purpose"].initial = ContactPurpose.ADVICE_TO_PROFESSIONAL


class ContactOutcomeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    attendance = forms.ChoiceField(
        choices=[c for c in Attendance.choices if c[0] != Attendance.BOOKED],
        error_messages={"required": "Choose what happened."},
    )
    duration_minutes = forms.IntegerField(
        required=False, error_messages={"invalid": "Enter the duration in whole minutes."}
    )
    note = text("Note", limits.NOTE, multiline=True)


class AssessmentForm(forms.Form):
    kind = forms.ChoiceField(choices=AssessmentKind.choices,
                             error_messages={"required": "Choose the kind of assessment."})
    assessed_on = UKDateField(label_text="date of the assessment")
    summary = text("Summary", limits.NOTE, multiline=True)
    risk_summary = text("Risk summary", limits.NOTE, multiline=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate()


class InterventionForm(forms.Form):
    kind = forms.ChoiceField(choices=InterventionKind.choices,
                             error_messages={"required": "Choose the kind of intervention."})
    description = text("Description", limits.LINE)
    started_on = UKDateField(label_text="date it started")

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["started_on"].initial = timezone.localdate()


class InterventionEndForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    ended_on = UKDateField(label_text="date it ended")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = timezone.localdate()


class DischargeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(choices=DischargeReason.choices,
                               error_messages={"required": "Choose the reason for discharge."})
    discharged_on = UKDateField(label_text="date of discharge")
    destination = text("Where the person moved to", 200)
    note = text("Note", limits.NOTE, multiline=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discharged_on"].initial = timezone.localdate()


class RiskConcernForm(forms.Form):
    concern = text("Concern", limits.NOTE, multiline=True)


class RiskAcknowledgeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    response = text("Response", limits.NOTE, multiline=True)
