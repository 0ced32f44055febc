"""Input and output serializers for the caseload API: one per endpoint, none ``__all__``.

Input serializers check only the shape of a request (types, dates, ids that resolve in the
caller's tenant or among the records they may see). Every rule about the values (codes, dates
against the referral, who may be named on a record, item scores) belongs to caseload.services,
which reports all of a request's errors together.

Outputs name the referral by its id only: the person's identity is read from the referrals API,
whose reads are audited as reads of the person.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from caseload import selectors
from caseload.codes import (
    TOOLS,
    AssessmentKind,
    Attendance,
    ContactMode,
    ContactPurpose,
    CoProducer,
    InterventionKind,
    OutcomeTool,
)
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from config import limits
from config.api.fields import text as api_text
from pcns.models import Membership, Organisation, Team
from referrals import selectors as referral_selectors
from referrals.api.serializers import CodeField, InTenant, _Named, _NamedMembership
from referrals.codes import DischargeReason
from referrals.models import Referral

# --------------------------------------------------------------------------- fields


class VisibleReferral(serializers.PrimaryKeyRelatedField):
    """A UUID naming a referral the caller may see (``referrals.selectors``)."""

    default_error_messages = {"does_not_exist": "There is no such record in this place."}

    def __init__(self, **kwargs):
        super().__init__(queryset=Referral.objects.none(), pk_field=serializers.UUIDField(),
                         **kwargs)

    def get_queryset(self):
        return referral_selectors.referral_list_for_user(self.context["request"].user)


class VisibleContact(serializers.PrimaryKeyRelatedField):
    """A UUID naming a contact the caller may see; the service checks it is on the referral."""

    default_error_messages = {"does_not_exist": "There is no such record in this place."}

    def __init__(self, **kwargs):
        super().__init__(queryset=Contact.objects.none(), pk_field=serializers.UUIDField(),
                         **kwargs)

    def get_queryset(self):
        return selectors.contacts_for_user(self.context["request"].user)


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class RawItems(serializers.ListField):
    """A questionnaire's answers in order, passed to the service as sent, so that its messages
    name each item that is missing or out of range."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.JSONField(allow_null=True), **kwargs)


