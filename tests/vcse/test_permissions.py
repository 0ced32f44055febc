"""Who may do what with onward referrals and the directory: every role of the cast, another
VCSE organisation, other places, ended memberships."""

from __future__ import annotations

import pytest

from caseload import services as caseload_services
from pcns.models import Membership, Organisation, Role, TeamMembership
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.factories import ROLES, make_onward_referral, make_referral, make_user
from vcse import permissions, services
from vcse.models import OnwardReferral

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


@pytest.fixture
def world(ctx):
    """The cast's onward referral (from its referral in care, in the PCN team, to its VCSE) and
    a second VCSE organisation of the place."""
    onward = OnwardReferral.objects.select_related("referral", "consent").get(
        organisation=ctx.vcse)
    advice = Organisation.objects.create(tenant=ctx.tenant, kind="vcse",
                                         name="Citizens Advice Northtown")
    return onward, advice


ACTIONS = {
    "send_onward_referral": lambda user, c, o, a: permissions.can_send_onward_referral(
        user, o.referral),
    "view_onward_referral": lambda user, c, o, a: permissions.can_view_onward_referral(user, o),
    "withdraw_consent": lambda user, c, o, a: permissions.can_withdraw_consent(user, o),
    "answer_onward_referral": lambda user, c, o, a: permissions.can_answer_onward_referral(
        user, o),
    "list_services_for_own_vcse": lambda user, c, o, a: permissions.can_list_services_for(
        user, c.vcse),
    "list_services_for_another_vcse": lambda user, c, o, a: permissions.can_list_services_for(
        user, a),
    "list_services_for_a_pcn": lambda user, c, o, a: permissions.can_list_services_for(
        user, c.pcn),
    "view_activity_report": lambda user, c, o, a: permissions.can_view_activity_report(user),
}

#: Everyone working with the person refers on, follows the onward referral and records a
#: withdrawal of consent.
REFERRER = {"send_onward_referral", "view_onward_referral", "withdraw_consent"}

EXPECTED = {
    "clinician": REFERRER,
    "team_lead": REFERRER | {"view_activity_report"},
    "connector": REFERRER,  # employed by the VCSE, but working in the PCN team
    "peer_support": REFERRER,
    "other_clinician": set(),  # another team, and not holding the referral
    "vcse_worker": {"answer_onward_referral"},
    "vcse_lead": {"answer_onward_referral", "list_services_for_own_vcse",
                  "view_activity_report"},
    "gp": set(),
    "programme_manager": {"view_activity_report"},
    "tenant_admin": {"list_services_for_own_vcse", "list_services_for_another_vcse",
                     "view_activity_report"},
}
assert set(EXPECTED) == set(ROLES)

MATRIX = [(label, action) for label in EXPECTED for action in ACTIONS]


@pytest.mark.parametrize("label,action", MATRIX, ids=[f"{a}-by-{b}" for b, a in MATRIX])
def test_each_role_may_do_exactly_what_its_part_allows(ctx, world, label, action):
    onward, advice = world
    allowed = ACTIONS[action](getattr(ctx, label), ctx, onward, advice)
    assert allowed is (action in EXPECTED[label])


@pytest.mark.parametrize("label", list(ROLES))
def test_nobody_from_another_place_may_do_anything_here(ctx, world, tenant_b, label):
    onward, advice = world
    outsider = getattr(tenant_b, label)
    with tenant_context(tenant_b.tenant.pk):
        answers = {action: ask(outsider, ctx, onward, advice)
                   for action, ask in ACTIONS.items() if action != "view_activity_report"}
    assert not any(answers.values()), answers


@pytest.mark.parametrize("label", list(ROLES))
def test_a_user_whose_membership_ended_may_do_nothing(ctx, world, label):
    onward, advice = world
    user = getattr(ctx, label)
    Membership.objects.filter(pk=user.membership.pk).update(is_active=False)
    user = type(user).objects.get(pk=user.pk)
    answers = {action: ask(user, ctx, onward, advice) for action, ask in ACTIONS.items()}
    assert not any(answers.values()), answers


def test_staff_of_another_vcse_organisation_cannot_answer_this_ones_onward_referral(
    ctx, world
):
    onward, advice = world
    for role in (Role.VCSE_WORKER, Role.VCSE_LEAD):
        user = make_user(f"{role}@advice.test", first_name="Advice", last_name=role)
        Membership.objects.create(tenant=ctx.tenant, user=user, role=role, employer=advice)
        assert not permissions.can_answer_onward_referral(user, onward)
        assert permissions.can_list_services_for(user, advice) is (role == Role.VCSE_LEAD)
        assert not permissions.can_list_services_for(user, ctx.vcse)


def test_vcse_staff_seconded_into_the_service_team_act_for_its_host(ctx, world):
    onward, advice = world
    user = make_user("seconded@northtown.test", first_name="Seconded", last_name="Lead")
    membership = Membership.objects.create(tenant=ctx.tenant, user=user, role=Role.VCSE_LEAD,
                                           employer=advice)
    TeamMembership.objects.create(tenant=ctx.tenant, membership=membership, team=ctx.vcse_team)
    assert permissions.can_answer_onward_referral(user, onward)
    assert permissions.can_list_services_for(user, ctx.vcse)
    assert permissions.can_list_services_for(user, advice)


def test_consent_withdrawn_once_cannot_be_withdrawn_again(ctx, world):
    onward, _ = world
    services.consent_withdraw(onward=onward, actor=ctx.clinician, version=onward.version)
    onward = OnwardReferral.objects.select_related("consent").get(pk=onward.pk)
    for label in ["clinician", "team_lead", "connector", "peer_support"]:
        user = getattr(ctx, label)
        assert not permissions.can_withdraw_consent(user, onward)
        assert permissions.can_view_onward_referral(user, onward)


@pytest.mark.parametrize("ending", ["discharged", "rejected"])
def test_nothing_is_referred_on_from_a_closed_referral(ctx, ending):
    referral = make_referral(ctx)
    assert permissions.can_send_onward_referral(ctx.clinician, referral)
    if ending == "discharged":
        referral = referral_services.referral_accept(referral=referral, actor=ctx.clinician,
                                                     version=referral.version)
        referral = caseload_services.referral_discharge(
            referral=referral, actor=ctx.clinician, version=referral.version,
            reason="goals_met")
    else:
        referral = referral_services.referral_reject(referral=referral, actor=ctx.clinician,
                                                     version=referral.version,
                                                     reason="not_eligible")
    for label in ["clinician", "team_lead", "connector", "peer_support"]:
        assert not permissions.can_send_onward_referral(getattr(ctx, label), referral)


def test_a_worker_of_another_team_follows_an_onward_referral_they_hold_jointly(ctx):
    membership = ctx.other_clinician.membership
    seat = TeamMembership.objects.create(tenant=ctx.tenant, membership=membership,
                                         team=ctx.pcn_team)
    referral = make_referral(ctx)
    referral = referral_services.referral_accept(referral=referral, actor=ctx.team_lead,
                                                 version=referral.version)
    referral = referral_services.referral_allocate(
        referral=referral, actor=ctx.team_lead, version=referral.version,
        worker=ctx.clinician.membership, joint_workers=[membership])
    onward = make_onward_referral(ctx, referral=referral)
    seat.delete()  # back in their own team, still holding this referral
    assert permissions.can_send_onward_referral(ctx.other_clinician, referral)
    assert permissions.can_view_onward_referral(ctx.other_clinician, onward)
    assert permissions.can_withdraw_consent(ctx.other_clinician, onward)
    assert not permissions.can_answer_onward_referral(ctx.other_clinician, onward)
