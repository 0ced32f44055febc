"""VCSE reads: whose inbox holds what (and only while consent stands), the referring side
following the referral's visibility, directory search, unanswered onward referrals counted in
working days, VCSE leads, and inbox counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pcns.models import Membership, Organisation, Role, Team, TeamMembership
from pcns.tenancy import tenant_context
from tests.factories import make_onward_referral, make_referral, make_service, make_user
from vcse import selectors, services
from vcse.models import Consent, OnwardReferral, Service
from vcse.workdays import is_working_day

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)

#: Everyone in the cast who is not VCSE staff (the connector is employed by the VCSE, but
#: works in the PCN team as clinical staff).
NOT_VCSE = ["clinician", "team_lead", "connector", "peer_support", "other_clinician", "gp",
            "programme_manager", "tenant_admin"]
#: Who works with the person of the cast's referral in care.
ON_THE_REFERRAL = ["clinician", "team_lead", "connector", "peer_support"]


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


@pytest.fixture
def cast_onward(ctx) -> OnwardReferral:
    """The cast's onward referral: to its VCSE, accepted, one contact logged (in progress)."""
    return OnwardReferral.objects.get(organisation=ctx.vcse)


@pytest.fixture
def advice(ctx) -> Organisation:
    """A second VCSE organisation of the place, with a service of its own."""
    organisation = Organisation.objects.create(tenant=ctx.tenant, kind="vcse",
                                               name="Citizens Advice Northtown")
    make_service(ctx, organisation=organisation, name="Debt clinic",
                 categories=["debt_advice"])
    return organisation


def staff(cast, name: str, role: str, employer: Organisation, team=None, **extra):
    user = make_user(f"{name}@northtown.test", first_name=name.title(), last_name="Staff")
    membership = Membership.objects.create(tenant=cast.tenant, user=user, role=role,
                                           employer=employer, **extra)
    if team is not None:
        TeamMembership.objects.create(tenant=cast.tenant, membership=membership, team=team)
    return user


def send_to(cast, organisation: Organisation | None = None, **overrides) -> OnwardReferral:
    """A new onward referral, of a new person, to a service of ``organisation``."""
    service = Service.objects.filter(organisation=organisation or cast.vcse).first()
    return make_onward_referral(cast, referral=make_referral(cast), service=service, **overrides)


def ids(queryset) -> set:
    return set(queryset.values_list("pk", flat=True))


# --------------------------------------------------------------------------- the inbox


def test_a_vcse_worker_sees_only_onward_referrals_to_their_own_organisation(
    ctx, cast_onward, advice
):
    to_mind = send_to(ctx)
    to_advice = send_to(ctx, advice)
    adviser = staff(ctx, "adviser", Role.VCSE_WORKER, advice)
    assert ids(selectors.inbox_for_user(ctx.vcse_worker)) == {cast_onward.pk, to_mind.pk}
    assert ids(selectors.inbox_for_user(ctx.vcse_lead)) == {cast_onward.pk, to_mind.pk}
    assert ids(selectors.inbox_for_user(adviser)) == {to_advice.pk}


def test_a_vcse_worker_employed_elsewhere_reaches_the_inbox_through_the_service_team(
    ctx, cast_onward, advice
):
    send_to(ctx, advice)
    seconded = staff(ctx, "seconded", Role.VCSE_WORKER, ctx.trust, team=ctx.vcse_team)
    assert ids(selectors.inbox_for_user(seconded)) == {cast_onward.pk}


def test_a_vcse_worker_in_two_organisations_sees_both_inboxes(ctx, cast_onward, advice):
    to_advice = send_to(ctx, advice)
    both = staff(ctx, "both", Role.VCSE_WORKER, advice, team=ctx.vcse_team)
    assert ids(selectors.inbox_for_user(both)) == {cast_onward.pk, to_advice.pk}


def test_the_inbox_leaves_out_onward_referrals_whose_consent_was_withdrawn_or_has_ended(ctx):
    withdrawn = send_to(ctx)
    services.consent_withdraw(onward=withdrawn, actor=ctx.clinician, version=withdrawn.version)
    ended = send_to(ctx)
    Consent.objects.filter(onward_referral=ended).update(given_on=TODAY - 10 * DAY,
                                                          expires_on=TODAY - DAY)
    ends_today = send_to(ctx)
    Consent.objects.filter(onward_referral=ends_today).update(given_on=TODAY - 10 * DAY,
                                                               expires_on=TODAY)
    inbox = ids(selectors.inbox_for_user(ctx.vcse_worker))
    assert ends_today.pk in inbox
    assert withdrawn.pk not in inbox
    assert ended.pk not in inbox


