"""Read-only API over organisations, teams and staff. Querysets are the selectors."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.permissions import IsTenantMember
from pcns import permissions, selectors
from pcns.api import filters, serializers
from pcns.models import Membership, Organisation, Team


class MeView(APIView):
    @extend_schema(responses=serializers.MeOutput, summary="The signed-in user's membership")
    def get(self, request):
        return Response(serializers.MeOutput(request.membership).data)


class CanViewObject(BasePermission):
    """Object access through the same ``can_view_*`` helpers the pages use."""

    def has_object_permission(self, request, view, obj) -> bool:
        return view.can_view(request.user, obj)


class _ListDetailViewSet(viewsets.ReadOnlyModelViewSet):
    list_serializer: type
    detail_serializer: type
    permission_classes = [IsTenantMember, CanViewObject]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no tenant
            return self.queryset
        return self.scoped_queryset()

    def get_serializer_class(self):
        return self.detail_serializer if self.action == "retrieve" else self.list_serializer


class OrganisationViewSet(_ListDetailViewSet):
    """Organisations of the caller's place: ICB, place, LCPs, PCNs, practices, trusts, VCSEs."""

    filterset_class = filters.OrganisationFilter
    list_serializer = serializers.OrganisationListOutput
    detail_serializer = serializers.OrganisationDetailOutput
    queryset = Organisation.objects.none()
    can_view = staticmethod(permissions.can_view_organisation)

    def scoped_queryset(self):
        queryset = selectors.organisation_list_for_user(self.request.user).order_by("name")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("intake_pauses")
        return queryset


class TeamViewSet(_ListDetailViewSet):
    """Teams the caller may see."""

    filterset_class = filters.TeamFilter
    list_serializer = serializers.TeamListOutput
    detail_serializer = serializers.TeamDetailOutput
    queryset = Team.objects.none()
    can_view = staticmethod(permissions.can_view_team)

    def scoped_queryset(self):
        return selectors.team_list_for_user(self.request.user).order_by("name")


class StaffViewSet(_ListDetailViewSet):
    """Staff memberships the caller may see (their colleagues; everyone for leads and admins)."""

    filterset_class = filters.StaffFilter
    list_serializer = serializers.StaffListOutput
    detail_serializer = serializers.StaffDetailOutput
    queryset = Membership.objects.none()
    can_view = staticmethod(permissions.can_view_staff_member)

    def scoped_queryset(self):
        return selectors.staff_list_for_user(self.request.user).order_by(
            "user__last_name", "user__first_name"
        )
