"""The caseload API: contacts, assessments, care plans, interventions, outcome measures, risk
concerns, discharge, and caseloads.

Reads come from caseload.selectors (a missing record and another team's or tenant's record are
both 404), and every read of a care record, list or detail, appends an audit ``view`` row for
each referral whose record it showed. Each write resolves the referral or record first, asks
caseload.permissions (403 when the caller can see it but may not act on it) and then calls one
service, whose errors the exception handler answers in the API's one error shape (400, or 409
for a stale ``version``).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from caseload import permissions, selectors, services
from caseload.api import filters, serializers
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from config.api.views import AuditedListMixin, ErrorOutput, read_input
from config.api.views import OnRecordView as _OnRecord
from config.api.views import action_schema as _action_schema
from config.api.views import errors_named as _errors_named
from config.api.views import require as _require
from pcns import selectors as pcns_selectors
from pcns.audit import audit_shown
from pcns.models import User
from referrals import permissions as referral_permissions
from referrals import selectors as referral_selectors
from referrals.models import Referral

# --------------------------------------------------------------------------- helpers

ERRORS = ErrorOutput
_PRACTITIONERS_ONLY = ("Peer support workers and community connectors do not {}; a "
                       "practitioner on the referral does.")


_REFERRAL = Referral._meta.label_lower


def _shown(record) -> tuple[str, object] | object:
    """What a care record row shows: its referral's record (a contact with no referral: itself)."""
    return (_REFERRAL, record.referral_id) if record.referral_id else record


