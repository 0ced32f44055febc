"""The referrals API: people, intake, triage, allocation, event logs, the triage queue, the
practice view and merges.

Reads come from referrals.selectors (a missing object and another team's or tenant's object are
both 404); each write asks referrals.permissions (403 when the caller can see the object but may
not act on it) and then calls one service, whose errors the exception handler answers in the
API's one error shape (400, or 409 for a stale ``version``).
"""

from __future__ import annotations

import dataclasses

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.views import AuditedListMixin, ErrorOutput
from config.api.views import require as _require
from pcns.audit import audit_shown
from pcns.models import Team, User
from referrals import permissions, selectors, services
from referrals.api import filters, serializers
from referrals.filters import ReferralFilter, ReferralListFilter
from referrals.models import Person, PersonMerge, Referral
from referrals.states import EventKind, allowed_events

# --------------------------------------------------------------------------- helpers

ERRORS = ErrorOutput

#: The API action that carries out each transition, and who may take it.
_ACTIONS = {
    EventKind.ACCEPTED: ("accept", permissions.can_triage_referral),
    EventKind.REDIRECTED: ("redirect", permissions.can_triage_referral),
    EventKind.REJECTED: ("reject", permissions.can_triage_referral),
    EventKind.FLAGGED_FOR_MDT: ("mdt", permissions.can_triage_referral),
    EventKind.ALLOCATED: ("allocate", permissions.can_allocate_referral),
    EventKind.REALLOCATED: ("reallocate", permissions.can_allocate_referral),
}


def _allowed_actions(user: User, referral: Referral) -> list[str]:
    """The referral's next transitions (referrals.states) that this caller may carry out."""
    answers: dict = {}
    allowed = []
    for event in allowed_events(referral.status):
        if event not in _ACTIONS:
            continue  # discharge belongs to the caseload, not to this API
        name, check = _ACTIONS[event]
        if check not in answers:
            answers[check] = check(user, referral)
        if answers[check]:
            allowed.append(name)
    return allowed


def _person_values(person: Person) -> dict:
    return {f.name: getattr(person, f.name) for f in dataclasses.fields(services.PersonInput)}


# --------------------------------------------------------------------------- people


