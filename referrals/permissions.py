"""Who may do what with people and referrals. Used by the pages and the API alike.

Seeing a referral at all is decided by referrals.selectors (own teams, or allocated to you);
these helpers decide what a user who can see it may do with it.
"""

from __future__ import annotations

from pcns.models import Membership, Role, Team, User
from pcns.permissions import _membership
from pcns.roles import ADMIN_ROLES, CLINICAL_ROLES, LEAD_ROLES, PRACTICE_ROLES
from referrals import selectors
from referrals.models import Person, Referral

#: Decide what happens to a referral: accept, redirect, reject, flag for MDT, allocate.
TRIAGE_ROLES = frozenset({Role.MHP, Role.CLINICAL_LEAD})


def _is_member(membership: Membership, team_id) -> bool:
    return membership.teams.filter(pk=team_id).exists()


def can_receive_referrals(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in CLINICAL_ROLES


def can_receive_referral_into(user: User, team: Team) -> bool:
    membership = _membership(user)
    return (
        can_receive_referrals(user)
        and team.tenant_id == membership.tenant_id
        and _is_member(membership, team.pk)
    )


def can_view_referral(user: User, referral: Referral) -> bool:
    return selectors.referral_list_for_user(user).filter(pk=referral.pk).exists()


def can_view_triage_queue(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in CLINICAL_ROLES


def can_triage_referral(user: User, referral: Referral) -> bool:
    """MHPs and leads of the receiving team."""
    membership = _membership(user)
    return (
        membership is not None
        and membership.role in TRIAGE_ROLES
        and referral.tenant_id == membership.tenant_id
        and _is_member(membership, referral.team_id)
    )


def can_allocate_referral(user: User, referral: Referral) -> bool:
    return can_triage_referral(user, referral)


def can_view_mdt_list(user: User, team: Team) -> bool:
    membership = _membership(user)
    return (
        membership is not None
        and membership.role in CLINICAL_ROLES
        and team.tenant_id == membership.tenant_id
        and _is_member(membership, team.pk)
    )


def can_view_caseload(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in CLINICAL_ROLES


def can_view_practice_referrals(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in PRACTICE_ROLES


def can_view_person(user: User, person: Person) -> bool:
    return selectors.person_list_for_user(user).filter(pk=person.pk).exists()


def can_create_person(user: User) -> bool:
    return can_receive_referrals(user)


def can_change_person(user: User, person: Person) -> bool:
    """Identity and contact details: clinical staff other than peer support workers."""
    membership = _membership(user)
    return (
        membership is not None
        and membership.role in CLINICAL_ROLES - {Role.PEER_SUPPORT}
        and person.merged_into_id is None
        and can_view_person(user, person)
    )


def can_merge_people(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in ADMIN_ROLES


def can_view_record_audit(user: User, person: Person) -> bool:
    """Who has looked at a person's record: tenant administrators, and the clinical leads of a
    team the person has a referral with (they answer for the team's records)."""
    membership = _membership(user)
    if membership is None or person.tenant_id != membership.tenant_id:
        return False
    if membership.role in ADMIN_ROLES:
        return True
    return membership.role in LEAD_ROLES and Referral.objects.filter(
        tenant_id=person.tenant_id, person=person,
        team_id__in=membership.teams.values("pk"),
    ).exists()


def can_amend_referral(user: User, referral: Referral) -> bool:
    """Correct a referral's intake details: whoever entered it, and the leads of its team."""
    membership = _membership(user)
    if membership is None or referral.tenant_id != membership.tenant_id:
        return False
    if membership.role in LEAD_ROLES and _is_member(membership, referral.team_id):
        return True
    return (referral.entered_by_id == user.pk and membership.role in CLINICAL_ROLES
            and can_view_referral(user, referral))
