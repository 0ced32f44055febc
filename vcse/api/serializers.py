"""Input and output serializers for the VCSE API: one per endpoint, none ``__all__``.

Input serializers check only the shape of a request (types, dates, ids that resolve among the
records the caller may see). Every rule about the values (codes, dates against the referral,
consent, what may follow what) belongs to vcse.services, which reports all of a request's
errors together.

The two sides of an onward referral have their own outputs. The referring side's names the
referral it came from. The partner's side is built from the onward referral's own columns and
its ``shared`` snapshot only: nothing in it reads ``onward.referral`` or ``onward.person``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from caseload.api.serializers import VisibleReferral
from config import limits
from config.api.fields import text as api_text
from pcns.models import Organisation, OrganisationKind
from referrals.api.serializers import CodeField, InTenant, _Named
from vcse import selectors
from vcse.codes import (
    ClosureOutcome,
    ConsentGiver,
    DeclineReason,
    SupportCategory,
    VcseAttendance,
    VcseContactMode,
)
from vcse.models import Consent, OnwardReferral, Service, VcseContact

# --------------------------------------------------------------------------- fields


class VcseOrganisation(serializers.PrimaryKeyRelatedField):
    """A UUID naming a VCSE organisation in the caller's place."""

    default_error_messages = {"does_not_exist": "There is no such VCSE organisation in this "
                                                "place."}

    def __init__(self, **kwargs):
        super().__init__(queryset=Organisation.objects.none(), pk_field=serializers.UUIDField(),
                         **kwargs)

    def get_queryset(self):
        membership = self.context["request"].membership
        return Organisation.objects.filter(tenant_id=membership.tenant_id,
                                           kind=OrganisationKind.VCSE)


class DirectoryService(serializers.PrimaryKeyRelatedField):
    """A UUID naming a service in the caller's directory (``selectors.services_for_user``)."""

    default_error_messages = {"does_not_exist": "There is no such service in this place."}

    def __init__(self, **kwargs):
        super().__init__(queryset=Service.objects.none(), pk_field=serializers.UUIDField(),
                         **kwargs)

    def get_queryset(self):
        return selectors.services_for_user(self.context["request"].user)


def _codes(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=CodeField(choices=SupportCategory.choices), **kwargs)


def _labels(codes: list[str]) -> list[str]:
    return [SupportCategory(code).label for code in codes if code in SupportCategory.values]


_LABELS = serializers.ListField(child=serializers.CharField())
_VERSION_HELP = "The version you read; a stale one is answered 409."
_ON_HELP = "Default today; not in the future."

# --------------------------------------------------------------------------- the directory


class _ServiceFields(serializers.Serializer):
    """The fields of services.ServiceInput."""

    name = api_text("Name", 200, allow_blank=True)
    categories = _codes(allow_empty=True, help_text="The kinds of support it offers.")
    description = api_text("Description", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="")
    eligibility = api_text("Eligibility", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="",
        help_text="Who the service is for.")
    areas = InTenant(Organisation, many=True, required=False, default=list,
                     help_text="The PCNs it covers; none means the whole place.")
    area_note = api_text("Area note", 200, required=False, allow_blank=True,
                                      default="")
    is_open = serializers.BooleanField(required=False, default=True,
                                       help_text="Open to referrals.")
    capacity_note = api_text("Capacity note", limits.LINE, required=False, allow_blank=True,
                                          default="")
    is_published = serializers.BooleanField(required=False, default=True,
                                            help_text="Shown in the open directory feed.")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = api_text("Phone number", 20, required=False, allow_blank=True, default="")
    website = serializers.URLField(required=False, allow_blank=True, default="")
    address = api_text("Address", limits.LINE, multiline=True, required=False, allow_blank=True,
                                    default="")


class ServiceCreateInput(_ServiceFields):
    organisation = VcseOrganisation(help_text="The VCSE organisation offering the service.")


class ServiceUpdateInput(_ServiceFields):
    """Fields left out keep their current values."""

    version = serializers.IntegerField(help_text=_VERSION_HELP)


class ServiceListOutput(serializers.ModelSerializer):
    organisation = _Named()
    category_labels = serializers.SerializerMethodField()
    areas = _Named(many=True)

    class Meta:
        model = Service
        fields = ["id", "version", "name", "organisation", "categories", "category_labels",
                  "areas", "area_note", "is_open", "capacity_note", "email", "phone",
                  "website"]

    @extend_schema_field(_LABELS)
    def get_category_labels(self, service: Service) -> list[str]:
        return _labels(service.categories)


class ServiceOutput(serializers.ModelSerializer):
    """A directory entry: the answer to reading, listing and changing it."""

    organisation = _Named()
    category_labels = serializers.SerializerMethodField()
    areas = _Named(many=True)

    class Meta:
        model = Service
        fields = ["id", "version", "name", "organisation", "description", "categories",
                  "category_labels", "eligibility", "areas", "area_note", "is_open",
                  "capacity_note", "is_published", "email", "phone", "website", "address",
                  "updated_at"]

    @extend_schema_field(_LABELS)
    def get_category_labels(self, service: Service) -> list[str]:
        return _labels(service.categories)


