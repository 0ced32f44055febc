"""The VCSE API: the directory and who maintains it, onward referrals sent with consent, the
partner's inbox and contacts, validation in the error shape with nothing saved, stale versions,
what each side may see (and never the person's care record), audit of reads, query counts and
the schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent, Membership, Organisation, Team, TeamMembership
from pcns.services import membership_sync_staff_flag
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral
from tests.api_helpers import api_url as _url
from tests.api_helpers import count_in as _count
from tests.api_helpers import reload_in as _reload
from tests.factories import make_onward_referral, make_referral, make_service, make_user
from vcse import services as vcse_services
from vcse.models import Consent, OnwardReferral, Service, ServiceArea, VcseContact

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - dt.timedelta(days=1)
AUDIT_INSERT = f'INSERT INTO "{AuditEvent._meta.db_table}"'




def _views(cast, onward) -> int:
    return _count(cast, AuditEvent, action="view", target_type="vcse.onwardreferral",
                  target_id=str(onward.pk))


def _in_care(cast) -> Referral:
    """The cast's referral in care, from which its onward referral was sent."""
    with tenant_context(cast.tenant.pk):
        return Referral.objects.filter(tenant=cast.tenant,
                                       onward_referrals__isnull=False).distinct().get()


def _accepted(cast) -> OnwardReferral:
    """The cast's onward referral: accepted, with one contact logged (so now in progress)."""
    with tenant_context(cast.tenant.pk):
        return OnwardReferral.objects.select_related("service").get(
            tenant=cast.tenant, service__organisation=cast.vcse)


def _new(cast, name: str = "Walk and talk group", **overrides) -> OnwardReferral:
    """A new onward referral to another service of the cast's VCSE organisation."""
    service = make_service(cast, name=name, categories=["walk_and_talk"])
    return make_onward_referral(cast, referral=_in_care(cast), service=service, **overrides)


def _other_vcse(cast) -> tuple[Organisation, object]:
    """A second VCSE organisation in the place, with a worker of its own."""
    with tenant_context(cast.tenant.pk):
        organisation = Organisation.objects.create(tenant=cast.tenant, kind="vcse",
                                                   name="Another Trust Foodbank")
        team = Team.objects.create(tenant=cast.tenant, name="Foodbank service",
                                   kind="vcse_service", host=organisation)
        user = make_user(f"foodbank@{cast.tenant.slug}.test", first_name="Food",
                         last_name="Bank")
        membership = Membership.objects.create(tenant=cast.tenant, user=user, role="vcse_worker",
                                               employer=organisation, honorary_contract=False,
                                               wte=Decimal("0.5"))
        TeamMembership.objects.create(tenant=cast.tenant, membership=membership, team=team)
        membership_sync_staff_flag(membership=membership)
    return organisation, user


def _service_body(cast, **overrides) -> dict:
    return {"organisation": str(cast.vcse.pk), "name": "Housing help desk",
            "categories": ["housing"], "description": "Help with tenancies and repairs.",
            "areas": [str(cast.pcn.pk)], "phone": "0114 496 0001", **overrides}


def _onward_body(cast, service, **overrides) -> dict:
    return {"referral": str(_in_care(cast).pk), "service": str(service.pk),
            "reason": "Isolated since moving; would like a walking group.",
            "needs": ["walk_and_talk", "social_groups"], "consent_given_by": "person",
            "consent_given_on": str(TODAY), "consent_purpose": "Joining the walking group",
            "consent_expires_on": str(TODAY + dt.timedelta(days=90)), **overrides}


def _contact_body(**overrides) -> dict:
    return {"on": str(TODAY), "mode": "in_person", "attendance": "attended",
            "support_types": ["walk_and_talk", "peer_support"], "duration_minutes": 60,
            **overrides}


def _assert_error_shape(response, status: int = 400) -> dict:
    assert response.status_code == status, response.json()
    assert set(response.json()) == {"message", "errors"}
    return response.json()["errors"]


def _reads(queries) -> list[str]:
    """What a list costs to read (the audit rows it writes are counted apart)."""
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT")]


def _audit_inserts(queries) -> int:
    return sum(q["sql"].startswith(AUDIT_INSERT) for q in queries)


# --------------------------------------------------------------------------- the directory


