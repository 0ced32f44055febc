"""OUT01, OUT02q and OUT02t (reporting/metrics/outcomes.py), from small hand-built worlds.

DIALOG items 1-8 are the life domains (quality of life), 9-11 the treatment items
(satisfaction); every spell below starts with a referral received on 1 March 2024.
"""

from decimal import Decimal

import pytest

from tests.reporting.world import World

pytestmark = pytest.mark.django_db


def dialog(quality: list[int], satisfaction: list[int]) -> list[int]:
    assert len(quality) == 8 and len(satisfaction) == 3
    return quality + satisfaction


@pytest.fixture
def closed():
    world = World.build("closed")

    def spell(*, practice="a", discharged=None):
        person = world.person(practice=world.practice_b if practice == "b" else "a")
        return world.referral(person, received="2024-03-01", triaged="2024-03-02",
                              status="discharged" if discharged else "active",
                              discharged=discharged)

    # PCN A. Paired DIALOG: quality 3 -> 5 (+2), satisfaction 4 -> 6 (+2).
    s1 = spell(discharged="2024-04-20")
    world.outcome(s1, "2024-03-05", items=dialog([3] * 8, [4] * 3))
    world.outcome(s1, "2024-04-10", items=dialog([5] * 8, [5, 6, 7]))
    # PCN B. A DIALOG and then a PHQ-9: no second score on the same tool.
    s2 = spell(practice="b", discharged="2024-04-25")
    world.outcome(s2, "2024-03-10", items=dialog([4] * 8, [5] * 3))
    world.outcome(s2, "2024-04-01", tool="phq9")
    # PCN B. Worse at the end: first 6 and 6, latest (15 April) 3.5 and 3; the middle one is
    # neither first nor latest.
    s3 = spell(practice="b", discharged="2024-04-28")
    world.outcome(s3, "2024-03-10", items=dialog([6] * 8, [6] * 3))
    world.outcome(s3, "2024-03-20", items=dialog([5] * 8, [6] * 3))
    world.outcome(s3, "2024-04-15", items=dialog([2, 3, 4, 5, 2, 3, 4, 5], [3] * 3))
    # PCN A. Two DIALOGs on the same day, and one after the spell ended: unpaired.
    s4 = spell(discharged="2024-04-10")
    world.outcome(s4, "2024-03-05", items=dialog([2] * 8, [2] * 3))
    world.outcome(s4, "2024-03-05", items=dialog([3] * 8, [3] * 3))
    world.outcome(s4, "2024-04-15", items=dialog([7] * 8, [7] * 3))
    # PCN A. Still open: never counted.
    s5 = spell()
    world.outcome(s5, "2024-03-05", items=dialog([2] * 8, [2] * 3))
    world.outcome(s5, "2024-04-05", items=dialog([4] * 8, [4] * 3))
    # PCN A. Closed in May with a PHQ-9 pair.
    s6 = spell(discharged="2024-05-10")
    world.outcome(s6, "2024-03-05", tool="phq9", items=[2] * 9)
    world.outcome(s6, "2024-05-01", tool="phq9", items=[1] * 9)
    # PCN A. Baseline PHQ-9 never repeated, so no paired outcome; but a DIALOG pair: +1, 0.
    s7 = spell(discharged="2024-04-18")
    world.outcome(s7, "2024-03-02", tool="phq9")
    world.outcome(s7, "2024-03-10", items=dialog([4] * 8, [4] * 3))
    world.outcome(s7, "2024-04-01", items=dialog([5] * 8, [4] * 3))
    return world


def test_the_share_of_closed_spells_with_a_paired_outcome(closed):
    world = closed
    world.refresh("2024-06-30")
    april = world.value("OUT01", "2024-04")
    # closed in April: s1, s2, s3, s4, s7; paired: s1 and s3
    assert (april.numerator, april.denominator, april.value) == (2, 5, 40)
    may = world.value("OUT01", "2024-05")
    assert (may.numerator, may.denominator, may.value) == (1, 1, 100)


def test_a_closed_spell_without_a_second_score_on_the_same_tool_is_unpaired(closed):
    world = closed
    world.refresh("2024-06-30")
    pcn_a = world.value("OUT01", "2024-04", dimension="pcn", key=world.pcn_a)
    # s1 paired; s4 (same-day and after-the-end scores) and s7 (PHQ-9 baseline) not
    assert (pcn_a.numerator, pcn_a.denominator) == (1, 3)
    assert pcn_a.value == Decimal("33.33")
    pcn_b = world.value("OUT01", "2024-04", dimension="pcn", key=world.pcn_b)
    assert (pcn_b.numerator, pcn_b.denominator, pcn_b.value) == (1, 2, 50)


def test_months_with_no_closed_spell_have_no_outcome_figures(closed):
    world = closed
    world.refresh("2024-06-30")
    assert world.value("OUT01", "2024-03") is None
    assert world.value("OUT01", "2024-06") is None
    assert world.value("OUT02q", "2024-05") is None  # s6 has no DIALOG


def test_the_mean_dialog_change_is_latest_minus_first_and_may_be_negative(closed):
    world = closed
    world.refresh("2024-06-30")
    quality = world.value("OUT02q", "2024-04")
    # s1 +2, s3 -2.5, s7 +1
    assert (quality.numerator, quality.denominator, quality.value) == (None, 3, Decimal("0.17"))
    satisfaction = world.value("OUT02t", "2024-04")
    # s1 +2, s3 -3, s7 0
    assert (satisfaction.denominator, satisfaction.value) == (3, Decimal("-0.33"))
    worse = world.value("OUT02q", "2024-04", dimension="pcn", key=world.pcn_b)
    assert (worse.denominator, worse.value) == (1, Decimal("-2.5"))
    assert world.number("OUT02t", "2024-04", dimension="pcn", key=world.pcn_b) == -3
    assert world.number("OUT02q", "2024-04", dimension="pcn", key=world.pcn_a) == Decimal("1.5")
    assert world.number("OUT02t", "2024-04", dimension="pcn", key=world.pcn_a) == 1


def test_discharges_after_the_as_of_date_have_not_closed_their_spells(closed):
    world = closed
    world.refresh("2024-04-20")
    april = world.value("OUT01", "2024-04")
    # by 20 April: s1, s4 and s7 closed
    assert (april.numerator, april.denominator) == (1, 3)
    quality = world.value("OUT02q", "2024-04")
    assert (quality.denominator, quality.value) == (2, Decimal("1.5"))


def test_a_spell_that_closes_again_is_counted_with_the_outcomes_it_had_each_time():
    world = World.build("reopened")
    person = world.person()
    first = world.referral(person, received="2024-03-01", status="discharged",
                           triaged="2024-03-02", discharged="2024-03-29")
    world.outcome(first, "2024-03-05", items=dialog([3] * 8, [3] * 3))
    # received within 5 days of the discharge: the same spell, closing again in May
    second = world.referral(person, received="2024-04-02", status="discharged",
                            triaged="2024-04-03", discharged="2024-05-15", previous=first)
    world.outcome(second, "2024-04-20", items=dialog([4] * 8, [5] * 3))
    world.refresh("2024-05-31")
    march = world.value("OUT01", "2024-03")
    assert (march.numerator, march.denominator) == (0, 1)
    assert world.value("OUT02q", "2024-03") is None
    may = world.value("OUT01", "2024-05")
    assert (may.numerator, may.denominator) == (1, 1)
    assert world.number("OUT02q", "2024-05") == 1
    assert world.number("OUT02t", "2024-05") == 2
    assert world.value("OUT01", "2024-04") is None
