"""A subject access request answered from the service: every record of the person, nothing of
anyone else, for tenant administrators only, audited."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db.models import Q
from django.urls import reverse

from caseload import services as care_services
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from pcns.models import AuditEvent, ExternalId
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import JointWorker, Person, PersonMerge, Referral, ReferralEvent, Revision
from tests.factories import make_onward_referral, make_person, make_referral
from vcse.models import (
    Consent,
    OnwardMessage,
    OnwardReferral,
    OnwardReferralEvent,
    VcseContact,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def subject(tenant_a):
    """The cast's person in care: a record of every kind (tests/factories.py)."""
    with tenant_context(tenant_a.tenant.pk):
        return CarePlan.objects.select_related("referral__person").get().referral.person


@pytest.fixture
def other(tenant_a):
    """A second person in the same team, with a referral, a contact, a risk concern and an
    onward referral of their own."""
    person = make_person(tenant_a, given_name="Bartholomew", family_name="Otherperson")
    referral = make_referral(tenant_a, person=person)
    clinician = tenant_a.clinician
    with tenant_context(tenant_a.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=clinician,
                                                     version=referral.version)
        referral = referral_services.referral_allocate(
            referral=referral, actor=clinician, version=referral.version,
            worker=clinician.membership)
        care_services.contact_record(
            actor=clinician, referral=referral,
            data=care_services.ContactInput(on=referral.received_on, mode="telephone",
                                            attendance="attended", purpose="assessment"))
        RiskConcern.objects.create(tenant=tenant_a.tenant, referral=referral,
                                   raised_by=clinician, concern="Another person's worry")
    make_onward_referral(tenant_a, referral=referral)
    return person


def expected_ids(subject: Person) -> dict[str, set[str]]:
    """What is held about the person, found here independently of the code under test."""
    people = Person.objects.filter(Q(pk=subject.pk) | Q(merged_into=subject))
    referrals = Referral.objects.filter(person__in=people)
    onward = OnwardReferral.objects.filter(person__in=people)
    found = {
        Person: people,
        PersonMerge: PersonMerge.objects.filter(Q(kept__in=people) | Q(merged__in=people)),
        Referral: referrals,
        JointWorker: JointWorker.objects.filter(referral__in=referrals),
        ReferralEvent: ReferralEvent.objects.filter(referral__in=referrals),
        Revision: Revision.objects.filter(Q(person__in=people) | Q(referral__in=referrals)),
        Contact: Contact.objects.filter(referral__in=referrals),
        Assessment: Assessment.objects.filter(referral__in=referrals),
        CarePlan: CarePlan.objects.filter(referral__in=referrals),
        CarePlanVersion: CarePlanVersion.objects.filter(plan__referral__in=referrals),
        Intervention: Intervention.objects.filter(referral__in=referrals),
        OutcomeMeasure: OutcomeMeasure.objects.filter(referral__in=referrals),
        RiskConcern: RiskConcern.objects.filter(referral__in=referrals),
        OnwardReferral: onward,
        Consent: Consent.objects.filter(onward_referral__in=onward),
        VcseContact: VcseContact.objects.filter(onward_referral__in=onward),
        OnwardReferralEvent: OnwardReferralEvent.objects.filter(onward_referral__in=onward),
        OnwardMessage: OnwardMessage.objects.filter(onward_referral__in=onward),
    }
    return {model._meta.label_lower: {str(pk) for pk in rows.values_list("pk", flat=True)}
            for model, rows in found.items()}


