"""Groups of roles, and where each role lands after signing in."""

from __future__ import annotations

from pcns.models import Role

#: Hold caseloads and record care (peer support and connectors with limits, see permissions).
CLINICAL_ROLES = frozenset(
    {
        Role.MHP, Role.CLINICAL_LEAD, Role.PSYCHOLOGIST, Role.PSYCHOTHERAPIST, Role.CAP,
        Role.TRAINEE_CAP, Role.OCCUPATIONAL_THERAPIST, Role.PHARMACIST, Role.HEALTH_COACH,
        Role.CONNECTOR, Role.PEER_SUPPORT,
    }
)
LEAD_ROLES = frozenset({Role.CLINICAL_LEAD})
#: Open only the records of people they are allocated to (named or joint worker) or referred on,
#: not their whole team's, unless their tenant widens it (Tenant.non_clinical_team_access).
ALLOCATED_ONLY_ROLES = frozenset({Role.CONNECTOR, Role.PEER_SUPPORT})
VCSE_ROLES = frozenset({Role.VCSE_WORKER, Role.VCSE_LEAD})
PRACTICE_ROLES = frozenset({Role.GP_PRACTICE})
PROGRAMME_ROLES = frozenset({Role.PROGRAMME_MANAGER})
ADMIN_ROLES = frozenset({Role.TENANT_ADMIN})


def landing_url_name(role: str) -> str:
    """The URL name of the page a role lands on after signing in."""
    if role in LEAD_ROLES:
        return "caseload:home-team-lead"
    if role in CLINICAL_ROLES:
        return "caseload:home-clinician"
    if role in VCSE_ROLES:
        return "pcns:home-vcse"
    if role in PRACTICE_ROLES:
        return "pcns:home-practice"
    if role in PROGRAMME_ROLES:
        return "pcns:home-programme"
    return "pcns:home-admin"
