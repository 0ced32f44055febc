"""The referrals API: intake, validation in the error shape, lists and filters, triage, allocation,
event logs, scoping by team, role and tenant, audit of reads, the practice view and merges."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services
from referrals.models import IntakeRefusal, Person, PersonMerge, Referral, ReferralEvent
from tests.api_helpers import api_url as _url
from tests.api_helpers import count_in as _count
from tests.api_helpers import reload_in as _reload
from tests.factories import (
    fresh_nhs_number,
    let_non_clinical_roles_see_the_team,
    make_person,
    make_referral,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()




def _membership_id(cast, label: str):
    with tenant_context(cast.tenant.pk):
        return cast.users[label].membership.pk


def _new_person(**overrides) -> dict:
    return {
        "given_name": "Robin",
        "family_name": "Testcase",
        "date_of_birth": "1990-02-03",
        "sex": "male",
        "nhs_number": fresh_nhs_number(),
        "phone": "07700 900456",
        **overrides,
    }


def _referral_body(cast, **overrides) -> dict:
    return {
        "team": str(cast.pcn_team.pk),
        "source": "gp",
        "received_on": str(TODAY - dt.timedelta(days=2)),
        "presenting_needs": ["anxiety"],
        "urgency": "routine",
        "referrer_name": "Dr Jones",
        "referrer_organisation": str(cast.practice.pk),
        **overrides,
    }


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


# --------------------------------------------------------------------------- intake


def test_a_clinician_receives_a_referral_for_a_new_person(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    people = _count(tenant_a, Person)
    nhs_number = fresh_nhs_number()
    spaced = f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"
    body = _referral_body(tenant_a, new_person=_new_person(nhs_number=spaced))
    response = api.post(_url("referral-list"), body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "awaiting_triage" and created["version"] == 1
    assert _count(tenant_a, Person) == people + 1
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.select_related("person").get(pk=created["id"])
        assert referral.person.family_name == "Testcase"
        assert referral.person.nhs_number == nhs_number
        assert list(referral.events.values_list("kind", flat=True)) == ["received"]


def test_intake_can_choose_a_person_known_to_another_team_found_by_the_duplicate_search(
    api, tenant_a
):
    known = make_referral(tenant_a, team=tenant_a.other_pcn_team,
                          actor=tenant_a.other_clinician).person
    api.force_authenticate(tenant_a.clinician)
    spaced = f"{known.nhs_number[:3]} {known.nhs_number[3:6]} {known.nhs_number[6:]}"
    found = api.get(_url("person-duplicates"), {"nhs_number": spaced}).json()
    assert [row["id"] for row in found] == [str(known.pk)]
    assert set(found[0]) == {"id", "given_name", "family_name", "date_of_birth", "nhs_number",
                             "registered_practice_name"}

    by_id_alone = api.post(_url("referral-list"),
                           _referral_body(tenant_a, person=str(known.pk)), format="json")
    assert by_id_alone.status_code == 400
    assert "give their NHS number" in by_id_alone.json()["errors"]["person_nhs_number"][0]
    assert api.get(_url("person-detail", known)).status_code == 404

    response = api.post(
        _url("referral-list"),
        _referral_body(tenant_a, person=str(known.pk), person_nhs_number=spaced),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["person"] == str(known.pk)


def test_reading_a_referrals_event_log_is_audited(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    assert api.get(_url("referral-events", referral)).status_code == 200
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(action="view", target_id=str(referral.pk),
                                         actor=tenant_a.clinician).exists()


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"new_person": {"nhs_number": "943 476 5918"}}, "nhs_number",
         "This is not a valid NHS number: check the digits and try again."),
        ({"received_on": str(TODAY + dt.timedelta(days=1))}, "received_on",
         "The date received cannot be in the future."),
        ({"source": "fax"}, "source", "'fax' is not a known code."),
        ({"presenting_needs": ["low_mood", "boredom"]}, "presenting_needs",
         "'boredom' is not a known code."),
    ],
)
def test_bad_intake_details_are_a_400_naming_the_field_and_nothing_is_saved(
    api, tenant_a, change, field, message
):
    body = _referral_body(tenant_a, new_person=_new_person())
    for key, value in change.items():
        if isinstance(value, dict):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    people, referrals = _count(tenant_a, Person), _count(tenant_a, Referral)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-list"), body, format="json")
    assert response.status_code == 400
    assert message in response.json()["errors"][field]
    assert (_count(tenant_a, Person), _count(tenant_a, Referral)) == (people, referrals)


def test_person_and_referral_errors_come_back_together(api, tenant_a):
    body = _referral_body(tenant_a, source="fax",
                          new_person=_new_person(nhs_number="", given_name=""))
    api.force_authenticate(tenant_a.clinician)
    errors = api.post(_url("referral-list"), body, format="json").json()["errors"]
    assert {"source", "nhs_number", "given_name"} <= set(errors)


def test_a_second_open_referral_for_the_same_person_and_team_is_refused(api, tenant_a):
    existing = make_referral(tenant_a)
    referrals = _count(tenant_a, Referral)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-list"),
                        _referral_body(tenant_a, person=str(existing.person.pk)), format="json")
    assert response.status_code == 400
    [message] = response.json()["errors"]["person"]
    assert "already has an open referral with this team" in message
    assert _count(tenant_a, Referral) == referrals


def test_a_paused_team_refuses_the_referral_and_the_refusal_is_recorded(api, tenant_a):
    people, refusals = _count(tenant_a, Person), _count(tenant_a, IntakeRefusal)
    api.force_authenticate(tenant_a.clinician)
    body = _referral_body(tenant_a, received_on="2021-09-01", new_person=_new_person())
    response = api.post(_url("referral-list"), body, format="json")
    assert response.status_code == 400
    assert "is not taking new referrals" in response.json()["errors"]["team"][0]
    assert _count(tenant_a, IntakeRefusal) == refusals + 1
    assert _count(tenant_a, Person) == people


def test_a_clinician_cannot_receive_a_referral_into_another_team(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    body = _referral_body(tenant_a, team=str(tenant_a.other_pcn_team.pk),
                          new_person=_new_person())
    response = api.post(_url("referral-list"), body, format="json")
    assert response.status_code == 400
    assert "your own teams" in response.json()["errors"]["team"][0]


def test_intake_needs_exactly_one_of_person_and_new_person(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-list"), _referral_body(tenant_a), format="json")
    assert response.status_code == 400 and "person" in response.json()["errors"]


@pytest.mark.parametrize("label", ["gp", "vcse_worker", "programme_manager", "tenant_admin"])
def test_staff_who_do_not_receive_referrals_get_403_on_intake(api, tenant_a, label):
    api.force_authenticate(tenant_a.users[label])
    body = _referral_body(tenant_a, new_person=_new_person())
    response = api.post(_url("referral-list"), body, format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"message", "errors"}


# --------------------------------------------------------------------------- lists


def test_referrals_can_be_filtered_by_status_source_urgency_and_team(api, tenant_a):
    urgent_self = make_referral(tenant_a, source="self", urgency="urgent")
    rejected = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.referral_reject(referral=rejected, actor=tenant_a.clinician,
                                 version=rejected.version, reason="not_eligible")
    api.force_authenticate(tenant_a.clinician)
    url = _url("referral-list")

    assert _ids(api.get(url, {"status": "rejected"})) == {str(rejected.pk)}
    assert _ids(api.get(url, {"source": "self"})) == {str(urgent_self.pk)}
    assert _ids(api.get(url, {"urgency": "urgent"})) == {str(urgent_self.pk)}
    by_team = _ids(api.get(url, {"team": str(tenant_a.pcn_team.pk)}))
    assert {str(urgent_self.pk), str(rejected.pk)} <= by_team
    both = _ids(api.get(url, {"status": ["rejected", "awaiting_triage"]}))
    assert {str(urgent_self.pk), str(rejected.pk)} <= both
    assert api.get(url, {"urgency": "whenever"}).status_code == 400


def test_the_referral_list_is_paginated_newest_first(api, tenant_a):
    for days in (5, 1, 9):
        make_referral(tenant_a, received_on=TODAY - dt.timedelta(days=days))
    api.force_authenticate(tenant_a.clinician)
    body = api.get(_url("referral-list"), {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] >= 4 and len(body["results"]) == 2 and body["next"]
    dates = [row["received_on"] for row in body["results"]]
    assert dates == sorted(dates, reverse=True)
    assert set(body["results"][0]) == {"id", "status", "status_label", "version", "received_on",
                                       "urgency", "source", "team", "person", "worker"}


def test_the_referral_list_does_not_query_once_per_row(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    url = _url("referral-list")
    with CaptureQueriesContext(connection) as few:
        assert api.get(url).status_code == 200
    for _ in range(3):
        make_referral(tenant_a)
    with CaptureQueriesContext(connection) as many:
        assert api.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_triage_queue_puts_the_most_urgent_first_and_says_how_long_each_has_waited(
    api, tenant_a
):
    routine = make_referral(tenant_a, received_on=TODAY - dt.timedelta(days=20))
    urgent = make_referral(tenant_a, urgency="urgent")
    api.force_authenticate(tenant_a.clinician)
    rows = api.get(_url("triage-queue")).json()["results"]
    assert [row["id"] for row in rows] == [str(urgent.pk), str(routine.pk)]
    assert rows[1]["days_waiting"] == 20
    waiting = api.get(_url("triage-queue"), {"waiting": "14_to_27"}).json()["results"]
    assert [row["id"] for row in waiting] == [str(routine.pk)]


def test_staff_with_no_triage_queue_get_403(api, tenant_a):
    api.force_authenticate(tenant_a.vcse_worker)
    assert api.get(_url("triage-queue")).status_code == 403


def test_people_can_be_found_by_nhs_number_written_with_spaces(api, tenant_a):
    person = make_person(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    spaced = f"{person.nhs_number[:3]} {person.nhs_number[3:6]} {person.nhs_number[6:]}"
    assert _ids(api.get(_url("person-list"), {"nhs_number": spaced})) == {str(person.pk)}
    found = _ids(api.get(_url("person-list"), {"family_name": person.family_name.upper()}))
    assert str(person.pk) in found


# --------------------------------------------------------------------------- people


def test_a_clinician_records_a_person_and_changes_their_details(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    created = api.post(_url("person-list"), _new_person(postcode="s12he"), format="json")
    assert created.status_code == 201, created.json()
    person = created.json()
    assert person["postcode"] == "S1 2HE" and person["imd_decile"] == 3

    url = reverse("api:person-detail", kwargs={"pk": person["id"]})
    changed = api.patch(url, {"version": 1, "phone": "07700 900999"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["phone"] == "07700 900999" and changed.json()["version"] == 2
    assert changed.json()["family_name"] == "Testcase"


def test_a_change_from_a_stale_version_of_a_person_is_a_409(api, tenant_a):
    person = make_person(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    url = _url("person-detail", person)
    assert api.patch(url, {"version": 1, "language": "Welsh"}, format="json").status_code == 200
    stale = api.patch(url, {"version": 1, "language": "Polish"}, format="json")
    assert stale.status_code == 409 and stale.json()["message"]
    assert _reload(tenant_a, person).language == "Welsh"
    missing = api.patch(url, {"language": "Polish"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["errors"]


def test_practice_staff_cannot_record_people(api, tenant_a):
    api.force_authenticate(tenant_a.gp)
    assert api.post(_url("person-list"), _new_person(), format="json").status_code == 403


# --------------------------------------------------------------------------- triage


@pytest.mark.parametrize(
    "decision,extra,status,event",
    [
        ("accept", {"urgency": "urgent"}, "accepted", "accepted"),
        ("redirect", {"destination": "talking_therapies", "note": "Spoke to the duty worker"},
         "redirected", "redirected"),
        ("reject", {"reason": "not_eligible"}, "rejected", "rejected"),
        ("mdt", {"note": "Discuss the risk history"}, "awaiting_mdt", "flagged_for_mdt"),
    ],
)
def test_a_clinician_triages_a_referral(api, tenant_a, decision, extra, status, event):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-triage", referral),
                        {"decision": decision, "version": referral.version, **extra},
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status
    assert response.json()["version"] == referral.version + 1
    assert _reload(tenant_a, referral).status == status
    assert _count(tenant_a, ReferralEvent, referral=referral, kind=event) == 1


def test_accepting_can_move_the_referral_to_another_team(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.team_lead)
    response = api.post(_url("referral-triage", referral),
                        {"decision": "accept", "version": referral.version,
                         "team": str(tenant_a.other_pcn_team.pk)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["team"]["id"] == str(tenant_a.other_pcn_team.pk)


def test_a_field_for_another_decision_is_refused(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-triage", referral),
                        {"decision": "reject", "version": referral.version,
                         "reason": "not_eligible", "destination": "crisis"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"destination": ["Only used to redirect."]}


def test_an_unknown_rejection_reason_comes_back_in_the_services_words(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-triage", referral),
                        {"decision": "reject", "version": referral.version, "reason": "bored"},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["'bored' is not a known code."]}


def test_a_decision_the_state_machine_does_not_allow_is_a_400_saying_why(api, tenant_a):
    referral = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        referral = services.referral_reject(referral=referral, actor=tenant_a.clinician,
                                            version=referral.version, reason="not_eligible")
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-triage", referral),
                        {"decision": "accept", "version": referral.version}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        "This referral is rejected, so it cannot be accepted."
    ]
    assert _reload(tenant_a, referral).status == "rejected"


def test_a_decision_from_a_stale_version_is_a_409_and_changes_nothing(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    url = _url("referral-triage", referral)
    first = api.post(url, {"decision": "mdt", "version": referral.version, "note": "Discuss"},
                     format="json")
    assert first.status_code == 200
    stale = api.post(url, {"decision": "reject", "version": referral.version,
                           "reason": "not_eligible"}, format="json")
    assert stale.status_code == 409
    assert "Someone else changed this referral" in stale.json()["message"]
    reloaded = _reload(tenant_a, referral)
    assert (reloaded.status, reloaded.version) == ("awaiting_mdt", referral.version + 1)


def test_peer_support_workers_can_see_but_not_triage_a_referral(api, tenant_a):
    let_non_clinical_roles_see_the_team(tenant_a)  # else it is not theirs to see
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.peer_support)
    detail = api.get(_url("referral-detail", referral))
    assert detail.status_code == 200 and detail.json()["allowed_actions"] == []
    response = api.post(_url("referral-triage", referral),
                        {"decision": "accept", "version": referral.version}, format="json")
    assert response.status_code == 403
    assert _reload(tenant_a, referral).status == "awaiting_triage"


def test_the_detail_lists_the_actions_the_caller_may_take(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    body = api.get(_url("referral-detail", referral)).json()
    assert body["allowed_actions"] == ["accept", "redirect", "reject", "mdt"]
    assert body["person"]["id"] == str(referral.person.pk)
    assert body["status_label"] == "Awaiting triage"


# --------------------------------------------------------------------------- allocation


def test_a_lead_allocates_an_accepted_referral_and_the_candidates_show_caseloads(api, tenant_a):
    referral = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        referral = services.referral_accept(referral=referral, actor=tenant_a.clinician,
                                            version=referral.version)
    clinician = _membership_id(tenant_a, "clinician")
    peer = _membership_id(tenant_a, "peer_support")
    api.force_authenticate(tenant_a.team_lead)

    def counts():
        rows = api.get(_url("referral-allocation-candidates", referral)).json()
        return {row["id"]: (row["named_count"], row["joint_count"]) for row in rows}

    before = counts()
    assert _membership_id(tenant_a, "other_clinician") not in {str(k) for k in before}
    response = api.post(_url("referral-allocation", referral),
                        {"worker": str(clinician), "joint_workers": [str(peer)],
                         "version": referral.version}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "allocated" and body["worker"]["id"] == str(clinician)
    assert [w["id"] for w in body["joint_workers"]] == [str(peer)]

    after = counts()
    assert after[str(clinician)] == (before[str(clinician)][0] + 1, before[str(clinician)][1])
    assert after[str(peer)] == (before[str(peer)][0], before[str(peer)][1] + 1)


def test_allocation_to_someone_outside_the_team_is_refused(api, tenant_a):
    referral = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        referral = services.referral_accept(referral=referral, actor=tenant_a.clinician,
                                            version=referral.version)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("referral-allocation", referral),
                        {"worker": str(_membership_id(tenant_a, "other_clinician")),
                         "version": referral.version}, format="json")
    assert response.status_code == 400
    assert "is not a member of" in response.json()["errors"]["worker"][0]
    assert _reload(tenant_a, referral).status == "accepted"


def test_peer_support_workers_cannot_allocate_or_list_candidates(api, tenant_a):
    let_non_clinical_roles_see_the_team(tenant_a)  # else it is not theirs to see
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.peer_support)
    assert api.get(_url("referral-allocation-candidates", referral)).status_code == 403
    response = api.post(_url("referral-allocation", referral),
                        {"worker": str(_membership_id(tenant_a, "peer_support")),
                         "version": referral.version}, format="json")
    assert response.status_code == 403


def test_the_event_log_lists_each_change_oldest_first(api, tenant_a):
    referral = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.referral_accept(referral=referral, actor=tenant_a.clinician,
                                 version=referral.version, note="Good fit")
    api.force_authenticate(tenant_a.clinician)
    events = api.get(_url("referral-events", referral)).json()
    assert [(e["kind"], e["label"]) for e in events] == [
        ("received", "Referral received"), ("accepted", "Accepted")
    ]
    accepted = events[1]
    assert (accepted["from_status"], accepted["to_status"]) == ("awaiting_triage", "accepted")
    assert accepted["reason"] == "Good fit"
    assert accepted["actor_label"] == tenant_a.clinician.get_full_name()
    assert accepted["details"]["team"] == tenant_a.pcn_team.name


# --------------------------------------------------------------------------- scoping


def test_a_clinician_of_another_team_cannot_see_or_act_on_a_referral(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.other_clinician)
    assert api.get(_url("referral-detail", referral)).status_code == 404
    assert api.get(_url("referral-events", referral)).status_code == 404
    response = api.post(_url("referral-triage", referral),
                        {"decision": "accept", "version": referral.version}, format="json")
    assert response.status_code == 404
    assert str(referral.pk) not in _ids(api.get(_url("referral-list")))
    assert str(referral.pk) not in {row["id"] for row in
                                    api.get(_url("triage-queue")).json()["results"]}
    assert str(referral.person.pk) not in _ids(api.get(_url("person-list")))
    assert api.get(_url("person-detail", referral.person)).status_code == 404


def test_every_user_of_another_tenant_gets_404_for_this_tenants_ids(api, tenant_a, tenant_b):
    referral = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        merge = PersonMerge.objects.first()
    assert merge is not None
    gets = [_url(name, referral) for name in ("referral-detail", "referral-events",
                                              "referral-allocation-candidates",
                                              "referral-triage", "referral-allocation")]
    gets += [_url("person-detail", referral.person), _url("person-merge-undo", merge)]
    posts = [_url("referral-triage", referral), _url("referral-allocation", referral),
             _url("person-merge-undo", merge)]
    for label, user in tenant_b.users.items():
        api.force_authenticate(user)
        for url in gets:
            assert api.get(url).status_code == 404, f"{label} GET {url}"
        for url in posts:
            assert api.post(url, {}, format="json").status_code == 404, f"{label} POST {url}"
        patch = api.patch(_url("person-detail", referral.person), {"version": 1}, format="json")
        assert patch.status_code == 404, label
    assert _reload(tenant_a, referral).status == "awaiting_triage"


@pytest.mark.parametrize("label", ["vcse_worker", "programme_manager"])
def test_vcse_and_programme_staff_see_no_referrals_or_people(api, tenant_a, label):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.users[label])
    assert _ids(api.get(_url("referral-list"))) == set()
    assert _ids(api.get(_url("person-list"))) == set()
    assert api.get(_url("referral-detail", referral)).status_code == 404
    assert api.get(_url("person-detail", referral.person)).status_code == 404
    assert api.get(_url("person-duplicates"),
                   {"nhs_number": referral.person.nhs_number}).json() == []


def test_reading_a_person_or_a_referral_is_audited(api, tenant_a):
    referral = make_referral(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    assert api.get(_url("referral-detail", referral)).status_code == 200
    assert api.get(_url("person-detail", referral.person)).status_code == 200
    for target in (referral, referral.person):
        assert _count(tenant_a, AuditEvent, action="view", target_id=str(target.pk),
                      actor=tenant_a.clinician) == 1


def test_a_list_audits_each_row_of_the_page_it_returns_and_no_other(api, tenant_a):
    older = make_referral(tenant_a, received_on=timezone.localdate() - dt.timedelta(days=20))
    newer = make_referral(tenant_a, received_on=timezone.localdate())
    api.force_authenticate(tenant_a.clinician)
    assert api.get(_url("referral-list"), {"page_size": 1}).status_code == 200
    assert _count(tenant_a, AuditEvent, action="view", target_id=str(newer.pk),
                  actor=tenant_a.clinician) == 1
    assert _count(tenant_a, AuditEvent, action="view", target_id=str(older.pk)) == 0


# --------------------------------------------------------------------------- practice view


def test_practice_staff_see_only_their_practices_referrals_and_only_their_status(api, tenant_a):
    ours = make_referral(tenant_a)
    not_ours = make_referral(tenant_a, source="self", referrer_organisation=None)
    api.force_authenticate(tenant_a.gp)
    body = api.get(_url("practice-referral-list")).json()
    ids = {row["id"] for row in body["results"]}
    assert str(ours.pk) in ids and str(not_ours.pk) not in ids
    assert set(body["results"][0]) == {"id", "person_name", "nhs_number", "received_on",
                                       "team_name", "status", "status_label"}
    assert _ids(api.get(_url("referral-list"))) == set()
    assert api.get(_url("referral-detail", ours)).status_code == 404
    assert api.get(_url("triage-queue")).status_code == 403


def test_clinical_staff_get_403_on_the_practice_view(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    assert api.get(_url("practice-referral-list")).status_code == 403


# --------------------------------------------------------------------------- merges


def test_an_administrator_merges_duplicates_and_undoes_the_merge(api, tenant_a):
    kept = make_person(tenant_a)
    duplicate = make_person(tenant_a, nhs_number="", nhs_number_missing_reason="not_yet_traced")
    moved = make_referral(tenant_a, person=duplicate, team=tenant_a.other_pcn_team)
    api.force_authenticate(tenant_a.tenant_admin)

    response = api.post(_url("person-merge-list"),
                        {"kept": str(kept.pk), "merged": str(duplicate.pk),
                         "reason": "Same person, typed twice"}, format="json")
    assert response.status_code == 201, response.json()
    merge = response.json()
    assert merge["moved_referrals"] == [str(moved.pk)]
    assert _reload(tenant_a, moved).person_id == kept.pk
    assert merge["id"] in {row["id"] for row in api.get(_url("person-merge-list")).json()[
        "results"]}

    undo = api.post(reverse("api:person-merge-undo", kwargs={"pk": merge["id"]}), format="json")
    assert undo.status_code == 200, undo.json()
    assert undo.json()["undone_at"] and undo.json()["undone_by"]
    assert _reload(tenant_a, moved).person_id == duplicate.pk
    again = api.post(reverse("api:person-merge-undo", kwargs={"pk": merge["id"]}), format="json")
    assert again.status_code == 400 and "already been undone" in again.json()["errors"]["merge"][0]


def test_clinicians_cannot_merge_people_or_see_merges(api, tenant_a):
    kept, duplicate = make_person(tenant_a), make_person(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        merge = PersonMerge.objects.first()
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("person-merge-list"),
                        {"kept": str(kept.pk), "merged": str(duplicate.pk), "reason": "Same"},
                        format="json")
    assert response.status_code == 403
    assert api.get(_url("person-merge-list")).status_code == 403
    assert api.post(_url("person-merge-undo", merge), format="json").status_code == 404
    assert _reload(tenant_a, duplicate).merged_into_id is None


def test_ids_from_another_tenant_in_a_request_body_are_refused(api, tenant_a, tenant_b):
    stranger = make_person(tenant_b)
    api.force_authenticate(tenant_a.clinician)
    body = _referral_body(tenant_a, team=str(tenant_b.pcn_team.pk), person=str(stranger.pk))
    response = api.post(_url("referral-list"), body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["team"] == errors["person"] == ["There is no such record in this place."]
    assert _count(tenant_b, Referral, person=stranger) == 0


def test_the_openapi_schema_describes_the_referral_endpoints(api, db):
    response = api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for path in ("/api/v1/people/", "/api/v1/people/{id}/", "/api/v1/people/duplicates/",
                 "/api/v1/referrals/", "/api/v1/referrals/{id}/",
                 "/api/v1/referrals/{id}/triage/", "/api/v1/referrals/{id}/allocation/",
                 "/api/v1/referrals/{id}/allocation-candidates/",
                 "/api/v1/referrals/{id}/events/", "/api/v1/triage-queue/",
                 "/api/v1/practice-referrals/", "/api/v1/person-merges/",
                 "/api/v1/person-merges/{id}/undo/"):
        assert path in paths, path
    triage = paths["/api/v1/referrals/{id}/triage/"]["post"]
    assert set(triage["responses"]) == {"200", "400", "403", "404", "409"}
