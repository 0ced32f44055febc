"""Forms check the shape of what was typed; the services check the rules (referrals/services.py).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from config import limits
from config.forms import UKDateField, text
from pcns.models import Organisation, OrganisationKind
from referrals import selectors
from referrals.codes import (
    ContactMethod,
    EthnicCategory,
    Gender,
    NhsNumberMissingReason,
    PresentingNeed,
    RedirectDestination,
    RejectionReason,
    Sex,
    Source,
    Urgency,
)
from referrals.services import PersonInput, ReferralInput
from referrals.validators import normalise_nhs_number, normalise_postcode


def _not_in_future(value, what: str):
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"{what} cannot be in the future.")
    return value


def _blank(choices, label: str = "Choose an option"):
    return [("", label), *choices]


class ReferralIntakeForm(forms.Form):
    # Which person: an existing record's id, "new", or empty (not decided: look for matches).
    person_choice = text("Person", limits.NAME)

    nhs_number = text("NHS number", 14, label="NHS number")
    nhs_number_missing_reason = forms.ChoiceField(
        choices=_blank(NhsNumberMissingReason.choices, "Not applicable"), required=False
    )
    given_name = text("First name", limits.NAME, required=True,
                      error_messages={"required": "Enter the first name."})
    family_name = text("Last name", limits.NAME, required=True,
                       error_messages={"required": "Enter the last name."})
    date_of_birth = UKDateField(label_text="date of birth")
    sex = forms.ChoiceField(choices=Sex.choices, error_messages={"required": "Choose the sex."})
    gender = forms.ChoiceField(choices=Gender.choices, initial=Gender.NOT_STATED)
    ethnicity = forms.ChoiceField(choices=EthnicCategory.choices,
                                  initial=EthnicCategory.NOT_STATED)
    postcode = text("Postcode", 10)
    registered_practice = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                                 required=False)
    interpreter_needed = forms.BooleanField(required=False)
    language = text("Language", 60)
    phone = text("Phone number", 20)
    email = forms.EmailField(required=False)
    address = text("Address", limits.LINE, multiline=True)
    preferred_contact_method = forms.ChoiceField(choices=ContactMethod.choices,
                                                 initial=ContactMethod.TELEPHONE)

    team = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                  error_messages={"required": "Choose the team."})
    source = forms.ChoiceField(choices=_blank(Source.choices),
                               error_messages={"required": "Choose where the referral came from."})
    referrer_name = text("Referrer's name", 200)
    referrer_organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                                   required=False)
    received_on = UKDateField(label_text="date the referral was received")
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.ROUTINE)
    presenting_needs = forms.MultipleChoiceField(
        choices=PresentingNeed.choices,
        error_messages={"required": "Choose at least one presenting need."},
    )
    reason = text("Reason for referral", limits.REASON, multiline=True)

    PERSON_FIELDS = [
        "nhs_number", "nhs_number_missing_reason", "given_name", "family_name", "date_of_birth",
        "sex", "gender", "ethnicity", "postcode", "registered_practice", "interpreter_needed",
        "language", "phone", "email", "address", "preferred_contact_method",
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        tenant_id = user.membership.tenant_id
        organisations = Organisation.objects.filter(tenant_id=tenant_id).order_by("name")
        self.fields["registered_practice"].queryset = organisations.filter(
            kind=OrganisationKind.GP_PRACTICE
        )
        self.fields["referrer_organisation"].queryset = organisations.exclude(
            kind__in=[OrganisationKind.ICB, OrganisationKind.PLACE, OrganisationKind.LCP]
        )
        self.fields["team"].queryset = selectors.referral_teams_for_intake(user)
        self.user = user

    def clean_nhs_number(self) -> str:
        value = self.cleaned_data["nhs_number"]
        return normalise_nhs_number(value) if value.strip() else ""

    def clean_date_of_birth(self):
        return _not_in_future(self.cleaned_data["date_of_birth"], "The date of birth")

    def clean_received_on(self):
        return _not_in_future(self.cleaned_data["received_on"], "The date received")

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"]
        return normalise_postcode(value) if value.strip() else ""

    def person_input(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(
            **{name: data.get(name) if data.get(name) is not None else ""
               for name in self.PERSON_FIELDS
               if name not in {"date_of_birth", "registered_practice", "interpreter_needed"}},
            date_of_birth=data.get("date_of_birth"),
            registered_practice=data.get("registered_practice"),
            interpreter_needed=bool(data.get("interpreter_needed")),
        )

    def referral_input(self) -> ReferralInput:
        data = self.cleaned_data
        return ReferralInput(
            team=data["team"], source=data["source"], received_on=data["received_on"],
            presenting_needs=data["presenting_needs"], urgency=data["urgency"],
            referrer_name=data.get("referrer_name", ""),
            referrer_organisation=data.get("referrer_organisation"),
            reason=data.get("reason", ""),
        )


class ExistingPersonReferralForm(ReferralIntakeForm):
    """The intake form when the person is already chosen: only the referral's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.PERSON_FIELDS:
            del self.fields[name]


DECISIONS = [
    ("accept", "Accept"),
    ("redirect", "Redirect with a warm handover"),
    ("reject", "Reject"),
    ("mdt", "Discuss at the next MDT meeting"),
]


class TriageForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=DECISIONS,
                                 error_messages={"required": "Choose a decision."})
    team = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False)
    urgency = forms.ChoiceField(choices=Urgency.choices, required=False)
    destination = forms.ChoiceField(choices=_blank(RedirectDestination.choices), required=False)
    redirect_note = text("Note", limits.NOTE, multiline=True)
    rejection_reason = forms.ChoiceField(choices=_blank(RejectionReason.choices),
                                         required=False)
    rejection_note = text("Note", limits.NOTE, multiline=True)
    mdt_note = text("Note", limits.NOTE, multiline=True)
    accept_note = text("Note", limits.NOTE, multiline=True)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.acceptance_teams(user)

    #: Each decision's own fields: the page has one small form per decision.
    FIELDS = {
        "accept": {"team", "urgency", "accept_note"},
        "redirect": {"destination", "redirect_note"},
        "reject": {"rejection_reason", "rejection_note"},
        "mdt": {"mdt_note"},
    }

    #: service field name -> form field name, per decision
    ALIASES = {
        "accept": {"note": "accept_note"},
        "redirect": {"note": "redirect_note"},
        "reject": {"reason": "rejection_reason", "note": "rejection_note"},
        "mdt": {"note": "mdt_note"},
    }


class AllocationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    worker = forms.ChoiceField(choices=[], error_messages={"required": "Choose the named worker."})
    joint_workers = forms.MultipleChoiceField(choices=[], required=False)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(m.pk), str(m.user)) for m in candidates]
        self.fields["worker"].choices = choices
        self.fields["joint_workers"].choices = choices
        self.candidates = {str(m.pk): m for m in candidates}

    def chosen(self):
        worker = self.candidates.get(self.cleaned_data["worker"])
        joint = [self.candidates[pk] for pk in self.cleaned_data.get("joint_workers", [])]
        return worker, joint


class MergeForm(forms.Form):
    other = forms.ChoiceField(choices=[], label="Record to merge into this one",
                              error_messages={"required": "Choose the duplicate record."})
    reason = text("Reason", limits.LINE, multiline=True, required=True,
                  error_messages={"required": "Say why these records are the same person."})

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].choices = [(str(p.pk), str(p)) for p in candidates]
        self.candidates = {str(p.pk): p for p in candidates}
