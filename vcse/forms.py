"""Forms check the shape of what was typed; the services check the rules (vcse/services.py).

Most fields are optional here so that one post shows every rule the service finds at once
(a missing consent date and a representative with no name, say), not one form error at a time.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django import forms
from django.utils import timezone

from config import limits
from config.forms import UKDateField, text
from pcns.models import Organisation
from vcse.codes import ConsentGiver, SupportCategory
from vcse.models import Service
from vcse.services import OnwardReferralInput, ServiceInput

YES_NO = [("yes", "Yes"), ("no", "No")]

#: How long consent lasts unless the person agreed otherwise.
CONSENT_MONTHS = 6


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def _yes(value: str) -> bool:
    return value == "yes"


class DirectorySearchForm(forms.Form):
    """The directory's search, read from the query string (it holds no patient data)."""

    need = forms.ChoiceField(choices=[("", "Any need"), *SupportCategory.choices],
                             required=False)
    area = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False)
    open_only = forms.BooleanField(required=False)
    q = text("Search words", limits.NAME, strip=True)

    def __init__(self, *args, pcns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = pcns


class ServiceForm(forms.Form):
    """A directory entry. ``organisation`` is asked for only when listing a new service."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        error_messages={"required": "Choose the organisation that runs the service.",
                        "invalid_choice": "Choose one of the organisations listed."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    name = text("Name", 200)
    description = text("Description", limits.NOTE, multiline=True)
    categories = forms.MultipleChoiceField(choices=SupportCategory.choices, required=False)
    eligibility = text("Eligibility", limits.NOTE, multiline=True)
    areas = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(), required=False,
        error_messages={"invalid_choice": "Choose PCNs from the list.",
                        "invalid_pk_value": "Choose PCNs from the list."},
    )
    area_note = text("Area note", 200)
    is_open = forms.ChoiceField(choices=YES_NO, initial="yes",
                                error_messages={"required": "Say whether it is open to "
                                                            "referrals."})
    capacity_note = text("Capacity note", limits.LINE)
    is_published = forms.ChoiceField(choices=YES_NO, initial="yes",
                                     error_messages={"required": "Say whether to publish it in "
                                                                 "the open directory feed."})
    email = forms.EmailField(required=False, max_length=254,
                             error_messages={"invalid": "Enter an email address like "
                                                        "name@example.org."})
    phone = text("Phone number", 20)
    website = forms.URLField(required=False, max_length=200, assume_scheme="https",
                             error_messages={"invalid": "Enter a web address like "
                                                        "https://example.org."})
    address = text("Address", limits.LINE, multiline=True)

    def __init__(self, *args, organisations=None, pcns, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
            del self.fields["version"]
        self.fields["areas"].queryset = pcns

    @staticmethod
    def initial_for(service: Service) -> dict:
        return {
            "version": service.version, "name": service.name,
            "description": service.description, "categories": list(service.categories),
            "eligibility": service.eligibility,
            "areas": [str(area.pk) for area in service.areas.all()],
            "area_note": service.area_note, "is_open": "yes" if service.is_open else "no",
            "capacity_note": service.capacity_note,
            "is_published": "yes" if service.is_published else "no",
            "email": service.email, "phone": service.phone, "website": service.website,
            "address": service.address,
        }

    def service_input(self) -> ServiceInput:
        data = self.cleaned_data
        return ServiceInput(
            name=data["name"], categories=data["categories"], description=data["description"],
            eligibility=data["eligibility"], areas=list(data["areas"]),
            area_note=data["area_note"], is_open=_yes(data["is_open"]),
            capacity_note=data["capacity_note"], is_published=_yes(data["is_published"]),
            email=data["email"], phone=data["phone"], website=data["website"],
            address=data["address"],
        )


class OnwardReferralForm(forms.Form):
    """Refer the person on: the service, why, their needs, and their consent.

    ``service`` accepts any service of the place, so that a closed one is refused by the
    service layer with a message naming it, rather than as an unknown choice."""

    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False,
        error_messages={"invalid_choice": "Choose a service from the list."},
    )
    reason = text("Reason for the onward referral", limits.REASON, multiline=True)
    needs = forms.MultipleChoiceField(choices=SupportCategory.choices, required=False)
    consent_given_by = forms.ChoiceField(choices=ConsentGiver.choices, required=False)
    consent_given_by_name = text("Name of who gave consent", 200)
    consent_given_on = UKDateField(label_text="date consent was given", required=False)
    consent_purpose = text("What consent is for", limits.LINE)
    consent_expires_on = UKDateField(label_text="date consent lasts until", required=False)
    share_risk = forms.ChoiceField(
        choices=YES_NO, initial="no",
        error_messages={"required": "Say whether they agreed to share risk information."},
    )
    risk_information = text("Risk information", limits.NOTE, multiline=True)

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        today = timezone.localdate()
        self.fields["consent_given_on"].initial = today
        self.fields["consent_expires_on"].initial = months_after(today, CONSENT_MONTHS)

    #: The service says "Choose an option." for a missing code; the page names the question.
    CHOICE_MESSAGES = {"consent_given_by": "Choose who gave consent."}

    def onward_input(self) -> OnwardReferralInput:
        data = self.cleaned_data
        return OnwardReferralInput(
            service=data["service"], reason=data["reason"], needs=data["needs"],
            consent_given_by=data["consent_given_by"],
            consent_given_by_name=data["consent_given_by_name"],
            consent_given_on=data["consent_given_on"],
            consent_purpose=data["consent_purpose"],
            consent_expires_on=data["consent_expires_on"],
            share_risk=_yes(data["share_risk"]), risk_information=data["risk_information"],
        )


class ConsentWithdrawForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    on = UKDateField(label_text="date consent was withdrawn")
    note = text("Note", 1_000, multiline=True,
                error_messages={"max_length": "Keep the note to 1,000 characters."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
