"""The demo tenants load, match the reference team shape, and load only once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from pcns import demo, demo_data
from pcns.models import Membership, Organisation, Team, User
from pcns.tenancy import membership_for, tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db):
    call_command("seed_demo", "--if-empty")
    return demo.demo_tenant_ids()


def test_sheffield_has_four_pcns_and_36_staff_in_its_clinical_teams(loaded):
    with tenant_context(loaded["sheffield"]):
        assert Organisation.objects.filter(kind="pcn").count() == 4
        assert Organisation.objects.filter(kind="vcse").count() == 7  # Mind and six partners
        clinical = Membership.objects.filter(teams__kind__in=["pcn_team", "city_wide"]).distinct()
        assert clinical.count() == 36
        paused = Organisation.objects.filter(kind="pcn", intake_pauses__isnull=False).distinct()
        assert paused.count() == 1


def test_leeds_groups_pcns_under_three_local_care_partnerships(loaded):
    with tenant_context(loaded["leeds"]):
        lcps = Organisation.objects.filter(kind="lcp")
        assert lcps.count() == 3
        assert Organisation.objects.filter(kind="pcn", parent__in=lcps).count() == 6
        assert Team.objects.filter(kind="hub").count() == 3


def test_loading_twice_with_if_empty_changes_nothing(loaded):
    users = User.objects.count()
    call_command("seed_demo", "--if-empty")
    assert User.objects.count() == users


def test_every_demo_sign_in_exists_with_the_printed_role(loaded, client, settings):
    rows = demo.demo_signins()
    assert len(rows) == len(demo_data.DEMO_LOGINS) * len(demo_data.TENANTS)
    for row in rows:
        assert client.login(email=row["email"], password=settings.DEMO_PASSWORD), row["email"]
        with tenant_context(None):
            membership = membership_for(User.objects.get(email=row["email"]))
            assert membership.role == demo_data.DEMO_LOGINS[row["label"]]
        client.logout()


def test_demo_tenants_are_isolated_from_each_other(loaded):
    with tenant_context(loaded["leeds"]):
        assert not Organisation.objects.filter(name__icontains="Sheffield").exists()


def test_each_demo_team_has_current_referrals_in_every_stage_of_triage(loaded):
    from referrals.models import Referral

    for slug in ["sheffield", "leeds"]:
        with tenant_context(loaded[slug]):
            statuses = set(Referral.objects.values_list("status", flat=True))
            assert {"awaiting_triage", "awaiting_mdt", "accepted", "allocated",
                    "redirected"} <= statuses, slug
            assert Referral.objects.filter(person__imd_decile__isnull=False).exists()
            teams = Referral.objects.values("team").distinct().count()
            assert teams == Team.objects.filter(kind__in=["pcn_team", "hub"]).count()


def test_the_demo_caseloads_have_care_recorded_through_the_services(loaded):
    from caseload.models import Contact, OutcomeMeasure
    from referrals.models import Referral, ReferralEvent

    with tenant_context(loaded["sheffield"]):
        assert Referral.objects.filter(status="active").exists()
        attended = Contact.objects.filter(attendance="attended")
        assert attended.exists() and Contact.objects.filter(attendance="booked").exists()
        assert OutcomeMeasure.objects.filter(tool="dialog").count() == (
            ReferralEvent.objects.filter(kind="outcome_recorded").count())


def test_the_demo_lists_vcse_services_and_refers_people_on_with_partners_answering(loaded):
    from vcse.models import OnwardReferral, Service, VcseContact

    with tenant_context(loaded["sheffield"]):
        assert set(Service.objects.values_list("organisation__name", flat=True)) == set(
            Organisation.objects.filter(kind="vcse").values_list("name", flat=True))
        statuses = set(OnwardReferral.objects.values_list("status", flat=True))
        assert OnwardReferral.objects.count() >= 5
        assert {"accepted", "in_progress"} & statuses
        assert VcseContact.objects.filter(attendance="attended").exclude(
            support_types=[]).exists()
        # Every one was sent with consent and a snapshot of the minimal data set only.
        for onward in OnwardReferral.objects.select_related("consent"):
            assert onward.consent.given_on <= onward.sent_on
            assert "nhs_number" not in onward.shared and "date_of_birth" not in onward.shared
