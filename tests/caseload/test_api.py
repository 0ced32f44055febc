"""The caseload API: the METRICS.md worked example entered end to end, validation in the error
shape with nothing saved, what peer support workers and connectors may record, scoping by team
and tenant, lead-only actions, stale versions, audit of reads, caseloads and the schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from caseload import services as care
from caseload.models import (
    Assessment,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral
from tests.api_helpers import api_url as _url
from tests.api_helpers import count_in as _count
from tests.api_helpers import reload_in as _reload
from tests.factories import fresh_nhs_number, make_referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - dt.timedelta(days=1)
#: DIALOG answers: 8 life domains (mean 3.75), then 3 treatment aspects (mean 5.00).
DIALOG = [3, 4, 2, 5, 4, 3, 4, 5, 5, 4, 6]
DIALOG_HELP = [True, False, False, True, False, False, False, False, False, False, False]




def _membership_id(cast, label: str):
    with tenant_context(cast.tenant.pk):
        return cast.users[label].membership.pk


def _views(cast, referral) -> int:
    return _count(cast, AuditEvent, action="view", target_type="referrals.referral",
                  target_id=str(referral.pk))


def _allocated(cast, **overrides) -> Referral:
    """A referral in the cast's PCN team, accepted and allocated to the clinician."""
    referral = make_referral(cast, **overrides)
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=cast.clinician,
                                                     version=referral.version)
        return referral_services.referral_allocate(
            referral=referral, actor=cast.clinician, version=referral.version,
            worker=cast.clinician.membership,
        )


def _allocated_with_support(cast) -> Referral:
    """As ``_allocated``, with the peer support worker and the connector as joint workers (they
    open only the records of people allocated to them: test_least_privilege.py)."""
    referral = _allocated(cast)
    with tenant_context(cast.tenant.pk):
        return referral_services.referral_reallocate(
            referral=referral, actor=cast.clinician, version=referral.version,
            worker=cast.clinician.membership,
            joint_workers=[cast.peer_support.membership, cast.connector.membership])


def _contact_body(referral, **overrides) -> dict:
    return {"referral": str(referral.pk), "on": str(YESTERDAY), "mode": "telephone",
            "attendance": "attended", "purpose": "support", **overrides}


def _assessment_body(referral, **overrides) -> dict:
    return {"referral": str(referral.pk), "kind": "initial", "assessed_on": str(YESTERDAY),
            "summary": "Low mood since a bereavement",
            "risk_summary": "No thoughts of harm; lives with a supportive sister", **overrides}


def _plan_body(referral, version=None, **overrides) -> dict:
    return {"referral": str(referral.pk), "version": version,
            "goals": ["Sleep through most nights", "Walk with a friend each week"],
            "co_produced_with": ["person", "carer"],
            "review_trigger": "If sleep gets worse or work changes",
            "safety_plan": "Warning signs: not eating. Call the crisis line 0800 000 0000.",
            "agreed_on": str(YESTERDAY), **overrides}


def _intervention_body(referral, **overrides) -> dict:
    return {"referral": str(referral.pk), "kind": "psychological_therapy",
            "started_on": str(YESTERDAY), **overrides}


def _outcome_body(referral, **overrides) -> dict:
    return {"referral": str(referral.pk), "tool": "dialog", "completed_on": str(YESTERDAY),
            "items": DIALOG, "wants_more_help": DIALOG_HELP, **overrides}


def _record_contact(cast, referral, actor_label="clinician", **overrides) -> Contact:
    values = {"on": YESTERDAY, "mode": "telephone", "attendance": "attended",
              "purpose": "support", **overrides}
    with tenant_context(cast.tenant.pk):
        return care.contact_record(actor=cast.users[actor_label], referral=referral,
                                   data=care.ContactInput(**values))


def _raise_concern(cast, referral) -> RiskConcern:
    with tenant_context(cast.tenant.pk):
        return care.risk_concern_raise(referral=referral, actor=cast.peer_support,
                                       concern="Said they had stopped eating")


# --------------------------------------------------------------------------- worked example


