"""Who may record what in a care record: every role of the cast, other teams, other places."""

from __future__ import annotations

from decimal import Decimal

import pytest

from caseload import permissions
from caseload.models import RiskConcern
from pcns.models import Membership, Role, TeamMembership
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.factories import ROLES, make_referral, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


def allocated(cast, *, worker=None, joint=()):
    referral = make_referral(cast)
    referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                 version=referral.version)
    return referral_services.referral_allocate(
        referral=referral, actor=cast.team_lead, version=referral.version,
        worker=worker or cast.clinician.membership, joint_workers=list(joint))


@pytest.fixture
def record(ctx):
    """An allocated referral in the cast's PCN team, held by the clinician with the peer support
    worker and the connector as joint workers, with a concern."""
    referral = allocated(ctx, joint=[ctx.peer_support.membership, ctx.connector.membership])
    concern = RiskConcern.objects.create(tenant=ctx.tenant, referral=referral,
                                         raised_by=ctx.peer_support, concern="Not sleeping")
    return referral, concern


ACTIONS = {
    "view_care_record": lambda user, c, r, k: permissions.can_view_care_record(user, r),
    "record_contact": lambda user, c, r, k: permissions.can_record_contact(user, r),
    "record_team_contact": lambda user, c, r, k: permissions.can_record_team_contact(
        user, c.pcn_team),
    "record_assessment": lambda user, c, r, k: permissions.can_record_assessment(user, r),
    "edit_care_plan": lambda user, c, r, k: permissions.can_edit_care_plan(user, r),
    "deliver_therapy": lambda user, c, r, k: permissions.can_record_intervention(
        user, r, "psychological_therapy"),
    "deliver_medication_review": lambda user, c, r, k: permissions.can_record_intervention(
        user, r, "medication_physical_health"),
    "record_clinical_kinds": lambda user, c, r, k: permissions.can_record_intervention(user, r),
    "record_peer_support": lambda user, c, r, k: permissions.can_record_intervention(
        user, r, "peer_support"),
    "record_community_connection": lambda user, c, r, k: permissions.can_record_intervention(
        user, r, "community_connection"),
    "record_any_intervention": lambda user, c, r, k: permissions.can_record_any_intervention(
        user, r),
    "record_outcome": lambda user, c, r, k: permissions.can_record_outcome(user, r),
    "raise_risk_concern": lambda user, c, r, k: permissions.can_raise_risk_concern(user, r),
    "discharge": lambda user, c, r, k: permissions.can_discharge(user, r),
    "acknowledge_risk_concern": lambda user, c, r, k: permissions.can_acknowledge_risk_concern(
        user, k),
    "view_team_caseload": lambda user, c, r, k: permissions.can_view_team_caseload(
        user, c.pcn_team),
}

#: Everyone working with people records contacts, non-clinical support and outcome measures,
#: and raises concerns.
SUPPORT = {"view_care_record", "record_contact", "record_team_contact", "record_peer_support",
           "record_community_connection", "record_any_intervention", "record_outcome",
           "raise_risk_concern"}
#: Practitioners also assess, plan care, deliver clinical interventions and discharge.
PRACTITIONER = SUPPORT | {"record_assessment", "edit_care_plan", "deliver_therapy",
                          "deliver_medication_review", "record_clinical_kinds", "discharge"}
LEAD = PRACTITIONER | {"acknowledge_risk_concern", "view_team_caseload"}

EXPECTED = {
    "clinician": PRACTITIONER,
    "team_lead": LEAD,
    "connector": SUPPORT,
    "peer_support": SUPPORT,
    "other_clinician": set(),  # another team, and not holding the referral
    "vcse_worker": set(),
    "vcse_lead": set(),
    "gp": set(),
    "programme_manager": set(),
    "tenant_admin": set(),
}
assert set(EXPECTED) == set(ROLES)

MATRIX = [(label, action) for label in EXPECTED for action in ACTIONS]


@pytest.mark.parametrize("label,action", MATRIX, ids=[f"{a}-by-{b}" for b, a in MATRIX])
def test_each_role_may_do_exactly_what_its_part_in_care_allows(ctx, record, label, action):
    referral, concern = record
    allowed = ACTIONS[action](getattr(ctx, label), ctx, referral, concern)
    assert allowed is (action in EXPECTED[label])


