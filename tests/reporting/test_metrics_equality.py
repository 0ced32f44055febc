"""EQ01, EQ01a, EQ01r and EQ01m (reporting/metrics/equality.py), from small hand-built worlds."""

from decimal import Decimal

import pytest

from pcns.models import Organisation
from pcns.tenancy import tenant_context
from tests.reporting.world import World

pytestmark = pytest.mark.django_db


def set_population(world: World, pcn: Organisation, population: int | None) -> None:
    with tenant_context(world.tenant.pk):
        Organisation.objects.filter(pk=pcn.pk).update(registered_population=population)


# ---------------------------------------------------------------------- EQ01, EQ01m, EQ01r


@pytest.fixture
def received():
    """Six in-scope referrals in March 2024: four in PCN A, two in PCN B."""
    world = World.build("received")
    for ethnicity, gender, born, imd, practice in (
        ("A", "female", "2000-06-01", 1, "a"),  # 23
        ("D", "male", "1970-01-01", 4, "a"),  # 54
        ("H", "non_binary", "1955-01-01", 10, world.practice_b),  # 69
        ("Z", "female", "1990-01-01", None, "a"),  # 34
        ("99", "male", "1985-01-01", 3, "a"),  # 39
        ("N", "female", "1999-03-10", 5, world.practice_b),  # 25 on the day
    ):
        someone = world.person(ethnicity=ethnicity, gender=gender, born=born, imd_decile=imd,
                               practice=practice)
        world.referral(someone, received="2024-03-10")
    late = world.person(ethnicity="M")
    world.referral(late, received="2024-04-02")  # after the as-of date
    child = world.person(ethnicity="M", born="2010-01-01")
    world.referral(child, received="2024-03-10")  # not in scope: under 18
    set_population(world, world.pcn_a, 3000)
    return world


def test_referrals_are_counted_by_national_ethnic_category(received):
    world = received
    world.refresh("2024-03-31")
    for code in ("A", "D", "H", "Z", "99", "N"):
        assert world.count("EQ01", "2024-03", category=f"ethnic_category:{code}") == 1
    assert world.count("EQ01", "2024-03", category="ethnic_category:M") is None
    assert world.count("EQ01", "2024-03") == 6
    # PCNs are broken down by the broad groups only (the categories are the tenant's).
    pcn_categories = {value.category for value in world.values("EQ01", "2024-03")
                      if value.dimension == "pcn"}
    assert "ethnic_group:white" in pcn_categories
    assert not any(category.startswith("ethnic_category:") for category in pcn_categories)


def test_referrals_are_counted_by_broad_ethnic_group_with_z_and_99_not_stated(received):
    world = received
    world.refresh("2024-03-31")
    expected = {"white": 1, "mixed": 1, "asian": 1, "black": 1, "other": None, "not_stated": 2}
    for group, count in expected.items():
        assert world.count("EQ01", "2024-03", category=f"ethnic_group:{group}") == count
    assert world.count("EQ01", "2024-03", dimension="pcn", key=world.pcn_a,
                       category="ethnic_group:not_stated") == 2
    assert world.count("EQ01", "2024-03", dimension="pcn", key=world.pcn_b,
                       category="ethnic_group:black") == 1


def test_referrals_are_counted_by_gender_age_on_the_day_received_and_imd_quintile(received):
    world = received
    world.refresh("2024-03-31")

    def count(category):
        return world.count("EQ01", "2024-03", category=category)

    assert (count("gender:female"), count("gender:male"), count("gender:non_binary")) == (3, 2, 1)
    assert (count("age:18-24"), count("age:25-44"), count("age:45-64"), count("age:65+")) == (
        1, 3, 1, 1)
    # deciles 1 | 4, 3 | 5 | 10, and one not known
    assert (count("imd:1"), count("imd:2"), count("imd:3"), count("imd:4"), count("imd:5"),
            count("imd:unknown")) == (1, 2, 1, None, 1, 1)


def test_a_month_with_no_referrals_has_no_breakdown_and_no_minority_share(received):
    world = received
    world.refresh("2024-03-31")
    assert world.count("EQ01", "2024-02") == 0
    assert world.count("EQ01", "2024-02", category="ethnic_group:white") is None
    assert world.value("EQ01m", "2024-02") is None


def test_the_minority_ethnic_share_is_of_referrals_with_a_stated_ethnicity(received):
    world = received
    world.refresh("2024-03-31")
    share = world.value("EQ01m", "2024-03")
    assert (share.numerator, share.denominator, share.value) == (3, 4, 75)
    pcn_a = world.value("EQ01m", "2024-03", dimension="pcn", key=world.pcn_a)
    assert (pcn_a.numerator, pcn_a.denominator, pcn_a.value) == (1, 2, 50)
    pcn_b = world.value("EQ01m", "2024-03", dimension="pcn", key=world.pcn_b)
    assert (pcn_b.numerator, pcn_b.denominator, pcn_b.value) == (2, 2, 100)