class PersonViewSet(AuditedListMixin, viewsets.ReadOnlyModelViewSet):
    """People the caller may see: for clinical staff, those with a referral they can see and
    those with no referral yet; for administrators, everyone."""

    queryset = Person.objects.none()
    lookup_value_converter = "uuid"
    parser_classes = [JSONParser]
    filterset_class = filters.PersonFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no tenant
            return self.queryset
        return selectors.person_list_for_user(self.request.user).order_by(
            "family_name", "given_name", "id"
        )

    def get_object(self) -> Person:
        return selectors.person_get_for_user(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.PersonListOutput
        return serializers.PersonDetailOutput

    @extend_schema(summary="List people",
                   description="Each person on the page returned is recorded in the audit log "
                   "as read.")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Read a person's record",
                   description="Every read is recorded in the audit log.",
                   responses={200: serializers.PersonDetailOutput, 404: ERRORS})
    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        audit_shown(request, person)
        return Response(serializers.PersonDetailOutput(person).data)

    @extend_schema(
        summary="Record a new person",
        description="Clinical staff. The NHS number, when given, must be new to the place; "
        "without one, say why it is not known.",
        request=serializers.PersonCreateInput,
        responses={201: serializers.PersonDetailOutput, 400: ERRORS, 403: ERRORS},
    )
    def create(self, request, *args, **kwargs):
        _require(permissions.can_create_person(request.user))
        data = serializers.PersonCreateInput(data=request.data,
                                             context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        person = services.person_create(
            actor=request.user, data=services.PersonInput(**data.validated_data)
        )
        return Response(serializers.PersonDetailOutput(person).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a person's details",
        description="Fields left out take their defaults. A stale `version` is a 409.",
        request=serializers.PersonUpdateInput,
        responses={200: serializers.PersonDetailOutput, 400: ERRORS, 403: ERRORS, 404: ERRORS,
                   409: ERRORS},
    )
    def update(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    @extend_schema(
        summary="Change some of a person's details",
        description="`version` is required; a stale one is a 409.",
        request=serializers.PersonUpdateInput,
        responses={200: serializers.PersonDetailOutput, 400: ERRORS, 403: ERRORS, 404: ERRORS,
                   409: ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool) -> Response:
        person = self.get_object()
        _require(permissions.can_change_person(request.user, person))
        data = serializers.PersonUpdateInput(data=request.data, partial=partial,
                                             context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "version" not in values:
            raise exceptions.ValidationError({"version": ["This field is required."]})
        version = values.pop("version")
        if partial:
            values = {**_person_values(person), **values}
        person = services.person_update(person=person, actor=request.user, version=version,
                                        data=services.PersonInput(**values))
        return Response(serializers.PersonDetailOutput(person).data)

    @extend_schema(
        summary="People already recorded who may be the same person",
        description="The same NHS number, or the same date of birth and a similar name, "
        "anywhere in the place (so intake finds a person known to another team). Identity "
        "details only.",
        parameters=[serializers.DuplicateSearchInput],
        responses={200: serializers.PersonDuplicateOutput(many=True), 400: ERRORS},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def duplicates(self, request):
        query = serializers.DuplicateSearchInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        people = selectors.possible_duplicates(request.user, **query.validated_data)
        audit_shown(request, people, note="duplicate search")
        return Response(serializers.PersonDuplicateOutput(people, many=True).data)


# --------------------------------------------------------------------------- referrals


class ReferralViewSet(AuditedListMixin, viewsets.ReadOnlyModelViewSet):
    """Referrals of the caller's teams and those allocated to them, newest first."""

    queryset = Referral.objects.none()
    lookup_value_converter = "uuid"
    parser_classes = [JSONParser]
    filterset_class = ReferralListFilter
    serializer_class = serializers.ReferralListOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.referral_list_for_user(self.request.user).order_by(
            "-received_on", "id"
        )

    @extend_schema(summary="List referrals",
                   description="Each referral on the page returned is recorded in the audit "
                   "log as read.")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Read a referral",
                   description="Every read is recorded in the audit log. `allowed_actions` "
                   "lists what the caller may do next.",
                   responses={200: serializers.ReferralDetailOutput, 404: ERRORS})
    def retrieve(self, request, *args, **kwargs):
        referral = selectors.referral_get_for_user(request.user, kwargs["pk"])
        audit_shown(request, referral)
        context = {"allowed_actions": _allowed_actions(request.user, referral)}
        return Response(serializers.ReferralDetailOutput(referral, context=context).data)

    @extend_schema(
        summary="Receive a referral",
        description="For an existing person (`person`) or a new one (`new_person`), into one "
        "of the caller's own teams. Person and referral are both saved or neither; every "
        "error in either comes back at once. A team whose intake is paused on the date "
        "received refuses it (400 on `team`) and the refusal is recorded.",
        request=serializers.ReferralCreateInput,
        responses={201: serializers.ReferralCreateOutput, 400: ERRORS, 403: ERRORS},
    )
    def create(self, request, *args, **kwargs):
        _require(permissions.can_receive_referrals(request.user),
                 "Only clinical staff can receive referrals.")
        data = serializers.ReferralCreateInput(data=request.data,
                                               context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        person, new_person = values.pop("person", None), values.pop("new_person", None)
        team: Team = values["team"]
        if not permissions.can_receive_referral_into(request.user, team):
            raise exceptions.ValidationError(
                {"team": ["Choose one of your own teams: you can only receive referrals "
                          "into those."]}
            )
        referral = services.referral_intake(
            actor=request.user,
            person=person,
            person_data=services.PersonInput(**new_person) if new_person else None,
            data=services.ReferralInput(**values),
        )
        return Response(serializers.ReferralCreateOutput(referral).data,
                        status=status.HTTP_201_CREATED)


class _OnReferral(APIView):
    """An operation on one referral. The referral is fetched before the method is dispatched,
    so an id the caller cannot see answers 404 whatever the method (never 405)."""

    referral: Referral
    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.referral = selectors.referral_get_for_user(request.user, kwargs["pk"])


class ReferralTriageView(_OnReferral):
    @extend_schema(
        summary="Decide a referral: accept, redirect, reject or flag for the MDT",
        description="MHPs and clinical leads of the receiving team. A decision the referral's "
        "status does not allow is a 400 saying why; a stale `version` is a 409.",
        request=serializers.TriageInput,
        responses={200: serializers.TriageOutput, 400: ERRORS, 403: ERRORS, 404: ERRORS,
                   409: ERRORS},
    )
    def post(self, request, pk):
        _require(permissions.can_triage_referral(request.user, self.referral),
                 "Only MHPs and clinical leads of the receiving team can triage referrals.")
        data = serializers.TriageInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["on"] = values.pop("decided_on", None)
        referral = services.referral_decide(referral=self.referral, actor=request.user,
                                            **values)
        context = {"allowed_actions": _allowed_actions(request.user, referral)}
        return Response(serializers.TriageOutput(referral, context=context).data)


class ReferralAllocationView(_OnReferral):
    @extend_schema(
        summary="Allocate an accepted referral, or reallocate an allocated one",
        description="One named worker and any joint workers, all clinical members of the "
        "referral's team. The joint workers given replace the current ones.",
        request=serializers.AllocationInput,
        responses={200: serializers.AllocationOutput, 400: ERRORS, 403: ERRORS, 404: ERRORS,
                   409: ERRORS},
    )
    def post(self, request, pk):
        _require(permissions.can_allocate_referral(request.user, self.referral),
                 "Only MHPs and clinical leads of the referral's team can allocate it.")
        data = serializers.AllocationInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        referral = services.referral_assign(
            referral=self.referral, actor=request.user, version=values["version"],
            worker=values["worker"], joint_workers=values["joint_workers"],
            on=values.get("allocated_on"),
        )
        return Response(serializers.AllocationOutput(referral).data)


class ReferralAllocationCandidatesView(_OnReferral):
    @extend_schema(
        summary="Who the referral could be allocated to, with their caseloads",
        responses={200: serializers.AllocationCandidateOutput(many=True), 403: ERRORS,
                   404: ERRORS},
    )
    def get(self, request, pk):
        _require(permissions.can_allocate_referral(request.user, self.referral),
                 "Only MHPs and clinical leads of the referral's team can allocate it.")
        audit_shown(request, self.referral, note="allocation candidates")
        candidates = selectors.allocation_candidates(self.referral)
        return Response(serializers.AllocationCandidateOutput(candidates, many=True).data)


class ReferralEventsView(_OnReferral):
    @extend_schema(
        summary="The referral's event log, oldest first",
        responses={200: serializers.ReferralEventOutput(many=True), 404: ERRORS},
    )
    def get(self, request, pk):
        audit_shown(request, self.referral, note="timeline")
        events = selectors.referral_timeline(self.referral)
        return Response(serializers.ReferralEventOutput(events, many=True).data)


class TriageQueueView(AuditedListMixin, generics.ListAPIView):
    """Referrals awaiting triage or the MDT in the caller's teams: most urgent first, then
    longest waiting."""

    queryset = Referral.objects.none()
    serializer_class = serializers.TriageQueueOutput
    filterset_class = ReferralFilter
    audit_note = "triage queue"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.triage_queue_for_user(self.request.user)

    @extend_schema(summary="The triage queue",
                   description="Each referral on the page returned is recorded in the audit "
                   "log as read.", responses={
        200: serializers.TriageQueueOutput(many=True), 403: ERRORS})
    def get(self, request, *args, **kwargs):
        _require(permissions.can_view_triage_queue(request.user),
                 "Only clinical staff have a triage queue.")
        return super().get(request, *args, **kwargs)


class PracticeReferralListView(AuditedListMixin, generics.ListAPIView):
    """The referrals the caller's practice made, for their status only."""

    queryset = Referral.objects.none()
    serializer_class = serializers.PracticeReferralOutput
    filter_backends = []
    audit_note = "practice referrals"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.practice_referral_list(self.request.user)

    @extend_schema(summary="Referrals made by the caller's practice",
                   description="Each referral on the page returned is recorded in the audit "
                   "log as read.", responses={
        200: serializers.PracticeReferralOutput(many=True), 403: ERRORS})
    def get(self, request, *args, **kwargs):
        _require(permissions.can_view_practice_referrals(request.user),
                 "Only practice staff can see their practice's referrals.")
        return super().get(request, *args, **kwargs)


# --------------------------------------------------------------------------- merges


class PersonMergeViewSet(AuditedListMixin, viewsets.GenericViewSet):
    """Merges of duplicate person records, newest first (tenant administrators)."""

    queryset = PersonMerge.objects.none()
    serializer_class = serializers.PersonMergeOutput
    parser_classes = [JSONParser]
    filter_backends = []
    audit_note = "merged records"

    def audit_targets(self, merges):
        return [person for merge in merges for person in (merge.kept, merge.merged)]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.merges_for_user(self.request.user).order_by("-merged_at", "id")

    @extend_schema(summary="List merges", responses={
        200: serializers.PersonMergeOutput(many=True), 403: ERRORS})
    def list(self, request):
        _require(permissions.can_merge_people(request.user),
                 "Only administrators can merge person records.")
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(serializers.PersonMergeOutput(page, many=True).data)

    @extend_schema(
        summary="Merge a duplicate person record into another",
        description="The duplicate's referrals move to the kept record and the duplicate is "
        "hidden; the merge remembers what moved, so it can be undone.",
        request=serializers.PersonMergeCreateInput,
        responses={201: serializers.PersonMergeOutput, 400: ERRORS, 403: ERRORS},
    )
    def create(self, request):
        _require(permissions.can_merge_people(request.user),
                 "Only administrators can merge person records.")
        data = serializers.PersonMergeCreateInput(data=request.data,
                                                  context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        merge = services.person_merge(actor=request.user, **data.validated_data)
        return Response(serializers.PersonMergeOutput(merge).data,
                        status=status.HTTP_201_CREATED)


class PersonMergeUndoView(APIView):
    """Fetches the merge before dispatch, like _OnReferral: another tenant's id is 404."""

    merge: PersonMerge
    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.merge = selectors.merge_get_for_user(request.user, kwargs["pk"])

    @extend_schema(
        summary="Undo a merge",
        description="The referrals that moved go back and the duplicate is visible again.",
        request=None,
        responses={200: serializers.PersonMergeOutput, 400: ERRORS, 403: ERRORS, 404: ERRORS},
    )
    def post(self, request, pk):
        _require(permissions.can_merge_people(request.user),
                 "Only administrators can merge person records.")
        merge = services.person_merge_undo(merge=self.merge, actor=request.user)
        return Response(serializers.PersonMergeOutput(merge).data)
