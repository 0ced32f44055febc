"""Referral flow, REF01 to REF05: small worlds whose answers are worked out by hand."""

from decimal import Decimal

import pytest

from tests.reporting.world import World

pytestmark = pytest.mark.django_db

AS_OF = "2024-04-15"


@pytest.fixture
def world():
    """March 2024: three in-scope referrals received (r1 PCN A, r2 PCN B, r3 to the hub for
    someone with no practice); a child's and a VCSE service's referral that are out of scope;
    a February referral rejected in March; one received in April and one after the as-of date.
    """
    w = World.build("referrals")
    a, b = w.person(), w.person(practice=w.practice_b)
    no_practice = w.person(practice=None)
    child = w.person(born="2010-05-01")
    # r1: triaged after 3 days
    w.referral(a, received="2024-03-04", status="accepted", triaged="2024-03-07")
    # r2: rejected after 10 days
    w.referral(b, received="2024-03-10", team=w.team_b, source="self", urgency="urgent",
               status="rejected", triaged="2024-03-20", rejection_reason="not_eligible")
    # r3: redirected on 2 April, after 18 days
    w.referral(no_practice, received="2024-03-15", team=w.hub, status="redirected",
               triaged="2024-04-02", redirect_destination="crisis")
    # out of scope: a child's referral, and one to a VCSE service
    w.referral(child, received="2024-03-05", status="rejected", triaged="2024-03-07",
               rejection_reason="not_eligible")
    w.referral(a, received="2024-03-12", team=w.vcse_team, status="rejected",
               triaged="2024-03-13", rejection_reason="other")
    # r7: received 23 February, rejected 1 March as a duplicate (7 days)
    w.referral(w.person(practice=w.practice_b), received="2024-02-23", team=w.team_b,
               status="rejected", triaged="2024-03-01", rejection_reason="duplicate")
    # r8: received in April; its rejection on 20 April is after the as-of date
    w.referral(w.person(), received="2024-04-01", status="rejected", triaged="2024-04-20",
               rejection_reason="declined")
    # received after the as-of date
    w.referral(b, received="2024-04-20")
    w.refresh(AS_OF)
    return w


def test_referrals_received_count_in_scope_referrals_by_pcn_and_team(world):
    assert world.count("REF01", "2024-03") == 3
    assert world.count("REF01", "2024-03", dimension="pcn", key=world.pcn_a) == 1
    assert world.count("REF01", "2024-03", dimension="pcn", key=world.pcn_b) == 1
    assert world.count("REF01", "2024-03", dimension="pcn", key="") == 1  # the hub's
    assert world.count("REF01", "2024-03", dimension="team", key=world.team_a) == 1
    assert world.count("REF01", "2024-03", dimension="team", key=world.team_b) == 1
    assert world.count("REF01", "2024-03", dimension="team", key=world.hub) == 1
    assert world.count("REF01", "2024-03", dimension="team", key=world.vcse_team) is None
    assert world.count("REF01", "2024-02") == 1


def test_referrals_received_are_broken_down_by_source_and_urgency(world):
    assert world.count("REF01", "2024-03", category="source:gp") == 2
    assert world.count("REF01", "2024-03", category="source:self") == 1
    assert world.count("REF01", "2024-03", category="urgency:routine") == 2
    assert world.count("REF01", "2024-03", category="urgency:urgent") == 1
    assert world.count("REF01", "2024-03", dimension="pcn", key=world.pcn_b,
                       category="source:self") == 1
    # the breakdowns are for the tenant and PCNs, not for teams
    assert world.count("REF01", "2024-03", dimension="team", key=world.team_b,
                       category="source:self") is None


def test_a_month_with_no_referrals_counts_zero(world):
    assert world.count("REF01", "2024-01") == 0
    assert world.count("REF03", "2024-01") == 0
    assert world.count("REF04", "2024-01") == 0
    assert world.count("REF05", "2024-01") == 0
    assert world.value("REF03p", "2024-01") is None  # no referrals to divide by


