"""GP practices refer from their own page and see what became of each referral."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from caseload import services as care_services
from config.templating import uk_date
from pcns.models import Team
from pcns.tenancy import tenant_context
from referrals import doors, services
from referrals.models import Person, Referral
from tests.factories import fresh_nhs_number, make_person, person_input

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _post(cast, **overrides) -> dict:
    born = dt.date(1990, 2, 14)
    data = {
        "nhs_number": fresh_nhs_number(), "given_name": "Jordan", "family_name": "Fairweather",
        "date_of_birth-day": str(born.day), "date_of_birth-month": str(born.month),
        "date_of_birth-year": str(born.year), "sex": "female", "gender": "female",
        "ethnicity": "A", "postcode": "S1 2HE", "phone": "07700 900777",
        "preferred_contact_method": "telephone", "team": str(cast.pcn_team.pk),
        "urgency": "urgent", "presenting_needs": ["low_mood"],
        "reason": "Low mood for three months, not sleeping", "consent_to_share": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _refer(client, cast, **overrides):
    client.force_login(cast.gp)
    return client.post(reverse("referrals:practice-referral-new"), _post(cast, **overrides))


def test_a_gp_referral_lands_in_the_triage_queue_with_source_gp_and_the_practice(
    client, tenant_a
):
    response = _refer(client, tenant_a, family_name="Fairweather")
    assert response.status_code == 302
    assert response.url == reverse("referrals:practice-list")
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.select_related("person").get(
            person__family_name="Fairweather")
        assert referral.source == "gp"
        assert referral.referrer_organisation == tenant_a.practice
        assert referral.entered_by == tenant_a.gp
        assert referral.team == tenant_a.pcn_team
        assert referral.status == "awaiting_triage"
        assert referral.received_on == TODAY
        assert referral.urgency == "urgent"
        assert referral.identity_checked
        assert referral.person.registered_practice == tenant_a.practice
    client.force_login(tenant_a.clinician)
    queue = client.get(reverse("referrals:triage-queue")).content.decode()
    assert "Jordan Fairweather" in queue
    assert "Identity not yet checked" not in queue


def test_the_gp_referral_form_shows_the_practice_pcn_team(client, tenant_a):
    client.force_login(tenant_a.gp)
    page = client.get(reverse("referrals:practice-referral-new")).content.decode()
    assert tenant_a.pcn_team.name in page
    assert tenant_a.other_pcn_team.name not in page


def test_a_gp_cannot_refer_into_a_team_outside_their_pcn(client, tenant_a):
    response = _refer(client, tenant_a, team=str(tenant_a.other_pcn_team.pk))
    assert response.status_code == 400
    assert "Choose a mental health team of your practice&#39;s PCN." in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Referral.objects.filter(person__family_name="Fairweather").exists()


def test_a_gp_chooses_among_the_teams_of_their_pcn_when_there_are_several(client, tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        hub = Team.objects.create(tenant=tenant_a.tenant, name="Central hub", kind="hub",
                                  host=tenant_a.pcn)
    client.force_login(tenant_a.gp)
    page = client.get(reverse("referrals:practice-referral-new")).content.decode()
    assert "Which team?" in page and "Central hub" in page
    assert _refer(client, tenant_a, team=str(hub.pk)).status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        assert Referral.objects.get(person__family_name="Fairweather").team == hub


def test_a_gp_referral_needs_the_patients_consent_and_saves_nothing_without_it(
    client, tenant_a
):
    with tenant_context(tenant_a.tenant.pk):
        people = Person.objects.count()
    response = _refer(client, tenant_a, consent_to_share=None, reason="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Confirm the patient agrees to the referral" in page
    assert "Enter the reason for referral." in page
    with tenant_context(tenant_a.tenant.pk):
        assert Person.objects.count() == people


def test_a_patient_already_held_is_referred_as_their_existing_record(client, tenant_a):
    person = make_person(tenant_a, date_of_birth=dt.date(1990, 2, 14))
    response = _refer(client, tenant_a, nhs_number=person.nhs_number, family_name="Typo")
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.get(person=person, source="gp", entered_by=tenant_a.gp)
        assert referral.person.family_name == person.family_name
        assert not Person.objects.filter(family_name="Typo").exists()


def test_an_nhs_number_held_with_another_date_of_birth_is_refused(client, tenant_a):
    person = make_person(tenant_a, date_of_birth=dt.date(1970, 1, 1))
    response = _refer(client, tenant_a, nhs_number=person.nhs_number)
    assert response.status_code == 400
    assert "they do not belong together" in response.content.decode()


def _gp_referral(cast, **person) -> Referral:
    with tenant_context(cast.tenant.pk):
        cast.gp.membership.refresh_from_db()
        return doors.gp_referral_create(
            actor=cast.gp, person_data=person_input(cast, **person),
            data=doors.GpReferralInput(team=cast.pcn_team, presenting_needs=["anxiety"],
                                       reason="Panic attacks at work", consent_to_share=True),
        )


def test_the_practice_sees_each_outcome_decoded_and_no_clinical_notes(client, tenant_a):
    lead = tenant_a.team_lead
    accepted = _gp_referral(tenant_a, family_name="Accepted")
    redirected = _gp_referral(tenant_a, family_name="Redirected")
    rejected = _gp_referral(tenant_a, family_name="Rejected")
    discharged = _gp_referral(tenant_a, family_name="Discharged")
    waiting = _gp_referral(tenant_a, family_name="Waiting")
    with tenant_context(tenant_a.tenant.pk):
        services.referral_accept(referral=accepted, actor=lead, version=accepted.version,
                                 note="SECRET accept note")
        services.referral_redirect(referral=redirected, actor=lead, version=redirected.version,
                                   destination="talking_therapies",
                                   note="SECRET handover note")
        services.referral_reject(referral=rejected, actor=lead, version=rejected.version,
                                 reason="not_eligible", note="SECRET rejection note")
        discharged = services.referral_accept(referral=discharged, actor=lead,
                                              version=discharged.version)
        care_services.referral_discharge(referral=discharged, actor=lead,
                                         version=discharged.version, reason="goals_met",
                                         note="SECRET discharge note")
    client.force_login(tenant_a.gp)
    page = client.get(reverse("referrals:practice-list")).content.decode()
    rows = {name: _row(page, name) for name in
            ["Accepted", "Redirected", "Rejected", "Discharged", "Waiting"]}
    assert f"Accepted on {uk_date(TODAY)} by {tenant_a.pcn_team.name}" in rows["Accepted"]
    assert "Redirected" in rows["Redirected"] and "to NHS Talking Therapies" in rows[
        "Redirected"]
    assert "Rejected" in rows["Rejected"]
    assert "Does not meet the service&#39;s criteria" in rows["Rejected"]
    assert f"Discharged on {uk_date(TODAY)}: Goals met" in rows["Discharged"]
    assert "Not decided yet" in rows["Waiting"]
    assert "not_eligible" not in page and "talking_therapies" not in page
    assert "SECRET" not in page
    assert waiting.pk  # listed, awaiting triage


def _row(page: str, family_name: str) -> str:
    start = page.index(family_name)
    return page[start:page.index("</tr>", start)]


def test_a_gp_of_another_practice_or_tenant_cannot_see_the_referral(client, tenant_a, tenant_b):
    _gp_referral(tenant_a, family_name="Privatesurname")
    with tenant_context(tenant_a.tenant.pk):
        from pcns.models import Membership, Organisation
        from tests.factories import make_user

        other = Organisation.objects.create(tenant=tenant_a.tenant, kind="gp_practice",
                                            name="Other Surgery", parent=tenant_a.pcn)
        other_gp = make_user("other-gp@northtown.test")
        Membership.objects.create(tenant=tenant_a.tenant, user=other_gp, role="gp_practice",
                                  employer=other)
    for user in (other_gp, tenant_b.gp):
        client.force_login(user)
        page = client.get(reverse("referrals:practice-list")).content.decode()
        assert "Privatesurname" not in page
    client.force_login(tenant_a.gp)
    assert "Privatesurname" in client.get(reverse("referrals:practice-list")).content.decode()


def test_staff_other_than_gp_practices_cannot_open_the_gp_referral_form(client, tenant_a):
    for label in ("clinician", "vcse_worker", "programme_manager"):
        client.force_login(tenant_a.users[label])
        assert client.get(reverse("referrals:practice-referral-new")).status_code == 403


def test_a_gp_referral_is_refused_by_the_service_without_consent(tenant_a):
    with tenant_context(tenant_a.tenant.pk), pytest.raises(ValidationError) as error:
        doors.gp_referral_create(
            actor=tenant_a.gp, person_data=person_input(tenant_a),
            data=doors.GpReferralInput(team=tenant_a.pcn_team, presenting_needs=["anxiety"],
                                       reason="Panic attacks", consent_to_share=False),
        )
    assert "consent_to_share" in error.value.message_dict