def test_the_inbox_leaves_out_a_withdrawn_onward_referral_whatever_its_consent_says(ctx):
    onward = send_to(ctx)
    OnwardReferral.objects.filter(pk=onward.pk).update(status="withdrawn")
    assert onward.pk not in ids(selectors.inbox_for_user(ctx.vcse_worker))


@pytest.mark.parametrize("label", NOT_VCSE)
def test_staff_who_are_not_vcse_have_an_empty_inbox(ctx, cast_onward, label):
    user = getattr(ctx, label)
    assert not selectors.inbox_for_user(user).exists()
    assert selectors.inbox_counts(user) == {"new": 0, "accepted": 0, "in_progress": 0,
                                            "closed": 0}
    with pytest.raises(Http404):
        selectors.inbox_get_for_user(user, cast_onward.pk)


def test_an_onward_referral_outside_the_inbox_is_not_found_rather_than_forbidden(
    ctx, cast_onward, advice
):
    to_advice = send_to(ctx, advice)
    withdrawn = send_to(ctx)
    services.consent_withdraw(onward=withdrawn, actor=ctx.clinician, version=withdrawn.version)
    assert selectors.inbox_get_for_user(ctx.vcse_worker, cast_onward.pk) == cast_onward
    for missing in (to_advice.pk, withdrawn.pk, "not-a-uuid"):
        with pytest.raises(Http404):
            selectors.inbox_get_for_user(ctx.vcse_worker, missing)


def test_vcse_staff_of_another_place_see_nothing_of_this_one(ctx, cast_onward, tenant_b):
    with tenant_context(tenant_b.tenant.pk):
        theirs = ids(selectors.inbox_for_user(tenant_b.vcse_worker))
    assert theirs
    assert cast_onward.pk not in theirs


def test_a_vcse_worker_whose_membership_ended_has_no_inbox(ctx):
    membership = ctx.vcse_worker.membership
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        selectors.inbox_for_user(ctx.vcse_worker)


def test_inbox_counts_and_tabs_follow_the_status_of_each_onward_referral(
    ctx, cast_onward, advice
):
    new = [send_to(ctx), send_to(ctx)]
    accepted = send_to(ctx)
    services.onward_referral_accept(onward=accepted, actor=ctx.vcse_worker,
                                    version=accepted.version)
    declined = send_to(ctx)
    services.onward_referral_decline(onward=declined, actor=ctx.vcse_worker,
                                     version=declined.version, reason="no_capacity")
    closed = services.onward_referral_accept(onward=send_to(ctx), actor=ctx.vcse_worker,
                                             version=1)
    services.onward_referral_close(onward=closed, actor=ctx.vcse_worker, version=closed.version,
                                   outcome="completed")
    withdrawn = send_to(ctx)
    services.consent_withdraw(onward=withdrawn, actor=ctx.clinician, version=withdrawn.version)
    send_to(ctx, advice)
    # The withdrawn one stays in Closed, shown bare (tests/vcse/test_withdrawn_closed.py).
    assert selectors.inbox_counts(ctx.vcse_worker) == {"new": 2, "accepted": 1,
                                                       "in_progress": 1, "closed": 3}
    assert ids(selectors.inbox_tab(ctx.vcse_worker, "new")) == {o.pk for o in new}
    assert ids(selectors.inbox_tab(ctx.vcse_worker, "accepted")) == {accepted.pk}
    assert ids(selectors.inbox_tab(ctx.vcse_worker, "in_progress")) == {cast_onward.pk}
    assert ids(selectors.inbox_tab(ctx.vcse_worker, "closed")) == {declined.pk, closed.pk,
                                                                   withdrawn.pk}
    assert ids(selectors.inbox_tab(ctx.vcse_worker, "nonsense")) == {o.pk for o in new}


def test_the_inbox_counts_contacts_and_reads_in_one_query_however_long_it_is(
    ctx, cast_onward
):
    def read() -> int:
        user = type(ctx.vcse_worker).objects.get(pk=ctx.vcse_worker.pk)
        with CaptureQueriesContext(connection) as queries:
            for onward in selectors.inbox_for_user(user):
                _shown = (onward.service.name, onward.organisation.name,
                          onward.consent.expires_on, onward.sent_by.email, onward.contact_count)
        return len(queries)

    short = read()
    for _ in range(3):
        send_to(ctx)
    assert read() == short
    assert selectors.inbox_for_user(ctx.vcse_worker).get(pk=cast_onward.pk).contact_count == 1


# --------------------------------------------------------------------------- referring side


@pytest.mark.parametrize("label", ON_THE_REFERRAL)
def test_staff_working_with_the_person_see_their_onward_referrals(ctx, cast_onward, label):
    mine = selectors.onward_referrals_for_user(getattr(ctx, label))
    assert ids(mine) == {cast_onward.pk}
    assert mine.get().contact_count == 1
    assert selectors.onward_referral_get_for_user(getattr(ctx, label),
                                                  cast_onward.pk) == cast_onward