def test_the_metrics_worked_example_entered_through_the_api_is_stored_as_written(
    api, tenant_a
):
    """METRICS.md section 7, in 2025: R1 received 1 March, contacts 3, 5 and 20 March, DIALOG
    and initial assessment 5 March, plan agreed 25 March, therapy from 28 March, discharged
    30 April; R2 received 4 May reopens the episode."""
    api.force_authenticate(tenant_a.clinician)
    clinician = _membership_id(tenant_a, "clinician")

    def post(name, body, obj=None, expected=201):
        url = reverse(f"api:{name}", kwargs={"pk": obj} if obj else None)
        response = api.post(url, body, format="json")
        assert response.status_code == expected, (name, response.json())
        return response.json()

    referral_body = {"team": str(tenant_a.pcn_team.pk), "source": "gp",
                     "received_on": "2025-03-01", "presenting_needs": ["low_mood"],
                     "urgency": "routine"}
    r1 = post("referral-list", {**referral_body, "new_person": {
        "given_name": "Sam", "family_name": "Worked", "date_of_birth": "1988-06-15",
        "sex": "female", "nhs_number": fresh_nhs_number(), "phone": "07700 900321"}})
    triaged = post("referral-triage", {"decision": "accept", "version": r1["version"],
                                       "decided_on": "2025-03-01"}, r1["id"], 200)
    allocated = post("referral-allocation", {"worker": str(clinician),
                                             "version": triaged["version"],
                                             "allocated_on": "2025-03-02"}, r1["id"], 200)
    assert allocated["status"] == "allocated"

    for on, mode, attendance in [("2025-03-03", "telephone", "dna"),
                                 ("2025-03-05", "telephone", "attended"),
                                 ("2025-03-20", "video", "attended")]:
        post("contact-list", {"referral": r1["id"], "on": on, "mode": mode,
                              "attendance": attendance, "purpose": "assessment"})
    baseline = post("outcome-measure-list", {"referral": r1["id"], "tool": "dialog",
                                             "completed_on": "2025-03-05", "items": DIALOG,
                                             "wants_more_help": DIALOG_HELP})
    assert (baseline["score"], baseline["band"]) == ("3.75", None)
    assert baseline["subscores"] == {"quality_of_life": "3.75",
                                     "treatment_satisfaction": "5.00"}
    post("assessment-list", {"referral": r1["id"], "kind": "initial",
                             "assessed_on": "2025-03-05", "summary": "Low mood, poor sleep",
                             "risk_summary": "No current risk to self or others"})
    plan = post("care-plan-list", {"referral": r1["id"], "version": None,
                                   "goals": ["Sleep better"], "co_produced_with": ["person"],
                                   "review_trigger": "If mood drops",
                                   "safety_plan": "Call the crisis line",
                                   "agreed_on": "2025-03-25"})
    assert [v["agreed_on"] for v in plan["versions"]] == ["2025-03-25"]
    post("intervention-list", {"referral": r1["id"], "kind": "psychological_therapy",
                               "started_on": "2025-03-28", "description": "CBT for low mood"})

    version = api.get(reverse("api:referral-detail", kwargs={"pk": r1["id"]})).json()["version"]
    discharged = post("referral-discharge", {"version": version, "reason": "goals_met",
                                             "on": "2025-04-30"}, r1["id"], 200)
    assert (discharged["status"], discharged["discharged_on"]) == ("discharged", "2025-04-30")

    r2 = post("referral-list", {**referral_body, "received_on": "2025-05-04",
                                "person": r1["person"]})
    assert r2["previous_referral"] == r1["id"]

    with tenant_context(tenant_a.tenant.pk):
        first = Referral.objects.get(pk=r1["id"])
        second = Referral.objects.get(pk=r2["id"])
        assert (first.received_on, first.triaged_on, first.allocated_on) == (
            dt.date(2025, 3, 1), dt.date(2025, 3, 1), dt.date(2025, 3, 2))
        assert (first.status, first.discharged_on, first.discharge_reason) == (
            "discharged", dt.date(2025, 4, 30), "goals_met")
        assert list(Contact.objects.filter(referral=first).order_by("on").values_list(
            "on", "mode", "attendance")) == [
            (dt.date(2025, 3, 3), "telephone", "dna"),
            (dt.date(2025, 3, 5), "telephone", "attended"),
            (dt.date(2025, 3, 20), "video", "attended"),
        ]
        assert list(Assessment.objects.filter(referral=first).values_list(
            "kind", "assessed_on")) == [("initial", dt.date(2025, 3, 5))]
        measure = OutcomeMeasure.objects.get(referral=first)
        assert (measure.tool, measure.completed_on, measure.score, measure.items) == (
            "dialog", dt.date(2025, 3, 5), Decimal("3.75"), DIALOG)
        assert list(CarePlanVersion.objects.filter(plan__referral=first).values_list(
            "number", "agreed_on")) == [(1, dt.date(2025, 3, 25))]
        assert list(Intervention.objects.filter(referral=first).values_list(
            "kind", "started_on", "ended_on")) == [
            ("psychological_therapy", dt.date(2025, 3, 28), dt.date(2025, 4, 30))]
        assert second.previous_referral_id == first.pk
        assert second.episode_id == first.episode_id
        assert (second.status, second.worker_id, second.allocated_on) == (
            "allocated", clinician, dt.date(2025, 5, 4))

    # Read back through the API: the episode's contacts, newest first.
    rows = api.get(_url("contact-list"), {"referral": r1["id"]}).json()["results"]
    assert [(row["on"], row["mode"], row["attendance"]) for row in rows] == [
        ("2025-03-20", "video", "attended"), ("2025-03-05", "telephone", "attended"),
        ("2025-03-03", "telephone", "dna")]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "name,body,model,field,message",
    [
        ("outcome-measure-list",
         lambda r: _outcome_body(r, items=[3, 4, 2, 8, 4, 3, 4, 5, 5, 4, 6]),
         OutcomeMeasure, "items", "Item 4 (Accommodation): enter a score from 1 to 7."),
        ("contact-list",
         lambda r: _contact_body(r, on=str(r.received_on - dt.timedelta(days=1))),
         Contact, "on", "The date of the contact cannot be before the referral was received"),
        ("contact-list",
         lambda r: _contact_body(r, on=str(TODAY + dt.timedelta(days=1))),
         Contact, "on", "A contact that has happened cannot be in the future."),
    ],
    ids=["item-out-of-range", "contact-before-referral", "future-attended-contact"],
)
def test_a_record_that_breaks_a_rule_is_a_400_on_the_field_and_nothing_is_saved(
    api, tenant_a, name, body, model, field, message
):
    referral = _allocated(tenant_a)
    before = _count(tenant_a, model)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url(name), body(referral), format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()) == {"message", "errors"}
    assert any(error.startswith(message) for error in response.json()["errors"][field])
    assert _count(tenant_a, model) == before


