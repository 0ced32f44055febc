"""Correcting a person's details and a referral's intake details: the earlier version kept, the
timeline told, a reason required, others refused, a stale edit a conflict (409 on the page)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from config.exceptions import Conflict
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import corrections, permissions, services
from referrals.models import Person, Referral, ReferralEvent, Revision
from tests.factories import (
    let_non_clinical_roles_see_the_team,
    make_person,
    make_referral,
    person_input,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


def _as_input(cast, person: Person, **changes):
    data = person_input(cast)
    values = {f.name: getattr(person, f.name) for f in dataclasses.fields(data)}
    values.update(changes)
    return dataclasses.replace(data, **values)


# --------------------------------------------------------------------------- a person


def test_a_persons_details_are_amended_and_the_earlier_ones_kept_on_every_referral(ctx):
    person = make_person(ctx, phone="07700 900001", address="1 Old Road")
    first = make_referral(ctx, person=person)
    second = make_referral(ctx, person=person, team=ctx.other_pcn_team)
    amended = corrections.person_amend(
        person=person, actor=ctx.clinician, version=person.version, reason="Moved house",
        data=_as_input(ctx, person, address="2 New Street", phone="07700 900002"))
    assert (amended.address, amended.phone, amended.version) == (
        "2 New Street", "07700 900002", person.version + 1)
    revision = Revision.objects.get(record_id=person.pk)
    assert revision.record_type == "person"
    assert revision.prior == {"address": "1 Old Road", "phone": "07700 900001"}
    assert sorted(revision.fields) == ["address", "phone"]
    for referral in (first, second):
        [event] = ReferralEvent.objects.filter(referral=referral, kind="person_amended")
        assert (event.reason, event.details["revision"]) == ("Moved house", str(revision.pk))


def test_a_persons_gp_practice_is_amended(ctx):
    person = make_person(ctx, registered_practice=None)
    corrections.person_amend(person=person, actor=ctx.clinician, version=person.version,
                             reason="Registered with a new practice",
                             data=_as_input(ctx, person, registered_practice=ctx.practice))
    person.refresh_from_db()
    assert person.registered_practice == ctx.practice
    assert Revision.objects.get(record_id=person.pk).prior == {"registered_practice": None}


def test_a_persons_details_need_a_reason_and_a_current_version(ctx):
    person = make_person(ctx)
    with pytest.raises(ValidationError) as caught:
        corrections.person_amend(person=person, actor=ctx.clinician, version=person.version,
                                 reason="", data=_as_input(ctx, person, address="Elsewhere"))
    assert "reason" in caught.value.message_dict
    with pytest.raises(Conflict):
        corrections.person_amend(person=person, actor=ctx.clinician,
                                 version=person.version - 1, reason="Moved",
                                 data=_as_input(ctx, person, address="Elsewhere"))
    person.refresh_from_db()
    assert person.address != "Elsewhere"
    assert not Revision.objects.filter(record_id=person.pk).exists()


# --------------------------------------------------------------------------- a referral


def _intake(referral: Referral, **changes) -> corrections.ReferralIntakeInput:
    values = {name: getattr(referral, name) for name in corrections.REFERRAL_INTAKE_FIELDS}
    values.update(changes)
    return corrections.ReferralIntakeInput(**values)


def test_a_referrals_intake_details_are_amended_and_the_timeline_links_the_earlier_ones(ctx):
    referral = make_referral(ctx, urgency="routine", source="gp")
    amended = corrections.referral_amend(
        referral=referral, actor=ctx.clinician, version=referral.version,
        reason="The letter said urgent", data=_intake(referral, urgency="urgent",
                                                      source="self"))
    assert (amended.urgency, amended.source, amended.status) == ("urgent", "self",
                                                                 referral.status)
    revision = Revision.objects.get(record_id=referral.pk)
    assert revision.prior == {"urgency": "routine", "source": "gp"}
    [event] = ReferralEvent.objects.filter(referral=referral, kind="referral_amended")
    assert event.details["revision"] == str(revision.pk)


def test_a_referral_amended_by_someone_else_meanwhile_is_a_conflict(ctx):
    referral = make_referral(ctx)
    corrections.referral_amend(referral=referral, actor=ctx.team_lead,
                               version=referral.version, reason="Urgent",
                               data=_intake(referral, urgency="urgent"))
    with pytest.raises(Conflict):
        corrections.referral_amend(referral=referral, actor=ctx.clinician,
                                   version=referral.version, reason="Self-referral",
                                   data=_intake(referral, source="self"))
    assert Referral.objects.get(pk=referral.pk).source == referral.source


def test_the_date_received_cannot_move_after_triage(ctx):
    referral = make_referral(ctx, received_on=TODAY - dt.timedelta(days=10))
    referral = services.referral_accept(referral=referral, actor=ctx.team_lead,
                                        version=referral.version,
                                        on=TODAY - dt.timedelta(days=5))
    with pytest.raises(ValidationError) as caught:
        corrections.referral_amend(referral=referral, actor=ctx.team_lead,
                                   version=referral.version, reason="Wrong date",
                                   data=_intake(referral, received_on=TODAY))
    assert "received_on" in caught.value.message_dict


def test_only_whoever_entered_a_referral_and_the_teams_leads_may_amend_it(ctx):
    referral = make_referral(ctx, actor=ctx.clinician)
    may = {label: permissions.can_amend_referral(ctx.users[label], referral)
           for label in ("clinician", "team_lead", "peer_support", "other_clinician",
                         "vcse_worker", "gp")}
    assert may == {"clinician": True, "team_lead": True, "peer_support": False,
                   "other_clinician": False, "vcse_worker": False, "gp": False}


# --------------------------------------------------------------------------- pages


def _person_post(person: Person, **changes) -> dict:
    data = {
        "version": str(person.version), "nhs_number": person.nhs_number,
        "nhs_number_missing_reason": person.nhs_number_missing_reason,
        "given_name": person.given_name, "family_name": person.family_name,
        "date_of_birth-day": person.date_of_birth.day,
        "date_of_birth-month": person.date_of_birth.month,
        "date_of_birth-year": person.date_of_birth.year, "sex": person.sex,
        "gender": person.gender, "ethnicity": person.ethnicity, "postcode": person.postcode,
        "registered_practice": str(person.registered_practice_id or ""),
        "language": person.language, "phone": person.phone, "email": person.email,
        "address": person.address,
        "preferred_contact_method": person.preferred_contact_method,
        "correction_reason": "New phone number",
    }
    data.update(changes)
    return data


def test_the_person_page_links_to_a_form_that_saves_their_details(client, tenant_a):
    referral = make_referral(tenant_a)
    person = referral.person
    client.force_login(tenant_a.clinician)
    edit = reverse("referrals:person-edit", args=[person.pk])
    assert edit in client.get(reverse("referrals:person-detail", args=[person.pk])).content.decode()
    form = client.get(edit)
    assert form.status_code == 200
    assert person.phone in form.content.decode()
    response = client.post(edit, _person_post(person, phone="07700 900456"))
    assert response.status_code == 302, response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        person.refresh_from_db()
        assert person.phone == "07700 900456"
    timeline = client.get(reverse("referrals:timeline", args=[referral.pk])).content.decode()
    assert "New phone number" in timeline
    with tenant_context(tenant_a.tenant.pk):
        revision = Revision.objects.get(record_id=person.pk)
    earlier = reverse("caseload:revision", args=[revision.pk])
    assert earlier in timeline
    page = client.get(earlier)
    assert page.status_code == 200
    assert "07700 900123" in page.content.decode()  # the phone number before the change
    client.force_login(tenant_a.vcse_worker)
    assert client.get(earlier).status_code == 404


def test_a_stale_person_form_answers_409_and_saves_nothing(client, tenant_a):
    person = make_referral(tenant_a).person
    stale = _person_post(person, phone="07700 900999")
    with tenant_context(tenant_a.tenant.pk):
        corrections.person_amend(person=person, actor=tenant_a.team_lead,
                                 version=person.version, reason="Moved",
                                 data=_as_input(tenant_a, person, address="3 Other Lane"))
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("referrals:person-edit", args=[person.pk]), stale)
    assert response.status_code == 409
    with tenant_context(tenant_a.tenant.pk):
        person.refresh_from_db()
        assert person.phone != "07700 900999"
        # The page shown again with the person's details is a read, and audited as one.
        assert AuditEvent.objects.filter(action="view", actor=tenant_a.clinician,
                                         target_id=str(person.pk)).exists()


def test_the_person_form_needs_a_reason(client, tenant_a):
    person = make_referral(tenant_a).person
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("referrals:person-edit", args=[person.pk]),
                           _person_post(person, phone="07700 900456", correction_reason=""))
    assert response.status_code == 400
    assert "Say why the record is being corrected." in response.content.decode()


def test_a_peer_support_worker_is_refused_the_person_form(client, tenant_a):
    person = make_referral(tenant_a).person
    client.force_login(tenant_a.peer_support)
    url = reverse("referrals:person-edit", args=[person.pk])
    # Not theirs to see at all (least privilege), and with their team's people open to them
    # (the tenant setting), still not theirs to change.
    assert client.post(url, _person_post(person, phone="07700 900456")).status_code == 404
    let_non_clinical_roles_see_the_team(tenant_a)
    assert client.post(url, _person_post(person, phone="07700 900456")).status_code == 403


def test_the_referral_amend_page_saves_a_correction(client, tenant_a):
    referral = make_referral(tenant_a, urgency="routine")
    client.force_login(tenant_a.team_lead)
    url = reverse("referrals:amend", args=[referral.pk])
    assert url in client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert client.get(url).status_code == 200
    received = referral.received_on
    response = client.post(url, {
        "version": str(referral.version), "received_on-day": received.day,
        "received_on-month": received.month, "received_on-year": received.year,
        "source": referral.source, "referrer_name": "Dr Okafor", "referrer_organisation": "",
        "urgency": "urgent", "presenting_needs": referral.presenting_needs,
        "reason": referral.reason, "correction_reason": "The letter said urgent"})
    assert response.status_code == 302, response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        referral.refresh_from_db()
    assert (referral.urgency, referral.referrer_name) == ("urgent", "Dr Okafor")
    with tenant_context(tenant_a.tenant.pk):
        revision = Revision.objects.get(record_id=referral.pk)
    page = client.get(reverse("caseload:revision", args=[revision.pk])).content.decode()
    assert "Routine" in page and "The letter said urgent" in page
    client.force_login(tenant_a.other_clinician)
    assert client.get(url).status_code in {403, 404}