@pytest.mark.parametrize("label", ["other_clinician", "vcse_worker", "vcse_lead", "gp",
                                   "programme_manager", "tenant_admin"])
def test_everyone_else_sees_no_onward_referral_from_the_referring_side(
    ctx, cast_onward, label
):
    user = getattr(ctx, label)
    assert not selectors.onward_referrals_for_user(user).exists()
    with pytest.raises(Http404):
        selectors.onward_referral_get_for_user(user, cast_onward.pk)


def test_the_referring_side_follows_the_teams_of_the_referral(ctx, cast_onward):
    north = make_referral(ctx, team=ctx.other_pcn_team)
    from_north = make_onward_referral(ctx, referral=north)
    assert ids(selectors.onward_referrals_for_user(ctx.other_clinician)) == {from_north.pk}
    assert ids(selectors.onward_referrals_for_user(ctx.clinician)) == {cast_onward.pk}


def test_onward_referrals_of_a_referral_are_only_its_own(ctx, cast_onward):
    referral = make_referral(ctx)
    first = make_onward_referral(ctx, referral=referral)
    assert ids(selectors.onward_referrals_of(referral)) == {first.pk}
    assert ids(selectors.onward_referrals_of(cast_onward.referral)) == {cast_onward.pk}


# --------------------------------------------------------------------------- the directory


@pytest.fixture
def directory(ctx, advice):
    """Money (cast, Central PCN only, open), Walk (whole place, open), Garden (North PCN only,
    Citizens Advice, open) and Warmth (whole place, closed)."""
    north = ctx.other_pcn_team.host
    return {
        "money": Service.objects.get(organisation=ctx.vcse),
        "walk": make_service(ctx, name="Walk and talk", categories=["walk_and_talk"],
                             description="Gentle walks in the park"),
        "garden": make_service(ctx, organisation=advice, name="North garden",
                               categories=["community_garden"], areas=[north]),
        "warmth": make_service(ctx, name="Winter warmth",
                               categories=["fuel_poverty", "debt_advice"], is_open=False),
        "clinic": Service.objects.get(organisation=advice, name="Debt clinic"),
    }


def found(directory, **criteria) -> set[str]:
    everything = Service.objects.filter(pk__in=[s.pk for s in directory.values()])
    pks = ids(selectors.services_search(everything, **criteria))
    return {name for name, service in directory.items() if service.pk in pks}


def test_searching_the_directory_by_need(directory):
    assert found(directory, need="debt_advice") == {"money", "warmth", "clinic"}
    assert found(directory, need="walk_and_talk") == {"walk"}


def test_searching_by_area_finds_services_there_and_those_covering_the_whole_place(
    ctx, directory
):
    assert found(directory, area=ctx.pcn) == {"money", "walk", "warmth", "clinic"}
    assert found(directory, area=ctx.other_pcn_team.host) == {"walk", "garden", "warmth",
                                                              "clinic"}


def test_searching_for_services_open_to_referrals(directory):
    assert found(directory, open_only=True) == {"money", "walk", "garden", "clinic"}


def test_searching_by_words_in_the_name_description_or_organisation(directory):
    assert found(directory, text="PARK") == {"walk"}
    assert found(directory, text="winter") == {"warmth"}
    assert found(directory, text="citizens advice") == {"garden", "clinic"}


def test_searching_by_several_things_at_once_narrows_by_each(ctx, directory):
    north = ctx.other_pcn_team.host
    assert found(directory, need="debt_advice", area=north, open_only=True) == {"clinic"}
    assert found(directory, need="debt_advice", area=ctx.pcn) == {"money", "warmth", "clinic"}


def test_the_directory_is_the_users_place_only(ctx, tenant_b, directory):
    listed = ids(selectors.services_for_user(ctx.vcse_worker))
    assert listed == {s.pk for s in directory.values()}
    with tenant_context(tenant_b.tenant.pk):
        assert not ids(selectors.services_for_user(tenant_b.clinician)) & listed


def test_the_open_feed_lists_published_services_only(ctx, directory):
    Service.objects.filter(pk=directory["walk"].pk).update(is_published=False)
    assert ids(selectors.published_services(ctx.tenant.pk)) == (
        {s.pk for s in directory.values()} - {directory["walk"].pk})


def test_who_maintains_which_organisations_services(ctx, advice):
    admin = selectors.organisations_user_may_list_for(ctx.tenant_admin)
    assert list(admin) == [advice, ctx.vcse]  # by name
    assert list(selectors.organisations_user_may_list_for(ctx.vcse_lead)) == [ctx.vcse]
    for label in ["vcse_worker", "clinician", "connector", "programme_manager"]:
        assert not selectors.organisations_user_may_list_for(getattr(ctx, label)).exists()