@extend_schema_field({"type": "array", "items": {"type": "boolean"}})
class RawAnswers(serializers.ListField):
    """Yes or no per item, passed to the service as sent."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.JSONField(allow_null=True), **kwargs)


_VERSION_HELP = "The version you read; a stale one is answered 409."

# --------------------------------------------------------------------------- contacts


class ContactCreateInput(serializers.Serializer):
    referral = VisibleReferral(
        required=False, allow_null=True,
        help_text="The referral the contact was for. Leave it out for activity with no "
        "referral behind it (advice to a GP), and give `team` instead.",
    )
    team = InTenant(Team, required=False, allow_null=True,
                    help_text="Only for a contact with no referral: one of your own teams.")
    organisation = InTenant(Organisation, required=False, allow_null=True,
                            help_text="Only for a contact with no referral: who was advised.")
    on = serializers.DateField(help_text="When it happened, or is booked for.")
    at = serializers.TimeField(required=False, allow_null=True)
    duration_minutes = serializers.IntegerField(required=False, allow_null=True)
    mode = CodeField(choices=ContactMode.choices)
    attendance = CodeField(choices=Attendance.choices,
                           help_text="`booked` for an appointment yet to happen.")
    purpose = CodeField(choices=ContactPurpose.choices)
    direct = serializers.BooleanField(required=False, default=True,
                                      help_text="With the person (true) or about them.")
    staff = InTenant(Membership, required=False, allow_null=True,
                     help_text="Staff (membership) id of who had the contact; default you.")
    note = api_text("Note", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if attrs.get("referral") is not None:
            if attrs.get("team") is not None:
                raise serializers.ValidationError(
                    {"team": ["Only for a contact with no referral: the referral's team is "
                              "used."]}
                )
        elif attrs.get("team") is None:
            raise serializers.ValidationError(
                {"team": ["Choose the team this contact was for, or give the referral."]}
            )
        return attrs


class ContactOutcomeInput(serializers.Serializer):
    version = serializers.IntegerField(help_text=_VERSION_HELP)
    attendance = CodeField(choices=Attendance.choices, help_text="What happened.")
    on = serializers.DateField(required=False, allow_null=True,
                               help_text="Default: the booked date.")
    at = serializers.TimeField(required=False, allow_null=True,
                               help_text="Default: the booked time.")
    duration_minutes = serializers.IntegerField(required=False, allow_null=True)
    note = api_text("Note", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="",
        help_text="Added to the booking's note.")


class ContactListOutput(serializers.ModelSerializer):
    team = _Named()
    staff = _NamedMembership()
    mode_label = serializers.CharField(source="get_mode_display")
    attendance_label = serializers.CharField(source="get_attendance_display")

    class Meta:
        model = Contact
        fields = ["id", "version", "referral", "team", "staff", "staff_role", "on", "at",
                  "duration_minutes", "mode", "mode_label", "attendance", "attendance_label",
                  "direct", "purpose"]


class ContactOutput(serializers.ModelSerializer):
    """A contact: the answer to reading, recording and giving it an outcome."""

    team = _Named()
    staff = _NamedMembership()
    organisation = _Named(allow_null=True)
    mode_label = serializers.CharField(source="get_mode_display")
    attendance_label = serializers.CharField(source="get_attendance_display")
    purpose_label = serializers.CharField(source="get_purpose_display")
    recorded_by = serializers.CharField()

    class Meta:
        model = Contact
        fields = ["id", "version", "referral", "team", "staff", "staff_role", "on", "at",
                  "duration_minutes", "mode", "mode_label", "attendance", "attendance_label",
                  "direct", "purpose", "purpose_label", "organisation", "note", "recorded_at",
                  "recorded_by"]


# --------------------------------------------------------------------------- assessments


class AssessmentCreateInput(serializers.Serializer):
    referral = VisibleReferral()
    kind = CodeField(choices=AssessmentKind.choices)
    assessed_on = serializers.DateField()
    summary = api_text("Summary", limits.NOTE, multiline=True, allow_blank=True)
    risk_summary = api_text("Risk summary", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="",
        help_text="Required for initial, biopsychosocial and risk assessments.",
    )
    assessor = InTenant(Membership, required=False, allow_null=True,
                        help_text="Staff (membership) id of the assessor; default you.")
    contact = VisibleContact(required=False, allow_null=True,
                             help_text="The contact at which it was done, if any.")


class AssessmentListOutput(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    assessor = _NamedMembership()

    class Meta:
        model = Assessment
        fields = ["id", "referral", "kind", "kind_label", "assessed_on", "assessor", "contact"]


class AssessmentOutput(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    assessor = _NamedMembership()
    recorded_by = serializers.CharField()

    class Meta:
        model = Assessment
        fields = ["id", "referral", "kind", "kind_label", "assessed_on", "assessor", "contact",
                  "summary", "risk_summary", "recorded_at", "recorded_by"]


# --------------------------------------------------------------------------- care plans


class CarePlanSaveInput(serializers.Serializer):
    referral = VisibleReferral()
    version = serializers.IntegerField(
        allow_null=True, help_text="The number of the plan's latest version you read: null to "
        "start the plan. A stale one is answered 409.",
    )
    goals = serializers.ListField(child=api_text("Each goal", limits.GOAL, multiline=True,
        allow_blank=True),
        allow_empty=True, help_text="In the person's words.")
    co_produced_with = serializers.ListField(child=CodeField(choices=CoProducer.choices),
                                             allow_empty=True)
    review_trigger = api_text("What should prompt a review", limits.REASON, multiline=True,
        allow_blank=True,
        help_text="What should prompt a review.")
    safety_plan = api_text("Safety and crisis plan", limits.NOTE, multiline=True, allow_blank=True)
    agreed_on = serializers.DateField(required=False, allow_null=True,
                                      help_text="Empty for a draft not yet agreed.")
    review_by = serializers.DateField(required=False, allow_null=True)


class CarePlanVersionOutput(serializers.ModelSerializer):
    recorded_by = serializers.CharField()

    class Meta:
        model = CarePlanVersion
        fields = ["number", "goals", "co_produced_with", "agreed_on", "review_trigger",
                  "review_by", "safety_plan", "recorded_at", "recorded_by"]


class CarePlanListOutput(serializers.ModelSerializer):
    agreed_on = serializers.SerializerMethodField(help_text="Of the latest version.")
    review_by = serializers.SerializerMethodField(help_text="Of the latest version.")

    class Meta:
        model = CarePlan
        fields = ["id", "referral", "version", "created_at", "agreed_on", "review_by"]

    @staticmethod
    def _latest(plan: CarePlan) -> CarePlanVersion | None:
        versions = plan.versions.all()  # prefetched newest first by the view
        return versions[0] if versions else None

    def get_agreed_on(self, plan: CarePlan) -> dt.date | None:
        latest = self._latest(plan)
        return latest.agreed_on if latest else None

    def get_review_by(self, plan: CarePlan) -> dt.date | None:
        latest = self._latest(plan)
        return latest.review_by if latest else None


class CarePlanOutput(serializers.ModelSerializer):
    """A care plan with every version, newest first: the answer to reading and saving it."""

    versions = serializers.SerializerMethodField()

    class Meta:
        model = CarePlan
        fields = ["id", "referral", "version", "created_at", "versions"]

    @extend_schema_field(CarePlanVersionOutput(many=True))
    def get_versions(self, plan: CarePlan) -> list[dict]:
        return CarePlanVersionOutput(selectors.care_plan_versions(plan), many=True).data


# --------------------------------------------------------------------------- interventions


class InterventionCreateInput(serializers.Serializer):
    referral = VisibleReferral()
    kind = CodeField(choices=InterventionKind.choices)
    started_on = serializers.DateField()
    description = api_text("Description", limits.LINE, required=False, allow_blank=True,
                                        default="")
    ended_on = serializers.DateField(required=False, allow_null=True)
    delivered_by = InTenant(Membership, required=False, allow_null=True,
                            help_text="Staff (membership) id of who delivers it; default you.")
    contact = VisibleContact(required=False, allow_null=True)


class InterventionEndInput(serializers.Serializer):
    version = serializers.IntegerField(help_text=_VERSION_HELP)
    ended_on = serializers.DateField()


class InterventionListOutput(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    delivered_by = _NamedMembership()

    class Meta:
        model = Intervention
        fields = ["id", "version", "referral", "kind", "kind_label", "started_on", "ended_on",
                  "delivered_by"]


class InterventionOutput(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    delivered_by = _NamedMembership()
    recorded_by = serializers.CharField()

    class Meta:
        model = Intervention
        fields = ["id", "version", "referral", "kind", "kind_label", "description",
                  "started_on", "ended_on", "delivered_by", "contact", "recorded_at",
                  "recorded_by"]


# --------------------------------------------------------------------------- outcome measures


class OutcomeMeasureCreateInput(serializers.Serializer):
    referral = VisibleReferral()
    tool = CodeField(choices=OutcomeTool.choices)
    completed_on = serializers.DateField()
    items = RawItems(
        allow_empty=True,
        help_text="Each item's score in the questionnaire's order, as its scoring key gives "
        "it. DIALOG: 11 items scored 1 to 7.",
    )
    wants_more_help = RawAnswers(
        required=False, default=list,
        help_text="DIALOG only: for each item, whether the person wants more help.",
    )
    contact = VisibleContact(required=False, allow_null=True)


class OutcomeMeasureOutput(serializers.ModelSerializer):
    """A completed questionnaire; ``score`` and ``subscores`` were computed from the items."""

    tool_label = serializers.CharField(source="get_tool_display")
    band = serializers.SerializerMethodField(
        help_text="The severity band of the score, for tools that have bands; else null."
    )

    class Meta:
        model = OutcomeMeasure
        fields = ["id", "referral", "tool", "tool_label", "completed_on", "items",
                  "wants_more_help", "score", "subscores", "band", "contact", "recorded_at"]

    def get_band(self, measure: OutcomeMeasure) -> str | None:
        spec = TOOLS[measure.tool]
        return spec.band(measure.score) if spec.bands else None


# --------------------------------------------------------------------------- risk concerns


class RiskConcernCreateInput(serializers.Serializer):
    referral = VisibleReferral()
    concern = api_text("Concern", limits.NOTE, multiline=True, allow_blank=True)


class RiskConcernAcknowledgeInput(serializers.Serializer):
    version = serializers.IntegerField(help_text=_VERSION_HELP)
    response = api_text("Response", limits.NOTE, multiline=True,
        allow_blank=True, help_text="What you did about it.")


class RiskConcernOutput(serializers.ModelSerializer):
    raised_by = serializers.CharField(allow_null=True,
                                      help_text="Empty for an alert raised by the system.")
    rule = serializers.CharField(
        help_text="For an alert raised by the system: the code of its rule (phq9_item9, "
        "core10_item6, referral_self_harm_or_suicide, emergency_referral); empty for a "
        "worker's concern.")
    acknowledged_by = serializers.CharField(allow_null=True)
    is_open = serializers.BooleanField()

    class Meta:
        model = RiskConcern
        fields = ["id", "version", "referral", "raised_by", "rule", "raised_at", "concern",
                  "is_open", "acknowledged_by", "acknowledged_at", "response"]


# --------------------------------------------------------------------------- discharge


class DischargeInput(serializers.Serializer):
    version = serializers.IntegerField(help_text="The referral's version you read; a stale "
                                       "one is answered 409.")
    reason = CodeField(choices=DischargeReason.choices)
    on = serializers.DateField(required=False, allow_null=True, help_text="Default today.")
    destination = api_text("Where the person moved to", 200,
        required=False, allow_blank=True, default="",
        help_text="For a step up or down: the service the person moved to.",
    )
    note = api_text("Note", limits.NOTE, multiline=True,
        required=False, allow_blank=True, default="",
        help_text="Required when the reason is `other`.")


class DischargeOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "discharged_on",
                  "discharge_reason", "discharge_destination", "discharge_note"]


# --------------------------------------------------------------------------- caseloads

#: What needs attention on My caseload (caseload.selectors.care_flags, as on the page).
FLAGS = selectors.FLAGS


class CaseloadOutput(serializers.ModelSerializer):
    """One referral the caller holds, with what needs attention."""

    status_label = serializers.CharField(source="get_status_display")
    team = _Named()
    held_as = serializers.SerializerMethodField()
    days_since_referral = serializers.SerializerMethodField()
    last_contact_on = serializers.DateField(allow_null=True,
                                            help_text="The last attended contact.")
    next_contact_on = serializers.DateField(allow_null=True,
                                            help_text="The next booked appointment.")
    flags = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "status", "status_label", "version", "team", "received_on",
                  "allocated_on", "held_as", "days_since_referral", "last_contact_on",
                  "next_contact_on", "flags"]

    @extend_schema_field(serializers.ChoiceField(choices=["named", "joint"]))
    def get_held_as(self, referral: Referral) -> str:
        return "named" if referral.is_named_worker else "joint"

    def get_days_since_referral(self, referral: Referral) -> int:
        return referral_selectors.days_waiting(referral, self.context["today"])

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(
        choices=list(FLAGS.items()))))
    def get_flags(self, referral: Referral) -> list[str]:
        return selectors.care_flags(referral, self.context["today"])


class TeamCaseloadOutput(serializers.ModelSerializer):
    """One clinical member of the team and the referrals they hold in it."""

    name = serializers.CharField(source="user")
    role_label = serializers.CharField(source="get_role_display")
    awaiting = serializers.IntegerField(help_text="Named worker, awaiting assessment.")
    active = serializers.IntegerField(help_text="Named worker, active.")
    joint = serializers.IntegerField(help_text="Joint worker.")
    named_total = serializers.IntegerField()
    per_wte = serializers.SerializerMethodField(
        help_text="Named referrals per whole-time equivalent; null when the WTE is not known."
    )

    class Meta:
        model = Membership
        fields = ["id", "name", "role", "role_label", "wte", "awaiting", "active", "joint",
                  "named_total", "per_wte"]

    @extend_schema_field(serializers.DecimalField(max_digits=6, decimal_places=1,
                                                  allow_null=True))
    def get_per_wte(self, membership: Membership) -> str | None:
        if not membership.wte:
            return None
        per = Decimal(membership.named_total) / membership.wte
        return str(per.quantize(Decimal("0.1"), ROUND_HALF_UP))
