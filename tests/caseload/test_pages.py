"""The caseload pages: my caseload and its flags, team caseloads, the care record, contacts,
assessments, interventions, discharge and risk concerns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from caseload import services
from caseload.models import Assessment, Contact, Intervention, RiskConcern
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
            f"{prefix}-year": str(day.year)}


def _allocated(cast, *, days_ago: int = 10, worker=None) -> Referral:
    """A referral received ``days_ago`` days ago, accepted and allocated to the clinician."""
    referral = make_referral(cast, received_on=TODAY - dt.timedelta(days=days_ago))
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                     version=referral.version)
        return referral_services.referral_allocate(
            referral=referral, actor=cast.team_lead, version=referral.version,
            worker=(worker or cast.clinician).membership,
            joint_workers=[cast.peer_support.membership])


def _contact(cast, referral, *, on, attendance="attended", mode="telephone"):
    with tenant_context(cast.tenant.pk):
        return services.contact_record(
            actor=cast.clinician, referral=referral,
            data=services.ContactInput(on=on, mode=mode, attendance=attendance,
                                       purpose="review"))


def _contact_post(**overrides) -> dict:
    data = {**_date("on", TODAY), "at": "", "attendance": "attended", "mode": "video",
            "duration_minutes": "40", "direct": "yes", "purpose": "review", "note": ""}
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- caseloads


def test_my_caseload_flags_two_dnas_in_a_row_and_a_missing_outcome_measure(client, tenant_a):
    referral = _allocated(tenant_a)
    _contact(tenant_a, referral, on=TODAY - dt.timedelta(days=8))
    _contact(tenant_a, referral, on=TODAY - dt.timedelta(days=5), attendance="dna")
    _contact(tenant_a, referral, on=TODAY - dt.timedelta(days=2), attendance="dna")
    _contact(tenant_a, referral, on=TODAY + dt.timedelta(days=4), attendance="booked")
    client.force_login(tenant_a.clinician)
    page = client.get(reverse("caseload:mine")).content.decode()
    row = page[page.index(reverse("caseload:record", args=[referral.pk])):]
    row = row[:row.index("</tr>")]
    assert "Two DNAs in a row" in row
    assert "No baseline outcome measure" in row
    assert "No contact for 28 days" not in row
    assert (TODAY - dt.timedelta(days=8)).strftime("%-d %B %Y") in row  # last attended
    assert (TODAY + dt.timedelta(days=4)).strftime("%-d %B %Y") in row  # next booked


def test_my_caseload_flags_no_contact_for_28_days(client, tenant_a):
    referral = _allocated(tenant_a, days_ago=40)
    client.force_login(tenant_a.clinician)
    page = client.get(reverse("caseload:mine")).content.decode()
    row = page[page.index(reverse("caseload:record", args=[referral.pk])):]
    assert "No contact for 28 days" in row[:row.index("</tr>")]


def test_a_lead_sees_the_team_caseload_per_worker_and_per_wte(client, tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        before = Referral.objects.filter(worker=tenant_a.other_clinician.membership).count()
    client.force_login(tenant_a.team_lead)
    _allocated(tenant_a, worker=tenant_a.team_lead)
    response = client.get(reverse("caseload:team", args=[tenant_a.pcn_team.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Caseload per worker" in page and "Reallocate" in page
    assert str(tenant_a.team_lead) in page
    assert before == 0


def test_a_clinician_who_leads_no_team_cannot_open_a_team_caseload(client, tenant_a):
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("caseload:team", args=[tenant_a.pcn_team.pk])).status_code == 404


# --------------------------------------------------------------------------- care record


def test_the_care_record_shows_the_episode_and_is_audited(client, tenant_a):
    referral = _allocated(tenant_a)
    _contact(tenant_a, referral, on=TODAY - dt.timedelta(days=1), mode="video")
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("caseload:record", args=[referral.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Video" in page and "Record a contact" in page and "Discharge" in page
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(action="view", target_id=str(referral.pk),
                                         note="care record").count() == 1


def test_another_teams_clinician_and_a_vcse_worker_cannot_open_the_care_record(
    client, tenant_a, tenant_b
):
    referral = _allocated(tenant_a)
    for user in (tenant_a.other_clinician, tenant_a.vcse_worker, tenant_b.clinician):
        client.force_login(user)
        assert client.get(reverse("caseload:record", args=[referral.pk])).status_code == 404
        assert client.get(reverse("caseload:contact-new", args=[referral.pk])).status_code == 404


def test_a_peer_support_worker_is_offered_no_assessment_plan_or_discharge(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.peer_support)
    page = client.get(reverse("caseload:record", args=[referral.pk])).content.decode()
    assert "Record a contact" in page and "Raise a risk concern" in page
    assert "Record an assessment" not in page and "Discharge, step up" not in page
    for name in ("caseload:assessment-new", "caseload:discharge", "caseload:care-plan-edit"):
        assert client.get(reverse(name, args=[referral.pk])).status_code == 403


# --------------------------------------------------------------------------- contacts


def test_a_worker_records_a_dna_then_an_attended_video_contact(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    url = reverse("caseload:contact-new", args=[referral.pk])
    first = client.post(url, _contact_post(**_date("on", TODAY - dt.timedelta(days=2)),
                                           attendance="dna", mode="telephone"))
    second = client.post(url, _contact_post(**_date("on", TODAY - dt.timedelta(days=1)),
                                            at="09:30"))
    assert first.status_code == second.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        contacts = list(Contact.objects.filter(referral=referral).order_by("on"))
        assert [(c.attendance, c.mode) for c in contacts] == [("dna", "telephone"),
                                                              ("attended", "video")]
        assert contacts[1].duration_minutes == 40 and contacts[1].staff_role == "mhp"
        assert contacts[1].at == dt.time(9, 30)
        kinds = list(referral.events.values_list("kind", flat=True))
    assert kinds.count("contact_recorded") == 2


def test_a_future_attended_contact_is_refused_inline_and_nothing_is_saved(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("caseload:contact-new", args=[referral.pk]),
                           _contact_post(**_date("on", TODAY + dt.timedelta(days=1))))
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Contact.objects.filter(referral=referral).exists()


def test_a_contact_before_the_referral_was_received_is_refused_inline(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("caseload:contact-new", args=[referral.pk]),
                           _contact_post(**_date("on", referral.received_on
                                                 - dt.timedelta(days=1))))
    assert response.status_code == 400
    assert "before the referral was received" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Contact.objects.filter(referral=referral).exists()


def test_a_booked_appointment_gets_its_outcome_once_and_a_stale_form_conflicts(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    client.post(reverse("caseload:contact-new", args=[referral.pk]),
                _contact_post(attendance="booked"))
    with tenant_context(tenant_a.tenant.pk):
        booked = Contact.objects.get(referral=referral)
    url = reverse("caseload:contact-outcome", args=[booked.pk])
    assert client.post(url, {"version": "1", "attendance": "attended"}).status_code == 302
    stale = client.post(url, {"version": "1", "attendance": "dna"})
    assert stale.status_code == 409
    with tenant_context(tenant_a.tenant.pk):
        booked.refresh_from_db()
    assert booked.attendance == "attended"


def test_a_contact_with_no_referral_belongs_to_the_team(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("caseload:team-contact-new", args=[tenant_a.pcn_team.pk]),
                           _contact_post(direct="no", mode="telephone",
                                         purpose="advice_to_professional",
                                         organisation=str(tenant_a.practice.pk)))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        contact = Contact.objects.get(referral__isnull=True, team=tenant_a.pcn_team,
                                      organisation=tenant_a.practice)
    assert not contact.direct


# --------------------------------------------------------------------------- assessment


def test_an_initial_assessment_makes_the_referral_active(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("caseload:assessment-new", args=[referral.pk]), {
        "kind": "initial", **_date("assessed_on", TODAY), "summary": "Low mood, isolated",
        "risk_summary": "No thoughts of self-harm"})
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        referral.refresh_from_db()
        assert referral.status == "active"
        assert Assessment.objects.filter(referral=referral, kind="initial").exists()


def test_an_initial_assessment_without_a_risk_summary_shows_the_error(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("caseload:assessment-new", args=[referral.pk]), {
        "kind": "initial", **_date("assessed_on", TODAY), "summary": "Low mood"})
    assert response.status_code == 400
    assert "Enter the risks" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Assessment.objects.filter(referral=referral).exists()


# --------------------------------------------------------------------------- interventions


def test_a_peer_support_worker_is_offered_only_non_clinical_interventions(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.peer_support)
    url = reverse("caseload:intervention-new", args=[referral.pk])
    page = client.get(url).content.decode()
    assert 'value="peer_support"' in page and 'value="psychological_therapy"' not in page
    refused = client.post(url, {"kind": "psychological_therapy", **_date("started_on", TODAY)})
    assert refused.status_code == 400
    with tenant_context(tenant_a.tenant.pk):
        assert not Intervention.objects.filter(referral=referral).exists()


def test_a_therapy_is_started_and_ended(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    client.post(reverse("caseload:intervention-new", args=[referral.pk]),
                {"kind": "psychological_therapy", "description": "CBT",
                 **_date("started_on", TODAY - dt.timedelta(days=3))})
    with tenant_context(tenant_a.tenant.pk):
        therapy = Intervention.objects.get(referral=referral)
    early = client.post(reverse("caseload:intervention-end", args=[therapy.pk]),
                        {"version": "1", **_date("ended_on", TODAY - dt.timedelta(days=4))})
    assert early.status_code == 400
    done = client.post(reverse("caseload:intervention-end", args=[therapy.pk]),
                       {"version": "1", **_date("ended_on", TODAY)})
    assert done.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        therapy.refresh_from_db()
    assert therapy.ended_on == TODAY


# --------------------------------------------------------------------------- discharge


def test_a_step_up_is_recorded_as_such_and_shows_on_the_timeline(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("caseload:discharge", args=[referral.pk]), {
        "version": str(referral.version), "reason": "stepped_up",
        **_date("discharged_on", TODAY), "destination": "North CMHT", "note": ""})
    assert response.status_code == 302
    timeline = client.get(reverse("referrals:timeline", args=[referral.pk])).content.decode()
    assert "Stepped up to secondary care" in timeline and "North CMHT" in timeline
    with tenant_context(tenant_a.tenant.pk):
        referral.refresh_from_db()
    assert (referral.status, referral.discharge_reason) == ("discharged", "stepped_up")


def test_a_discharge_before_the_referral_is_refused_inline(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("caseload:discharge", args=[referral.pk]), {
        "version": str(referral.version), "reason": "goals_met",
        **_date("discharged_on", referral.received_on - dt.timedelta(days=1))})
    assert response.status_code == 400
    assert "before the referral was received" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        referral.refresh_from_db()
    assert referral.status == "allocated"


# --------------------------------------------------------------------------- risk concerns


def test_a_peer_support_worker_raises_a_concern_and_the_lead_acknowledges_it(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.peer_support)
    raised = client.post(reverse("caseload:risk-concern-new", args=[referral.pk]),
                         {"concern": "Talked about not wanting to be here"})
    assert raised.status_code == 302
    client.force_login(tenant_a.team_lead)
    listing = client.get(reverse("caseload:risk-concerns")).content.decode()
    assert "Talked about not wanting to be here" in listing
    with tenant_context(tenant_a.tenant.pk):
        concern = RiskConcern.objects.get(referral=referral)
    response = client.post(reverse("caseload:risk-concern-acknowledge", args=[concern.pk]),
                           {"version": "1", "response": "Called them the same day"})
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        concern.refresh_from_db()
    assert concern.acknowledged_by == tenant_a.team_lead


def test_only_a_lead_may_acknowledge_a_concern(client, tenant_a):
    referral = _allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        concern = services.risk_concern_raise(referral=referral, actor=tenant_a.peer_support,
                                              concern="Unsafe at home")
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("caseload:risk-concerns")).status_code == 403
    assert client.post(reverse("caseload:risk-concern-acknowledge", args=[concern.pk]),
                       {"version": "1", "response": "x"}).status_code == 403
