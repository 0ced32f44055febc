"""Input and output serializers for the referrals API: one per endpoint, none ``__all__``.

Input serializers check only the shape of a request (types, dates, ids that resolve in the
caller's tenant). Every rule about the values (codes, dates, NHS numbers, duplicates, paused
intake) belongs to referrals.services, which reports all of a request's errors together.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config import limits
from config.api.fields import text as api_text
from config.limits import has_control_characters
from pcns.models import Membership, Organisation, Team
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
from referrals.models import Person, PersonMerge, Referral, ReferralEvent
from referrals.validators import format_nhs_number

#: What a caller may do next with a referral, as the API's own verbs.
ACTIONS = ["accept", "redirect", "reject", "mdt", "allocate", "reallocate"]

# --------------------------------------------------------------------------- fields


class CodeField(serializers.ChoiceField):
    """A code from a list. The schema lists the codes; the service checks them, so an unknown
    code comes back in the service's words alongside the request's other errors."""

    default_error_messages = {"invalid": "Enter a code as text.",
                              "not_a_code": "This is not one of the codes."}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        text = str(data)
        # No code is long or holds a control character: refused here, whatever else is wrong.
        if len(text) > limits.NAME or has_control_characters(text, multiline=False):
            self.fail("not_a_code")
        return text


class InTenant(serializers.PrimaryKeyRelatedField):
    """A UUID naming a row of ``model`` in the caller's tenant (``request.membership``)."""

    default_error_messages = {"does_not_exist": "There is no such record in this place."}

    def __init__(self, model, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField())
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        membership = self.context["request"].membership
        return self.queryset.model.objects.filter(tenant_id=membership.tenant_id)


class VisiblePerson(serializers.PrimaryKeyRelatedField):
    """A UUID naming a person the caller may see (``selectors.person_list_for_user``)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Person.objects.none(), pk_field=serializers.UUIDField(),
                         **kwargs)

    def get_queryset(self):
        return selectors.person_list_for_user(self.context["request"].user)


class _Named(serializers.Serializer):
    """A team or organisation shown as its id and name."""

    id = serializers.UUIDField()
    name = serializers.CharField()


class _NamedMembership(serializers.Serializer):
    """A member of staff: their membership id (what allocation takes) and name."""

    id = serializers.UUIDField()
    name = serializers.CharField(source="user")


class _NamedPerson(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="full_name")


class _PersonSummary(serializers.Serializer):
    id = serializers.UUIDField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    nhs_number = serializers.CharField()
    date_of_birth = serializers.DateField()


# --------------------------------------------------------------------------- people


class _PersonFields(serializers.Serializer):
    """The fields of services.PersonInput, for the inputs that carry a person's details."""

    given_name = api_text("First name", limits.NAME, allow_blank=True)
    family_name = api_text("Last name", limits.NAME, allow_blank=True)
    date_of_birth = serializers.DateField()
    sex = CodeField(choices=Sex.choices)
    nhs_number = api_text("NHS number", 20,
        required=False, allow_blank=True,
        help_text="10 digits; spaces and hyphens are ignored. Give it, or the reason it is "
        "not known.",
    )
    nhs_number_missing_reason = CodeField(
        choices=NhsNumberMissingReason.choices, required=False, allow_blank=True
    )
    gender = CodeField(choices=Gender.choices, required=False)
    ethnicity = CodeField(choices=EthnicCategory.choices, required=False)
    postcode = api_text("Postcode", 10, required=False, allow_blank=True)
    registered_practice = InTenant(Organisation, required=False, allow_null=True)
    interpreter_needed = serializers.BooleanField(required=False)
    language = api_text("Language", 60, required=False, allow_blank=True)
    phone = api_text("Phone number", 20, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = api_text("Address", limits.LINE, multiline=True, required=False, allow_blank=True)
    preferred_contact_method = CodeField(choices=ContactMethod.choices, required=False)


class DuplicateSearchInput(serializers.Serializer):
    """Query parameters of the duplicate search."""

    nhs_number = api_text("NHS number", 20, required=False, allow_blank=True)
    given_name = api_text("First name", limits.NAME, required=False, allow_blank=True)
    family_name = api_text("Last name", limits.NAME, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False)

    def validate_nhs_number(self, value: str) -> str:
        return "".join(ch for ch in value if ch not in " -")


class PersonCreateInput(_PersonFields):
    pass


class PersonUpdateInput(_PersonFields):
    version = serializers.IntegerField(
        help_text="The version you read; a stale one is answered 409."
    )


class PersonListOutput(serializers.ModelSerializer):
    registered_practice_name = serializers.CharField(
        source="registered_practice.name", allow_null=True
    )

    class Meta:
        model = Person
        fields = ["id", "given_name", "family_name", "date_of_birth", "nhs_number",
                  "registered_practice", "registered_practice_name"]


class PersonDuplicateOutput(serializers.ModelSerializer):
    """Identity only: enough to recognise the person, nothing about their care."""

    registered_practice_name = serializers.CharField(
        source="registered_practice.name", allow_null=True
    )

    class Meta:
        model = Person
        fields = ["id", "given_name", "family_name", "date_of_birth", "nhs_number",
                  "registered_practice_name"]


class PersonDetailOutput(serializers.ModelSerializer):
    """A person's record: the answer to reading, creating and changing it."""

    registered_practice_name = serializers.CharField(
        source="registered_practice.name", allow_null=True
    )
    nhs_number_formatted = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "version", "nhs_number", "nhs_number_formatted",
                  "nhs_number_missing_reason", "given_name", "family_name", "date_of_birth",
                  "sex", "gender", "ethnicity", "postcode", "lsoa_code", "imd_decile",
                  "registered_practice", "registered_practice_name", "interpreter_needed",
                  "language", "phone", "email", "address", "preferred_contact_method",
                  "created_at", "updated_at"]

    def get_nhs_number_formatted(self, person: Person) -> str:
        return format_nhs_number(person.nhs_number)


