"""Caseloads and the triage queue at each month's end, CAS01, CAS01w and CAS02, worked out by
hand."""

from decimal import Decimal

import pytest

from pcns.models import Membership
from pcns.tenancy import tenant_context
from tests.reporting.world import World

pytestmark = pytest.mark.django_db

AS_OF = "2024-04-15"


@pytest.fixture
def world():
    """Alpha's team: ra (allocated 15 Jan, assessed 1 Feb), rb (allocated 10 Mar, assessed 5
    Apr), rc (allocated 1 Mar, a consultation and a contact but no meaningful assessment), re
    (allocated 20 Mar, risk assessment 25 Mar, discharged after the as-of date), rf (allocated
    after the as-of date). Beta's team: rd (allocated 1 Feb, discharged 31 Mar)."""
    w = World.build("caseload")
    ra = w.referral(w.person(), received="2024-01-05", status="active", triaged="2024-01-10",
                    worker="mhp_a", allocated="2024-01-15")
    w.assessment(ra, "2024-02-01", kind="initial")
    rb = w.referral(w.person(), received="2024-02-01", status="active", triaged="2024-03-05",
                    worker="mhp_a", allocated="2024-03-10")
    w.assessment(rb, "2024-04-05", kind="initial")
    rc = w.referral(w.person(), received="2024-02-20", status="allocated", triaged="2024-02-25",
                    worker="psych_a", allocated="2024-03-01")
    w.assessment(rc, "2024-03-05", kind="consultation")
    w.contact(rc, "2024-03-05", mode="face_to_face", staff="psych_a")
    w.referral(w.person(practice=w.practice_b), received="2024-01-20", team=w.team_b,
               status="discharged", triaged="2024-01-25", worker="mhp_b", allocated="2024-02-01",
               discharged="2024-03-31")
    re = w.referral(w.person(), received="2024-03-15", status="discharged", triaged="2024-03-16",
                    worker="mhp_a", allocated="2024-03-20", discharged="2024-04-20")
    w.assessment(re, "2024-03-25", kind="risk")
    w.referral(w.person(), received="2024-04-01", status="allocated", triaged="2024-04-02",
               worker="mhp_a", allocated="2024-04-20")
    w.refresh(AS_OF)
    return w


def _states(world: World, period: str, **where) -> tuple:
    return tuple(world.count("CAS01", period, category=category, **where)
                 for category in ("", "state:active", "state:awaiting_assessment"))


def test_the_open_caseload_at_each_months_end_is_split_by_state(world):
    assert _states(world, "2024-01") == (1, None, 1)  # ra, not yet assessed
    assert _states(world, "2024-02") == (2, 1, 1)  # ra active, rd awaiting
    assert _states(world, "2024-03") == (4, 2, 2)  # ra, re active; rb, rc awaiting
    assert _states(world, "2024-04") == (4, 3, 1)  # rb now active; rf allocated later


def test_a_month_with_no_caseload_counts_zero(world):
    assert world.count("CAS01", "2023-12") == 0
    assert world.count("CAS01", "2024-03", dimension="pcn", key=world.pcn_b) == 0


def test_a_referral_assessed_after_the_month_end_was_awaiting_assessment_then(world):
    mhp_a = world.staff["mhp_a"]
    assert _states(world, "2024-03", dimension="worker", key=mhp_a) == (3, 2, 1)  # rb waits
    assert _states(world, "2024-04", dimension="worker", key=mhp_a) == (3, 3, None)


def test_contacts_and_consultations_do_not_make_a_referral_active(world):
    psych_a = world.staff["psych_a"]
    assert _states(world, "2024-03", dimension="worker", key=psych_a) == (1, None, 1)


def test_the_caseload_is_counted_per_team_and_pcn(world):
    assert _states(world, "2024-03", dimension="team", key=world.team_a) == (4, 2, 2)
    assert _states(world, "2024-03", dimension="pcn", key=world.pcn_a) == (4, 2, 2)
    assert _states(world, "2024-02", dimension="team", key=world.team_b) == (1, None, 1)
    assert _states(world, "2024-02", dimension="worker", key=world.staff["mhp_b"]) == (
        1, None, 1)


def test_a_referral_ended_on_the_month_end_is_not_in_that_months_caseload(world):
    assert world.count("CAS01", "2024-03", dimension="team", key=world.team_b) == 0


