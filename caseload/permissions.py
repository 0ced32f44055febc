"""Who may record what in a care record. Used by the pages and the API alike.

Seeing a record at all is decided by caseload.selectors (the referral must be visible to the
user); these helpers decide what a user who can see it may record. Peer support workers and
community connectors record contacts, non-clinical interventions and outcome measures and raise
risk concerns; they do not assess, write care plans, deliver clinical interventions or discharge.
"""

from __future__ import annotations

from caseload.codes import CLINICAL_INTERVENTION_KINDS
from caseload.corrections import author_id_of, referral_of, team_id_of
from caseload.models import RiskConcern
from caseload.services import PRACTITIONER_ROLES
from pcns.models import Membership, Team, TeamMembership, User
from pcns.permissions import _membership
from pcns.roles import CLINICAL_ROLES, LEAD_ROLES
from referrals.models import JointWorker, Referral
from referrals.selectors import referred_on_by, sees_allocated_only


def _in_team(membership: Membership, team_id) -> bool:
    return TeamMembership.objects.filter(membership=membership, team_id=team_id).exists()


def _team_or_referred_on(membership: Membership, referral: Referral) -> bool:
    """In the referral's team; for peer support workers and connectors, the team counts only
    if their tenant says so, and having referred the person on counts instead
    (referrals.selectors.sees_allocated_only)."""
    if sees_allocated_only(membership):
        return referred_on_by(membership).filter(pk=referral.pk).exists()
    return _in_team(membership, referral.team_id)


def _works_on(membership: Membership, referral: Referral) -> bool:
    """In the referral's team, or holding it as named or joint worker (see above for peer
    support workers and connectors)."""
    return (
        referral.tenant_id == membership.tenant_id
        and (
            referral.worker_id == membership.pk
            or _team_or_referred_on(membership, referral)
            or JointWorker.objects.filter(referral=referral, membership=membership).exists()
        )
    )


def _role_on(user: User, referral: Referral, roles) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in roles and _works_on(membership,
                                                                              referral)


def can_view_care_record(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, CLINICAL_ROLES)


def can_record_contact(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, CLINICAL_ROLES)


def can_record_team_contact(user: User, team: Team) -> bool:
    """A contact with no referral (advice to a GP), for one of the user's own teams."""
    membership = _membership(user)
    return (membership is not None and membership.role in CLINICAL_ROLES
            and team.tenant_id == membership.tenant_id and _in_team(membership, team.pk))


def can_record_assessment(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, PRACTITIONER_ROLES)


def can_edit_care_plan(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, PRACTITIONER_ROLES)


def can_record_intervention(user: User, referral: Referral, kind: str | None = None) -> bool:
    """Anyone on the referral for non-clinical kinds; practitioners for clinical ones (and for
    ``kind=None``, the question "may they record any kind?")."""
    clinical = kind is None or kind in CLINICAL_INTERVENTION_KINDS
    roles = PRACTITIONER_ROLES if clinical else CLINICAL_ROLES
    return _role_on(user, referral, roles)


def can_record_any_intervention(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, CLINICAL_ROLES)


def can_record_outcome(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, CLINICAL_ROLES)


def can_raise_risk_concern(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, CLINICAL_ROLES)


def can_discharge(user: User, referral: Referral) -> bool:
    return _role_on(user, referral, PRACTITIONER_ROLES)


def can_acknowledge_risk_concern(user: User, concern: RiskConcern) -> bool:
    """The leads of the referral's team."""
    membership = _membership(user)
    return (membership is not None and membership.role in LEAD_ROLES
            and concern.tenant_id == membership.tenant_id
            and _in_team(membership, concern.referral.team_id))


def can_view_team_caseload(user: User, team: Team) -> bool:
    membership = _membership(user)
    return (membership is not None and membership.role in LEAD_ROLES
            and team.tenant_id == membership.tenant_id and _in_team(membership, team.pk))


def can_correct_care_record(user: User, record) -> bool:
    """Amend a care record or mark it entered in error: its author (while they still work on
    it) and the leads of its team. A risk concern still open is the leads' alone: marking it
    entered in error would close it without anyone acknowledging it."""
    membership = _membership(user)
    if membership is None or record.tenant_id != membership.tenant_id:
        return False
    team_id = team_id_of(record)
    if membership.role in LEAD_ROLES and _in_team(membership, team_id):
        return True
    if _waits_for_a_lead(record):
        return False
    if author_id_of(record) != user.pk or membership.role not in CLINICAL_ROLES:
        return False
    referral = referral_of(record)
    return _works_on(membership, referral) if referral else _in_team(membership, team_id)


def care_record_corrector(user: User, referral: Referral):
    """For the care record page (which the user may already see): a test of which of its
    records the user may correct, asking the database once rather than once a record. The
    correction page itself asks can_correct_care_record."""
    membership = _membership(user)
    lead = (membership is not None and membership.role in LEAD_ROLES
            and _in_team(membership, referral.team_id))
    return lambda record: lead or (author_id_of(record) == user.pk
                                   and not _waits_for_a_lead(record))


def _waits_for_a_lead(record) -> bool:
    return isinstance(record, RiskConcern) and record.is_open