@pytest.mark.parametrize("label", list(ROLES))
def test_nobody_from_another_place_may_do_anything_with_a_care_record(
    ctx, record, tenant_b, label
):
    referral, concern = record
    outsider = getattr(tenant_b, label)
    with tenant_context(tenant_b.tenant.pk):
        answers = {action: ask(outsider, ctx, referral, concern)
                   for action, ask in ACTIONS.items()}
    assert not any(answers.values()), answers


def test_a_worker_from_another_team_may_act_on_a_referral_they_hold_jointly(ctx):
    membership = ctx.other_clinician.membership
    seat = TeamMembership.objects.create(tenant=ctx.tenant, membership=membership,
                                         team=ctx.pcn_team)
    referral = allocated(ctx, joint=[membership])
    seat.delete()  # back in their own team, still holding this referral
    concern = RiskConcern.objects.create(tenant=ctx.tenant, referral=referral,
                                         raised_by=ctx.clinician, concern="Not sleeping")
    answers = {action: ask(ctx.other_clinician, ctx, referral, concern)
               for action, ask in ACTIONS.items()}
    # The care relationship gives them the record; the team's own business stays the team's.
    assert {action for action, allowed in answers.items() if allowed} == (
        PRACTITIONER - {"record_team_contact"})


def test_a_lead_of_another_team_cannot_acknowledge_this_teams_concerns_or_see_its_caseload(
    ctx, record
):
    referral, concern = record
    user = make_user("north.lead@northtown.test", first_name="North", last_name="Lead")
    membership = Membership.objects.create(tenant=ctx.tenant, user=user,
                                           role=Role.CLINICAL_LEAD, employer=ctx.trust)
    TeamMembership.objects.create(tenant=ctx.tenant, membership=membership,
                                  team=ctx.other_pcn_team)
    assert not permissions.can_acknowledge_risk_concern(user, concern)
    assert not permissions.can_view_team_caseload(user, ctx.pcn_team)
    assert not permissions.can_record_contact(user, referral)
    assert permissions.can_view_team_caseload(user, ctx.other_pcn_team)


def test_a_worker_whose_membership_ended_may_do_nothing(ctx, record):
    referral, concern = record
    membership = ctx.team_lead.membership
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    answers = {action: ask(ctx.team_lead, ctx, referral, concern)
               for action, ask in ACTIONS.items()}
    assert not any(answers.values()), answers


#: Every role, placed in the referral's team: who assesses, and who records care at all.
ASSESSING_ROLES = {"mhp", "clinical_lead", "psychologist", "psychotherapist", "cap",
                   "trainee_cap", "occupational_therapist", "pharmacist", "health_coach"}
CARING_ROLES = ASSESSING_ROLES | {"connector", "peer_support"}


@pytest.mark.parametrize("role", Role.values)
def test_every_role_in_the_team_assesses_and_records_care_only_if_its_work_is_care(
    ctx, record, role
):
    referral, _ = record
    user = make_user(f"new.{role}@northtown.test", first_name=role.title(), last_name="Staff")
    membership = Membership.objects.create(tenant=ctx.tenant, user=user, role=role,
                                           employer=ctx.trust, wte=Decimal("1.0"))
    TeamMembership.objects.create(tenant=ctx.tenant, membership=membership, team=ctx.pcn_team)
    # Peer support workers and connectors work on their team's people only where the tenant
    # says so (tests/caseload/test_least_privilege.py).
    assert permissions.can_record_contact(user, referral) is (
        role in CARING_ROLES - {"connector", "peer_support"})
    ctx.tenant.non_clinical_team_access = True
    ctx.tenant.save(update_fields=["non_clinical_team_access"])
    user.membership.tenant.refresh_from_db()
    assert permissions.can_record_contact(user, referral) is (role in CARING_ROLES)
    assert permissions.can_record_assessment(user, referral) is (role in ASSESSING_ROLES)
    assert permissions.can_discharge(user, referral) is (role in ASSESSING_ROLES)
    assert permissions.can_view_team_caseload(user, ctx.pcn_team) is (role == "clinical_lead")