def test_a_workers_caseload_per_wte_is_their_caseload_over_their_wte(world):
    mhp_a = world.value("CAS01w", "2024-03", dimension="worker", key=world.staff["mhp_a"])
    assert (mhp_a.numerator, mhp_a.denominator, mhp_a.value) == (3, 3, 3)  # 3 / 1.0 wte
    psych_a = world.value("CAS01w", "2024-03", dimension="worker", key=world.staff["psych_a"])
    assert (psych_a.numerator, psych_a.denominator, psych_a.value) == (1, 1, 2)  # 1 / 0.5
    # mhp_b's wte is not known
    assert world.value("CAS01w", "2024-02", dimension="worker", key=world.staff["mhp_b"]) is None


def test_a_teams_caseload_per_wte_is_over_its_active_members_wte(world):
    # Alpha's team: mhp_a 1.0, psych_a 0.5 and the connector 1.0
    team_a = world.value("CAS01w", "2024-03", dimension="team", key=world.team_a)
    assert (team_a.numerator, team_a.denominator, team_a.value) == (4, 4, Decimal("1.6"))
    # Beta's only member has no wte
    assert world.value("CAS01w", "2024-02", dimension="team", key=world.team_b) is None

    with tenant_context(world.tenant.pk):
        Membership.objects.filter(pk=world.staff["connector"].pk).update(is_active=False)
    world.refresh(AS_OF)
    team_a = world.value("CAS01w", "2024-03", dimension="team", key=world.team_a)
    assert team_a.value == Decimal("2.67")  # 4 / 1.5


@pytest.fixture
def queue():
    """Referrals waiting for triage: t1 (received 25 Mar, not triaged), t2 (24 Mar, Beta PCN,
    triaged 10 Apr), t3 (1 Jan, rejected after the as-of date), t4 (1 Mar, rejected 31 Mar),
    t7 (4 Feb, triaged 1 Mar); a child's, and one received after the as-of date."""
    w = World.build("queue")
    w.referral(w.person(), received="2024-03-25")
    w.referral(w.person(practice=w.practice_b), received="2024-03-24", team=w.team_b,
               status="accepted", triaged="2024-04-10")
    w.referral(w.person(), received="2024-01-01", status="rejected", triaged="2024-04-20",
               rejection_reason="other")
    w.referral(w.person(), received="2024-03-01", team=w.hub, status="rejected",
               triaged="2024-03-31", rejection_reason="duplicate")
    w.referral(w.person(), received="2024-02-04", status="accepted", triaged="2024-03-01")
    w.referral(w.person(born="2010-01-01"), received="2024-03-20")
    w.referral(w.person(), received="2024-04-16")
    w.refresh(AS_OF)
    return w


def _bands(world: World, period: str) -> dict:
    found = {}
    for band in ("0-6d", "7-13d", "14-27d", "28-84d", "85d+"):
        count = world.count("CAS02", period, category=f"band:{band}")
        if count is not None:
            found[band] = count
    return found


def test_referrals_awaiting_triage_at_the_month_end_by_days_waiting(queue):
    # 31 March: t1 6 days, t2 7 days, t3 90 days; t4 was rejected that day
    assert queue.count("CAS02", "2024-03") == 3
    assert _bands(queue, "2024-03") == {"0-6d": 1, "7-13d": 1, "85d+": 1}
    # 29 February: t3 59 days, t7 25 days
    assert queue.count("CAS02", "2024-02") == 2
    assert _bands(queue, "2024-02") == {"14-27d": 1, "28-84d": 1}
    # 31 January: t3 30 days
    assert _bands(queue, "2024-01") == {"28-84d": 1}


def test_the_triage_queue_is_counted_per_team_and_pcn(queue):
    assert queue.count("CAS02", "2024-03", dimension="team", key=queue.team_a) == 2
    assert queue.count("CAS02", "2024-03", dimension="team", key=queue.team_b) == 1
    assert queue.count("CAS02", "2024-03", dimension="pcn", key=queue.pcn_a) == 2
    assert queue.count("CAS02", "2024-03", dimension="pcn", key=queue.pcn_b) == 1
    assert queue.count("CAS02", "2024-03", dimension="team", key=queue.hub) == 0


def test_triage_decisions_and_referrals_after_the_as_of_date_are_ignored(queue):
    # 15 April: t1 21 days; t3 105 days, its rejection on 20 April not yet made
    assert queue.count("CAS02", "2024-04") == 2
    assert _bands(queue, "2024-04") == {"14-27d": 1, "85d+": 1}


def test_an_empty_triage_queue_counts_zero(queue):
    assert queue.count("CAS02", "2023-12") == 0
