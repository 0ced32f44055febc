"""Reads of tenant data, scoped to the user first. ``*_get_for_user`` raises 404 for an object
that does not exist and for one the user may not see alike, so ids reveal nothing."""

from __future__ import annotations

import uuid

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from pcns.models import (
    AuditEvent,
    IntakePause,
    Membership,
    Organisation,
    OrganisationKind,
    Team,
    TeamKind,
    TeamMembership,
    User,
)
from pcns.roles import ADMIN_ROLES, CLINICAL_ROLES, LEAD_ROLES, PROGRAMME_ROLES


def _membership_or_404(user: User) -> Membership:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None or not membership.is_active:
        raise Http404
    return membership


def organisation_list_for_user(user: User) -> QuerySet[Organisation]:
    membership = _membership_or_404(user)
    return Organisation.objects.filter(tenant_id=membership.tenant_id).select_related("parent")


def organisation_get_for_user(user: User, organisation_id: uuid.UUID) -> Organisation:
    try:
        return organisation_list_for_user(user).get(pk=organisation_id)
    except Organisation.DoesNotExist:
        raise Http404 from None


def team_list_for_user(user: User) -> QuerySet[Team]:
    membership = _membership_or_404(user)
    teams = Team.objects.filter(tenant_id=membership.tenant_id).select_related("host")
    if membership.role in LEAD_ROLES | PROGRAMME_ROLES | ADMIN_ROLES:
        return teams
    # A subquery rather than a join on memberships: the join would also narrow counts
    # annotated over memberships later (teams_with_counts) to the user's own row.
    own = Q(pk__in=TeamMembership.objects.filter(membership=membership).values("team_id"))
    if membership.role in CLINICAL_ROLES:
        return teams.filter(own | ~Q(kind=TeamKind.VCSE_SERVICE))
    return teams.filter(own)


def team_get_for_user(user: User, team_id: uuid.UUID) -> Team:
    try:
        return team_list_for_user(user).get(pk=team_id)
    except Team.DoesNotExist:
        raise Http404 from None


def staff_list_for_user(user: User) -> QuerySet[Membership]:
    """Staff the user may see: everyone for leads and admins, otherwise colleagues in shared
    teams (and themselves)."""
    membership = _membership_or_404(user)
    staff = Membership.objects.filter(tenant_id=membership.tenant_id, is_active=True)
    if membership.role not in LEAD_ROLES | ADMIN_ROLES:
        my_teams = TeamMembership.objects.filter(membership=membership).values("team_id")
        staff = staff.filter(Q(pk=membership.pk) | Q(teams__in=my_teams)).distinct()
    return staff.select_related("user", "employer").prefetch_related(
        Prefetch("teams", queryset=Team.objects.only("id", "name", "kind"))
    )


def staff_get_for_user(user: User, membership_id: uuid.UUID) -> Membership:
    try:
        return staff_list_for_user(user).get(pk=membership_id)
    except Membership.DoesNotExist:
        raise Http404 from None


def team_members(team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(tenant_id=team.tenant_id, teams=team, is_active=True)
        .select_related("user", "employer")
        .order_by("role", "user__last_name")
    )


def teams_with_counts(teams: QuerySet[Team]) -> QuerySet[Team]:
    return teams.annotate(
        staff_count=Count("memberships", filter=Q(memberships__is_active=True), distinct=True)
    )


def pcn_overview(user: User) -> QuerySet[Organisation]:
    """PCNs of the user's place with their go-live date, intake pauses and teams."""
    return (
        organisation_list_for_user(user)
        .filter(kind=OrganisationKind.PCN)
        .prefetch_related(
            Prefetch("intake_pauses", queryset=IntakePause.objects.order_by("starts_on")),
            Prefetch("teams", queryset=Team.objects.order_by("name")),
        )
        .annotate(practice_count=Count("children", filter=Q(children__kind="gp_practice")))
        .order_by("name")
    )


def recent_audit_events(user: User, limit: int = 10) -> QuerySet[AuditEvent]:
    membership = _membership_or_404(user)
    return AuditEvent.objects.filter(tenant_id=membership.tenant_id).order_by("-at")[:limit]


def audit_events_about(user: User, targets: dict[str, list[str]]) -> QuerySet[AuditEvent]:
    """Audit events of the user's tenant about any of ``targets`` ({model label: ids}), newest
    first. No targets: no events. Each label is one arm of an OR the (tenant, target_type,
    target_id) index answers."""
    membership = _membership_or_404(user)
    about = Q()
    for target_type, ids in targets.items():
        about |= Q(target_type=target_type, target_id__in=ids)
    events = AuditEvent.objects.filter(tenant_id=membership.tenant_id)
    return events.filter(about).order_by("-at", "-id") if about else events.none()