def test_chinese_and_any_other_ethnic_group_count_as_minority_ethnic_and_white_irish_not():
    world = World.build("other")
    for ethnicity in ("R", "S", "B", "99"):
        world.referral(world.person(ethnicity=ethnicity), received="2024-03-10")
    world.refresh("2024-03-31")
    share = world.value("EQ01m", "2024-03")
    assert (share.numerator, share.denominator) == (2, 3)
    assert share.value == Decimal("66.67")
    assert world.count("EQ01", "2024-03", category="ethnic_group:other") == 2
    assert world.count("EQ01", "2024-03", category="ethnic_group:white") == 1


def test_a_pcn_without_a_population_has_no_rate_and_is_left_out_of_the_tenants(received):
    world = received
    world.refresh("2024-03-31")
    pcn_a = world.value("EQ01r", "2024-03", dimension="pcn", key=world.pcn_a)
    # 4 referrals for 3,000 people
    assert (pcn_a.numerator, pcn_a.denominator, pcn_a.value) == (3000, 4, Decimal("1.33"))
    tenant = world.value("EQ01r", "2024-03")
    assert (tenant.numerator, tenant.denominator, tenant.value) == (3000, 4, Decimal("1.33"))
    assert world.value("EQ01r", "2024-03", dimension="pcn", key=world.pcn_b) is None
    quiet = world.value("EQ01r", "2024-02", dimension="pcn", key=world.pcn_a)
    assert (quiet.denominator, quiet.value) == (0, 0)


def test_the_tenants_rate_sums_the_populations_of_pcns_that_have_one(received):
    world = received
    set_population(world, world.pcn_b, 2000)
    world.refresh("2024-03-31")
    tenant = world.value("EQ01r", "2024-03")
    # 6 referrals for 5,000 people
    assert (tenant.numerator, tenant.denominator, tenant.value) == (5000, 6, Decimal("1.2"))
    assert world.number("EQ01r", "2024-03", dimension="pcn", key=world.pcn_b) == 1


def test_no_rates_without_populations():
    world = World.build("unpopulated")
    world.referral(world.person(), received="2024-03-10")
    world.refresh("2024-03-31")
    assert world.values("EQ01r") == []


# ---------------------------------------------------------------------- EQ01a


@pytest.fixture
def seen():
    world = World.build("seen")

    def twice(person, first, second, *, attendance="attended"):
        referral = world.referral(person, received="2024-01-05", status="active")
        world.contact(referral, first)
        world.contact(referral, second, attendance=attendance)

    twice(world.person(ethnicity="A", born="1980-01-01", imd_decile=2),
          "2024-01-10", "2024-02-10")
    # 64 when referred, 65 by the end of March
    twice(world.person(ethnicity="K", gender="male", born="1959-03-20"),
          "2024-03-01", "2024-03-15")
    twice(world.person(ethnicity="H", practice=world.practice_b), "2024-03-02", "2024-03-16")
    twice(world.person(ethnicity="D"), "2024-03-02", "2024-03-16", attendance="dna")
    world.contact(world.referral(world.person(ethnicity="M"), received="2024-01-05"),
                  "2024-03-03")
    world.refresh("2024-03-31")
    return world


def test_acc01_people_are_counted_by_ethnic_group(seen):
    world = seen
    assert world.count("ACC01", "2024-03") == 3
    assert world.count("EQ01a", "2024-03") == 3
    assert world.count("EQ01a", "2024-03", category="ethnic_group:white") == 1
    assert world.count("EQ01a", "2024-03", category="ethnic_group:asian") == 2
    assert world.count("EQ01a", "2024-03", category="ethnic_group:black") is None
    assert world.count("EQ01a", "2024-03", category="ethnic_group:mixed") is None
    assert world.count("EQ01a", "2024-03", category="ethnic_category:K") == 1


def test_acc01_people_are_banded_by_age_at_the_months_end(seen):
    world = seen
    assert world.count("EQ01a", "2024-03", category="age:65+") == 1
    assert world.count("EQ01a", "2024-03", category="age:45-64") is None
    assert world.count("EQ01a", "2024-03", category="age:25-44") == 2
    assert world.count("EQ01a", "2024-03", category="gender:male") == 1
    assert world.count("EQ01a", "2024-03", category="imd:1") == 1
    assert world.count("EQ01a", "2024-03", category="imd:unknown") == 2


def test_acc01_people_are_counted_per_pcn_and_month(seen):
    world = seen
    assert world.count("EQ01a", "2024-03", dimension="pcn", key=world.pcn_a) == 2
    assert world.count("EQ01a", "2024-03", dimension="pcn", key=world.pcn_a,
                       category="ethnic_group:asian") == 1
    assert world.count("EQ01a", "2024-03", dimension="pcn", key=world.pcn_b,
                       category="ethnic_group:asian") == 1
    assert world.count("EQ01a", "2024-02") == 1
    assert world.count("EQ01a", "2024-02", category="ethnic_group:white") == 1
    assert world.count("EQ01a", "2024-01") == 0
