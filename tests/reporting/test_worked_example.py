"""METRICS.md section 7, the worked example, computed by a real refresh."""

import pytest

from tests.reporting.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def example():
    world = World.build()
    person = world.person(born="1980-06-01")
    r1 = world.referral(person, received="2024-03-01", status="discharged", triaged="2024-03-02",
                        worker="mhp_a", allocated="2024-03-02", discharged="2024-04-30",
                        discharge_reason="goals_met")
    world.contact(r1, "2024-03-03", mode="telephone", attendance="dna")
    world.contact(r1, "2024-03-05", mode="telephone")
    world.contact(r1, "2024-03-20", mode="video")
    world.outcome(r1, "2024-03-05")
    world.assessment(r1, "2024-03-05", kind="initial")
    world.care_plan(r1, "2024-03-25")
    world.intervention(r1, "2024-03-28", kind="psychological_therapy")
    return world, person, r1


def test_the_second_contact_is_20_march_a_19_day_wait_within_4_weeks(example):
    world, _, _ = example
    world.refresh("2024-03-31")
    assert world.count("W2C01", "2024-03") == 1
    assert world.number("W2C02", "2024-03") == 19
    assert world.number("W2C04", "2024-03") == 100


def test_the_clock_stops_on_25_march_after_24_days(example):
    world, _, _ = example
    world.refresh("2024-03-31")
    assert world.count("RS01", "2024-03") == 1
    assert world.count("RS01a", "2024-03") == 1
    assert world.number("RS01b", "2024-03") == 100
    assert world.number("RS01m", "2024-03") == 24
    assert world.count("RS02", "2024-03") == 0
    assert world.count("RS04", "2024-03") == 1


def test_a_referral_4_may_joins_the_spell_but_7_may_starts_a_new_one(example):
    world, person, r1 = example
    world.referral(person, received="2024-05-04", previous=r1, team=world.team_b)
    world.refresh("2024-05-31")
    assert world.count("RS04", "2024-05") == 0  # no new spell: the same one carries on
    # As April stood at its end, the spell had closed; May's referral reopened it. A month's
    # figures are those of its end, so April keeps its closure.
    assert world.count("RS05", "2024-04") == 1
    assert world.count("RS06", "2024-04") == 0
    assert world.count("RS06", "2024-05") == 1

    later = World.build("later")
    someone = later.person()
    first = later.referral(someone, received="2024-03-01", status="discharged",
                           triaged="2024-03-02", discharged="2024-04-30")
    later.referral(someone, received="2024-05-07", previous=first, team=later.team_b)
    later.refresh("2024-05-31")
    assert later.count("RS04", "2024-05") == 1  # a new spell, with a new clock
    assert later.count("RS05", "2024-04") == 1
    assert later.count("RS06", "2024-05") == 1


def test_the_dna_rate_for_march_is_one_in_three(example):
    world, _, _ = example
    world.refresh("2024-03-31")
    rate = world.value("ACT02", "2024-03")
    assert (rate.numerator, rate.denominator) == (1, 3)
    assert round(rate.value) == 33
