"""Who may do what: ``can_<verb>_<thing>(user, obj)``, used by views, admin and the API.

Each helper answers for the user's own tenant only; objects of other tenants never reach here
because selectors and row-level security hide them first (and answer 404, not 403).
"""

from __future__ import annotations

from pcns import selectors
from pcns.models import Membership, Organisation, Team, User
from pcns.roles import ADMIN_ROLES, CLINICAL_ROLES, LEAD_ROLES, PROGRAMME_ROLES, VCSE_ROLES


def _membership(user: User) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        membership = user.membership
    except Membership.DoesNotExist:
        return None
    return membership if membership.is_active else None


def _same_tenant(membership: Membership | None, obj) -> bool:
    return membership is not None and getattr(obj, "tenant_id", None) == membership.tenant_id


def has_role(user: User, roles: frozenset[str]) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in roles


def can_view_clinician_home(user: User) -> bool:
    return has_role(user, CLINICAL_ROLES)


def can_view_team_lead_home(user: User) -> bool:
    return has_role(user, LEAD_ROLES)


def can_view_vcse_home(user: User) -> bool:
    return has_role(user, VCSE_ROLES)


def can_view_practice_home(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role == "gp_practice"


def can_view_programme_home(user: User) -> bool:
    return has_role(user, PROGRAMME_ROLES | ADMIN_ROLES)


def can_administer_tenant(user: User) -> bool:
    return has_role(user, ADMIN_ROLES)


def can_view_audit_log(user: User) -> bool:
    return has_role(user, ADMIN_ROLES)


def can_view_organisation(user: User, organisation: Organisation) -> bool:
    """Any member of the place may see its organisations (names, codes, structure)."""
    return _same_tenant(_membership(user), organisation)


def can_view_team(user: User, team: Team) -> bool:
    """The rule lives in selectors.team_list_for_user: own teams; every clinical team for
    clinical staff; all teams for leads, programme managers and admins."""
    membership = _membership(user)
    if not _same_tenant(membership, team):
        return False
    return selectors.team_list_for_user(user).filter(pk=team.pk).exists()


def can_view_team_members(user: User, team: Team) -> bool:
    """The staff list of a team (names, roles, WTE): leads, admins and the team's own members."""
    membership = _membership(user)
    if not can_view_team(user, team):
        return False
    if membership.role in LEAD_ROLES | ADMIN_ROLES | PROGRAMME_ROLES:
        return True
    return team.memberships.filter(pk=membership.pk).exists()


def can_view_staff_member(user: User, other: Membership) -> bool:
    """The rule lives in selectors.staff_list_for_user: colleagues in shared teams, everyone
    for leads and admins."""
    if not _same_tenant(_membership(user), other):
        return False
    return selectors.staff_list_for_user(user).filter(pk=other.pk).exists()
