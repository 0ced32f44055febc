"""Referral spells, clock stops and the RS-* measures (METRICS.md sections 1 and 2)."""

from decimal import Decimal

import pytest

from tests.reporting.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World.build()


def stop_everything(world, referral, on):
    """Every clock-stop component on one day."""
    world.contact(referral, on)
    world.assessment(referral, on)
    world.intervention(referral, on)
    world.outcome(referral, on)


def test_dna_cancelled_text_and_indirect_modes_do_not_start_the_clock_components(world):
    referral = world.referral(world.person(), received="2024-03-01", status="active")
    world.contact(referral, "2024-03-02", attendance="dna")
    world.contact(referral, "2024-03-03", attendance="cancelled_by_patient")
    world.contact(referral, "2024-03-04", attendance="cancelled_by_provider")
    world.contact(referral, "2024-03-05", mode="text_email")
    world.contact(referral, "2024-03-06", mode="other")
    world.assessment(referral, "2024-03-06")
    world.intervention(referral, "2024-03-06")
    world.outcome(referral, "2024-03-06")
    world.refresh("2024-03-31")
    assert world.count("RS01", "2024-03") == 0
    assert world.count("RS02", "2024-03") == 1
    assert world.count("RS02", "2024-03", category="missing:contact") == 1
    assert world.count("RS02", "2024-03", category="missing:assessment") is None


def test_talk_type_counts_as_a_qualifying_contact(world):
    referral = world.referral(world.person(), received="2024-03-01", status="active")
    world.contact(referral, "2024-03-10", mode="talk_type")
    world.assessment(referral, "2024-03-10")
    world.intervention(referral, "2024-03-10")
    world.outcome(referral, "2024-03-10")
    world.refresh("2024-03-31")
    assert world.count("RS01", "2024-03") == 1


def test_the_clock_stops_on_the_latest_of_the_four_first_dates(world):
    referral = world.referral(world.person(), received="2024-01-01", status="active")
    world.contact(referral, "2024-01-10")
    world.assessment(referral, "2024-01-12")
    world.outcome(referral, "2024-01-20")
    world.intervention(referral, "2024-02-15")  # the last component: 45 days
    world.refresh("2024-02-29")
    assert world.count("RS01", "2024-01") == 0
    assert world.count("RS01", "2024-02") == 1
    assert world.count("RS01a", "2024-02") == 0
    assert world.number("RS01b", "2024-02") == 0
    assert world.number("RS01m", "2024-02") == 45
    assert world.count("RS02", "2024-01") == 1
    assert world.count("RS02", "2024-01", category="missing:care") == 1
    assert world.count("RS02", "2024-02") == 0
    # the partial clock stop: first contact (10 Jan) and the first other part (12 Jan)
    assert world.count("RS01pt", "2024-01") == 1


def test_consultation_signposting_and_peer_support_do_not_stop_the_clock(world):
    referral = world.referral(world.person(), received="2024-03-01", status="active")
    world.contact(referral, "2024-03-05")
    world.assessment(referral, "2024-03-05", kind="consultation")
    world.assessment(referral, "2024-03-06", kind="signposting")
    world.intervention(referral, "2024-03-05", kind="peer_support")
    world.intervention(referral, "2024-03-06", kind="community_connection")
    world.outcome(referral, "2024-03-05")
    world.refresh("2024-03-31")
    assert world.count("RS01", "2024-03") == 0
    assert world.count("RS02", "2024-03", category="missing:assessment") == 1
    assert world.count("RS02", "2024-03", category="missing:care") == 1


def test_the_first_agreed_version_of_a_plan_counts_and_only_while_the_spell_is_open(world):
    referral = world.referral(world.person(), received="2024-03-01", status="active")
    world.contact(referral, "2024-03-04")
    world.assessment(referral, "2024-03-04")
    world.outcome(referral, "2024-03-04")
    world.care_plan(referral, None, "2024-03-18", "2024-03-08")  # a draft, then agreed twice
    ended = world.referral(world.person(), received="2024-03-01", status="discharged",
                           triaged="2024-03-02", discharged="2024-03-10")
    world.contact(ended, "2024-03-04")
    world.assessment(ended, "2024-03-04")
    world.outcome(ended, "2024-03-04")
    world.care_plan(ended, "2024-03-20")  # agreed after the spell had closed
    world.refresh("2024-03-31")
    assert world.count("RS01", "2024-03") == 1
    assert world.number("RS01m", "2024-03") == 17  # 18 March: the first agreed version


def test_medians_and_90th_percentiles_interpolate_like_percentile_cont(world):
    for received, stop in (("2024-03-01", "2024-03-11"), ("2024-03-01", "2024-03-14")):
        referral = world.referral(world.person(), received=received, status="active")
        stop_everything(world, referral, stop)
    world.refresh("2024-03-31")
    assert world.number("RS01m", "2024-03") == Decimal("11.5")  # median of 10 and 13
    assert world.number("RS01p90", "2024-03") == Decimal("12.7")  # 10 + 0.9 * 3