def held_ids(report: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for section in report["sections"]:
        for record in section["records"]:
            found.setdefault(record["kind"], set()).add(record["id"])
    return found


def json_report(client, person) -> dict:
    response = client.get(reverse("referrals:person-subject-access-json", args=[person.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment;" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    return json.loads(response.content)


def test_the_json_holds_every_record_of_the_person_and_nothing_of_anyone_else(
        client, tenant_a, subject, other):
    with tenant_context(tenant_a.tenant.pk):
        imported = ExternalId.objects.create(tenant=tenant_a.tenant, kind="people",
                                             external_id="P-000123", record_id=subject.pk)
        ExternalId.objects.create(tenant=tenant_a.tenant, kind="people",
                                  external_id="P-000999", record_id=other.pk)
    client.force_login(tenant_a.clinician)
    client.get(reverse("referrals:person-detail", args=[subject.pk]))  # a look, audited
    client.get(reverse("referrals:person-detail", args=[other.pk]))
    client.force_login(tenant_a.tenant_admin)
    report = json_report(client, subject)
    with tenant_context(tenant_a.tenant.pk):
        expected = expected_ids(subject)
        theirs = expected_ids(other)
    for kind, ids in expected.items():
        assert ids, f"the cast has no {kind} for the person: the test would prove nothing"
    held = held_ids(report)
    audit = held.pop("pcns.auditevent")
    assert held.pop("pcns.externalid") == {str(imported.pk)}
    assert held == expected
    text = json.dumps(report, ensure_ascii=False)
    for kind, ids in theirs.items():
        for record_id in ids:
            assert record_id not in text, f"another person's {kind} is in the report"
    assert other.family_name not in text and other.nhs_number not in text
    assert "Another person's worry" not in text and "P-000999" not in text
    # Who has looked: the clinician's view of this person, not their view of the other.
    looks = [r["fields"] for s in report["sections"] if s["key"] == "audit"
             for r in s["records"]]
    assert audit and len(looks) == len(audit)
    assert any(look["action"] == "Viewed" and look["who"] == tenant_a.clinician.get_full_name()
               and look["record"] == f"referrals.person {subject.pk}" for look in looks)
    # The person's details are there in full.
    [details] = [r["fields"] for s in report["sections"] if s["key"] == "person"
                 for r in s["records"] if r["id"] == str(subject.pk)]
    assert details["nhs_number"] == subject.nhs_number
    assert details["family_name"] == subject.family_name
    assert details["date_of_birth"] == subject.date_of_birth.isoformat()
    # Codes are given as the person would read them, lists of codes too.
    referrals = [r["fields"] for s in report["sections"] if s["key"] == "referrals"
                 for r in s["records"] if r["kind"] == "referrals.referral"]
    assert {"Low mood or depression", "Anxiety"} <= set(referrals[0]["presenting_needs"])


def test_every_kind_of_record_that_points_at_a_person_is_in_the_report(client, tenant_a,
                                                                       subject):
    """A new table linked to a person, a referral or an onward referral must join the report
    (add it to that app's subject_access.py)."""
    client.force_login(tenant_a.tenant_admin)
    kinds = set(held_ids(json_report(client, subject)))
    roots = {Person, Referral, OnwardReferral, CarePlan}
    linked = {model._meta.label_lower for model in apps.get_models()
              for f in model._meta.concrete_fields
              if f.is_relation and f.related_model in roots}
    assert linked - kinds == set()


def test_the_page_shows_every_section_for_printing_and_is_audited(client, tenant_a, subject,
                                                                  other):
    client.force_login(tenant_a.tenant_admin)
    response = client.get(reverse("referrals:person-subject-access", args=[subject.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert f"Everything held about {subject.full_name}" in page
    for title in ["Personal details", "Referrals", "Referral history", "Contacts",
                  "Assessments", "Care plans", "Interventions", "Outcome measures",
                  "Risk concerns", "Onward referrals to VCSE services", "Consents to share",
                  "Contacts with VCSE services", "Who has looked at or changed the record"]:
        assert f">{title}</h2>" in page, title
    assert "subject-access-print.css" in page and 'media="print"' in page
    assert subject.nhs_number in page and "Mentioned money worries" in page
    assert other.family_name not in page
    with tenant_context(tenant_a.tenant.pk):
        event = AuditEvent.objects.filter(action="export",
                                          target_type="referrals.person").get()
    assert (event.actor, event.target_id) == (tenant_a.tenant_admin, str(subject.pk))
    assert subject.family_name not in event.note


def test_the_person_page_links_to_it_for_administrators_only(client, tenant_a, subject):
    url = reverse("referrals:person-subject-access", args=[subject.pk])
    client.force_login(tenant_a.tenant_admin)
    assert url in client.get(reverse("referrals:person-detail", args=[subject.pk])).content.decode()
    client.force_login(tenant_a.clinician)
    assert url not in client.get(
        reverse("referrals:person-detail", args=[subject.pk])).content.decode()


@pytest.mark.parametrize("name", ["referrals:person-subject-access",
                                  "referrals:person-subject-access-json"])
def test_only_tenant_administrators_may_answer_one(client, tenant_a, subject, name):
    url = reverse(name, args=[subject.pk])
    for label, user in tenant_a.users.items():
        if label == "tenant_admin":
            continue
        client.force_login(user)
        assert client.get(url).status_code in {403, 404}, label
    with tenant_context(tenant_a.tenant.pk):
        assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("name", ["referrals:person-subject-access",
                                  "referrals:person-subject-access-json"])
def test_another_tenants_administrator_gets_404(client, tenant_a, tenant_b, subject, name):
    client.force_login(tenant_b.tenant_admin)
    assert client.get(reverse(name, args=[subject.pk])).status_code == 404


def test_free_text_that_only_looks_like_a_date_is_printed_as_written():
    from referrals.subject_access_views import shown

    assert shown("2024-02-30") == "2024-02-30"
    assert shown("2024-02-29") == "29/02/2024"
