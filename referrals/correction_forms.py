"""Forms for correcting a person's details and a referral's intake details (referrals.corrections
checks the rules)."""

from __future__ import annotations

from django import forms

from config import limits
from config.forms import text
from referrals.corrections import ReferralIntakeInput
from referrals.forms import ReferralIntakeForm

CORRECTION_REASON = {"required": "Say why the record is being corrected."}


def correction_reason() -> forms.CharField:
    return text("Why are you making this correction?", limits.REASON, multiline=True,
                required=True, error_messages=CORRECTION_REASON)


class PersonEditForm(ReferralIntakeForm):
    """The intake form's person fields, with the version read and the reason for the change."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    correction_reason = correction_reason()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in {*self.PERSON_FIELDS, "version", "correction_reason"}:
                del self.fields[name]


class ReferralAmendForm(ReferralIntakeForm):
    """The intake form's referral fields (not the team: moving a referral is triage's job)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    correction_reason = correction_reason()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in [*self.PERSON_FIELDS, "person_choice", "team"]:
            del self.fields[name]

    def intake_input(self) -> ReferralIntakeInput:
        data = self.cleaned_data
        return ReferralIntakeInput(
            source=data["source"], received_on=data["received_on"], urgency=data["urgency"],
            presenting_needs=data["presenting_needs"],
            referrer_name=data.get("referrer_name", ""),
            referrer_organisation=data.get("referrer_organisation"),
            reason=data.get("reason", ""),
        )