# --------------------------------------------------------------------------- unanswered


def sent_on(cast, day: dt.date) -> OnwardReferral:
    onward = send_to(cast)
    OnwardReferral.objects.filter(pk=onward.pk).update(sent_on=day)
    return onward


def due(today: dt.date, *onwards: OnwardReferral) -> set:
    return ids(selectors.unanswered_due(today)) & {o.pk for o in onwards}


def test_an_onward_referral_sent_on_a_friday_is_due_ten_working_days_later(ctx):
    friday = sent_on(ctx, dt.date(2024, 6, 7))
    saturday = sent_on(ctx, dt.date(2024, 6, 8))
    monday = sent_on(ctx, dt.date(2024, 6, 10))
    # Two weekends pass: Friday 7 June has waited 9 working days by Thursday 20 June.
    assert due(dt.date(2024, 6, 20), friday, saturday, monday) == set()
    assert due(dt.date(2024, 6, 21), friday, saturday, monday) == {friday.pk, saturday.pk}
    assert due(dt.date(2024, 6, 24), friday, saturday, monday) == {friday.pk, saturday.pk,
                                                                   monday.pk}


def test_a_bank_holiday_is_not_a_working_day_for_the_partner(ctx):
    assert not is_working_day(dt.date(2024, 5, 27))  # late May bank holiday
    friday = sent_on(ctx, dt.date(2024, 5, 17))
    # Without the bank holiday Friday 31 May would be the tenth working day; it is Monday.
    assert due(dt.date(2024, 5, 31), friday) == set()
    assert due(dt.date(2024, 6, 3), friday) == {friday.pk}


def test_answered_or_already_flagged_onward_referrals_are_not_due(ctx, cast_onward):
    long_ago = dt.date(2024, 1, 8)
    waiting = sent_on(ctx, long_ago)
    flagged = sent_on(ctx, long_ago)
    services.flag_unanswered(onward_id=flagged.pk, flagged_on=TODAY)
    answered = sent_on(ctx, long_ago)
    services.onward_referral_accept(onward=answered, actor=ctx.vcse_worker,
                                    version=answered.version)
    OnwardReferral.objects.filter(pk=cast_onward.pk).update(sent_on=long_ago)
    assert due(TODAY, waiting, flagged, answered, cast_onward) == {waiting.pk}


def test_unanswered_onward_referrals_are_those_of_the_current_place_only(ctx, tenant_b):
    here = sent_on(ctx, dt.date(2024, 1, 8))
    with tenant_context(tenant_b.tenant.pk):
        there = OnwardReferral.objects.get(organisation=tenant_b.vcse)
        OnwardReferral.objects.filter(pk=there.pk).update(status="sent", responded_on=None,
                                                          sent_on=dt.date(2024, 1, 8))
        assert ids(selectors.unanswered_due(TODAY)) == {there.pk}
    assert ids(selectors.unanswered_due(TODAY)) == {here.pk}


# --------------------------------------------------------------------------- VCSE leads


def test_the_leads_of_a_vcse_organisation_are_its_active_leads_wherever_employed(ctx, advice):
    seconded = staff(ctx, "seconded", Role.VCSE_LEAD, ctx.trust, team=ctx.vcse_team)
    staff(ctx, "elsewhere", Role.VCSE_LEAD, advice)
    staff(ctx, "left", Role.VCSE_LEAD, ctx.vcse, is_active=False)
    gone = staff(ctx, "gone", Role.VCSE_LEAD, ctx.vcse)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    leads = list(selectors.vcse_leads_of(ctx.vcse))
    # The cast's lead is employed by the VCSE and in its service team: listed once.
    assert sorted(m.user.email for m in leads) == sorted(
        [ctx.vcse_lead.email, seconded.email])
    assert [m.user.email for m in selectors.vcse_leads_of(advice)] == [
        "elsewhere@northtown.test"]


def test_a_switched_off_vcse_service_team_no_longer_opens_its_hosts_inbox(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        elsewhere = Organisation.objects.create(tenant=tenant_a.tenant, kind="vcse",
                                                name="Seconding charity")
        user = make_user(f"seconded@{tenant_a.tenant.slug}.test")
        seconded = Membership.objects.create(tenant=tenant_a.tenant, user=user,
                                             role="vcse_lead", employer=elsewhere)
        TeamMembership.objects.create(tenant=tenant_a.tenant, membership=seconded,
                                      team=tenant_a.vcse_team)
        assert selectors.inbox_for_user(user).exists()
        assert seconded in selectors.vcse_leads_of(tenant_a.vcse)
        Team.objects.filter(pk=tenant_a.vcse_team.pk).update(is_active=False)
        assert not selectors.inbox_for_user(user).exists()
        assert seconded not in selectors.vcse_leads_of(tenant_a.vcse)
