"""VCS01-VCS04 and CCN01 (reporting/metrics/vcse.py), from small hand-built worlds."""

import datetime as dt

import pytest

from pcns.models import Organisation
from pcns.tenancy import tenant_context
from reporting.metrics.vcse import bank_holidays
from tests.reporting.world import World
from vcse.models import Service

pytestmark = pytest.mark.django_db


def another_service(world: World, name: str, *, organisation: str | None = None) -> Service:
    """A second service of the world's VCSE organisation, or of a new one when named."""
    with tenant_context(world.tenant.pk):
        org = world.vcse_org
        if organisation:
            org = Organisation.objects.create(tenant=world.tenant, kind="vcse", name=organisation)
        return Service.objects.create(tenant=world.tenant, organisation=org, name=name,
                                      categories=["housing"])


def referred(world: World, **person):
    """A person with a referral received on 1 January 2024."""
    someone = world.person(**person)
    return world.referral(someone, received="2024-01-01", status="active")


# ---------------------------------------------------------------------- VCS01, VCS01p


@pytest.fixture
def sent():
    world = World.build("sent")
    housing = another_service(world, "Housing help")
    elsewhere = another_service(world, "Walk and talk", organisation="Green Minds")
    woman = referred(world, gender="female")
    man = referred(world, gender="male")
    non_binary = referred(world, gender="non_binary")
    not_stated = referred(world, gender="not_stated", born="2008-05-01")  # 15: not in scope
    world.onward(woman, "2024-03-04")
    world.onward(woman, "2024-03-20", service=housing)
    world.onward(man, "2024-03-10")
    world.onward(non_binary, "2024-03-12", service=elsewhere)
    world.onward(not_stated, "2024-03-31")
    world.onward(man, "2024-04-02")
    world.onward(woman, "2024-04-20")  # after the as-of date
    world.refresh("2024-04-15")
    return world, housing, elsewhere


def test_onward_referrals_sent_in_the_month_are_counted_whatever_the_persons_age(sent):
    world, _, _ = sent
    assert world.count("VCS01", "2024-03") == 5
    assert world.count("VCS01", "2024-03", category="gender:female") == 2
    assert world.count("VCS01", "2024-03", category="gender:male") == 1


def test_non_binary_and_not_stated_genders_are_grouped_as_other(sent):
    world, _, _ = sent
    assert world.count("VCS01", "2024-03", category="gender:other") == 2
    assert world.count("VCS01p", "2024-03", category="gender:other") == 2


def test_a_person_referred_on_twice_in_a_month_is_one_person(sent):
    world, _, _ = sent
    assert world.count("VCS01p", "2024-03") == 4
    assert world.count("VCS01p", "2024-03", category="gender:female") == 1
    assert world.count("VCS01", "2024-03", dimension="vcse_org", key=world.vcse_org) == 4
    assert world.count("VCS01p", "2024-03", dimension="vcse_org", key=world.vcse_org) == 3


def test_onward_referrals_are_counted_per_service(sent):
    world, housing, elsewhere = sent
    assert world.count("VCS01", "2024-03", dimension="vcse_service", key=world.service) == 3
    assert world.count("VCS01", "2024-03", dimension="vcse_service", key=housing) == 1
    assert world.count("VCS01", "2024-03", dimension="vcse_service", key=elsewhere) == 1
    assert world.count("VCS01", "2024-03", dimension="vcse_org",
                       key=elsewhere.organisation) == 1
    label = world.value("VCS01", "2024-03", dimension="vcse_service", key=housing)
    assert label.dimension_label == "Housing help"


def test_an_onward_referral_sent_after_the_as_of_date_is_ignored(sent):
    world, _, _ = sent
    assert world.count("VCS01", "2024-04") == 1
    assert world.count("VCS01", "2024-04", category="gender:female") is None


def test_a_month_with_no_onward_referrals_counts_0_with_no_breakdown(sent):
    world, _, _ = sent
    assert world.count("VCS01", "2024-02") == 0
    assert world.count("VCS01", "2024-02", category="gender:male") is None
    assert world.count("VCS01", "2024-02", dimension="vcse_org", key=world.vcse_org) is None


# ---------------------------------------------------------------------- VCS02, VCS02m
# December 2023: 25 and 26 December are bank holidays, so 10 working days after Monday
# 11 December is Wednesday 27 December, and after Friday 15 December it is 3 January (1 January
# is one too).


