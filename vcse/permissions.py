"""Who may do what with the directory and onward referrals. Used by the pages and the API.

Seeing an onward referral at all is decided by vcse.selectors (the referring side through the
person's referral; the partner's side through its organisation and standing consent); these
helpers decide what a user who can see it may do.
"""

from __future__ import annotations

from caseload.permissions import _works_on
from pcns.models import Organisation, Role, User
from pcns.permissions import _membership
from pcns.roles import ADMIN_ROLES, CLINICAL_ROLES, LEAD_ROLES, PROGRAMME_ROLES, VCSE_ROLES
from referrals.models import Referral
from referrals.states import OPEN_STATUSES
from vcse.models import OnwardReferral, Service
from vcse.selectors import vcse_organisation_ids


def can_view_directory(user: User) -> bool:
    return _membership(user) is not None


def can_list_services_for(user: User, organisation: Organisation) -> bool:
    """Tenant administrators for any VCSE organisation; a VCSE lead for their own."""
    membership = _membership(user)
    if membership is None or organisation.tenant_id != membership.tenant_id:
        return False
    if membership.role in ADMIN_ROLES:
        return organisation.kind == "vcse"
    return (membership.role == Role.VCSE_LEAD
            and organisation.pk in vcse_organisation_ids(membership))


def can_edit_service(user: User, service: Service) -> bool:
    return can_list_services_for(user, service.organisation)


def can_maintain_any_service(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in ADMIN_ROLES | {Role.VCSE_LEAD}


def _on_referral(user: User, referral: Referral) -> bool:
    membership = _membership(user)
    return (membership is not None and membership.role in CLINICAL_ROLES
            and _works_on(membership, referral))


def can_send_onward_referral(user: User, referral: Referral) -> bool:
    """Anyone working with the person (connectors and peer support workers too), while the
    referral is open."""
    return referral.status in OPEN_STATUSES and _on_referral(user, referral)


def can_view_onward_referral(user: User, onward: OnwardReferral) -> bool:
    return _on_referral(user, onward.referral)


def can_withdraw_consent(user: User, onward: OnwardReferral) -> bool:
    return _on_referral(user, onward.referral) and not onward.consent.withdrawn_on


def _partner(user: User, onward: OnwardReferral) -> bool:
    membership = _membership(user)
    return (membership is not None and membership.role in VCSE_ROLES
            and onward.tenant_id == membership.tenant_id
            and onward.organisation_id in vcse_organisation_ids(membership))


def can_use_inbox(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in VCSE_ROLES


def can_answer_onward_referral(user: User, onward: OnwardReferral) -> bool:
    """Accept, decline, log contacts and close: the receiving organisation's staff."""
    return _partner(user, onward)


def can_view_activity_report(user: User) -> bool:
    """Programme managers, administrators and clinical leads see every partner; a VCSE lead
    sees their own organisation's figures."""
    membership = _membership(user)
    return membership is not None and membership.role in (
        PROGRAMME_ROLES | ADMIN_ROLES | LEAD_ROLES | {Role.VCSE_LEAD})


def activity_report_organisations(user: User) -> set | None:
    """The organisations a user's activity report covers: None for all, else a set of ids."""
    membership = _membership(user)
    if membership is not None and membership.role == Role.VCSE_LEAD:
        return vcse_organisation_ids(membership)
    return None