def test_rejected_and_redirected_referrals_are_in_scope_and_end_on_the_decision(world):
    world.referral(world.person(), received="2024-03-01", status="rejected",
                   triaged="2024-03-04", rejection_reason="not_eligible")
    world.referral(world.person(), received="2024-03-02", status="redirected",
                   triaged="2024-04-02", redirect_destination="talking_therapies")
    world.refresh("2024-04-30")
    assert world.count("RS04", "2024-03") == 2
    assert world.count("RS05", "2024-03") == 1
    assert world.count("RS06", "2024-03") == 1  # the redirection was not decided until April
    assert world.count("RS02", "2024-03") == 1
    assert world.count("RS05", "2024-04") == 1
    assert world.count("RS06", "2024-04") == 0


def test_people_under_18_on_the_day_received_and_vcse_team_referrals_are_not_in_scope(world):
    world.referral(world.person(born="2006-03-02"), received="2024-03-01")  # 17 that day
    world.referral(world.person(born="2006-03-01"), received="2024-03-01")  # 18 that day
    world.referral(world.person(), received="2024-03-01", team=world.vcse_team)
    world.refresh("2024-03-31")
    assert world.count("RS04", "2024-03") == 1


def test_referrals_within_5_days_of_the_spells_end_or_while_it_is_open_join_it(world):
    person = world.person()
    world.referral(person, received="2024-01-01", status="discharged", triaged="2024-01-02",
                   discharged="2024-01-31")
    world.referral(person, received="2024-01-20", team=world.team_b, status="discharged",
                   triaged="2024-01-21", discharged="2024-02-10")  # while open
    world.referral(person, received="2024-02-15", team=world.hub, status="discharged",
                   triaged="2024-02-16", discharged="2024-02-20")  # 5 days after 10 Feb
    world.referral(person, received="2024-02-26", status="awaiting_triage")  # 6 days: new
    world.refresh("2024-02-29")
    assert world.count("RS04", "2024-01") == 1
    assert world.count("RS04", "2024-02") == 1
    assert world.count("RS05", "2024-02") == 1
    assert world.count("RS06", "2024-02") == 1
    assert world.count("RS05", "2024-01") == 0  # open at January's end through the second


def test_the_waiting_list_bands_by_weeks_waited_at_the_months_end(world):
    for received in ("2024-03-03", "2024-03-02", "2024-02-01", "2023-12-01", "2021-01-01"):
        world.referral(world.person(), received=received)
    world.refresh("2024-03-31")
    # waited 28, 29, 59, 121 and 1185 days at 31 March
    assert world.count("RS02", "2024-03") == 5
    assert world.count("RS02", "2024-03", category="band:0-4w") == 1
    assert world.count("RS02", "2024-03", category="band:4-8w") == 1
    assert world.count("RS02", "2024-03", category="band:8-12w") == 1
    assert world.count("RS02", "2024-03", category="band:12-18w") == 1
    assert world.count("RS02", "2024-03", category="band:104w+") == 1
    assert world.count("RS02", "2024-03", category="band:18-52w") is None


def test_open_spells_at_the_months_end_by_contacts_and_clock_stops(world):
    two_and_stopped = world.referral(world.person(), received="2024-03-01", status="active")
    stop_everything(world, two_and_stopped, "2024-03-05")
    world.contact(two_and_stopped, "2024-03-05")  # same day: counts as the second
    one = world.referral(world.person(), received="2024-03-11", status="active")
    world.contact(one, "2024-03-20")
    world.referral(world.person(), received="2024-03-21")
    world.refresh("2024-03-31")
    assert world.count("RS06", "2024-03") == 3
    assert world.count("RS20", "2024-03") == 1
    assert world.count("RS21", "2024-03") == 1
    assert world.number("RS22", "2024-03") == 100
    assert world.count("RS15", "2024-03") == 1
    assert world.count("RS03", "2024-03") == 2
    assert world.number("RS03m", "2024-03") == Decimal("15")  # waited 20 and 10 days


def test_a_month_is_figured_as_its_records_stood_at_its_end(world):
    referral = world.referral(world.person(), received="2024-03-20", status="active")
    stop_everything(world, referral, "2024-04-03")
    world.refresh("2024-04-30")
    assert world.count("RS02", "2024-03") == 1
    assert world.count("RS01", "2024-03") == 0
    assert world.count("RS01", "2024-04") == 1
    # refreshed as of 31 March, April's records did not exist yet
    world.refresh("2024-03-31")
    assert world.count("RS02", "2024-03") == 1
    assert world.values("RS01", "2024-04") == []


def test_a_spell_takes_the_pcn_of_the_persons_practice_else_the_first_teams(world):
    world.referral(world.person(practice=world.practice_b), received="2024-03-01")
    world.referral(world.person(practice=None), received="2024-03-01")  # team A's PCN
    world.referral(world.person(practice=None), received="2024-03-01", team=world.hub)
    world.refresh("2024-03-31")
    assert world.count("RS04", "2024-03", dimension="pcn", key=world.pcn_a) == 1
    assert world.count("RS04", "2024-03", dimension="pcn", key=world.pcn_b) == 1
    unknown = world.value("RS04", "2024-03", dimension="pcn", key="")
    assert (unknown.numerator, unknown.dimension_label) == (1, "PCN not known")
    assert world.count("RS04", "2024-03") == 3


def test_counts_are_stored_as_zero_for_quiet_months_and_pcns(world):
    world.referral(world.person(), received="2024-03-01")
    world.refresh("2024-03-31")
    assert world.count("RS04", "2024-02") == 0
    assert world.count("RS04", "2024-03", dimension="pcn", key=world.pcn_b) == 0
    assert len({v.period for v in world.values("RS04")}) == 24