def test_anyone_in_the_place_searches_the_directory_by_need_area_open_and_words(api, tenant_a):
    money = _accepted(tenant_a).service  # debt and benefits advice, covering the central PCN
    with tenant_context(tenant_a.tenant.pk):
        north = tenant_a.other_pcn_team.host
    make_service(tenant_a, name="Walk and talk", categories=["walk_and_talk"],
                 areas=[north], description="A gentle group walk in the park.")
    housing = make_service(tenant_a, name="Housing help", categories=["housing"], is_open=False)

    def names(user, **params) -> list[str]:
        api.force_authenticate(user)
        response = api.get(_url("service-list"), params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    clinician = tenant_a.clinician
    assert names(clinician) == ["Housing help", money.name, "Walk and talk"]
    assert names(clinician, category="walk_and_talk") == ["Walk and talk"]
    assert names(clinician, area=str(tenant_a.pcn.pk)) == ["Housing help", money.name]
    assert names(clinician, area=str(north.pk)) == ["Housing help", "Walk and talk"]
    assert names(clinician, open="true") == [money.name, "Walk and talk"]
    assert names(clinician, open="false") == ["Housing help"]
    assert names(clinician, q="park") == ["Walk and talk"]
    assert names(clinician, q="northtown mind", category="housing") == ["Housing help"]
    assert names(tenant_a.vcse_worker) == names(tenant_a.gp) == names(clinician)
    assert api.get(_url("service-list"), {"category": "astrology"}).status_code == 400

    row = api.get(_url("service-list"), {"q": "walk"}).json()["results"][0]
    assert row["areas"] == [{"id": str(north.pk), "name": north.name}]
    assert row["category_labels"] == ["Walk and talk"] and row["is_open"] is True
    detail = api.get(_url("service-detail", housing)).json()
    assert (detail["is_open"], detail["areas"], detail["organisation"]["id"]) == (
        False, [], str(tenant_a.vcse.pk))


@pytest.mark.parametrize("label", ["tenant_admin", "vcse_lead"])
def test_a_tenant_admin_or_the_vcse_lead_lists_a_service_for_the_organisation(
    api, tenant_a, label
):
    api.force_authenticate(tenant_a.users[label])
    response = api.post(_url("service-list"), _service_body(tenant_a), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["categories"], body["version"]) == (
        "Housing help desk", ["housing"], 1)
    assert body["areas"] == [{"id": str(tenant_a.pcn.pk), "name": tenant_a.pcn.name}]
    with tenant_context(tenant_a.tenant.pk):
        service = Service.objects.get(pk=body["id"])
        assert (service.organisation, service.phone, service.is_open) == (
            tenant_a.vcse, "0114 496 0001", True)
        assert list(service.areas.all()) == [tenant_a.pcn]


def test_the_vcse_lead_changes_some_fields_of_a_service_and_the_rest_are_kept(api, tenant_a):
    service = _accepted(tenant_a).service
    api.force_authenticate(tenant_a.vcse_lead)
    response = api.patch(_url("service-detail", service),
                         {"version": service.version, "is_open": False,
                          "capacity_note": "Full until the spring"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["is_open"], body["capacity_note"], body["version"]) == (
        False, "Full until the spring", service.version + 1)
    reloaded = _reload(tenant_a, service)
    assert (reloaded.name, reloaded.categories, reloaded.email, reloaded.description) == (
        service.name, service.categories, service.email, service.description)
    assert _count(tenant_a, ServiceArea, service=service, organisation=tenant_a.pcn) == 1

    cleared = api.patch(_url("service-detail", service),
                        {"version": body["version"], "areas": []}, format="json")
    assert cleared.status_code == 200, cleared.json()
    assert cleared.json()["areas"] == [] and cleared.json()["capacity_note"] == (
        "Full until the spring")


def test_a_vcse_lead_cannot_list_or_change_another_organisations_services(api, tenant_a):
    other, _worker = _other_vcse(tenant_a)
    theirs = make_service(tenant_a, organisation=other, name="Food parcels",
                          categories=["other"])
    api.force_authenticate(tenant_a.vcse_lead)
    created = api.post(_url("service-list"), _service_body(tenant_a, organisation=str(other.pk)),
                       format="json")
    _assert_error_shape(created, 403)
    changed = api.patch(_url("service-detail", theirs),
                        {"version": theirs.version, "is_open": False}, format="json")
    _assert_error_shape(changed, 403)
    assert _count(tenant_a, Service, organisation=other) == 1
    assert _reload(tenant_a, theirs).is_open is True


@pytest.mark.parametrize("label", ["gp", "programme_manager", "peer_support", "clinician",
                                   "vcse_worker"])
def test_staff_who_do_not_maintain_the_directory_cannot_list_or_change_services(
    api, tenant_a, label
):
    service = _accepted(tenant_a).service
    before = _count(tenant_a, Service)
    api.force_authenticate(tenant_a.users[label])
    _assert_error_shape(api.post(_url("service-list"), _service_body(tenant_a), format="json"),
                        403)
    response = api.patch(_url("service-detail", service),
                         {"version": service.version, "name": "Renamed"}, format="json")
    _assert_error_shape(response, 403)
    assert _count(tenant_a, Service) == before
    assert _reload(tenant_a, service).name == service.name


def test_a_service_with_several_bad_fields_names_each_and_nothing_is_saved(api, tenant_a):
    before = _count(tenant_a, Service)
    api.force_authenticate(tenant_a.tenant_admin)
    body = _service_body(tenant_a, name="", categories=["housing", "astrology"], phone="",
                         areas=[str(tenant_a.practice.pk)])
    errors = _assert_error_shape(api.post(_url("service-list"), body, format="json"))
    assert errors == {
        "name": ["Enter the name of the service."],
        "categories": ["'astrology' is not a known code."],
        "email": ["Give at least one way to contact the service: email, phone or website."],
        "areas": [f"{tenant_a.practice.name} is not a PCN in this place."],
    }
    assert _count(tenant_a, Service) == before


def test_a_service_can_only_be_listed_for_a_vcse_organisation_of_the_place(
    api, tenant_a, tenant_b
):
    api.force_authenticate(tenant_a.tenant_admin)
    for organisation in (tenant_a.pcn, tenant_b.vcse):
        body = _service_body(tenant_a, organisation=str(organisation.pk))
        errors = _assert_error_shape(api.post(_url("service-list"), body, format="json"))
        assert errors == {"organisation": ["There is no such VCSE organisation in this place."]}


def test_a_service_change_from_a_stale_version_is_a_409_and_changes_nothing(api, tenant_a):
    service = _accepted(tenant_a).service
    api.force_authenticate(tenant_a.tenant_admin)
    url = _url("service-detail", service)
    first = api.patch(url, {"version": service.version, "name": "Money advice"}, format="json")
    assert first.status_code == 200, first.json()
    stale = api.patch(url, {"version": service.version, "name": "Benefits advice"},
                      format="json")
    assert stale.status_code == 409
    assert "Someone else changed this service" in stale.json()["message"]
    assert _reload(tenant_a, service).name == "Money advice"
    missing = api.patch(url, {"name": "Benefits advice"}, format="json")
    assert _assert_error_shape(missing) == {"version": ["This field is required."]}
    assert api.put(url, {"version": 2, "name": "Whole"}, format="json").status_code == 405


# --------------------------------------------------------------------------- referring side


def test_a_connector_refers_a_person_on_with_consent_sharing_only_the_minimal_data_set(
    api, tenant_a
):
    service = make_service(tenant_a, name="Walk and talk group", categories=["walk_and_talk"])
    referral = _in_care(tenant_a)
    api.force_authenticate(tenant_a.connector)
    response = api.post(_url("onward-referral-list"), _onward_body(tenant_a, service),
                        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["referral"], body["contacts_count"]) == (
        "sent", str(referral.pk), 0)
    assert body["organisation"] == {"id": str(tenant_a.vcse.pk), "name": tenant_a.vcse.name}
    assert body["sent"]["on"] == str(TODAY) and body["sent"]["by"] == str(tenant_a.connector)
    assert body["consent"]["given_by"] == "person" and body["consent"]["includes_risk"] is False
    assert body["consent"]["purpose"] == "Joining the walking group"
    assert body["consent"]["recorded_by"] == str(tenant_a.connector)
    with tenant_context(tenant_a.tenant.pk):
        person = referral.person
        expected_phone = person.phone
    snapshot = body["snapshot"]
    assert set(snapshot) == {"given_name", "family_name", "phone", "email", "address",
                             "postcode", "preferred_contact_method", "needs", "risk"}
    assert (snapshot["given_name"], snapshot["phone"], snapshot["risk"]) == (
        person.given_name, expected_phone, "")
    assert snapshot["needs"] == ["Walk and talk", "Social groups"]
    with tenant_context(tenant_a.tenant.pk):
        onward = OnwardReferral.objects.get(pk=body["id"])
        consent = Consent.objects.get(onward_referral=onward)
        assert (onward.service, onward.organisation, onward.person) == (
            service, tenant_a.vcse, person)
        assert (consent.organisation, consent.given_on, consent.recorded_by) == (
            tenant_a.vcse, TODAY, tenant_a.connector)
        assert onward.shared == snapshot


def test_risk_information_is_shared_only_when_the_person_agreed(api, tenant_a):
    service = make_service(tenant_a, name="Walk and talk group", categories=["walk_and_talk"])
    api.force_authenticate(tenant_a.clinician)
    body = _onward_body(tenant_a, service, share_risk=True,
                        risk_information="Walk with a companion; faints in heat")
    response = api.post(_url("onward-referral-list"), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["snapshot"]["risk"] == "Walk with a companion; faints in heat"
    assert response.json()["consent"]["includes_risk"] is True


def _closed_service(cast):
    return make_service(cast, name="Community garden", categories=["community_garden"],
                        is_open=False)


def _open_service(cast):
    return make_service(cast, name="Walk and talk group", categories=["walk_and_talk"])


@pytest.mark.parametrize(
    "make,overrides,field,message",
    [
        (_open_service, {"consent_given_on": None}, "consent_given_on",
         "Enter the date consent was given."),
        (_open_service, {"risk_information": "Has a dog that bites"}, "risk_information",
         "Risk information can only be shared if the person agreed to it."),
        (_open_service, {"needs": ["walk_and_talk", "astrology"]}, "needs",
         "'astrology' is not a known code."),
        (_closed_service, {}, "service",
         "Community garden is not taking referrals at the moment."),
        (_open_service, {"consent_given_by": "representative"}, "consent_given_by_name",
         "Enter the name of who consented for them."),
    ],
    ids=["no-consent-date", "risk-without-consent", "unknown-need", "closed-service",
         "representative-unnamed"],
)
def test_an_onward_referral_that_breaks_a_rule_is_a_400_on_the_field_and_nothing_is_saved(
    api, tenant_a, make, overrides, field, message
):
    service = make(tenant_a)
    before = _count(tenant_a, OnwardReferral), _count(tenant_a, Consent)
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("onward-referral-list"),
                        _onward_body(tenant_a, service, **overrides), format="json")
    errors = _assert_error_shape(response)
    assert errors == {field: [message]}
    assert (_count(tenant_a, OnwardReferral), _count(tenant_a, Consent)) == before


def test_every_bad_field_of_an_onward_referral_is_named_in_one_answer(api, tenant_a):
    service = _open_service(tenant_a)
    before = _count(tenant_a, OnwardReferral)
    api.force_authenticate(tenant_a.clinician)
    body = _onward_body(tenant_a, service, reason="  ", consent_purpose="",
                        consent_expires_on=str(YESTERDAY))
    response = api.post(_url("onward-referral-list"), body, format="json")
    errors = _assert_error_shape(response)
    assert response.json()["message"] == "The request has errors: see the fields listed."
    assert errors == {
        "reason": ["Say why you are referring them and what they hope for."],
        "consent_purpose": ["Say what they agreed their details may be used for."],
        "consent_expires_on": ["Consent that has already ended cannot be used."],
    }
    assert _count(tenant_a, OnwardReferral) == before


def test_a_second_open_onward_referral_to_the_same_service_is_refused(api, tenant_a):
    service = _accepted(tenant_a).service
    api.force_authenticate(tenant_a.clinician)
    response = api.post(_url("onward-referral-list"), _onward_body(tenant_a, service),
                        format="json")
    assert _assert_error_shape(response) == {
        "service": [f"This person already has an open onward referral to {service.name}."]}


@pytest.mark.parametrize("label", ["other_clinician", "vcse_worker", "gp", "tenant_admin"])
def test_a_referral_the_caller_cannot_see_is_no_such_record(api, tenant_a, label):
    service = _open_service(tenant_a)
    before = _count(tenant_a, OnwardReferral)
    api.force_authenticate(tenant_a.users[label])
    response = api.post(_url("onward-referral-list"), _onward_body(tenant_a, service),
                        format="json")
    assert _assert_error_shape(response)["referral"] == [
        "There is no such record in this place."]
    assert _count(tenant_a, OnwardReferral) == before


def test_no_one_refers_on_from_a_closed_referral(api, tenant_a):
    service = _open_service(tenant_a)
    referral = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        referral_services.referral_reject(referral=referral, actor=tenant_a.clinician,
                                          version=referral.version, reason="declined")
    api.force_authenticate(tenant_a.clinician)
    body = _onward_body(tenant_a, service, referral=str(referral.pk))
    _assert_error_shape(api.post(_url("onward-referral-list"), body, format="json"), 403)
    assert _count(tenant_a, OnwardReferral, referral=referral) == 0


def test_the_referrer_sees_status_contacts_count_and_outcome(api, tenant_a):
    onward = _accepted(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    response = api.get(_url("onward-referral-detail", onward))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["contacts_count"], body["outcome"], body["version"]) == (
        "in_progress", 1, "", onward.version)
    assert body["answer"]["responded_on"] == str(onward.sent_on)
    assert body["flagged_unanswered_at"] is None
    assert body["consent"]["is_withdrawn"] is False
    assert _views(tenant_a, onward) == 1

    with tenant_context(tenant_a.tenant.pk):
        vcse_services.onward_referral_close(onward=onward, actor=tenant_a.vcse_worker,
                                            version=onward.version, outcome="completed",
                                            note="Came to every session; now volunteers")
    closed = api.get(_url("onward-referral-detail", onward)).json()
    assert (closed["status"], closed["outcome"], closed["outcome_label"]) == (
        "closed", "completed", "Support completed")
    assert closed["outcome_note"] == "Came to every session; now volunteers"
    assert _views(tenant_a, onward) == 2


def test_onward_referrals_are_listed_filtered_and_each_row_is_audited(api, tenant_a):
    accepted = _accepted(tenant_a)
    new = _new(tenant_a)
    other, _worker = _other_vcse(tenant_a)
    api.force_authenticate(tenant_a.clinician)

    def ids(**params) -> list[str]:
        response = api.get(_url("onward-referral-list"), params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    referral = str(_in_care(tenant_a).pk)
    assert set(ids()) == {str(accepted.pk), str(new.pk)}
    assert (_views(tenant_a, accepted), _views(tenant_a, new)) == (1, 1)
    assert ids(referral=referral, status="sent") == [str(new.pk)]
    assert ids(status="in_progress") == [str(accepted.pk)]
    assert ids(organisation=str(other.pk)) == []
    assert (_views(tenant_a, accepted), _views(tenant_a, new)) == (2, 2)
    assert api.get(_url("onward-referral-list"), {"status": "lost"}).status_code == 400
    row = api.get(_url("onward-referral-list"), {"status": "sent"}).json()["results"][0]
    assert (row["contacts_count"], row["consent_withdrawn_on"]) == (0, None)
    assert "snapshot" not in row


@pytest.mark.parametrize("label", ["vcse_worker", "vcse_lead", "gp", "programme_manager",
                                   "other_clinician"])
def test_staff_not_working_with_the_person_see_no_onward_referrals_on_the_referring_side(
    api, tenant_a, label
):
    onward = _accepted(tenant_a)
    api.force_authenticate(tenant_a.users[label])
    assert api.get(_url("onward-referral-list")).json()["results"] == []
    assert api.get(_url("onward-referral-detail", onward)).status_code == 404
    response = api.post(_url("onward-referral-withdraw-consent", onward),
                        {"version": onward.version}, format="json")
    assert response.status_code == 404
    assert _views(tenant_a, onward) == 0


def test_withdrawing_consent_withdraws_the_onward_referral_once(api, tenant_a):
    onward = _new(tenant_a)
    url = _url("onward-referral-withdraw-consent", onward)
    api.force_authenticate(tenant_a.peer_support)
    stale = api.post(url, {"version": onward.version - 1}, format="json")
    assert stale.status_code == 409
    assert _reload(tenant_a, onward).status == "sent"

    done = api.post(url, {"version": onward.version, "note": "Changed their mind"},
                    format="json")
    assert done.status_code == 200, done.json()
    body = done.json()
    assert (body["status"], body["consent"]["withdrawn_on"]) == ("withdrawn", str(TODAY))
    assert body["consent"]["withdrawal_note"] == "Changed their mind"
    again = api.post(url, {"version": body["version"]}, format="json")
    assert _assert_error_shape(again) == {"on": ["Consent has already been withdrawn."]}
    with tenant_context(tenant_a.tenant.pk):
        assert Consent.objects.get(onward_referral=onward).withdrawn_recorded_by == (
            tenant_a.peer_support)


# --------------------------------------------------------------------------- partner's side


def test_the_vcse_inbox_lists_new_accepted_in_progress_and_closed_and_audits_each_row(
    api, tenant_a
):
    accepted = _accepted(tenant_a)
    new = _new(tenant_a)
    api.force_authenticate(tenant_a.vcse_worker)

    def ids(**params) -> list[str]:
        response = api.get(_url("inbox-list"), params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert set(ids()) == {str(accepted.pk), str(new.pk)}
    assert ids(tab="new") == [str(new.pk)]
    assert ids(tab="in_progress") == [str(accepted.pk)]
    assert ids(tab="accepted") == ids(tab="closed") == []
    assert ids(status="sent") == [str(new.pk)]
    assert (_views(tenant_a, accepted), _views(tenant_a, new)) == (2, 3)
    assert api.get(_url("inbox-list"), {"tab": "archive"}).status_code == 400

    row = api.get(_url("inbox-list"), {"tab": "new"}).json()["results"][0]
    shared = _reload(tenant_a, new).shared
    assert row["name"] == f"{shared['given_name']} {shared['family_name']}"
    assert (row["contacts_count"], row["needs"]) == (0, ["debt_advice", "welfare_benefits"])
    api.force_authenticate(tenant_a.vcse_lead)
    assert set(ids()) == {str(accepted.pk), str(new.pk)}


def test_the_inbox_shows_the_partner_the_snapshot_and_nothing_of_the_care_record(
    api, tenant_a
):
    onward = _accepted(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        person = onward.person
        nhs_number, born = person.nhs_number, person.date_of_birth
    api.force_authenticate(tenant_a.vcse_worker)
    response = api.get(_url("inbox-detail", onward))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"id", "version", "status", "status_label", "service", "reason",
                         "needs", "needs_labels", "sent_on", "consent", "snapshot", "answer",
                         "outcome", "contacts"}
    assert set(body["consent"]) == {"purpose", "expires_on"}
    assert body["snapshot"]["given_name"] == person.given_name
    assert [c["support_types"] for c in body["contacts"]] == [["welfare_benefits"]]
    text = response.content.decode()
    spaced = f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"
    for secret in (nhs_number, spaced, born.isoformat(), f"{born:%d/%m/%Y}",
                   "Low mood since losing work", "Get back into a routine",
                   "No current risk to self or others", "Mentioned money worries",
                   str(onward.referral_id), str(onward.person_id)):
        assert secret not in text, secret
    assert _views(tenant_a, onward) == 1


def test_the_partner_accepts_a_new_onward_referral_once_and_a_stale_version_is_a_409(
    api, tenant_a
):
    onward = _new(tenant_a)
    api.force_authenticate(tenant_a.vcse_worker)
    url = _url("inbox-accept", onward)
    done = api.post(url, {"version": onward.version}, format="json")
    assert done.status_code == 200, done.json()
    body = done.json()
    assert (body["status"], body["answer"]["responded_on"], body["version"]) == (
        "accepted", str(TODAY), onward.version + 1)
    stale = api.post(url, {"version": onward.version}, format="json")
    assert stale.status_code == 409
    again = api.post(url, {"version": body["version"]}, format="json")
    assert _assert_error_shape(again) == {
        "non_field_errors": ["This onward referral is accepted, so it cannot be accepted."]}
    assert again.json()["message"] == "This onward referral is accepted, so it cannot be accepted."
    declined = api.post(_url("inbox-decline", onward),
                        {"version": body["version"], "reason": "no_capacity"}, format="json")
    assert declined.status_code == 400
    assert _reload(tenant_a, onward).status == "accepted"


def test_the_partner_declines_with_a_reason_and_other_needs_a_note(api, tenant_a):
    onward = _new(tenant_a)
    api.force_authenticate(tenant_a.vcse_lead)
    url = _url("inbox-decline", onward)
    bare = api.post(url, {"version": onward.version, "reason": "other"}, format="json")
    assert _assert_error_shape(bare) == {
        "note": ["Say why, so the referrer can find the person something else."]}
    unknown = api.post(url, {"version": onward.version, "reason": "busy"}, format="json")
    assert _assert_error_shape(unknown) == {"reason": ["'busy' is not a known code."]}
    assert _reload(tenant_a, onward).status == "sent"

    done = api.post(url, {"version": onward.version, "reason": "better_elsewhere",
                          "note": "The men's shed suits better"}, format="json")
    assert done.status_code == 200, done.json()
    answer = done.json()["answer"]
    assert (done.json()["status"], answer["decline_reason"], answer["decline_note"]) == (
        "declined", "better_elsewhere", "The men's shed suits better")
    api.force_authenticate(tenant_a.clinician)
    referrer = api.get(_url("onward-referral-detail", onward)).json()
    assert referrer["answer"]["decline_reason_label"] == "Another service would suit them better"


def test_the_partner_logs_contacts_with_the_support_given(api, tenant_a):
    onward = _new(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        onward = vcse_services.onward_referral_accept(onward=onward, actor=tenant_a.vcse_worker,
                                                      version=onward.version)
    api.force_authenticate(tenant_a.vcse_worker)
    url = _url("inbox-contacts", onward)
    assert api.get(url).json() == []

    logged = api.post(url, _contact_body(), format="json")
    assert logged.status_code == 201, logged.json()
    contact = logged.json()
    assert (contact["mode"], contact["attendance"], contact["duration_minutes"]) == (
        "in_person", "attended", 60)
    assert contact["support_types"] == ["walk_and_talk", "peer_support"]
    assert contact["support_type_labels"] == ["Walk and talk", "Peer support"]
    assert contact["staff"] == str(tenant_a.vcse_worker)
    assert _reload(tenant_a, onward).status == "in_progress"

    missed = api.post(url, _contact_body(attendance="did_not_attend", support_types=[],
                                         duration_minutes=None), format="json")
    assert missed.status_code == 201, missed.json()
    before = _count(tenant_a, VcseContact, onward_referral=onward)
    for body, field, message in [
        (_contact_body(support_types=[]), "support_types", "Choose the support given."),
        (_contact_body(attendance="cancelled"), "support_types",
         "Support is only recorded for a contact that happened."),
        (_contact_body(on=str(TODAY + dt.timedelta(days=1))), "on",
         "The date of the contact cannot be in the future."),
        (_contact_body(duration_minutes=800), "duration_minutes",
         "Enter a duration from 1 to 720 minutes."),
    ]:
        assert _assert_error_shape(api.post(url, body, format="json")) == {field: [message]}
    assert _count(tenant_a, VcseContact, onward_referral=onward) == before

    listed = api.get(url).json()
    assert [row["attendance"] for row in listed] == ["attended", "did_not_attend"]
    assert _views(tenant_a, onward) == 2


def test_a_contact_cannot_be_logged_before_the_onward_referral_is_accepted(api, tenant_a):
    onward = _new(tenant_a)
    api.force_authenticate(tenant_a.vcse_worker)
    response = api.post(_url("inbox-contacts", onward), _contact_body(), format="json")
    assert response.status_code == 400
    assert "cannot be given a contact" in response.json()["message"]
    assert _count(tenant_a, VcseContact, onward_referral=onward) == 0


def test_the_partner_closes_with_an_outcome_and_a_note_for_the_referrer(api, tenant_a):
    onward = _accepted(tenant_a)
    api.force_authenticate(tenant_a.vcse_worker)
    url = _url("inbox-close", onward)
    early = api.post(url, {"version": onward.version, "outcome": "completed",
                           "on": str(onward.sent_on - dt.timedelta(days=1))}, format="json")
    assert list(_assert_error_shape(early)) == ["on"]
    other = api.post(url, {"version": onward.version, "outcome": "other"}, format="json")
    assert _assert_error_shape(other) == {"note": ["Say what happened, for the referrer."]}

    done = api.post(url, {"version": onward.version, "outcome": "referred_on",
                          "note": "Now with the debt advice line"}, format="json")
    assert done.status_code == 200, done.json()
    outcome = done.json()["outcome"]
    assert (done.json()["status"], outcome["outcome"], outcome["closed_on"], outcome["note"]) \
        == ("closed", "referred_on", str(TODAY), "Now with the debt advice line")
    stale = api.post(url, {"version": onward.version, "outcome": "completed"}, format="json")
    assert stale.status_code == 409
    assert _reload(tenant_a, onward).outcome == "referred_on"


def _inbox_requests(onward) -> list[tuple[str, str, dict | None]]:
    body = {"version": onward.version, "reason": "no_capacity", "outcome": "completed"}
    return [("get", _url("inbox-detail", onward), None),
            ("post", _url("inbox-accept", onward), body),
            ("post", _url("inbox-decline", onward), body),
            ("post", _url("inbox-close", onward), body),
            ("get", _url("inbox-contacts", onward), None),
            ("post", _url("inbox-contacts", onward), _contact_body())]


def _assert_all_404(api, onward) -> None:
    for method, url, body in _inbox_requests(onward):
        response = getattr(api, method)(url, body, format="json") if body else api.get(url)
        assert response.status_code == 404, (method, url)
        assert response.json() == {"message": "Not found.", "errors": {}}


def test_a_worker_of_another_vcse_organisation_gets_404_on_every_inbox_endpoint(api, tenant_a):
    accepted, new = _accepted(tenant_a), _new(tenant_a)
    _other, worker = _other_vcse(tenant_a)
    api.force_authenticate(worker)
    assert api.get(_url("inbox-list")).json()["results"] == []
    for onward in (accepted, new):
        _assert_all_404(api, onward)
    assert _reload(tenant_a, new).status == "sent"
    assert _count(tenant_a, VcseContact, onward_referral=accepted) == 1
    assert (_views(tenant_a, accepted), _views(tenant_a, new)) == (0, 0)


@pytest.mark.parametrize("label", ["clinician", "connector", "team_lead", "gp"])
def test_staff_outside_the_partner_organisation_have_no_inbox(api, tenant_a, label):
    onward = _accepted(tenant_a)
    api.force_authenticate(tenant_a.users[label])
    assert api.get(_url("inbox-list")).json()["results"] == []
    _assert_all_404(api, onward)


def test_after_consent_is_withdrawn_every_inbox_endpoint_answers_404(api, tenant_a):
    accepted, new = _accepted(tenant_a), _new(tenant_a)
    api.force_authenticate(tenant_a.clinician)
    for onward in (accepted, new):
        response = api.post(_url("onward-referral-withdraw-consent", onward),
                            {"version": onward.version}, format="json")
        assert response.status_code == 200, response.json()
    api.force_authenticate(tenant_a.vcse_worker)
    assert api.get(_url("inbox-list")).json()["results"] == []
    for onward in (_reload(tenant_a, accepted), _reload(tenant_a, new)):
        _assert_all_404(api, onward)
    assert _count(tenant_a, VcseContact, onward_referral=accepted) == 1


def test_every_user_of_another_tenant_gets_404_for_this_tenants_vcse_records(
    api, tenant_a, tenant_b
):
    onward = _accepted(tenant_a)
    service = onward.service
    for label, user in tenant_b.users.items():
        api.force_authenticate(user)
        assert api.get(_url("service-detail", service)).status_code == 404, label
        assert api.patch(_url("service-detail", service), {"version": 1},
                         format="json").status_code == 404, label
        assert api.get(_url("onward-referral-detail", onward)).status_code == 404, label
        assert api.post(_url("onward-referral-withdraw-consent", onward), {"version": 1},
                        format="json").status_code == 404, label
        _assert_all_404(api, onward)
    assert _views(tenant_a, onward) == 0


# --------------------------------------------------------------------------- query counts


def test_the_directory_list_does_not_query_once_per_row(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(_url("service-list")).json()["results"]) == 1
    with tenant_context(tenant_a.tenant.pk):
        north = tenant_a.other_pcn_team.host
    for n in range(3):
        make_service(tenant_a, name=f"Group {n}", areas=[tenant_a.pcn, north])
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(_url("service-list")).json()["results"]) == 4
    assert len(many) == len(few)


def _extra_onward_referrals(cast, n: int) -> None:
    for i in range(n):
        _new(cast, name=f"Social group {i}")


def test_the_onward_referral_list_reads_in_fixed_queries_and_audits_each_row_in_one_insert(
        api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(_url("onward-referral-list")).json()["results"]) == 1
    _extra_onward_referrals(tenant_a, 3)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(_url("onward-referral-list")).json()["results"]) == 4
    assert len(_reads(many)) == len(_reads(few))
    assert (_audit_inserts(few), _audit_inserts(many)) == (1, 1)


def test_the_inbox_list_reads_in_fixed_queries_and_audits_each_row_in_one_insert(api, tenant_a):
    api.force_authenticate(tenant_a.vcse_worker)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(_url("inbox-list")).json()["results"]) == 1
    _extra_onward_referrals(tenant_a, 3)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(_url("inbox-list")).json()["results"]) == 4
    assert len(_reads(many)) == len(_reads(few))
    assert (_audit_inserts(few), _audit_inserts(many)) == (1, 1)


# --------------------------------------------------------------------------- schema


def test_the_openapi_schema_describes_the_vcse_endpoints(api, db):
    response = api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/services/": {"get", "post"},
        "/api/v1/services/{id}/": {"get", "patch"},
        "/api/v1/onward-referrals/": {"get", "post"},
        "/api/v1/onward-referrals/{id}/": {"get"},
        "/api/v1/onward-referrals/{id}/withdraw-consent/": {"post"},
        "/api/v1/inbox/": {"get"},
        "/api/v1/inbox/{id}/": {"get"},
        "/api/v1/inbox/{id}/accept/": {"post"},
        "/api/v1/inbox/{id}/decline/": {"post"},
        "/api/v1/inbox/{id}/close/": {"post"},
        "/api/v1/inbox/{id}/contacts/": {"get", "post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path
    assert set(paths["/api/v1/inbox/{id}/accept/"]["post"]["responses"]) == {
        "200", "400", "403", "404", "409"}
    filters = {p["name"] for p in paths["/api/v1/services/"]["get"]["parameters"]}
    assert {"category", "area", "open", "q"} <= filters
    filters = {p["name"] for p in paths["/api/v1/onward-referrals/"]["get"]["parameters"]}
    assert {"referral", "status", "organisation"} <= filters
    filters = {p["name"] for p in paths["/api/v1/inbox/"]["get"]["parameters"]}
    assert {"status", "tab"} <= filters
    inbox = response.json()["components"]["schemas"]["InboxOutput"]["properties"]
    assert "referral" not in inbox and "person" not in inbox