# --------------------------------------------------------------------------- the snapshot


class SharedOutput(serializers.Serializer):
    """The minimal data set shared with the partner, as it was when sent."""

    given_name = serializers.CharField()
    family_name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    postcode = serializers.CharField(allow_blank=True)
    preferred_contact_method = serializers.CharField(allow_blank=True)
    needs = serializers.ListField(child=serializers.CharField())
    risk = serializers.CharField(allow_blank=True,
                                 help_text="Only where the person agreed to share it.")


# --------------------------------------------------------------------------- referring side


class OnwardReferralCreateInput(serializers.Serializer):
    referral = VisibleReferral(help_text="The person's referral this onward referral is from.")
    service = DirectoryService(allow_null=True, help_text="Open to referrals.")
    reason = api_text("Reason for the onward referral", limits.REASON, multiline=True,
        allow_blank=True,
        help_text="Why, and what the person hopes for.")
    needs = _codes(allow_empty=True)
    consent_given_by = CodeField(choices=ConsentGiver.choices, allow_blank=True)
    consent_given_by_name = api_text("Name of who gave consent", 200,
        required=False, allow_blank=True, default="",
        help_text="Required when someone consented for the person.",
    )
    consent_given_on = serializers.DateField(allow_null=True)
    consent_purpose = api_text("What consent is for", limits.LINE, allow_blank=True,
                                            help_text="What the details may be used for.")
    consent_expires_on = serializers.DateField(allow_null=True,
                                               help_text="At most 2 years after it was given.")
    share_risk = serializers.BooleanField(required=False, default=False,
                                          help_text="The person agreed to share risk "
                                          "information.")
    risk_information = api_text("Risk information", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="",
        help_text="Only with `share_risk`.")
    sent_on = serializers.DateField(required=False, allow_null=True, default=None,
                                    help_text=_ON_HELP)


class ConsentWithdrawInput(serializers.Serializer):
    version = serializers.IntegerField(help_text=_VERSION_HELP)
    on = serializers.DateField(required=False, allow_null=True, default=None,
                               help_text="When consent was withdrawn. " + _ON_HELP)
    note = api_text("Note", 1_000, multiline=True, required=False, allow_blank=True, default="")


class _SentOutput(serializers.Serializer):
    on = serializers.DateField(source="sent_on")
    at = serializers.DateTimeField(source="sent_at")
    by = serializers.CharField(source="sent_by")


class _ConsentOutput(serializers.ModelSerializer):
    organisation = serializers.UUIDField(source="organisation_id")
    given_by_label = serializers.CharField(source="get_given_by_display")
    recorded_by = serializers.CharField()
    is_withdrawn = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = ["organisation", "given_by", "given_by_label", "given_by_name", "given_on",
                  "purpose", "expires_on", "includes_risk", "recorded_by", "recorded_at",
                  "is_withdrawn", "withdrawn_on", "withdrawal_note"]

    def get_is_withdrawn(self, consent: Consent) -> bool:
        return consent.withdrawn_on is not None


class _AnswerOutput(serializers.ModelSerializer):
    """The partner's accept or decline."""

    decline_reason_label = serializers.CharField(source="get_decline_reason_display")

    class Meta:
        model = OnwardReferral
        fields = ["responded_on", "decline_reason", "decline_reason_label", "decline_note"]


class OnwardReferralListOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    service = _Named()
    organisation = _Named()
    contacts_count = serializers.IntegerField(source="contact_count")
    outcome_label = serializers.CharField(source="get_outcome_display")
    consent_expires_on = serializers.DateField(source="consent.expires_on")
    consent_withdrawn_on = serializers.DateField(source="consent.withdrawn_on", allow_null=True)

    class Meta:
        model = OnwardReferral
        fields = ["id", "version", "referral", "status", "status_label", "service",
                  "organisation", "sent_on", "contacts_count", "outcome", "outcome_label",
                  "closed_on", "consent_expires_on", "consent_withdrawn_on",
                  "flagged_unanswered_at"]


class OnwardReferralOutput(serializers.ModelSerializer):
    """An onward referral as the referring team sees it: the answer to reading and sending it
    and to withdrawing consent."""

    status_label = serializers.CharField(source="get_status_display")
    service = _Named()
    organisation = _Named()
    sent = _SentOutput(source="*")
    needs_labels = serializers.SerializerMethodField()
    consent = _ConsentOutput()
    snapshot = SharedOutput(source="shared")
    answer = _AnswerOutput(source="*")
    contacts_count = serializers.IntegerField(source="contact_count")
    outcome_label = serializers.CharField(source="get_outcome_display")

    class Meta:
        model = OnwardReferral
        fields = ["id", "version", "referral", "status", "status_label", "service",
                  "organisation", "sent", "reason", "needs", "needs_labels", "consent",
                  "snapshot", "answer", "contacts_count", "outcome", "outcome_label",
                  "outcome_note", "closed_on", "flagged_unanswered_at"]

    @extend_schema_field(_LABELS)
    def get_needs_labels(self, onward: OnwardReferral) -> list[str]:
        return _labels(onward.needs)


