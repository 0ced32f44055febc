"""A care record marked entered in error leaves the figures at the next refresh."""

import pytest

from caseload import corrections
from pcns.tenancy import tenant_context
from tests.reporting.world import World

pytestmark = pytest.mark.django_db

AS_OF = "2024-04-15"


@pytest.fixture
def world():
    """March 2024 in Alpha's team: one person with three attended telephone contacts."""
    w = World.build("corrections")
    referral = w.referral(w.person(), received="2024-02-20", status="active",
                          triaged="2024-02-21", worker="mhp_a", allocated="2024-02-22")
    w.first = w.contact(referral, "2024-03-01")
    w.contact(referral, "2024-03-05")
    w.contact(referral, "2024-03-09")
    w.refresh(AS_OF)
    return w


def _enter_in_error(world, record) -> None:
    with tenant_context(world.tenant.pk):
        corrections.care_record_enter_in_error(record=record, actor=world.staff["mhp_a"].user,
                                               version=record.version,
                                               reason="Recorded for the wrong person")


def test_a_contact_entered_in_error_stops_counting_at_the_next_refresh(world):
    assert world.count("ACT01", "2024-03") == 3
    assert world.count("ACT01", "2024-03", dimension="team", key=world.team_a) == 3
    _enter_in_error(world, world.first)
    assert world.count("ACT01", "2024-03") == 3  # the figures change at a refresh, not before
    world.refresh(AS_OF)
    assert world.count("ACT01", "2024-03") == 2
    assert world.count("ACT01", "2024-03", dimension="team", key=world.team_a) == 2
    assert world.count("ACT01", "2024-03", category="attendance:attended") == 2


def test_contacts_entered_in_error_do_not_make_a_second_contact(world):
    """ACC01 counts people with two qualifying contacts: with two of three entered in error,
    the person drops out."""
    assert world.count("ACC01", "2024-03") == 1
    with tenant_context(world.tenant.pk):
        others = list(world.first.referral.contacts.exclude(pk=world.first.pk))
    _enter_in_error(world, world.first)
    _enter_in_error(world, others[0])
    world.refresh(AS_OF)
    assert world.count("ACC01", "2024-03") == 0
