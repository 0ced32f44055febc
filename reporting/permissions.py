"""Who may see which metric pages, exports and API figures (METRICS.md section 6).

Programme pages (the dashboard, the run log, their CSVs) are for programme managers and tenant
administrators and show figures under the tenant's disclosure rule. The team page is for clinical
leads (and programme managers) and the "my caseload" page for anyone holding a caseload in a
team: both are direct care, with exact figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from pcns.models import Membership, TeamMembership, User
from pcns.permissions import has_role
from pcns.roles import ADMIN_ROLES, CLINICAL_ROLES, LEAD_ROLES, PROGRAMME_ROLES

PROGRAMME = PROGRAMME_ROLES | ADMIN_ROLES


def _membership(user: User) -> Membership | None:
    if not user.is_authenticated:
        return None
    membership = getattr(user, "membership", None)
    return membership if membership is not None and membership.is_active else None


def can_view_programme_dashboard(user: User) -> bool:
    return has_role(user, PROGRAMME)


def can_view_run_log(user: User) -> bool:
    return has_role(user, PROGRAMME)


def can_request_refresh(user: User) -> bool:
    return has_role(user, PROGRAMME)


def can_view_team_dashboard(user: User) -> bool:
    return has_role(user, LEAD_ROLES | PROGRAMME_ROLES)


def can_view_own_dashboard(user: User) -> bool:
    """Clinical staff who belong to a team (their caseload is counted as a worker's)."""
    membership = _membership(user)
    return (membership is not None and membership.role in CLINICAL_ROLES
            and TeamMembership.objects.filter(membership=membership).exists())


def may_hold_caseload(user: User) -> bool:
    """The role alone (no query, for the navigation): the page itself also needs a team."""
    return has_role(user, CLINICAL_ROLES)


def can_use_metrics_api(user: User) -> bool:
    return has_role(user, PROGRAMME | LEAD_ROLES)


@dataclass(frozen=True)
class ExactScope:
    """The team and worker dimension keys whose figures a caller sees exactly (direct care)."""

    teams: frozenset[str] = frozenset()
    workers: frozenset[str] = frozenset()

    def covers(self, dimension: str, key: str) -> bool:
        if dimension == "team":
            return key in self.teams
        if dimension == "worker":
            return key in self.workers
        return False


def exact_scope(user: User) -> ExactScope:
    """A clinical lead's own teams and the members of those teams; nothing for anyone else."""
    membership = _membership(user)
    if membership is None or membership.role not in LEAD_ROLES:
        return ExactScope()
    teams = list(TeamMembership.objects.filter(membership=membership)
                 .values_list("team_id", flat=True))
    workers = (Membership.objects.filter(tenant_id=membership.tenant_id,
                                         teams__in=teams)
               .values_list("pk", flat=True).distinct())
    return ExactScope(teams=frozenset(str(t) for t in teams),
                      workers=frozenset(str(w) for w in workers))
