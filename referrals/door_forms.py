"""Forms for the GP practice's referral and the public self-referral (referrals/doors.py)."""

from __future__ import annotations

from django import forms

from config import limits
from config.forms import UKDateField, text
from pcns.models import Organisation
from referrals import doors
from referrals.codes import (
    ContactMethod,
    EthnicCategory,
    Gender,
    NhsNumberMissingReason,
    PresentingNeed,
    Sex,
)
from referrals.forms import ReferralIntakeForm, _not_in_future
from referrals.services import PersonInput
from referrals.validators import normalise_postcode

CONSENT_REQUIRED = ("Confirm the patient agrees to the referral and to their details being "
                    "shared with the mental health team.")


class GpReferralForm(ReferralIntakeForm):
    """The staff intake form without what the practice does not choose: the source (GP), the
    referrer (the practice), the date received (today) and the registered practice (theirs)."""

    consent_to_share = forms.BooleanField(error_messages={"required": CONSENT_REQUIRED})
    reason = text("Reason for referral", limits.REASON, multiline=True, required=True,
                  error_messages={"required": "Enter the reason for referral."})

    LEFT_OUT = ["person_choice", "source", "referrer_name", "referrer_organisation",
                "received_on", "registered_practice"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        for name in self.LEFT_OUT:
            del self.fields[name]
        self.fields["team"].queryset = doors.practice_referral_teams(user)
        self.fields["team"].error_messages["invalid_choice"] = (
            "Choose a mental health team of your practice's PCN.")

    def person_input(self) -> PersonInput:
        person = super().person_input()
        person.registered_practice = self.user.membership.employer
        return person

    def gp_input(self) -> doors.GpReferralInput:
        data = self.cleaned_data
        return doors.GpReferralInput(
            team=data["team"], presenting_needs=data["presenting_needs"],
            urgency=data["urgency"], reason=data["reason"],
            consent_to_share=data["consent_to_share"],
        )


#: What a person may say about their sex on the public form.
PUBLIC_SEX = [(Sex.FEMALE, "Female"), (Sex.MALE, "Male"),
              (Sex.NOT_KNOWN, "I would rather not say")]
PUBLIC_CONTACT = [(ContactMethod.TELEPHONE, "Phone call"), (ContactMethod.TEXT, "Text message"),
                  (ContactMethod.EMAIL, "Email"), (ContactMethod.LETTER, "Letter")]
#: The presenting needs a person can name themselves (the clinical ones are for the team).
PUBLIC_NEEDS = [
    (PresentingNeed.LOW_MOOD, "Low mood or depression"),
    (PresentingNeed.ANXIETY, "Anxiety or worry"),
    (PresentingNeed.TRAUMA, "Something traumatic that happened to me"),
    (PresentingNeed.EATING, "Eating difficulties"),
    (PresentingNeed.SELF_HARM, "Hurting myself (self-harm)"),
    (PresentingNeed.SUICIDAL_THOUGHTS, "Thoughts of ending my life"),
    (PresentingNeed.SUBSTANCE_USE, "Alcohol or drugs"),
    (PresentingNeed.BEREAVEMENT, "Bereavement"),
    (PresentingNeed.ISOLATION, "Loneliness"),
    (PresentingNeed.HOUSING, "Housing"),
    (PresentingNeed.MONEY, "Money, debt or benefits"),
    (PresentingNeed.EMPLOYMENT, "Work"),
    (PresentingNeed.CARER_STRESS, "Caring for someone"),
    (PresentingNeed.OTHER, "Something else"),
]


class PracticeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class SelfReferralForm(forms.Form):
    """The public form: plain words, only what a person can tell us about themselves."""

    given_name = text("First name", limits.NAME, required=True,
                      error_messages={"required": "Enter your first name."})
    family_name = text("Last name", limits.NAME, required=True,
                       error_messages={"required": "Enter your last name."})
    date_of_birth = UKDateField(label_text="date of birth",
                                error_messages={"required": "Enter your date of birth."})
    sex = forms.ChoiceField(choices=PUBLIC_SEX, error_messages={
        "required": "Choose your sex, or that you would rather not say."})
    practice = PracticeChoiceField(queryset=Organisation.objects.none(), error_messages={
        "required": "Choose your GP practice.",
        "invalid_choice": "Choose your GP practice from the list."})
    postcode = text("Postcode", 10)
    phone = text("Phone number", 20)
    email = forms.EmailField(required=False, max_length=254, error_messages={
        "invalid": "Enter an email address in the correct format, like name@example.com."})
    address = text("Address", limits.LINE, multiline=True)
    preferred_contact_method = forms.ChoiceField(choices=PUBLIC_CONTACT, error_messages={
        "required": "Choose how you would like us to contact you."})
    interpreter_needed = forms.BooleanField(required=False)
    language = text("Language", 60)
    presenting_needs = forms.MultipleChoiceField(choices=PUBLIC_NEEDS, error_messages={
        "required": "Choose at least one thing you would like help with."})
    reason = text("What is happening", limits.REASON, multiline=True, required=True,
                  error_messages={"required": "Tell us what is happening and how it is "
                                              "affecting you."})
    consent_to_share = forms.BooleanField(error_messages={
        "required": "Confirm that you agree to us using your details to look at your "
                    "referral."})

    def __init__(self, *args, tenant_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = doors.self_referral_practices(tenant_id)

    def clean_date_of_birth(self):
        return _not_in_future(self.cleaned_data["date_of_birth"], "Your date of birth")

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"]
        return normalise_postcode(value) if value.strip() else ""

    def clean(self):
        data = super().clean()
        method = data.get("preferred_contact_method")
        if method in {ContactMethod.TELEPHONE, ContactMethod.TEXT} and not data.get("phone"):
            self.add_error("phone", "Enter a phone number so we can contact you by phone.")
        if method == ContactMethod.EMAIL and not data.get("email") and "email" not in (
            self.errors
        ):
            self.add_error("email", "Enter an email address so we can contact you by email.")
        if method == ContactMethod.LETTER and not data.get("address"):
            self.add_error("address", "Enter your address so we can write to you.")
        if data.get("interpreter_needed") and not data.get("language"):
            self.add_error("language", "Enter the language you would like an interpreter for.")
        return data

    def self_referral_input(self) -> doors.SelfReferralInput:
        data = self.cleaned_data
        return doors.SelfReferralInput(
            practice=data["practice"],
            person=PersonInput(
                given_name=data["given_name"], family_name=data["family_name"],
                date_of_birth=data["date_of_birth"], sex=data["sex"],
                nhs_number="", nhs_number_missing_reason=NhsNumberMissingReason.NOT_YET_TRACED,
                gender=Gender.NOT_STATED, ethnicity=EthnicCategory.NOT_STATED,
                postcode=data["postcode"], registered_practice=data["practice"],
                interpreter_needed=bool(data.get("interpreter_needed")),
                language=data.get("language", ""), phone=data.get("phone", ""),
                email=data.get("email", ""), address=data.get("address", ""),
                preferred_contact_method=data["preferred_contact_method"],
            ),
            presenting_needs=data["presenting_needs"],
            reason=data["reason"],
            consent_to_share=data["consent_to_share"],
        )



class IdentityCheckForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = text("How you checked", limits.NOTE, multiline=True, required=True,
                error_messages={"required": "Say how you checked who the person is."})