# --------------------------------------------------------------------------- referrals


class ReferralNewPersonInput(_PersonFields):
    pass


class ReferralCreateInput(serializers.Serializer):
    person = InTenant(
        Person, required=False, allow_null=True,
        help_text="An existing person anywhere in the place, for instance one found by "
        "people/duplicates/ (intake has no wrong door). For a person you cannot see yet, "
        "also send `person_nhs_number`.",
    )
    person_nhs_number = api_text("NHS number", 20,
        required=False, allow_blank=True,
        help_text="The chosen person's NHS number: required when they are known only to "
        "another team, so an id alone never opens someone's record.",
    )
    new_person = ReferralNewPersonInput(
        required=False, allow_null=True, help_text="A new person's details, when `person` "
        "is not given. Its errors are answered under the field names, like `nhs_number`.",
    )
    team = InTenant(Team, help_text="The receiving team: one of your own.")
    source = CodeField(choices=Source.choices)
    received_on = serializers.DateField(help_text="The clock start: the date it arrived.")
    presenting_needs = serializers.ListField(child=CodeField(choices=PresentingNeed.choices),
                                             allow_empty=True)
    urgency = CodeField(choices=Urgency.choices, required=False)
    referrer_name = api_text("Referrer's name", 200, required=False, allow_blank=True)
    referrer_organisation = InTenant(Organisation, required=False, allow_null=True)
    reason = api_text("Reason for referral", limits.REASON, multiline=True,
        required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        has_person = attrs.get("person") is not None
        has_new = attrs.get("new_person") is not None
        if has_person == has_new:
            raise serializers.ValidationError(
                {"person": ["Give either `person` (an existing record) or `new_person`."]}
            )
        person = attrs.get("person")
        typed = "".join(attrs.pop("person_nhs_number", "").split()).replace("-", "")
        user = self.context["request"].user
        if person is not None and not selectors.person_list_for_user(user).filter(
            pk=person.pk
        ).exists() and (not person.nhs_number or typed != person.nhs_number):
            raise serializers.ValidationError(
                {"person_nhs_number": ["This person is known to another team: give their "
                                       "NHS number to confirm who you are referring."]}
            )
        return attrs


class ReferralListOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    person = serializers.SerializerMethodField()
    team = _Named()
    worker = _NamedMembership(allow_null=True)

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "received_on", "urgency",
                  "source", "team", "person", "worker"]

    @extend_schema_field(_PersonSummary)
    def get_person(self, referral: Referral) -> dict:
        return _PersonSummary(referral.person).data


class ReferralCreateOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "person", "team", "received_on",
                  "previous_referral"]


class ReferralDetailOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    team = _Named()
    person = _PersonSummary()
    referrer_organisation = _Named(allow_null=True)
    worker = _NamedMembership(allow_null=True)
    joint_workers = serializers.SerializerMethodField()
    triaged_by = serializers.CharField(allow_null=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "team", "urgency", "source",
                  "received_on", "entered_at", "presenting_needs", "reason", "referrer_name",
                  "referrer_organisation", "person", "worker", "joint_workers",
                  "allocated_on", "triaged_on", "triaged_by", "redirect_destination",
                  "rejection_reason", "decision_note", "mdt_note", "discharged_on",
                  "discharge_reason", "previous_referral", "allowed_actions"]

    @extend_schema_field(_NamedMembership(many=True))
    def get_joint_workers(self, referral: Referral) -> list[dict]:
        return _NamedMembership(selectors.joint_workers(referral), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_allowed_actions(self, referral: Referral) -> list[str]:
        return self.context["allowed_actions"]


class TriageInput(serializers.Serializer):
    DECISIONS = ["accept", "redirect", "reject", "mdt"]
    #: The fields each decision may carry besides version and note.
    ONLY_FOR = {"team": "accept", "urgency": "accept", "destination": "redirect",
                "reason": "reject"}

    decision = serializers.ChoiceField(choices=DECISIONS)
    version = serializers.IntegerField(help_text="The version you read; a stale one is 409.")
    team = InTenant(Team, required=False, allow_null=True,
                    help_text="accept: the team to accept into (default: the receiving team).")
    urgency = CodeField(choices=Urgency.choices, required=False,
                        help_text="accept: the urgency (default: as received).")
    destination = CodeField(choices=RedirectDestination.choices, required=False,
                            allow_blank=True, help_text="redirect: where to.")
    reason = CodeField(choices=RejectionReason.choices, required=False, allow_blank=True,
                       help_text="reject: why.")
    note = api_text("Note", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="")
    decided_on = serializers.DateField(required=False, allow_null=True,
                                       help_text="Default today; not for mdt.")

    def validate(self, attrs: dict) -> dict:
        decision = attrs["decision"]
        errors = {
            name: [f"Only used to {only}."]
            for name, only in self.ONLY_FOR.items()
            if attrs.get(name) not in (None, "") and decision != only
        }
        if decision == "mdt" and attrs.get("decided_on"):
            errors["decided_on"] = ["An MDT flag takes effect today."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TriageOutput(serializers.ModelSerializer):
    """The referral's state after the decision (no person details)."""

    status_label = serializers.CharField(source="get_status_display")
    team = _Named()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "team", "urgency", "triaged_on",
                  "redirect_destination", "rejection_reason", "decision_note", "mdt_note",
                  "allowed_actions"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_allowed_actions(self, referral: Referral) -> list[str]:
        return self.context["allowed_actions"]


class AllocationInput(serializers.Serializer):
    worker = InTenant(Membership, help_text="The named worker's staff (membership) id.")
    joint_workers = serializers.ListField(
        child=InTenant(Membership), required=False, default=list,
        help_text="Staff (membership) ids; replaces the current joint workers.",
    )
    version = serializers.IntegerField(help_text="The version you read; a stale one is 409.")
    allocated_on = serializers.DateField(required=False, allow_null=True)


class AllocationOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    worker = _NamedMembership()
    joint_workers = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "worker", "joint_workers",
                  "allocated_on"]

    @extend_schema_field(_NamedMembership(many=True))
    def get_joint_workers(self, referral: Referral) -> list[dict]:
        return _NamedMembership(selectors.joint_workers(referral), many=True).data


class AllocationCandidateOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="user")
    role_label = serializers.CharField(source="get_role_display")
    named_count = serializers.IntegerField(help_text="Referrals they hold as named worker.")
    joint_count = serializers.IntegerField(help_text="Referrals they hold as joint worker.")

    class Meta:
        model = Membership
        fields = ["id", "name", "role", "role_label", "wte", "named_count", "joint_count"]


class ReferralEventOutput(serializers.ModelSerializer):
    label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = ReferralEvent
        fields = ["id", "kind", "label", "at", "effective_on", "actor_label", "from_status",
                  "to_status", "reason", "details"]


class TriageQueueOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    person = serializers.SerializerMethodField()
    team = _Named()
    pcn = serializers.CharField(source="team.host.name")
    days_waiting = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "urgency", "source",
                  "received_on", "days_waiting", "team", "pcn", "person"]

    @extend_schema_field(_PersonSummary)
    def get_person(self, referral: Referral) -> dict:
        return _PersonSummary(referral.person).data

    def get_days_waiting(self, referral: Referral) -> int:
        return selectors.days_waiting(referral)


class PracticeReferralOutput(serializers.ModelSerializer):
    """What a practice may know of a referral it made: that it arrived and where it stands."""

    person_name = serializers.CharField(source="person.full_name")
    nhs_number = serializers.CharField(source="person.nhs_number")
    team_name = serializers.CharField(source="team.name")
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Referral
        fields = ["id", "person_name", "nhs_number", "received_on", "team_name", "status",
                  "status_label"]


# --------------------------------------------------------------------------- merges


class PersonMergeCreateInput(serializers.Serializer):
    kept = VisiblePerson(help_text="The record to keep.")
    merged = VisiblePerson(help_text="The duplicate, merged into `kept`.")
    reason = api_text("Reason", limits.LINE, multiline=True, allow_blank=True)


class PersonMergeOutput(serializers.ModelSerializer):
    kept = _NamedPerson()
    merged = _NamedPerson()
    merged_by = serializers.CharField()
    undone_by = serializers.CharField(allow_null=True)

    class Meta:
        model = PersonMerge
        fields = ["id", "kept", "merged", "reason", "moved_referrals", "merged_at", "merged_by",
                  "undone_at", "undone_by"]
