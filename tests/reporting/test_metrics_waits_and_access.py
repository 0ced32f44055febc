"""Referral to second contact (W2C-*, METRICS.md section 3) and access (ACC01, section 4)."""

from decimal import Decimal

import pytest

from pcns.models import Organisation
from pcns.tenancy import tenant_context
from tests.reporting.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World.build()


# --------------------------------------------------------------------------- W2C


def test_the_second_contact_is_ordered_by_date_time_and_id_and_same_day_contacts_count(world):
    referral = world.referral(world.person(), received="2024-03-01", status="active")
    world.contact(referral, "2024-03-09", at="15:00")
    world.contact(referral, "2024-03-09", at="09:00")
    world.contact(referral, "2024-03-30")
    world.refresh("2024-03-31")
    assert world.count("W2C01", "2024-03") == 1
    assert world.number("W2C02", "2024-03") == 8


def test_second_contacts_on_different_referrals_of_a_person_are_not_pooled(world):
    person = world.person()
    first = world.referral(person, received="2024-03-01", status="active")
    second = world.referral(person, received="2024-03-01", status="active", team=world.team_b)
    world.contact(first, "2024-03-05")
    world.contact(second, "2024-03-06")
    world.refresh("2024-03-31")
    assert world.count("W2C01", "2024-03") == 0
    assert world.count("W2C05", "2024-03") == 2


def test_waits_over_28_days_are_outside_4_weeks(world):
    for received, second in (("2024-02-01", "2024-02-29"), ("2024-02-01", "2024-03-01")):
        referral = world.referral(world.person(), received=received, status="active")
        world.contact(referral, "2024-02-02")
        world.contact(referral, second)
    world.refresh("2024-03-31")
    assert world.number("W2C04", "2024-02") == 100  # 28 days
    assert world.number("W2C04", "2024-03") == 0  # 29 days
    rate = world.value("W2C04", "2024-03")
    assert (rate.numerator, rate.denominator) == (0, 1)


def test_referrals_still_waiting_at_the_months_end_with_their_bands(world):
    waiting = world.referral(world.person(), received="2024-03-25", status="active")
    world.contact(waiting, "2024-03-26")  # one contact: still waiting
    world.referral(world.person(), received="2024-03-10")
    world.referral(world.person(), received="2024-01-01")
    world.referral(world.person(), received="2024-03-01", status="rejected", triaged="2024-03-02")
    reached = world.referral(world.person(), received="2024-03-01", status="active")
    world.contact(reached, "2024-03-02")
    world.contact(reached, "2024-03-03")
    world.refresh("2024-03-31")
    # waited 6, 21 and 90 days at 31 March
    assert world.count("W2C05", "2024-03") == 3
    assert world.number("W2C05m", "2024-03") == 21
    assert world.count("W2C05", "2024-03", category="band:0-6d") == 1
    assert world.count("W2C05", "2024-03", category="band:14-27d") == 1
    assert world.count("W2C05", "2024-03", category="band:85d+") == 1
    assert world.number("W2C05p90", "2024-03") == Decimal("76.2")  # 21 + 0.8 * 69


def test_the_waiting_list_is_counted_per_receiving_team(world):
    world.referral(world.person(), received="2024-03-25")
    world.referral(world.person(), received="2024-03-10", team=world.team_b)
    world.referral(world.person(practice=world.practice_b), received="2024-01-01")
    world.refresh("2024-03-31")
    team_a = {"dimension": "team", "key": world.team_a}
    assert world.count("W2C05", "2024-03", **team_a) == 2
    assert world.count("W2C05", "2024-03", dimension="team", key=world.team_b) == 1
    assert world.count("W2C05", "2024-03", category="band:85d+", **team_a) == 1
    assert world.number("W2C05m", "2024-03", **team_a) == Decimal("48")  # of 6 and 90
    assert world.count("W2C05", "2023-12", **team_a) == 0  # zero-filled, not left out


# --------------------------------------------------------------------------- ACC01


def test_a_person_counts_for_12_months_from_their_second_contact_in_a_window(world):
    referral = world.referral(world.person(), received="2023-01-02", status="active")
    world.contact(referral, "2023-01-10")
    world.contact(referral, "2023-03-15")
    world.refresh("2024-03-31")
    # both contacts fall in the 12 months ending with each of March 2023 .. December 2023
    assert world.count("ACC01", "2023-02") == 0
    assert world.count("ACC01", "2023-03") == 1
    assert world.count("ACC01", "2023-12") == 1
    assert world.count("ACC01", "2024-01") == 0


def test_access_does_not_pool_contacts_on_different_referrals(world):
    person = world.person()
    first = world.referral(person, received="2024-01-02", status="active")
    second = world.referral(person, received="2024-01-02", status="active", team=world.team_b)
    world.contact(first, "2024-01-10")
    world.contact(second, "2024-02-10")
    world.contact(first, "2024-01-12", attendance="dna")
    world.contact(first, "2024-01-13", mode="text_email")
    world.refresh("2024-03-31")
    assert world.count("ACC01", "2024-03") == 0


def test_a_person_counts_once_for_the_tenant_and_once_in_each_pcn(world):
    person = world.person(practice=None)
    in_a = world.referral(person, received="2024-01-02", status="active")
    in_b = world.referral(person, received="2024-01-02", status="active", team=world.team_b)
    for referral in (in_a, in_b):
        world.contact(referral, "2024-01-10")
        world.contact(referral, "2024-01-10")  # same day: two contacts
    world.refresh("2024-03-31")
    assert world.count("ACC01", "2024-01") == 1
    assert world.count("ACC01", "2024-01", dimension="pcn", key=world.pcn_a) == 1
    assert world.count("ACC01", "2024-01", dimension="pcn", key=world.pcn_b) == 1


def test_the_transformed_variant_counts_only_contacts_after_the_pcn_went_live(world):
    live = world.referral(world.person(), received="2024-01-02", status="active")
    not_live = world.referral(world.person(practice=world.practice_b), received="2024-01-02",
                              status="active", team=world.team_b)
    for referral in (live, not_live):
        world.contact(referral, "2024-01-10")
        world.contact(referral, "2024-01-11")
    world.refresh("2024-03-31")
    assert world.count("ACC01", "2024-01") == 2
    assert world.count("ACC01T", "2024-01") == 1
    assert world.count("ACC01T", "2024-01", dimension="pcn", key=world.pcn_b) == 0


def test_the_transformed_variant_pairs_only_contacts_on_or_after_go_live(world):
    with tenant_context(world.tenant.pk):
        Organisation.objects.filter(pk=world.pcn_a.pk).update(go_live_date="2024-02-01")
    referral = world.referral(world.person(), received="2024-01-02", status="active")
    world.contact(referral, "2024-01-10")  # before go-live
    world.contact(referral, "2024-02-12")
    world.contact(referral, "2024-04-15")
    world.refresh("2024-05-31")
    assert world.count("ACC01", "2024-02") == 1  # January and February
    assert world.count("ACC01T", "2024-02") == 0
    assert world.count("ACC01T", "2024-03") == 0
    assert world.count("ACC01T", "2024-04") == 1  # February and April
    assert world.count("ACC01T", "2024-04", dimension="pcn", key=world.pcn_a) == 1
