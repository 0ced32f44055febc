"""Contacts, DNAs and cancellations, ACT01, ACT02 and ACT02c, worked out by hand."""

from decimal import Decimal

import pytest

from tests.reporting.world import World

pytestmark = pytest.mark.django_db

AS_OF = "2024-04-15"


@pytest.fixture
def world():
    """March 2024 in Alpha's team: 2 attended, 1 DNA, 2 cancelled and 1 booked contact; Beta's
    team: 1 attended text message with no referral; the hub: 1 DNA with no referral; a VCSE
    service: 1 contact (not counted). April: 1 attended, and 1 dated after the as-of date."""
    w = World.build("activity")
    referral = w.referral(w.person(), received="2024-02-20", status="accepted",
                          triaged="2024-02-21")
    w.contact(referral, "2024-03-01", mode="telephone")
    w.contact(referral, "2024-03-02", mode="face_to_face", staff="psych_a")
    w.contact(referral, "2024-03-03", mode="telephone", attendance="dna")
    w.contact(referral, "2024-03-04", mode="video", attendance="cancelled_by_patient")
    w.contact(referral, "2024-03-05", mode="telephone", attendance="cancelled_by_provider")
    w.contact(referral, "2024-03-30", mode="telephone", attendance="booked")
    w.contact(None, "2024-03-10", mode="text_email", staff="mhp_b", team=w.team_b)
    w.contact(None, "2024-03-12", mode="telephone", attendance="dna", staff="mhp_b", team=w.hub)
    w.contact(None, "2024-03-11", staff="vcse_worker", team=w.vcse_team)
    w.contact(referral, "2024-04-02")
    w.contact(referral, "2024-04-20")  # after the as-of date
    w.refresh(AS_OF)
    return w


def test_contacts_are_counted_per_tenant_pcn_and_team_without_booked_or_vcse_ones(world):
    assert world.count("ACT01", "2024-03") == 7
    assert world.count("ACT01", "2024-03", dimension="pcn", key=world.pcn_a) == 5
    assert world.count("ACT01", "2024-03", dimension="pcn", key=world.pcn_b) == 1
    assert world.count("ACT01", "2024-03", dimension="pcn", key="") == 1  # the hub has no PCN
    assert world.count("ACT01", "2024-03", dimension="team", key=world.team_a) == 5
    assert world.count("ACT01", "2024-03", dimension="team", key=world.team_b) == 1
    assert world.count("ACT01", "2024-03", dimension="team", key=world.hub) == 1
    assert world.count("ACT01", "2024-03", dimension="team", key=world.vcse_team) is None


def test_contacts_are_broken_down_by_mode_attendance_and_role(world):
    by = {category: world.count("ACT01", "2024-03", category=category) for category in (
        "mode:telephone", "mode:face_to_face", "mode:video", "mode:text_email",
        "attendance:attended", "attendance:dna", "attendance:cancelled_by_patient",
        "attendance:cancelled_by_provider", "attendance:booked", "role:mhp",
        "role:psychologist", "role:vcse_worker")}
    assert by == {
        "mode:telephone": 4, "mode:face_to_face": 1, "mode:video": 1, "mode:text_email": 1,
        "attendance:attended": 2 + 1, "attendance:dna": 2, "attendance:cancelled_by_patient": 1,
        "attendance:cancelled_by_provider": 1, "attendance:booked": None, "role:mhp": 6,
        "role:psychologist": 1, "role:vcse_worker": None,
    }
    assert world.count("ACT01", "2024-03", dimension="pcn", key=world.pcn_a,
                       category="role:mhp") == 4


def test_a_month_with_no_contacts_counts_zero(world):
    assert world.count("ACT01", "2024-01") == 0
    assert world.count("ACT02c", "2024-01") == 0
    assert world.value("ACT02", "2024-01") is None  # nothing to divide by


def test_contacts_after_the_as_of_date_are_ignored(world):
    assert world.count("ACT01", "2024-04") == 1


def test_the_dna_rate_is_dnas_over_attended_and_dnas(world):
    rate = world.value("ACT02", "2024-03")
    assert (rate.numerator, rate.denominator, rate.value) == (2, 5, 40)
    team_a = world.value("ACT02", "2024-03", dimension="team", key=world.team_a)
    assert (team_a.numerator, team_a.denominator) == (1, 3)
    team_b = world.value("ACT02", "2024-03", dimension="team", key=world.team_b)
    assert (team_b.numerator, team_b.denominator, team_b.value) == (0, 1, 0)
    hub = world.value("ACT02", "2024-03", dimension="team", key=world.hub)
    assert (hub.numerator, hub.denominator, hub.value) == (1, 1, 100)


def test_the_dna_rate_by_mode_skips_modes_with_only_cancellations(world):
    phone = world.value("ACT02", "2024-03", category="mode:telephone")
    assert (phone.numerator, phone.denominator) == (2, 3)
    assert world.value("ACT02", "2024-03", category="mode:video") is None
    face = world.value("ACT02", "2024-03", dimension="team", key=world.team_a,
                       category="mode:face_to_face")
    assert (face.numerator, face.denominator) == (0, 1)


def test_cancellations_are_counted_by_who_cancelled(world):
    assert world.count("ACT02c", "2024-03") == 2
    assert world.count("ACT02c", "2024-03", category="by:patient") == 1
    assert world.count("ACT02c", "2024-03", category="by:provider") == 1
    assert world.count("ACT02c", "2024-03", dimension="team", key=world.team_a) == 2
    assert world.count("ACT02c", "2024-03", dimension="team", key=world.team_b) == 0  # zero-filled
    assert world.count("ACT02c", "2024-04") == 0


def test_the_worked_example_dna_rate_by_mode():
    # METRICS.md section 7: 3 Mar telephone DNA, 5 Mar telephone, 20 Mar video
    w = World.build("example")
    referral = w.referral(w.person(), received="2024-03-01", status="accepted",
                          triaged="2024-03-02")
    w.contact(referral, "2024-03-03", mode="telephone", attendance="dna")
    w.contact(referral, "2024-03-05", mode="telephone")
    w.contact(referral, "2024-03-20", mode="video")
    w.refresh("2024-03-31")
    rate = w.value("ACT02", "2024-03", dimension="team", key=w.team_a)
    assert (rate.numerator, rate.denominator) == (1, 3)
    assert round(rate.value, 2) == Decimal("33.33")
    phone = w.value("ACT02", "2024-03", category="mode:telephone")
    assert (phone.numerator, phone.denominator, phone.value) == (1, 2, 50)
    video = w.value("ACT02", "2024-03", category="mode:video")
    assert (video.numerator, video.denominator, video.value) == (0, 1, 0)