@pytest.fixture
def answers():
    world = World.build("answers")
    referral = referred(world)
    on_time = world.onward(referral, "2023-12-11", status="accepted", responded="2023-12-27")
    late = world.onward(referral, "2023-12-11", status="in_progress", responded="2023-12-28")
    world.onward(referral, "2023-12-11")  # never answered
    world.onward(referral, "2023-12-15")  # 10 working days not up by 31 December
    world.onward(referral, "2023-12-11", status="declined", responded="2023-12-13")
    world.onward(referral, "2023-12-04", status="closed", responded="2023-12-05",
                 closed="2023-12-20")
    world.onward(referral, "2023-12-20", status="accepted", responded="2024-01-03")
    return world, on_time, late


def test_answers_by_the_months_end_are_accepted_or_declined(answers):
    world, _, _ = answers
    world.refresh("2024-01-31")
    assert world.count("VCS02", "2023-12") == 4  # answered by 31 December
    assert world.count("VCS02", "2023-12", category="response:accepted") == 3
    assert world.count("VCS02", "2023-12", category="response:declined") == 1


def test_an_answer_after_10_working_days_counts_as_no_response_and_as_accepted(answers):
    world, _, _ = answers
    world.refresh("2024-01-31")
    # the late answer (28 December) and the one never answered; 27 December was in time
    assert world.count("VCS02", "2023-12", category="response:none_10wd") == 2
    assert world.count("VCS02", "2023-12", dimension="vcse_service", key=world.service,
                       category="response:none_10wd") == 2


def test_an_answer_after_the_months_end_is_not_counted_for_the_month_sent(answers):
    world, _, _ = answers
    world.refresh("2024-01-31")
    # sent 20 December, answered 3 January: December had no answer, January sent nothing
    assert world.count("VCS02", "2024-01") == 0
    assert world.count("VCS02", "2024-01", category="response:accepted") is None


def test_the_median_days_to_an_answer_is_over_answers_dated_in_the_month(answers):
    world, _, _ = answers
    world.refresh("2024-01-31")
    december = world.value("VCS02m", "2023-12")
    # 16, 17, 2 and 1 days: median of 1, 2, 16, 17
    assert (december.denominator, december.value) == (4, 9)
    january = world.value("VCS02m", "2024-01")
    assert (january.denominator, january.value) == (1, 14)
    assert world.value("VCS02m", "2023-11") is None


def test_an_answer_after_the_as_of_date_has_not_happened_yet(answers):
    world, _, _ = answers
    world.refresh("2023-12-27")
    assert world.count("VCS02", "2023-12") == 3
    assert world.count("VCS02", "2023-12", category="response:accepted") == 2
    # the 28 December answer is in the future: by 27 December it had waited 10 working days
    assert world.count("VCS02", "2023-12", category="response:none_10wd") == 2
    assert world.value("VCS02m", "2023-12").denominator == 3


def test_working_days_skip_weekends_and_bank_holidays():
    found = bank_holidays(dt.date(2023, 12, 1), dt.date(2024, 1, 31))
    assert found == [dt.date(2023, 12, 25), dt.date(2023, 12, 26), dt.date(2024, 1, 1)]


# ---------------------------------------------------------------------- VCS03, VCS03s, VCS04


@pytest.fixture
def contacts():
    world = World.build("contacts")
    elsewhere = another_service(world, "Walk and talk", organisation="Green Minds")
    referral = referred(world)
    first = world.onward(referral, "2024-03-01", status="accepted", responded="2024-03-02")
    second = world.onward(referral, "2024-03-10", status="accepted", responded="2024-03-11")
    third = world.onward(referral, "2024-03-25", status="accepted", responded="2024-03-26")
    fourth = world.onward(referral, "2024-03-28", status="accepted", responded="2024-03-29")
    other = world.onward(referral, "2024-03-01", service=elsewhere, status="accepted",
                         responded="2024-03-01")
    world.vcse_contact(first, "2024-03-05", attendance="did_not_attend",
                       support=["debt_advice"])
    world.vcse_contact(first, "2024-03-06", support=["debt_advice", "welfare_benefits"])
    world.vcse_contact(second, "2024-03-20", support=["debt_advice"])
    world.vcse_contact(second, "2024-03-22", support=["housing", "housing"])
    world.vcse_contact(other, "2024-03-15", attendance="cancelled", support=[])
    world.vcse_contact(third, "2024-04-02", support=["debt_advice"])
    world.vcse_contact(fourth, "2024-04-03", support=["debt_advice"])  # after the as-of date
    world.refresh("2024-04-02")
    return world, other.organisation


def test_vcse_contacts_are_counted_by_attendance_and_organisation(contacts):
    world, other_org = contacts
    assert world.count("VCS03", "2024-03") == 5
    assert world.count("VCS03", "2024-03", category="attendance:attended") == 3
    assert world.count("VCS03", "2024-03", category="attendance:did_not_attend") == 1
    assert world.count("VCS03", "2024-03", category="attendance:cancelled") == 1
    assert world.count("VCS03", "2024-03", dimension="vcse_org", key=world.vcse_org) == 4
    assert world.count("VCS03", "2024-03", dimension="vcse_org", key=other_org) == 1
    assert world.count("VCS03", "2024-04") == 1  # 3 April is after the as-of date


