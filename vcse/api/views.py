"""The VCSE API: the service directory, onward referrals from the referring side, the partner's
inbox and its contacts.

Reads come from vcse.selectors (a missing record and one the caller may not see are both 404;
the partner's side also answers 404 once consent has ended), and every read of an onward
referral, list or detail, on either side, appends an audit ``view`` row for each onward
referral shown. Each write resolves its record first, asks vcse.permissions (403 when the caller
can see it but may not act on it) and then calls one service, whose errors the exception
handler answers in the API's one error shape (400, or 409 for a stale ``version``).
"""

from __future__ import annotations

import dataclasses

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from config.api.views import AuditedListMixin, ErrorOutput
from config.api.views import OnRecordView as _OnRecord
from config.api.views import action_schema as _action_schema
from config.api.views import errors_named as _errors_named
from config.api.views import read_input as _input
from config.api.views import require as _require
from pcns.audit import audit_shown
from pcns.models import User
from vcse import permissions, selectors, services
from vcse.api import filters, serializers
from vcse.models import OnwardReferral, Service

# --------------------------------------------------------------------------- helpers

ERRORS = ErrorOutput
_PARTNERS_ONLY = "Only staff of the organisation it was sent to can answer it."


class _Scoped(viewsets.GenericViewSet):
    """A list and detail whose queryset is a selector's (none while the schema is built)."""

    lookup_value_converter = "uuid"
    parser_classes = [JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no tenant
            return self.queryset
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise NotImplementedError


# --------------------------------------------------------------------------- the directory


def _service_values(service: Service) -> dict:
    """A service's current values as services.ServiceInput takes them."""
    values = {f.name: getattr(service, f.name)
              for f in dataclasses.fields(services.ServiceInput) if f.name != "areas"}
    return {**values, "areas": list(service.areas.all())}


@extend_schema_view(
    list=extend_schema(
        summary="Search the service directory",
        description="Every service in the caller's place, by name. Search by need "
        "(`category`), by PCN (`area`: services covering it and those covering the whole "
        "place), open to referrals (`open`) and words (`q`).",
        responses={200: serializers.ServiceListOutput(many=True), 400: ERRORS},
    ),
    retrieve=extend_schema(summary="Read a service",
                           responses={200: serializers.ServiceOutput, 404: ERRORS}),
)
class ServiceViewSet(_Scoped):
    queryset = Service.objects.none()
    filterset_class = filters.ServiceFilter

    def get_serializer_class(self):
        return (serializers.ServiceListOutput if self.action == "list"
                else serializers.ServiceOutput)

    def scoped_queryset(self):
        return selectors.services_for_user(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(serializers.ServiceListOutput(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        service = selectors.service_get_for_user(request.user, kwargs["pk"])
        return Response(serializers.ServiceOutput(service).data)

    @extend_schema(
        summary="List a new service",
        description="Tenant administrators for any VCSE organisation; a VCSE lead for their "
        "own. At least one kind of support and one way to contact it (email, phone or "
        "website); areas are PCNs of the place.",
        request=serializers.ServiceCreateInput,
        responses={201: serializers.ServiceOutput, 400: ERRORS, 403: ERRORS},
    )
    def create(self, request, *args, **kwargs):
        _require(permissions.can_maintain_any_service(request.user),
                 "Only tenant administrators and VCSE leads maintain the directory.")
        values = _input(serializers.ServiceCreateInput, request)
        organisation = values.pop("organisation")
        _require(permissions.can_list_services_for(request.user, organisation),
                 "A VCSE lead can only list their own organisation's services.")
        service = services.service_create(actor=request.user, organisation=organisation,
                                          data=services.ServiceInput(**values))
        service = selectors.service_get_for_user(request.user, service.pk)
        return Response(serializers.ServiceOutput(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a service",
        description="Tenant administrators, or a lead of the service's organisation. Fields "
        "left out keep their current values; `version` is required and a stale one is a 409.",
        request=serializers.ServiceUpdateInput,
        responses={200: serializers.ServiceOutput, 400: ERRORS, 403: ERRORS, 404: ERRORS,
                   409: ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        service = selectors.service_get_for_user(request.user, kwargs["pk"])
        _require(permissions.can_edit_service(request.user, service),
                 "Only tenant administrators and the organisation's VCSE leads can change "
                 "its services.")
        values = _input(serializers.ServiceUpdateInput, request, partial=True)
        if "version" not in values:
            raise exceptions.ValidationError({"version": ["This field is required."]})
        version = values.pop("version")
        data = services.ServiceInput(**{**_service_values(service), **values})
        services.service_update(service=service, actor=request.user, version=version, data=data)
        service = selectors.service_get_for_user(request.user, service.pk)
        return Response(serializers.ServiceOutput(service).data)


# --------------------------------------------------------------------------- referring side


@extend_schema_view(
    list=extend_schema(
        summary="List onward referrals",
        description="Onward referrals from the referrals the caller can see (clinical staff; "
        "everyone else sees none), newest first. Each one shown is recorded in the audit log "
        "as read.",
        responses={200: serializers.OnwardReferralListOutput(many=True), 400: ERRORS},
    ),
    retrieve=extend_schema(
        summary="Read an onward referral",
        description="With its consent, the details shared, the partner's answer, how many "
        "contacts it has logged and its outcome. Every read is recorded in the audit log.",
        responses={200: serializers.OnwardReferralOutput, 404: ERRORS},
    ),
)
class OnwardReferralViewSet(AuditedListMixin, _Scoped):
    queryset = OnwardReferral.objects.none()
    filterset_class = filters.OnwardReferralFilter

    def get_serializer_class(self):
        return (serializers.OnwardReferralListOutput if self.action == "list"
                else serializers.OnwardReferralOutput)

    def scoped_queryset(self):
        return selectors.onward_referrals_for_user(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = serializers.OnwardReferralListOutput(page, many=True)
        return self.get_paginated_response(rows.data)

    def retrieve(self, request, *args, **kwargs):
        onward = selectors.onward_referral_get_for_user(request.user, kwargs["pk"])
        audit_shown(request, onward)
        return Response(serializers.OnwardReferralOutput(onward).data)

    @extend_schema(
        summary="Refer a person on to a VCSE service, with their consent",
        description="Anyone working with the person (connectors and peer support workers "
        "too) while their referral is open. The service must be open to referrals. Consent "
        "is for the service's organisation and one purpose, given no earlier than the "
        "referral was received and lasting at most 2 years. The partner is given a snapshot "
        "of the minimal data set: name, contact details, preferred contact method, needs, "
        "and risk information only with `share_risk`.",
        request=serializers.OnwardReferralCreateInput,
        responses={201: serializers.OnwardReferralOutput, 400: ERRORS, 403: ERRORS},
    )
    def create(self, request, *args, **kwargs):
        values = _input(serializers.OnwardReferralCreateInput, request)
        referral = values.pop("referral")
        _require(permissions.can_send_onward_referral(request.user, referral),
                 "Only staff working with the person can refer them on, while their "
                 "referral is open.")
        onward = services.onward_referral_send(referral=referral, actor=request.user,
                                               data=services.OnwardReferralInput(**values))
        onward = selectors.onward_referral_get_for_user(request.user, onward.pk)
        return Response(serializers.OnwardReferralOutput(onward).data,
                        status=status.HTTP_201_CREATED)


class ConsentWithdrawView(_OnRecord):
    def fetch(self, user: User, pk) -> OnwardReferral:
        return selectors.onward_referral_get_for_user(user, pk)

    @_action_schema(
        "Record that the person withdrew consent",
        "Staff working with the person. An onward referral still open is withdrawn, and the "
        "partner's access to it ends at once whatever its status. A stale `version` is a "
        "409.",
        serializers.ConsentWithdrawInput, serializers.OnwardReferralOutput,
    )
    def post(self, request, pk):
        onward: OnwardReferral = self.record
        # Whether consent was already withdrawn is the service's to say (a 400 on `on`).
        _require(permissions.can_view_onward_referral(request.user, onward),
                 "Only staff working with the person can record that consent was withdrawn.")
        values = _input(serializers.ConsentWithdrawInput, request)
        services.consent_withdraw(onward=onward, actor=request.user, **values)
        onward = selectors.onward_referral_get_for_user(request.user, onward.pk)
        return Response(serializers.OnwardReferralOutput(onward).data)


# --------------------------------------------------------------------------- partner's side


@extend_schema_view(
    list=extend_schema(
        summary="The VCSE inbox",
        description="Onward referrals sent to the caller's VCSE organisation whose consent "
        "still stands, oldest first. Filter by `status` or by the page's `tab`. Each one "
        "shown is recorded in the audit log as read.",
        responses={200: serializers.InboxListOutput(many=True), 400: ERRORS},
    ),
    retrieve=extend_schema(
        summary="Read an onward referral in the inbox",
        description="The details shared and the partner's own work on it: nothing else of "
        "the person's care. 404 once consent is withdrawn or has expired. Every read is "
        "recorded in the audit log.",
        responses={200: serializers.InboxOutput, 404: ERRORS},
    ),
)
class InboxViewSet(AuditedListMixin, _Scoped):
    queryset = OnwardReferral.objects.none()
    filterset_class = filters.InboxFilter

    def get_serializer_class(self):
        return (serializers.InboxListOutput if self.action == "list"
                else serializers.InboxOutput)

    def scoped_queryset(self):
        return selectors.inbox_for_user(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(serializers.InboxListOutput(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        onward = selectors.inbox_get_for_user(request.user, kwargs["pk"])
        audit_shown(request, onward, note="inbox")
        return Response(serializers.InboxOutput(onward).data)


class _InInbox(_OnRecord):
    def fetch(self, user: User, pk) -> OnwardReferral:
        return selectors.inbox_get_for_user(user, pk)

    def answer(self, request, onward: OnwardReferral, code: int = status.HTTP_200_OK):
        onward = selectors.inbox_get_for_user(request.user, onward.pk)
        return Response(serializers.InboxOutput(onward).data, status=code)


class InboxAcceptView(_InInbox):
    @_action_schema(
        "Accept an onward referral",
        "Staff of the receiving organisation, while it is new. A stale `version` is a 409.",
        serializers.InboxAcceptInput, serializers.InboxOutput,
    )
    def post(self, request, pk):
        _require(permissions.can_answer_onward_referral(request.user, self.record),
                 _PARTNERS_ONLY)
        values = _input(serializers.InboxAcceptInput, request)
        onward = services.onward_referral_accept(onward=self.record, actor=request.user,
                                                 **values)
        return self.answer(request, onward)


class InboxDeclineView(_InInbox):
    @_action_schema(
        "Decline an onward referral, saying why",
        "Staff of the receiving organisation, while it is new; `other` needs a note so the "
        "referrer can find the person something else. A stale `version` is a 409.",
        serializers.InboxDeclineInput, serializers.InboxOutput,
    )
    def post(self, request, pk):
        _require(permissions.can_answer_onward_referral(request.user, self.record),
                 _PARTNERS_ONLY)
        values = _input(serializers.InboxDeclineInput, request)
        onward = services.onward_referral_decline(onward=self.record, actor=request.user,
                                                  **values)
        return self.answer(request, onward)


class InboxCloseView(_InInbox):
    @_action_schema(
        "Close an onward referral with an outcome",
        "Staff of the receiving organisation, once accepted; not before its last contact. "
        "The note is for the referrer. A stale `version` is a 409.",
        serializers.InboxCloseInput, serializers.InboxOutput,
    )
    def post(self, request, pk):
        _require(permissions.can_answer_onward_referral(request.user, self.record),
                 _PARTNERS_ONLY)
        values = _input(serializers.InboxCloseInput, request)
        with _errors_named(closed_on="on"):
            onward = services.onward_referral_close(onward=self.record, actor=request.user,
                                                    **values)
        return self.answer(request, onward)


class InboxContactsView(_InInbox):
    @extend_schema(
        summary="The contacts logged on an onward referral",
        description="Oldest first. Recorded in the audit log as a read of the onward "
        "referral.",
        responses={200: serializers.VcseContactOutput(many=True), 404: ERRORS},
    )
    def get(self, request, pk):
        audit_shown(request, self.record, note="inbox contacts")
        contacts = selectors.contacts_of(self.record)
        return Response(serializers.VcseContactOutput(contacts, many=True).data)

    @_action_schema(
        "Log a contact with the support given",
        "Staff of the receiving organisation, once accepted. Date, mode, attended or not, "
        "duration, and one or more support types for a contact that was attended. The first "
        "contact moves the onward referral to in progress. No `version`: two workers logging "
        "contacts do not conflict.",
        serializers.VcseContactLogInput, serializers.VcseContactOutput,
        conflict=False, created=True,
    )
    def post(self, request, pk):
        _require(permissions.can_answer_onward_referral(request.user, self.record),
                 _PARTNERS_ONLY)
        values = _input(serializers.VcseContactLogInput, request)
        contact = services.vcse_contact_log(onward=self.record, actor=request.user,
                                            data=services.VcseContactInput(**values))
        contact = selectors.contacts_of(self.record).get(pk=contact.pk)
        return Response(serializers.VcseContactOutput(contact).data,
                        status=status.HTTP_201_CREATED)
