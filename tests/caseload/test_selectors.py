"""Care record reads: caseload flags, team caseload counts, risk concerns for leads, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caseload import selectors, services
from caseload.models import RiskConcern
from pcns.models import Membership, Role, TeamMembership
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.factories import make_referral, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


def allocated(cast, *, days_ago: int = 60, worker=None, joint=(), team=None, person=None):
    received = TODAY - dt.timedelta(days=days_ago)
    referral = make_referral(cast, person=person, received_on=received,
                             team=team or cast.pcn_team)
    referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                 version=referral.version, on=received)
    return referral_services.referral_allocate(
        referral=referral, actor=cast.team_lead, version=referral.version,
        worker=worker or cast.clinician.membership, joint_workers=list(joint), on=received)


def contact(cast, referral, on, attendance="attended", at=None):
    return services.contact_record(
        actor=cast.clinician, referral=referral,
        data=services.ContactInput(on=on, at=at, mode="video", attendance=attendance,
                                   purpose="review", staff=referral.worker),
    )


def assess(cast, referral):
    services.assessment_record(
        referral=referral, actor=cast.clinician,
        data=services.AssessmentInput(kind="initial", assessed_on=TODAY, summary="Seen",
                                      risk_summary="Low", assessor=referral.worker))


def plan(cast, referral, **overrides):
    values = {"goals": ["Sleep better"], "co_produced_with": ["person"],
              "review_trigger": "If sleep worsens", "safety_plan": "Crisis line",
              "agreed_on": TODAY - 3 * DAY}
    values.update(overrides)
    current = selectors.care_plan_of(referral)
    return services.care_plan_save(
        referral=referral, actor=cast.clinician,
        version=current.version if current and current.referral_id == referral.pk else None,
        data=services.CarePlanInput(**values))


def new_member(cast, email: str, role: str, team) -> Membership:
    user = make_user(email, first_name="New", last_name=role.title())
    membership = Membership.objects.create(tenant=cast.tenant, user=user, role=role,
                                           employer=cast.trust)
    TeamMembership.objects.create(tenant=cast.tenant, membership=membership, team=team)
    return membership


def flags_of(user, referral):
    return selectors.caseload_with_flags(user).get(pk=referral.pk)


# --------------------------------------------------------------------------- caseload flags


def test_the_caseload_shows_last_and_next_contact_two_dnas_and_the_outcome_measure(ctx):
    referral = allocated(ctx)
    contact(ctx, referral, TODAY - 40 * DAY)
    contact(ctx, referral, TODAY - 20 * DAY, "dna")
    contact(ctx, referral, TODAY - 10 * DAY, "dna")
    contact(ctx, referral, TODAY - 5 * DAY, "cancelled_by_patient")  # neither kept nor missed
    contact(ctx, referral, TODAY - 2 * DAY, "booked")  # in the past: not the next one
    contact(ctx, referral, TODAY + 12 * DAY, "booked")
    contact(ctx, referral, TODAY + 5 * DAY, "booked")
    services.outcome_record(referral=referral, actor=ctx.clinician, tool="core10",
                            completed_on=TODAY - 40 * DAY, items=[2] * 10)
    row = flags_of(ctx.clinician, referral)
    assert (row.last_contact_on, row.next_contact_on) == (TODAY - 40 * DAY, TODAY + 5 * DAY)
    assert (TODAY - row.last_contact_on).days > selectors.NO_CONTACT_DAYS
    assert (row.last_outcome, row.outcome_before) == ("dna", "dna")
    assert row.has_outcome_measure is True
    assert row.is_named_worker == 1


def test_a_referral_with_nothing_recorded_has_empty_flags(ctx):
    referral = allocated(ctx, days_ago=10)
    row = flags_of(ctx.clinician, referral)
    assert (row.last_contact_on, row.next_contact_on, row.last_outcome, row.outcome_before,
            row.has_outcome_measure, row.plan_saved_at, row.plan_review_by,
            row.last_concern_at) == (None, None, None, None, False, None, None, None)


def test_a_dna_then_an_attended_contact_on_the_same_day_is_not_two_dnas_in_a_row(ctx):
    referral = allocated(ctx)
    contact(ctx, referral, TODAY - 9 * DAY, "dna")
    contact(ctx, referral, TODAY - 3 * DAY, "attended", at=dt.time(14, 0))
    contact(ctx, referral, TODAY - 3 * DAY, "dna", at=dt.time(9, 0))
    row = flags_of(ctx.clinician, referral)
    assert (row.last_outcome, row.outcome_before) == ("attended", "dna")
    assert row.last_contact_on == TODAY - 3 * DAY


def test_a_contact_within_28_days_is_the_last_contact(ctx):
    referral = allocated(ctx)
    contact(ctx, referral, TODAY - 40 * DAY)
    contact(ctx, referral, TODAY - 28 * DAY)
    row = flags_of(ctx.clinician, referral)
    assert row.last_contact_on == TODAY - 28 * DAY
    assert (TODAY - row.last_contact_on).days <= selectors.NO_CONTACT_DAYS


def test_the_caseload_shows_the_latest_care_plan_version_and_the_latest_concern(ctx):
    referral = allocated(ctx)
    plan(ctx, referral, review_by=TODAY + 60 * DAY)
    latest = plan(ctx, referral, review_by=TODAY + 14 * DAY)
    concern = RiskConcern.objects.create(tenant=ctx.tenant, referral=referral,
                                         raised_by=ctx.peer_support, concern="Unsafe at home")
    row = flags_of(ctx.clinician, referral)
    assert (row.plan_saved_at, row.plan_review_by) == (latest.recorded_at, TODAY + 14 * DAY)
    assert row.last_concern_at == concern.raised_at


def test_a_joint_worker_sees_the_referral_with_the_same_flags(ctx):
    referral = allocated(ctx, joint=[ctx.connector.membership])
    contact(ctx, referral, TODAY - 1 * DAY, "dna")
    row = flags_of(ctx.connector, referral)
    assert (row.is_named_worker, row.last_outcome) == (0, "dna")
    assert not selectors.caseload_with_flags(ctx.team_lead).filter(pk=referral.pk).exists()


def test_a_reopened_episode_carries_the_earlier_care_record_into_the_caseload(ctx):
    first = allocated(ctx, days_ago=80)
    contact(ctx, first, TODAY - 25 * DAY)
    services.outcome_record(referral=first, actor=ctx.clinician, tool="gad7",
                            completed_on=TODAY - 25 * DAY, items=[1] * 7)
    saved = plan(ctx, first)
    first = services.referral_discharge(referral=first, actor=ctx.clinician,
                                        version=first.version, reason="goals_met",
                                        on=TODAY - 20 * DAY)
    again = make_referral(ctx, person=first.person, received_on=TODAY)
    row = flags_of(ctx.clinician, again)
    assert (row.episode_id, row.last_contact_on, row.has_outcome_measure) == (
        first.episode_id, TODAY - 25 * DAY, True)
    assert selectors.care_plan_of(again).pk == saved.plan_id
    assert [c.on for c in selectors.episode_contacts(again)] == [TODAY - 25 * DAY]
    assert list(selectors.episode_referrals(again).values_list("pk", flat=True)) == [
        first.pk, again.pk]


def test_the_caseload_takes_the_same_number_of_queries_for_one_referral_or_five(ctx):
    worker = new_member(ctx, "counted@northtown.test", Role.MHP, ctx.pcn_team)
    user = worker.user

    def add_referral():
        referral = allocated(ctx, worker=worker, joint=[ctx.peer_support.membership])
        contact(ctx, referral, TODAY - 3 * DAY, "dna")
        contact(ctx, referral, TODAY + 3 * DAY, "booked")
        services.outcome_record(referral=referral, actor=ctx.clinician, tool="phq9",
                                completed_on=TODAY, items=[1] * 9)
        plan(ctx, referral)

    def shown() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = [(r.person.full_name, r.team.name, r.last_contact_on, r.next_contact_on,
                     r.last_outcome, r.outcome_before, r.has_outcome_measure,
                     r.plan_review_by, r.last_concern_at)
                    for r in selectors.caseload_with_flags(user)]
        return len(rows), len(queries)

    add_referral()
    one = shown()
    for _ in range(4):
        add_referral()
    five = shown()
    assert (one[0], five[0]) == (1, 5)
    assert five[1] == one[1] <= 2


# --------------------------------------------------------------------------- team caseload


def test_the_team_caseload_counts_each_workers_named_and_joint_referrals(ctx):
    # The cast's own referral: active, the clinician named, peer support joint.
    allocated(ctx, days_ago=5)
    allocated(ctx, days_ago=4, joint=[ctx.connector.membership])
    led = allocated(ctx, days_ago=3, worker=ctx.team_lead.membership,
                    joint=[ctx.clinician.membership])
    assess(ctx, led)
    gone = allocated(ctx, days_ago=2, joint=[ctx.connector.membership])
    services.referral_discharge(referral=gone, actor=ctx.clinician, version=gone.version,
                                reason="moved_away")
    allocated(ctx, days_ago=2, team=ctx.other_pcn_team, worker=ctx.other_clinician.membership)
    leaver = new_member(ctx, "leaver@northtown.test", Role.MHP, ctx.pcn_team)
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])

    counts = {m.user.email.split("@")[0]: (m.awaiting, m.active, m.joint, m.named_total)
              for m in selectors.team_caseload(ctx.pcn_team)}
    assert counts == {
        "clinician": (2, 1, 1, 3),
        "team_lead": (0, 1, 0, 1),
        "connector": (0, 0, 1, 0),
        "peer_support": (0, 0, 1, 0),
    }
    other = {m.user.email.split("@")[0]: (m.awaiting, m.active, m.joint)
             for m in selectors.team_caseload(ctx.other_pcn_team)}
    assert other == {"other_clinician": (1, 0, 0)}
    assert selectors.unallocated_count(ctx.pcn_team) == 0
    accepted = make_referral(ctx)
    referral_services.referral_accept(referral=accepted, actor=ctx.team_lead,
                                      version=accepted.version)
    assert selectors.unallocated_count(ctx.pcn_team) == 1


def test_only_leads_have_teams_to_lead_and_only_their_own(ctx):
    assert list(selectors.teams_led_by(ctx.team_lead)) == [ctx.pcn_team]
    assert selectors.team_led_by_user(ctx.team_lead, ctx.pcn_team.pk) == ctx.pcn_team
    with pytest.raises(Http404):
        selectors.team_led_by_user(ctx.team_lead, ctx.other_pcn_team.pk)
    with pytest.raises(Http404):
        selectors.team_led_by_user(ctx.clinician, ctx.pcn_team.pk)
    assert not selectors.teams_led_by(ctx.clinician).exists()


# --------------------------------------------------------------------------- risk concerns


def test_a_lead_sees_the_concerns_of_the_teams_they_lead_open_ones_first(ctx):
    here = allocated(ctx)
    there = allocated(ctx, team=ctx.other_pcn_team, worker=ctx.other_clinician.membership)
    north_lead = new_member(ctx, "north.lead@northtown.test", Role.CLINICAL_LEAD,
                            ctx.other_pcn_team).user
    older = RiskConcern.objects.create(tenant=ctx.tenant, referral=here,
                                       raised_by=ctx.clinician, concern="Not eating")
    answered = RiskConcern.objects.create(tenant=ctx.tenant, referral=here,
                                          raised_by=ctx.clinician, concern="Drinking more")
    answered = services.risk_concern_acknowledge(concern=answered, actor=ctx.team_lead,
                                                 version=1, response="Called them")
    newer = RiskConcern.objects.create(tenant=ctx.tenant, referral=here,
                                       raised_by=ctx.clinician, concern="Low")
    elsewhere = RiskConcern.objects.create(tenant=ctx.tenant, referral=there,
                                           raised_by=ctx.other_clinician, concern="Unsafe")
    cast_concern = RiskConcern.objects.exclude(
        pk__in=[older.pk, answered.pk, newer.pk, elsewhere.pk]).get()

    assert list(selectors.risk_concerns_for_lead(ctx.team_lead)) == [
        newer, older, cast_concern, answered]
    assert selectors.open_risk_concern_count(ctx.team_lead) == 3
    assert list(selectors.risk_concerns_for_lead(north_lead)) == [elsewhere]
    for not_a_lead in [ctx.clinician, ctx.peer_support, ctx.other_clinician,
                       ctx.programme_manager]:
        assert not selectors.risk_concerns_for_lead(not_a_lead).exists()
    assert list(selectors.team_leads(ctx.pcn_team)) == [ctx.team_lead.membership]


# --------------------------------------------------------------------------- scoping


def test_care_records_are_visible_to_the_referrals_team_and_workers_only(ctx, tenant_b):
    referral = allocated(ctx, joint=[ctx.connector.membership, ctx.peer_support.membership])
    seen = contact(ctx, referral, TODAY)
    advice = services.contact_record(
        actor=ctx.clinician, referral=None,
        data=services.ContactInput(on=TODAY, mode="telephone", attendance="attended",
                                   purpose="advice_to_professional", team=ctx.pcn_team))
    measure = services.outcome_record(referral=referral, actor=ctx.clinician, tool="gad7",
                                      completed_on=TODAY, items=[0] * 7)
    for user in [ctx.clinician, ctx.team_lead, ctx.connector, ctx.peer_support]:
        assert selectors.contact_get_for_user(user, seen.pk) == seen
        assert selectors.contact_get_for_user(user, advice.pk) == advice
        assert selectors.outcome_measure_get_for_user(user, measure.pk) == measure
    for user in [ctx.other_clinician, ctx.vcse_worker, ctx.gp, ctx.programme_manager,
                 ctx.tenant_admin]:
        for record_id in [seen.pk, advice.pk]:
            with pytest.raises(Http404):
                selectors.contact_get_for_user(user, record_id)
        with pytest.raises(Http404):
            selectors.outcome_measure_get_for_user(user, measure.pk)
    with tenant_context(tenant_b.tenant.pk):
        for user in [tenant_b.clinician, tenant_b.team_lead]:
            with pytest.raises(Http404):
                selectors.contact_get_for_user(user, seen.pk)
            assert not selectors.caseload_with_flags(user).filter(pk=referral.pk).exists()
            assert not selectors.risk_concerns_for_lead(user).filter(
                referral=referral).exists()


def test_a_care_plan_version_is_found_by_number_and_a_missing_one_is_404(ctx):
    referral = allocated(ctx)
    first = plan(ctx, referral)
    second = plan(ctx, referral, goals=["Walk daily"])
    care_plan = selectors.care_plan_of(referral)
    assert selectors.care_plan_version(care_plan) == second
    assert selectors.care_plan_version(care_plan, 1) == first
    assert [v.number for v in selectors.care_plan_versions(care_plan)] == [2, 1]
    with pytest.raises(Http404):
        selectors.care_plan_version(care_plan, 3)