# --------------------------------------------------------------------------- partner's side


class InboxAcceptInput(serializers.Serializer):
    version = serializers.IntegerField(help_text=_VERSION_HELP)
    on = serializers.DateField(required=False, allow_null=True, default=None,
                               help_text=_ON_HELP)


class InboxDeclineInput(serializers.Serializer):
    version = serializers.IntegerField(help_text=_VERSION_HELP)
    reason = CodeField(choices=DeclineReason.choices, allow_blank=True)
    note = api_text("Note", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="",
        help_text="Required when the reason is `other`.")
    on = serializers.DateField(required=False, allow_null=True, default=None,
                               help_text=_ON_HELP)


class InboxCloseInput(serializers.Serializer):
    version = serializers.IntegerField(help_text=_VERSION_HELP)
    outcome = CodeField(choices=ClosureOutcome.choices, allow_blank=True)
    note = api_text("Note for the referrer", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="",
        help_text="A short note for the referrer; required when the "
        "outcome is `other`.")
    on = serializers.DateField(required=False, allow_null=True, default=None,
                               help_text="Default today; not before the last contact.")


class VcseContactLogInput(serializers.Serializer):
    on = serializers.DateField(allow_null=True, help_text="When it happened.")
    mode = CodeField(choices=VcseContactMode.choices)
    attendance = CodeField(choices=VcseAttendance.choices)
    support_types = _codes(required=False, default=list, allow_empty=True,
                           help_text="The support given, one or more; only for a contact "
                           "that was attended.")
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = api_text("Note", 500, multiline=True, required=False, allow_blank=True, default="")


class VcseContactOutput(serializers.ModelSerializer):
    staff = serializers.CharField(source="staff.user", help_text="Who had the contact.")
    mode_label = serializers.CharField(source="get_mode_display")
    attendance_label = serializers.CharField(source="get_attendance_display")
    support_type_labels = serializers.SerializerMethodField()

    class Meta:
        model = VcseContact
        fields = ["id", "on", "mode", "mode_label", "attendance", "attendance_label",
                  "duration_minutes", "support_types", "support_type_labels", "note", "staff",
                  "recorded_at"]

    @extend_schema_field(_LABELS)
    def get_support_type_labels(self, contact: VcseContact) -> list[str]:
        return _labels(contact.support_types)


class InboxListOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    service = _Named()
    name = serializers.SerializerMethodField(help_text="From the shared details.")
    needs_labels = serializers.SerializerMethodField()
    contacts_count = serializers.IntegerField(source="contact_count")

    class Meta:
        model = OnwardReferral
        fields = ["id", "version", "status", "status_label", "service", "name", "sent_on",
                  "needs", "needs_labels", "contacts_count", "flagged_unanswered_at"]

    def get_name(self, onward: OnwardReferral) -> str:
        shared = onward.shared or {}
        return " ".join(filter(None, [shared.get("given_name"), shared.get("family_name")]))

    @extend_schema_field(_LABELS)
    def get_needs_labels(self, onward: OnwardReferral) -> list[str]:
        return _labels(onward.needs)


class _InboxConsentOutput(serializers.ModelSerializer):
    """What the partner needs to know of the consent: what for, and until when."""

    class Meta:
        model = Consent
        fields = ["purpose", "expires_on"]


class _InboxOutcomeOutput(serializers.ModelSerializer):
    outcome_label = serializers.CharField(source="get_outcome_display")
    note = serializers.CharField(source="outcome_note")

    class Meta:
        model = OnwardReferral
        fields = ["closed_on", "outcome", "outcome_label", "note"]


class InboxOutput(serializers.ModelSerializer):
    """An onward referral as its partner sees it: the shared snapshot and the partner's own
    work on it, nothing else. The answer to reading it and to every inbox action."""

    status_label = serializers.CharField(source="get_status_display")
    service = _Named()
    needs_labels = serializers.SerializerMethodField()
    consent = _InboxConsentOutput()
    snapshot = SharedOutput(source="shared")
    answer = _AnswerOutput(source="*")
    outcome = _InboxOutcomeOutput(source="*")
    contacts = serializers.SerializerMethodField()

    class Meta:
        model = OnwardReferral
        fields = ["id", "version", "status", "status_label", "service", "reason", "needs",
                  "needs_labels", "sent_on", "consent", "snapshot", "answer", "outcome",
                  "contacts"]

    @extend_schema_field(_LABELS)
    def get_needs_labels(self, onward: OnwardReferral) -> list[str]:
        return _labels(onward.needs)

    @extend_schema_field(VcseContactOutput(many=True))
    def get_contacts(self, onward: OnwardReferral) -> list[dict]:
        return VcseContactOutput(selectors.contacts_of(onward), many=True).data