def test_support_is_counted_once_per_type_per_attended_contact(contacts):
    world, _ = contacts
    assert world.count("VCS03s", "2024-03", category="support:debt_advice") == 2
    assert world.count("VCS03s", "2024-03", category="support:welfare_benefits") == 1
    assert world.count("VCS03s", "2024-03", category="support:housing") == 1
    assert world.count("VCS03s", "2024-03") == 4  # deliveries over every type
    assert world.count("VCS03s", "2024-02") == 0


def test_days_to_the_first_vcse_contact_count_in_the_month_of_that_contact(contacts):
    world, other_org = contacts
    march = world.value("VCS04", "2024-03")
    # first contacts: 5 March (4 days, a missed one counts), 20 March (10), 15 March (14)
    assert (march.denominator, march.value) == (3, 10)
    mine = world.value("VCS04", "2024-03", dimension="vcse_org", key=world.vcse_org)
    assert (mine.denominator, mine.value) == (2, 7)
    theirs = world.value("VCS04", "2024-03", dimension="vcse_org", key=other_org)
    assert (theirs.denominator, theirs.value) == (1, 14)
    april = world.value("VCS04", "2024-04")
    assert (april.denominator, april.value) == (1, 8)  # the 3 April contact is not yet
    assert world.value("VCS04", "2024-02") is None


# ---------------------------------------------------------------------- CCN01


@pytest.fixture
def connectors():
    world = World.build("connectors")
    # 29 on 10 March, 30 by 20 March: banded by the first contact of the month
    young = world.person(born="1994-03-15", gender="male")
    turning = world.referral(young, received="2024-01-10", status="active")
    world.contact(turning, "2024-03-10", staff="connector")
    world.contact(turning, "2024-03-20", staff="connector")
    world.contact(turning, "2024-04-05", staff="connector")  # after the as-of date
    # team B's referral, but PCN A by the person's practice
    older = world.person(born="1950-01-01", gender="female")
    world.contact(world.referral(older, received="2024-02-01", team=world.team_b,
                                 status="active"), "2024-03-05", staff="connector")
    # 16: not an in-scope referral, so the contact's team (PCN B) gives the PCN
    minor = world.person(born="2008-01-01", gender="not_known")
    world.contact(world.referral(minor, received="2024-02-01", team=world.team_b,
                                 status="active"), "2024-03-06", staff="connector")
    missed = world.person()
    world.contact(world.referral(missed, received="2024-02-01"), "2024-03-07",
                  staff="connector", attendance="dna")
    clinician = world.person()
    world.contact(world.referral(clinician, received="2024-02-01"), "2024-03-07")
    world.contact(None, "2024-03-08", staff="connector")  # no referral: no one to count
    world.refresh("2024-04-03")
    return world


def test_people_seen_by_connectors_are_counted_once_each(connectors):
    world = connectors
    assert world.count("CCN01", "2024-03") == 3
    assert world.count("CCN01", "2024-04") == 0
    assert world.count("CCN01", "2024-02") == 0


def test_connector_people_are_banded_by_age_at_their_first_contact_of_the_month(connectors):
    world = connectors
    assert world.count("CCN01", "2024-03", category="age:18-29") == 1
    assert world.count("CCN01", "2024-03", category="age:30-39") is None
    assert world.count("CCN01", "2024-03", category="age:60+") == 1
    # the 16-year-old is in the total only


def test_connector_people_by_gender_group_other_or_not_stated(connectors):
    world = connectors
    assert world.count("CCN01", "2024-03", category="gender:male") == 1
    assert world.count("CCN01", "2024-03", category="gender:female") == 1
    assert world.count("CCN01", "2024-03", category="gender:other") == 1


def test_connector_people_go_to_the_referrals_pcn_else_the_contact_teams(connectors):
    world = connectors
    assert world.count("CCN01", "2024-03", dimension="pcn", key=world.pcn_a) == 2
    assert world.count("CCN01", "2024-03", dimension="pcn", key=world.pcn_b) == 1
    assert world.count("CCN01", "2024-03", dimension="pcn", key=world.pcn_b,
                       category="gender:other") == 1


def test_vcse_codes_are_zero_in_a_tenant_with_no_onward_referrals(connectors):
    world = connectors
    for code in ("VCS01", "VCS01p", "VCS02", "VCS03", "VCS03s"):
        assert world.count(code, "2024-03") == 0
    assert world.value("VCS02m", "2024-03") is None
    assert world.value("VCS04", "2024-03") is None