def test_every_item_out_of_range_is_named_in_one_answer(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    items = [0, 4, 2, 4, None, 3, "many", 5, 5, 4, 6]
    response = api.post(_url("outcome-measure-list"), _outcome_body(referral, items=items),
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["items"] == [
        "Item 1 (Mental health): enter a score from 1 to 7.",
        "Item 5 (Leisure activities): enter a score.",
        "Item 7 (Friendships): enter a whole number.",
    ]


def test_a_discharge_before_the_referral_was_received_is_a_400_and_changes_nothing(
    api, tenant_a
):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-discharge", referral),
                        {"version": referral.version, "reason": "goals_met",
                         "on": str(referral.received_on - dt.timedelta(days=1))},
                        format="json")
    assert response.status_code == 400
    [message] = response.json()["errors"]["on"]
    assert "cannot be before the referral was received" in message
    reloaded = _reload(tenant_a, referral)
    assert (reloaded.status, reloaded.version, reloaded.discharged_on) == (
        "allocated", referral.version, None)


def test_a_step_up_must_say_where_the_person_went(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-discharge", referral),
                        {"version": referral.version, "reason": "stepped_up"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "destination": ["Say which service the person moved to."]}


# --------------------------------------------------------------------------- contacts


def test_a_booked_appointment_is_given_its_outcome_and_a_stale_version_is_a_409(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    booked = api.post(_url("contact-list"),
                      _contact_body(referral, attendance="booked", on=str(TODAY)),
                      format="json")
    assert booked.status_code == 201, booked.json()
    contact = booked.json()
    url = reverse("api:contact-outcome", kwargs={"pk": contact["id"]})

    done = api.post(url, {"version": contact["version"], "attendance": "cancelled_by_patient",
                          "note": "Rang to say they were unwell"}, format="json")
    assert done.status_code == 200, done.json()
    assert (done.json()["attendance"], done.json()["version"]) == ("cancelled_by_patient", 2)

    stale = api.post(url, {"version": contact["version"], "attendance": "attended"},
                     format="json")
    assert stale.status_code == 409
    assert "Someone else changed this contact" in stale.json()["message"]
    with tenant_context(tenant_a.tenant.pk):
        assert Contact.objects.get(pk=contact["id"]).attendance == "cancelled_by_patient"


def test_a_contact_with_no_referral_belongs_to_one_of_the_callers_teams(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    body = {"on": str(YESTERDAY), "mode": "telephone", "attendance": "attended",
            "purpose": "advice_to_professional", "organisation": str(tenant_a.practice.pk)}
    missing = api.post(_url("contact-list"), body, format="json")
    assert missing.status_code == 400 and "team" in missing.json()["errors"]

    other = api.post(_url("contact-list"), {**body, "team": str(tenant_a.other_pcn_team.pk)},
                     format="json")
    assert other.status_code == 403

    created = api.post(_url("contact-list"), {**body, "team": str(tenant_a.pcn_team.pk)},
                       format="json")
    assert created.status_code == 201, created.json()
    contact = created.json()
    assert contact["referral"] is None and contact["team"]["id"] == str(tenant_a.pcn_team.pk)
    assert contact["organisation"]["id"] == str(tenant_a.practice.pk)

    detail = api.get(reverse("api:contact-detail", kwargs={"pk": contact["id"]}))
    assert detail.status_code == 200
    assert _count(tenant_a, AuditEvent, action="view", target_id=contact["id"]) == 1
    api.force_authenticate(tenant_a.other_clinician)
    assert api.get(reverse("api:contact-detail", kwargs={"pk": contact["id"]})).status_code \
        == 404


def test_contacts_can_be_filtered(api, tenant_a):
    referral = _allocated(tenant_a, received_on=TODAY - dt.timedelta(days=20))
    video = _record_contact(tenant_a, referral, mode="video",
                            on=TODAY - dt.timedelta(days=10))
    dna = _record_contact(tenant_a, referral, attendance="dna", on=TODAY - dt.timedelta(days=5))
    by_peer = _record_contact(tenant_a, referral, actor_label="peer_support",
                              staff=None, on=YESTERDAY)
    api.force_authenticate(tenant_a.clinician)

    def ids(**params):
        response = api.get(_url("contact-list"), {"referral": str(referral.pk), **params})
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [str(by_peer.pk), str(dna.pk), str(video.pk)]
    assert ids(mode="video") == [str(video.pk)]
    assert ids(attendance="dna") == [str(dna.pk)]
    assert ids(staff=str(_membership_id(tenant_a, "peer_support"))) == [str(by_peer.pk)]
    assert ids(date_from=str(TODAY - dt.timedelta(days=6)),
               date_to=str(TODAY - dt.timedelta(days=2))) == [str(dna.pk)]
    assert ids(team=str(tenant_a.other_pcn_team.pk)) == []
    assert api.get(_url("contact-list"), {"mode": "carrier_pigeon"}).status_code == 400


def test_the_contact_list_does_not_query_once_per_row(api, tenant_a):
    referral = _allocated(tenant_a)
    _record_contact(tenant_a, referral)
    api.force_authenticate(tenant_a.clinician)
    url, params = _url("contact-list"), {"referral": str(referral.pk)}
    with CaptureQueriesContext(connection) as few:
        assert api.get(url, params).status_code == 200
    for _ in range(3):
        _record_contact(tenant_a, referral, mode="video")
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(url, params).json()["results"]) == 4
    assert len(many) == len(few)


# --------------------------------------------------------------------------- other records


def test_an_outcome_measure_with_bands_answers_its_score_and_band(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("outcome-measure-list"),
                        {"referral": str(referral.pk), "tool": "phq9",
                         "completed_on": str(YESTERDAY), "items": [1, 2, 1, 2, 1, 0, 1, 0, 0]},
                        format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["score"], response.json()["band"]) == ("8.00", "Mild")
    listed = api.get(_url("outcome-measure-list"),
                     {"referral": str(referral.pk), "tool": "phq9"}).json()["results"]
    assert [row["id"] for row in listed] == [response.json()["id"]]


def test_a_care_plan_keeps_every_version_and_a_stale_version_is_a_409(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    url = _url("care-plan-list")
    first = api.post(url, _plan_body(referral), format="json")
    assert first.status_code == 201, first.json()
    plan_id = first.json()["id"]

    again = api.post(url, _plan_body(referral, version=None), format="json")
    assert again.status_code == 409
    second = api.post(url, _plan_body(referral, version=1, goals=["Back to work part-time"],
                                      agreed_on=str(TODAY)), format="json")
    assert second.status_code == 201, second.json()
    stale = api.post(url, _plan_body(referral, version=1), format="json")
    assert stale.status_code == 409 and "care plan" in stale.json()["message"]
    assert _count(tenant_a, CarePlanVersion, plan_id=plan_id) == 2

    detail = api.get(reverse("api:care-plan-detail", kwargs={"pk": plan_id})).json()
    assert detail["version"] == 2
    assert [(v["number"], v["goals"]) for v in detail["versions"]] == [
        (2, ["Back to work part-time"]),
        (1, ["Sleep through most nights", "Walk with a friend each week"]),
    ]
    listed = api.get(url, {"referral": str(referral.pk)}).json()["results"]
    assert [(row["id"], row["agreed_on"]) for row in listed] == [(plan_id, str(TODAY))]


def test_an_intervention_is_ended_once_and_a_stale_version_is_a_409(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    started = api.post(_url("intervention-list"), _intervention_body(referral), format="json")
    assert started.status_code == 201, started.json()
    url = reverse("api:intervention-end", kwargs={"pk": started.json()["id"]})
    ended = api.post(url, {"version": 1, "ended_on": str(TODAY)}, format="json")
    assert ended.status_code == 200, ended.json()
    assert ended.json()["ended_on"] == str(TODAY)
    assert api.post(url, {"version": 1, "ended_on": str(TODAY)},
                    format="json").status_code == 409


def test_an_assessment_makes_an_allocated_referral_active(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("assessment-list"), _assessment_body(referral), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["kind_label"] == "Initial assessment"
    assert _reload(tenant_a, referral).status == "active"
    missing_risk = api.post(_url("assessment-list"),
                            _assessment_body(referral, kind="risk", risk_summary=""),
                            format="json")
    assert missing_risk.status_code == 400 and "risk_summary" in missing_risk.json()["errors"]


# --------------------------------------------------------------------------- who may record


@pytest.mark.parametrize("label", ["peer_support", "connector"])
@pytest.mark.parametrize(
    "name,body,model",
    [
        ("assessment-list", _assessment_body, Assessment),
        ("care-plan-list", _plan_body, CarePlanVersion),
        ("intervention-list", lambda r: _intervention_body(r, kind="psychological_therapy"),
         Intervention),
        ("intervention-list", lambda r: _intervention_body(r, kind="psychosocial"),
         Intervention),
        ("intervention-list",
         lambda r: _intervention_body(r, kind="medication_physical_health"), Intervention),
    ],
    ids=["assessment", "care-plan", "therapy", "psychosocial", "medication"],
)
def test_peer_support_workers_and_connectors_cannot_record_clinical_care(
    api, tenant_a, label, name, body, model
):
    referral = _allocated_with_support(tenant_a)
    before = _count(tenant_a, model)
    api.force_authenticate(tenant_a.users[label])
    response = api.post(_url(name), body(referral), format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"message", "errors"}
    assert _count(tenant_a, model) == before


@pytest.mark.parametrize("label", ["peer_support", "connector"])
def test_peer_support_workers_and_connectors_cannot_discharge(api, tenant_a, label):
    referral = _allocated_with_support(tenant_a)
    api.force_authenticate(tenant_a.users[label])
    response = api.post(_url("referral-discharge", referral),
                        {"version": referral.version, "reason": "goals_met"}, format="json")
    assert response.status_code == 403
    assert _reload(tenant_a, referral).status == "allocated"


@pytest.mark.parametrize("label", ["peer_support", "connector"])
def test_peer_support_workers_and_connectors_record_contacts_outcomes_support_and_concerns(
    api, tenant_a, label
):
    referral = _allocated_with_support(tenant_a)
    api.force_authenticate(tenant_a.users[label])
    for name, body in [
        ("contact-list", _contact_body(referral)),
        ("outcome-measure-list", _outcome_body(referral)),
        ("intervention-list", _intervention_body(referral, kind="peer_support")),
        ("intervention-list", _intervention_body(referral, kind="community_connection")),
        ("risk-concern-list", {"referral": str(referral.pk),
                               "concern": "Talked about giving things away"}),
    ]:
        response = api.post(_url(name), body, format="json")
        assert response.status_code == 201, (name, response.json())
    assert _count(tenant_a, Contact, referral=referral, staff_role=_role(tenant_a, label)) == 1
    assert _count(tenant_a, Intervention, referral=referral) == 2


def _role(cast, label: str) -> str:
    with tenant_context(cast.tenant.pk):
        return cast.users[label].membership.role


def test_only_a_lead_of_the_referrals_team_acknowledges_a_risk_concern(api, tenant_a):
    referral = _allocated(tenant_a)
    concern = _raise_concern(tenant_a, referral)
    url = _url("risk-concern-acknowledge", concern)
    body = {"version": concern.version, "response": "Called them the same day; safe"}

    api.force_authenticate(tenant_a.clinician)
    assert api.post(url, body, format="json").status_code == 403
    api.force_authenticate(tenant_a.other_clinician)
    assert api.post(url, body, format="json").status_code == 404
    assert _reload(tenant_a, concern).acknowledged_at is None

    api.force_authenticate(tenant_a.team_lead)
    assert api.get(url).status_code == 405
    open_ids = [row["id"] for row in api.get(_url("risk-concern-list"),
                                             {"open": "true"}).json()["results"]]
    assert str(concern.pk) in open_ids
    done = api.post(url, body, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["is_open"] is False and done.json()["version"] == 2
    assert api.post(url, body, format="json").status_code == 409
    closed = api.get(_url("risk-concern-list"), {"open": "false"}).json()["results"]
    assert str(concern.pk) in [row["id"] for row in closed]


def test_a_discharge_from_a_stale_version_is_a_409_and_changes_nothing(api, tenant_a):
    referral = _allocated(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-discharge", referral),
                        {"version": referral.version - 1, "reason": "goals_met"}, format="json")
    assert response.status_code == 409
    assert "Someone else changed this referral" in response.json()["message"]
    assert _reload(tenant_a, referral).status == "allocated"
    done = api.post(_url("referral-discharge", referral),
                    {"version": referral.version, "reason": "moved_away"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["discharge_reason"] == "moved_away"


# --------------------------------------------------------------------------- scoping


def _records(cast, referral) -> dict:
    """One of each record on ``referral``, made through the services."""
    contact = _record_contact(cast, referral)
    with tenant_context(cast.tenant.pk):
        clinician = cast.clinician
        assessment = care.assessment_record(
            referral=referral, actor=clinician,
            data=care.AssessmentInput(kind="initial", assessed_on=YESTERDAY, summary="Seen",
                                      risk_summary="No current risk"))
        plan = care.care_plan_save(
            referral=referral, actor=clinician, version=None,
            data=care.CarePlanInput(goals=["Sleep"], co_produced_with=["person"],
                                    review_trigger="If worse", safety_plan="Crisis line"),
        ).plan
        intervention = care.intervention_start(
            referral=referral, actor=clinician,
            data=care.InterventionInput(kind="psychosocial", started_on=YESTERDAY))
        measure = care.outcome_record(referral=referral, actor=clinician, tool="gad7",
                                      completed_on=YESTERDAY, items=[1, 1, 1, 1, 1, 1, 1])
    concern = _raise_concern(cast, referral)
    return {"contact": contact, "assessment": assessment, "care-plan": plan,
            "intervention": intervention, "outcome-measure": measure, "risk-concern": concern}


def test_another_teams_clinician_cannot_see_or_act_on_care_records(api, tenant_a):
    referral = _allocated(tenant_a)
    records = _records(tenant_a, referral)
    api.force_authenticate(tenant_a.other_clinician)
    for name, record in records.items():
        assert api.get(_url(f"{name}-detail", record)).status_code == 404, name
        listed = api.get(_url(f"{name}-list")).json()["results"]
        assert str(record.pk) not in {row["id"] for row in listed}, name
    for name, record in [("contact-outcome", records["contact"]),
                         ("intervention-end", records["intervention"]),
                         ("risk-concern-acknowledge", records["risk-concern"]),
                         ("referral-discharge", referral)]:
        assert api.post(_url(name, record), {"version": 1}, format="json").status_code == 404
    response = api.post(_url("contact-list"), _contact_body(referral), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["referral"] == ["There is no such record in this place."]
    assert _views(tenant_a, referral) == 0


def test_every_user_of_another_tenant_gets_404_for_this_tenants_care_records(
    api, tenant_a, tenant_b
):
    referral = _allocated(tenant_a)
    records = _records(tenant_a, referral)
    gets = [_url(f"{name}-detail", record) for name, record in records.items()]
    gets.append(_url("team-caseload", tenant_a.pcn_team))
    posts = [_url("contact-outcome", records["contact"]),
             _url("intervention-end", records["intervention"]),
             _url("risk-concern-acknowledge", records["risk-concern"]),
             _url("referral-discharge", referral)]
    for label, user in tenant_b.users.items():
        api.force_authenticate(user)
        for url in gets + posts:
            assert api.get(url).status_code == 404, f"{label} GET {url}"
        for url in posts:
            assert api.post(url, {"version": 1}, format="json").status_code == 404, (label, url)
        body = _contact_body(referral)
        assert api.post(_url("contact-list"), body, format="json").status_code == 400, label
    assert _reload(tenant_a, referral).status == "active"
    assert _count(tenant_a, Contact, referral=referral) == 1


@pytest.mark.parametrize("label", ["vcse_worker", "gp", "programme_manager", "tenant_admin"])
def test_staff_who_hold_no_caseload_see_no_care_records(api, tenant_a, label):
    referral = _allocated(tenant_a)
    records = _records(tenant_a, referral)
    api.force_authenticate(tenant_a.users[label])
    for name, record in records.items():
        assert api.get(_url(f"{name}-list")).json()["results"] == [], name
        assert api.get(_url(f"{name}-detail", record)).status_code == 404, name
    assert api.get(_url("caseload")).status_code == 403


# --------------------------------------------------------------------------- audit


def test_reading_a_list_records_one_view_per_referral_shown(api, tenant_a):
    first = _allocated(tenant_a)
    second = _allocated(tenant_a)
    for _ in range(2):
        _record_contact(tenant_a, first)
    _record_contact(tenant_a, second)
    api.force_authenticate(tenant_a.clinician)
    before = _views(tenant_a, first), _views(tenant_a, second)
    assert api.get(_url("contact-list"), {"referral": str(first.pk)}).status_code == 200
    assert (_views(tenant_a, first), _views(tenant_a, second)) == (before[0] + 1, before[1])
    assert api.get(_url("contact-list")).status_code == 200
    assert (_views(tenant_a, first), _views(tenant_a, second)) == (before[0] + 2, before[1] + 1)
    with tenant_context(tenant_a.tenant.pk):
        event = AuditEvent.objects.filter(action="view", target_id=str(first.pk)).latest("at")
        assert event.actor == tenant_a.clinician and event.fields == []


@pytest.mark.parametrize("name", ["contact", "assessment", "care-plan", "intervention",
                                  "outcome-measure", "risk-concern"])
def test_reading_a_care_record_or_its_list_is_audited_as_a_view_of_the_referral(
    api, tenant_a, name
):
    referral = _allocated(tenant_a)
    record = _records(tenant_a, referral)[name]
    api.force_authenticate(tenant_a.clinician)
    assert api.get(_url(f"{name}-detail", record)).status_code == 200
    assert _views(tenant_a, referral) == 1
    listed = api.get(_url(f"{name}-list"), {"referral": str(referral.pk)})
    assert [row["id"] for row in listed.json()["results"]] == [str(record.pk)]
    assert _views(tenant_a, referral) == 2


def test_an_empty_page_records_no_views(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    before = _count(tenant_a, AuditEvent, action="view")
    response = api.get(_url("assessment-list"), {"kind": "signposting"})
    assert response.json()["results"] == []
    assert _count(tenant_a, AuditEvent, action="view") == before


# --------------------------------------------------------------------------- caseloads


def test_my_caseload_shows_contact_dates_days_since_referral_and_flags(api, tenant_a):
    referral = _allocated(tenant_a, received_on=TODAY - dt.timedelta(days=40))
    api.force_authenticate(tenant_a.clinician)

    def row():
        response = api.get(_url("caseload"))
        assert response.status_code == 200, response.json()
        return next(r for r in response.json()["results"] if r["id"] == str(referral.pk))

    fresh = row()
    assert fresh["days_since_referral"] == 40 and fresh["held_as"] == "named"
    assert (fresh["last_contact_on"], fresh["next_contact_on"]) == (None, None)
    assert fresh["flags"] == ["no_recent_contact", "no_outcome_measure"]
    assert "person" not in fresh

    _record_contact(tenant_a, referral, on=TODAY - dt.timedelta(days=3))
    _record_contact(tenant_a, referral, attendance="booked", on=TODAY + dt.timedelta(days=4))
    _record_contact(tenant_a, referral, attendance="dna", on=TODAY - dt.timedelta(days=2))
    _record_contact(tenant_a, referral, attendance="dna", on=YESTERDAY)
    with tenant_context(tenant_a.tenant.pk):
        care.care_plan_save(
            referral=referral, actor=tenant_a.clinician, version=None,
            data=care.CarePlanInput(goals=["Sleep"], co_produced_with=["person"],
                                    review_trigger="If worse", safety_plan="Crisis line"),
        )
        care.outcome_record(referral=referral, actor=tenant_a.clinician, tool="gad7",
                            completed_on=YESTERDAY, items=[1, 1, 1, 1, 1, 1, 1])
    later = row()
    assert later["last_contact_on"] == str(TODAY - dt.timedelta(days=3))
    assert later["next_contact_on"] == str(TODAY + dt.timedelta(days=4))
    assert later["flags"] == ["two_dnas"]

    _raise_concern(tenant_a, referral)  # open until a lead acknowledges it
    assert row()["flags"] == ["open_alert", "two_dnas", "review_due"]


def test_a_joint_worker_sees_the_referral_in_their_caseload_as_joint(api, tenant_a):
    referral = _allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        referral_services.referral_reallocate(
            referral=referral, actor=tenant_a.clinician, version=referral.version,
            worker=tenant_a.clinician.membership,
            joint_workers=[tenant_a.peer_support.membership],
        )
    api.force_authenticate(tenant_a.peer_support)
    rows = {row["id"]: row for row in api.get(_url("caseload")).json()["results"]}
    assert rows[str(referral.pk)]["held_as"] == "joint"
    assert _views(tenant_a, referral) == 1


def test_a_lead_sees_the_teams_caseload_balance_per_worker(api, tenant_a):
    _allocated(tenant_a)  # the cast already holds one active referral, with a joint worker
    api.force_authenticate(tenant_a.team_lead)
    response = api.get(_url("team-caseload", tenant_a.pcn_team))
    assert response.status_code == 200, response.json()
    rows = {row["id"]: row for row in response.json()}
    clinician = rows[str(_membership_id(tenant_a, "clinician"))]
    assert {k: clinician[k] for k in ("awaiting", "active", "joint", "named_total", "wte",
                                      "per_wte")} == {
        "awaiting": 1, "active": 1, "joint": 0, "named_total": 2, "wte": "0.80",
        "per_wte": "2.5"}
    peer = rows[str(_membership_id(tenant_a, "peer_support"))]
    assert (peer["named_total"], peer["joint"]) == (0, 1)
    assert str(_membership_id(tenant_a, "other_clinician")) not in rows
    assert str(_membership_id(tenant_a, "vcse_worker")) not in rows


@pytest.mark.parametrize("label,expected",
                         [("clinician", 403), ("peer_support", 403), ("vcse_worker", 404)])
def test_only_the_teams_leads_see_its_caseload_balance(api, tenant_a, label, expected):
    api.force_authenticate(tenant_a.users[label])
    response = api.get(_url("team-caseload", tenant_a.pcn_team))
    assert response.status_code == expected
    api.force_authenticate(tenant_a.team_lead)
    assert api.get(_url("team-caseload", tenant_a.other_pcn_team)).status_code == 403


# --------------------------------------------------------------------------- schema


def test_the_openapi_schema_describes_the_caseload_endpoints(api, db):
    response = api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for path in ("/api/v1/contacts/", "/api/v1/contacts/{id}/", "/api/v1/contacts/{id}/outcome/",
                 "/api/v1/assessments/", "/api/v1/assessments/{id}/", "/api/v1/care-plans/",
                 "/api/v1/care-plans/{id}/", "/api/v1/interventions/",
                 "/api/v1/interventions/{id}/", "/api/v1/interventions/{id}/end/",
                 "/api/v1/outcome-measures/", "/api/v1/outcome-measures/{id}/",
                 "/api/v1/risk-concerns/", "/api/v1/risk-concerns/{id}/",
                 "/api/v1/risk-concerns/{id}/acknowledge/",
                 "/api/v1/referrals/{id}/discharge/", "/api/v1/caseload/",
                 "/api/v1/teams/{id}/caseload/"):
        assert path in paths, path
    discharge = paths["/api/v1/referrals/{id}/discharge/"]["post"]
    assert set(discharge["responses"]) == {"200", "400", "403", "404", "409"}
    assert {"get", "post"} <= set(paths["/api/v1/contacts/"])
    filters = {p["name"] for p in paths["/api/v1/contacts/"]["get"]["parameters"]}
    assert {"referral", "team", "staff", "mode", "attendance", "date_from",
            "date_to"} <= filters