def test_referrals_and_decisions_after_the_as_of_date_are_ignored(world):
    assert world.count("REF01", "2024-04") == 1  # r8; not the one received on 20 April
    assert world.count("REF03", "2024-04") == 0  # r8's rejection is dated 20 April


def test_the_median_wait_for_triage_is_over_decisions_dated_in_the_month(world):
    # March decisions: r1 3 days, r7 7 days, r2 10 days (the child's is out of scope)
    median = world.value("REF02", "2024-03")
    assert (median.value, median.denominator) == (Decimal(7), 3)
    pcn_b = world.value("REF02", "2024-03", dimension="pcn", key=world.pcn_b)
    assert (pcn_b.value, pcn_b.denominator) == (Decimal("8.5"), 2)  # 7 and 10
    april = world.value("REF02", "2024-04")
    assert (april.value, april.denominator) == (Decimal(18), 1)  # r3; r8's is after the as-of


def test_rejections_are_counted_in_the_month_of_the_decision_by_reason(world):
    assert world.count("REF03", "2024-03") == 2  # r2 and r7, not the child's or the VCSE one
    assert world.count("REF03", "2024-03", category="reason:not_eligible") == 1
    assert world.count("REF03", "2024-03", category="reason:duplicate") == 1
    assert world.count("REF03", "2024-03", category="reason:other") is None
    assert world.count("REF03", "2024-03", dimension="pcn", key=world.pcn_b) == 2
    assert world.count("REF03", "2024-02") == 0


def test_rejections_are_a_percentage_of_referrals_received_in_the_month(world):
    share = world.value("REF03p", "2024-03")
    assert (share.numerator, share.denominator) == (2, 3)
    assert round(share.value, 1) == Decimal("66.7")
    pcn_a = world.value("REF03p", "2024-03", dimension="pcn", key=world.pcn_a)
    assert (pcn_a.numerator, pcn_a.denominator, pcn_a.value) == (0, 1, 0)


def test_redirections_are_counted_in_the_month_of_the_decision_by_destination(world):
    assert world.count("REF04", "2024-03") == 0
    assert world.count("REF04", "2024-04") == 1
    assert world.count("REF04", "2024-04", category="destination:crisis") == 1
    assert world.count("REF04", "2024-04", dimension="pcn", key="") == 1


def test_a_referral_counts_from_the_persons_18th_birthday():
    w = World.build("birthday")
    w.referral(w.person(born="2006-03-10"), received="2024-03-10")
    w.referral(w.person(born="2006-03-11"), received="2024-03-10", team=w.team_b)
    w.refresh(AS_OF)
    assert w.count("REF01", "2024-03") == 1


def test_a_re_referral_follows_a_discharge_within_365_days():
    w = World.build("rereferrals")

    def again(received: str, earlier_end: str, *, status: str = "discharged",
              team=None) -> None:
        person = w.person()
        w.referral(person, received="2023-01-02", team=team, status=status,
                   triaged="2023-01-02", rejection_reason="other" if status == "rejected" else "",
                   discharged=earlier_end if status == "discharged" else None)
        w.referral(person, received=received, team=w.team_b)

    again("2024-03-01", "2023-06-30")  # 245 days: counts
    again("2024-03-01", "2023-03-02")  # 365 days: counts
    again("2024-03-02", "2023-03-01")  # 367 days: too long ago
    again("2024-03-04", "2024-03-04")  # discharged the same day: not before it
    again("2024-03-05", "2023-01-02", status="rejected")  # rejected, not discharged
    again("2024-03-06", "2023-09-01", team=w.vcse_team)  # a VCSE service's: not in scope
    w.refresh(AS_OF)
    assert w.count("REF01", "2024-03") == 6
    assert w.count("REF05", "2024-03") == 2
    assert w.count("REF05", "2024-03", dimension="pcn", key=w.pcn_a) == 2