class _Records(AuditedListMixin, viewsets.ReadOnlyModelViewSet):
    """Care records of one kind: the list and the detail come from the selectors, and both
    are audited as reads of the referrals shown."""

    lookup_value_converter = "uuid"
    parser_classes = [JSONParser]
    list_output: type
    detail_output: type

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no tenant
            return self.queryset
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise NotImplementedError

    def get_record(self, pk):
        raise NotImplementedError

    def get_serializer_class(self):
        return self.list_output if self.action == "list" else self.detail_output

    def audit_targets(self, rows):
        return [_shown(record) for record in rows]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.list_output(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        record = self.get_record(kwargs["pk"])
        audit_shown(request, _shown(record))
        return Response(self.detail_output(record).data)

    def _input(self, serializer_class):
        return read_input(serializer_class, self.request)

    def _created(self, record) -> Response:
        return Response(self.detail_output(record).data, status=status.HTTP_201_CREATED)


def _list_schema(summary: str, output, description: str = ""):
    return extend_schema(
        summary=summary,
        description=(description + " " if description else "")
        + "Each referral shown is recorded in the audit log as read.",
        responses={200: output(many=True), 400: ERRORS},
    )


def _detail_schema(summary: str, output):
    return extend_schema(summary=summary,
                         description="Every read is recorded in the audit log.",
                         responses={200: output, 404: ERRORS})


def _create_schema(summary: str, description: str, request, output):
    return extend_schema(summary=summary, description=description, request=request,
                         responses={201: output, 400: ERRORS, 403: ERRORS})


# --------------------------------------------------------------------------- contacts


@extend_schema_view(
    list=_list_schema("List contacts", serializers.ContactListOutput,
                      "Contacts on referrals the caller can see, and contacts with no "
                      "referral of the caller's teams; newest first."),
    retrieve=_detail_schema("Read a contact", serializers.ContactOutput),
)
class ContactViewSet(_Records):
    queryset = Contact.objects.none()
    filterset_class = filters.ContactFilter
    list_output = serializers.ContactListOutput
    detail_output = serializers.ContactOutput

    def scoped_queryset(self):
        return selectors.contacts_for_user(self.request.user)

    def get_record(self, pk):
        return selectors.contact_get_for_user(self.request.user, pk)

    @_create_schema(
        "Record a contact or book an appointment",
        "With a referral: anyone working on it (its team, or its named or joint workers). "
        "Without one (advice to a GP): give `team`, one of the caller's own teams. A contact "
        "that happened cannot be in the future or before the referral was received; book "
        "it (`attendance`: `booked`) and give it an outcome later.",
        serializers.ContactCreateInput, serializers.ContactOutput,
    )
    def create(self, request, *args, **kwargs):
        values = self._input(serializers.ContactCreateInput)
        referral = values.pop("referral", None)
        if referral is not None:
            _require(permissions.can_record_contact(request.user, referral),
                     "Only staff working on this referral can record its contacts.")
        else:
            _require(permissions.can_record_team_contact(request.user, values["team"]),
                     "You can only record contacts for your own teams.")
        contact = services.contact_record(actor=request.user, referral=referral,
                                          data=services.ContactInput(**values))
        return self._created(contact)


class ContactOutcomeView(_OnRecord):
    def fetch(self, user: User, pk) -> Contact:
        return selectors.contact_get_for_user(user, pk)

    @_action_schema(
        "Say what happened at a booked appointment",
        "Attended, did not attend, or cancelled. The date and time default to the booking's; "
        "an attended contact cannot be in the future. A stale `version` is a 409.",
        serializers.ContactOutcomeInput, serializers.ContactOutput,
    )
    def post(self, request, pk):
        contact: Contact = self.record
        if contact.referral_id is not None:
            _require(permissions.can_record_contact(request.user, contact.referral),
                     "Only staff working on this referral can record its contacts.")
        else:
            _require(permissions.can_record_team_contact(request.user, contact.team),
                     "You can only record contacts for your own teams.")
        values = self._input(serializers.ContactOutcomeInput)
        contact = services.contact_record_outcome(contact=contact, actor=request.user,
                                                  **values)
        return Response(serializers.ContactOutput(contact).data)


# --------------------------------------------------------------------------- assessments


@extend_schema_view(
    list=_list_schema("List assessments", serializers.AssessmentListOutput, "Newest first."),
    retrieve=_detail_schema("Read an assessment", serializers.AssessmentOutput),
)
class AssessmentViewSet(_Records):
    queryset = Assessment.objects.none()
    filterset_class = filters.AssessmentFilter
    list_output = serializers.AssessmentListOutput
    detail_output = serializers.AssessmentOutput

    def scoped_queryset(self):
        return selectors.assessments_for_user(self.request.user)

    def get_record(self, pk):
        return selectors.assessment_get_for_user(self.request.user, pk)

    @_create_schema(
        "Record an assessment",
        "Practitioners on the referral (not peer support workers or community connectors). "
        "The first assessing kind makes an allocated referral active.",
        serializers.AssessmentCreateInput, serializers.AssessmentOutput,
    )
    def create(self, request, *args, **kwargs):
        values = self._input(serializers.AssessmentCreateInput)
        referral = values.pop("referral")
        _require(permissions.can_record_assessment(request.user, referral),
                 _PRACTITIONERS_ONLY.format("record assessments"))
        assessment = services.assessment_record(referral=referral, actor=request.user,
                                                data=services.AssessmentInput(**values))
        return self._created(assessment)


# --------------------------------------------------------------------------- care plans


@extend_schema_view(
    list=_list_schema("List care plans", serializers.CarePlanListOutput,
                      "With the agreement and review dates of each plan's latest version."),
    retrieve=_detail_schema("Read a care plan with all its versions, newest first",
                            serializers.CarePlanOutput),
)
class CarePlanViewSet(_Records):
    queryset = CarePlan.objects.none()
    filterset_class = filters.CarePlanFilter
    list_output = serializers.CarePlanListOutput
    detail_output = serializers.CarePlanOutput

    def scoped_queryset(self):
        newest_first = CarePlanVersion.objects.order_by("-number")
        return selectors.care_plans_for_user(self.request.user).prefetch_related(
            Prefetch("versions", queryset=newest_first)
        )

    def get_record(self, pk):
        return selectors.care_plan_get_for_user(self.request.user, pk)

    @_create_schema(
        "Save a care plan as a new version",
        "Practitioners on the referral. `version` is the number of the latest version you "
        "read (null to start the plan); earlier versions are kept as they were. If someone "
        "saved a version in between, the answer is 409.",
        serializers.CarePlanSaveInput, serializers.CarePlanOutput,
    )
    def create(self, request, *args, **kwargs):
        values = self._input(serializers.CarePlanSaveInput)
        referral, version = values.pop("referral"), values.pop("version")
        _require(permissions.can_edit_care_plan(request.user, referral),
                 _PRACTITIONERS_ONLY.format("write care plans"))
        saved = services.care_plan_save(referral=referral, actor=request.user, version=version,
                                         data=services.CarePlanInput(**values))
        return self._created(saved.plan)


# --------------------------------------------------------------------------- interventions


@extend_schema_view(
    list=_list_schema("List interventions", serializers.InterventionListOutput,
                      "Newest first."),
    retrieve=_detail_schema("Read an intervention", serializers.InterventionOutput),
)
class InterventionViewSet(_Records):
    queryset = Intervention.objects.none()
    filterset_class = filters.InterventionFilter
    list_output = serializers.InterventionListOutput
    detail_output = serializers.InterventionOutput

    def scoped_queryset(self):
        return selectors.interventions_for_user(self.request.user)

    def get_record(self, pk):
        return selectors.intervention_get_for_user(self.request.user, pk)

    @_create_schema(
        "Record an intervention from its start",
        "Anyone working on the referral for peer support, community connection, group "
        "activity and advice; practitioners only for psychological therapy, psychosocial "
        "interventions and medication or physical health.",
        serializers.InterventionCreateInput, serializers.InterventionOutput,
    )
    def create(self, request, *args, **kwargs):
        values = self._input(serializers.InterventionCreateInput)
        referral = values.pop("referral")
        _require(permissions.can_record_intervention(request.user, referral, values["kind"]),
                 _PRACTITIONERS_ONLY.format("deliver clinical interventions"))
        intervention = services.intervention_start(referral=referral, actor=request.user,
                                                   data=services.InterventionInput(**values))
        return self._created(intervention)


class InterventionEndView(_OnRecord):
    def fetch(self, user: User, pk) -> Intervention:
        return selectors.intervention_get_for_user(user, pk)

    @_action_schema(
        "End an intervention",
        "Whoever may record that kind of intervention. A stale `version` is a 409.",
        serializers.InterventionEndInput, serializers.InterventionOutput,
    )
    def post(self, request, pk):
        intervention: Intervention = self.record
        _require(permissions.can_record_intervention(request.user, intervention.referral,
                                                     intervention.kind),
                 _PRACTITIONERS_ONLY.format("deliver clinical interventions"))
        values = self._input(serializers.InterventionEndInput)
        intervention = services.intervention_end(intervention=intervention, actor=request.user,
                                                 **values)
        return Response(serializers.InterventionOutput(intervention).data)


# --------------------------------------------------------------------------- outcome measures


@extend_schema_view(
    list=_list_schema("List outcome measures", serializers.OutcomeMeasureOutput,
                      "Newest first, with each score's severity band where the tool has "
                      "bands."),
    retrieve=_detail_schema("Read an outcome measure", serializers.OutcomeMeasureOutput),
)
class OutcomeMeasureViewSet(_Records):
    queryset = OutcomeMeasure.objects.none()
    filterset_class = filters.OutcomeMeasureFilter
    list_output = serializers.OutcomeMeasureOutput
    detail_output = serializers.OutcomeMeasureOutput

    def scoped_queryset(self):
        return selectors.outcome_measures_for_user(self.request.user)

    def get_record(self, pk):
        return selectors.outcome_measure_get_for_user(self.request.user, pk)

    @_create_schema(
        "Record a completed questionnaire",
        "Anyone working on the referral. The score is computed from the items; each item "
        "that is missing or out of range is named under `items`.",
        serializers.OutcomeMeasureCreateInput, serializers.OutcomeMeasureOutput,
    )
    def create(self, request, *args, **kwargs):
        values = self._input(serializers.OutcomeMeasureCreateInput)
        referral = values.pop("referral")
        _require(permissions.can_record_outcome(request.user, referral),
                 "Only staff working on this referral can record its outcome measures.")
        measure = services.outcome_record(referral=referral, actor=request.user, **values)
        return self._created(measure)


# --------------------------------------------------------------------------- risk concerns


@extend_schema_view(
    list=_list_schema("List risk concerns", serializers.RiskConcernOutput, "Newest first."),
    retrieve=_detail_schema("Read a risk concern", serializers.RiskConcernOutput),
)
class RiskConcernViewSet(_Records):
    queryset = RiskConcern.objects.none()
    filterset_class = filters.RiskConcernFilter
    list_output = serializers.RiskConcernOutput
    detail_output = serializers.RiskConcernOutput

    def scoped_queryset(self):
        return selectors.risk_concerns_for_user(self.request.user).order_by("-raised_at", "id")

    def get_record(self, pk):
        return selectors.risk_concern_get_for_user(self.request.user, pk)

    @_create_schema(
        "Raise a risk concern",
        "Anyone working on the referral. The leads of the referral's team are emailed at "
        "once (the email names no one).",
        serializers.RiskConcernCreateInput, serializers.RiskConcernOutput,
    )
    def create(self, request, *args, **kwargs):
        values = self._input(serializers.RiskConcernCreateInput)
        referral = values.pop("referral")
        _require(permissions.can_raise_risk_concern(request.user, referral),
                 "Only staff working on this referral can raise a concern about it.")
        concern = services.risk_concern_raise(referral=referral, actor=request.user, **values)
        return self._created(concern)


class RiskConcernAcknowledgeView(_OnRecord):
    def fetch(self, user: User, pk) -> RiskConcern:
        return selectors.risk_concern_get_for_user(user, pk)

    @_action_schema(
        "Acknowledge a risk concern, saying what was done",
        "Leads of the referral's team only. A stale `version` is a 409.",
        serializers.RiskConcernAcknowledgeInput, serializers.RiskConcernOutput,
    )
    def post(self, request, pk):
        concern: RiskConcern = self.record
        _require(permissions.can_acknowledge_risk_concern(request.user, concern),
                 "Only leads of the referral's team can acknowledge a risk concern.")
        values = self._input(serializers.RiskConcernAcknowledgeInput)
        concern = services.risk_concern_acknowledge(concern=concern, actor=request.user,
                                                    **values)
        return Response(serializers.RiskConcernOutput(concern).data)


# --------------------------------------------------------------------------- discharge


class ReferralDischargeView(_OnRecord):
    def fetch(self, user: User, pk) -> Referral:
        return referral_selectors.referral_get_for_user(user, pk)

    @_action_schema(
        "Discharge a referral after care",
        "Practitioners on the referral. Not before the referral was received or its last "
        "contact; a step up or down names the service the person moved to. Running "
        "interventions end on the discharge date and later bookings are cancelled. A stale "
        "`version` is a 409.",
        serializers.DischargeInput, serializers.DischargeOutput,
    )
    def post(self, request, pk):
        _require(permissions.can_discharge(request.user, self.record),
                 _PRACTITIONERS_ONLY.format("discharge"))
        values = self._input(serializers.DischargeInput)
        with _errors_named(discharged_on="on"):
            referral = services.referral_discharge(referral=self.record, actor=request.user,
                                                   **values)
        return Response(serializers.DischargeOutput(referral).data)


# --------------------------------------------------------------------------- caseloads


class CaseloadView(AuditedListMixin, generics.ListAPIView):
    """The referrals the caller holds as named or joint worker, oldest referral first."""

    queryset = Referral.objects.none()
    serializer_class = serializers.CaseloadOutput
    filter_backends = []
    audit_note = "caseload"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.caseload_with_flags(self.request.user, self.today)

    @extend_schema(
        summary="My caseload, with what needs attention",
        description="Each referral shown is recorded in the audit log as read. Flags: "
        + "; ".join(f"`{code}`: {label}" for code, label in serializers.FLAGS.items())
        + ".",
        responses={200: serializers.CaseloadOutput(many=True), 403: ERRORS},
    )
    def get(self, request, *args, **kwargs):
        _require(referral_permissions.can_view_caseload(request.user),
                 "Only clinical staff hold a caseload.")
        self.today = timezone.localdate()
        page = self.paginate_queryset(self.get_queryset())
        rows = serializers.CaseloadOutput(page, many=True, context={"today": self.today})
        return self.get_paginated_response(rows.data)


class TeamCaseloadView(_OnRecord):
    def fetch(self, user: User, pk):
        return pcns_selectors.team_get_for_user(user, pk)

    @extend_schema(
        summary="The team's caseload balance, per worker",
        description="Leads of the team only. For each clinical member: referrals held as "
        "named worker (awaiting assessment, active, and both), as joint worker, and named "
        "referrals per whole-time equivalent.",
        responses={200: serializers.TeamCaseloadOutput(many=True), 403: ERRORS, 404: ERRORS},
    )
    def get(self, request, pk):
        _require(permissions.can_view_team_caseload(request.user, self.record),
                 "Only the team's leads can see its caseload balance.")
        rows = selectors.team_caseload(self.record)
        return Response(serializers.TeamCaseloadOutput(rows, many=True).data)
