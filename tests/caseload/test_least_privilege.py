"""Least privilege for non-clinical roles: peer support workers and community connectors open
the records of the people they are allocated to (named or joint worker) or referred on, not
their whole team's, unless their tenant widens it to the team. Every kind of page and endpoint
about a person, and the lists that show people, follow the one rule
(referrals.selectors.sees_allocated_only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from caseload import permissions
from caseload import services as care
from caseload.models import CarePlan
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral
from tests.factories import (
    let_non_clinical_roles_see_the_team,
    make_onward_referral,
    make_person,
    make_referral,
    make_service,
)
from vcse.models import OnwardReferral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LIMITED = ["peer_support", "connector"]


@dataclass
class Records:
    """A referral in the cast's PCN team with one record of each kind."""

    referral: Referral
    plan: CarePlan
    contact_id: object
    measure_id: object
    concern_id: object
    onward: OnwardReferral


def _records(cast, *, joint=()) -> Records:
    referral = make_referral(cast, received_on=TODAY - dt.timedelta(days=10))
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                     version=referral.version)
        referral = referral_services.referral_allocate(
            referral=referral, actor=cast.team_lead, version=referral.version,
            worker=cast.clinician.membership, joint_workers=[m.membership for m in joint])
        contact = care.contact_record(
            actor=cast.clinician, referral=referral,
            data=care.ContactInput(on=TODAY, mode="telephone", attendance="attended",
                                   purpose="review"))
        care.care_plan_save(
            referral=referral, actor=cast.clinician, version=None,
            data=care.CarePlanInput(goals=["Walk every day"], co_produced_with=["person"],
                                    agreed_on=TODAY, review_trigger="If things change",
                                    safety_plan="Call the crisis line"))
        measure = care.outcome_record(referral=referral, actor=cast.clinician, tool="phq9",
                                      completed_on=TODAY, items=[1, 1, 1, 1, 1, 0, 0, 0, 0])
        concern = care.risk_concern_raise(referral=referral, actor=cast.clinician,
                                          concern="Not sleeping")
        plan = CarePlan.objects.get(referral=referral)
    onward = make_onward_referral(cast, referral=referral, actor=cast.clinician)
    return Records(referral=referral, plan=plan, contact_id=contact.pk, measure_id=measure.pk,
                   concern_id=concern.pk, onward=onward)


def _api(name: str, pk) -> str:
    return reverse(f"api:{name}", kwargs={"pk": pk})


#: Every kind of page and endpoint that opens one person's record.
KINDS = {
    "referral page": lambda r: reverse("referrals:detail", args=[r.referral.pk]),
    "timeline": lambda r: reverse("referrals:timeline", args=[r.referral.pk]),
    "person page": lambda r: reverse("referrals:person-detail", args=[r.referral.person_id]),
    "care record": lambda r: reverse("caseload:record", args=[r.referral.pk]),
    "outcomes": lambda r: reverse("caseload:outcomes", args=[r.referral.pk]),
    "care plan": lambda r: reverse("caseload:care-plan-version", args=[r.plan.pk, 1]),
    "printable care plan": lambda r: reverse("caseload:care-plan-print", args=[r.plan.pk]),
    "onward referral": lambda r: reverse("vcse:onward-detail", args=[r.onward.pk]),
    "referral API": lambda r: _api("referral-detail", r.referral.pk),
    "events API": lambda r: _api("referral-events", r.referral.pk),
    "person API": lambda r: _api("person-detail", r.referral.person_id),
    "contact API": lambda r: _api("contact-detail", r.contact_id),
    "care plan API": lambda r: _api("care-plan-detail", r.plan.pk),
    "outcome measure API": lambda r: _api("outcome-measure-detail", r.measure_id),
    "risk concern API": lambda r: _api("risk-concern-detail", r.concern_id),
    "onward referral API": lambda r: _api("onward-referral-detail", r.onward.pk),
}


@pytest.fixture
def world(tenant_a):
    """For each limited role: a person they are a joint worker for, and one in the same team
    they are not allocated to."""
    return {
        "mine": _records(tenant_a, joint=[tenant_a.peer_support, tenant_a.connector]),
        "theirs": _records(tenant_a),
    }


@pytest.mark.parametrize("label", LIMITED)
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_peer_support_worker_or_connector_opens_only_the_people_allocated_to_them(
        client, tenant_a, world, label, kind):
    client.force_login(tenant_a.users[label])
    url = KINDS[kind]
    assert client.get(url(world["mine"])).status_code == 200
    # Refused like a record that is not theirs to see at all: nothing says it exists.
    assert client.get(url(world["theirs"])).status_code == 404


@pytest.mark.parametrize("label", LIMITED)
@pytest.mark.parametrize("kind", list(KINDS))
def test_the_tenant_setting_widens_it_to_the_team(client, tenant_a, world, label, kind):
    let_non_clinical_roles_see_the_team(tenant_a)
    client.force_login(tenant_a.users[label])
    assert client.get(KINDS[kind](world["theirs"])).status_code == 200


@pytest.mark.parametrize("kind", ["care record", "referral API", "onward referral"])
def test_clinical_staff_of_the_team_still_see_everyone_in_it(client, tenant_a, world, kind):
    client.force_login(tenant_a.team_lead)  # in the team, allocated to neither
    assert client.get(KINDS[kind](world["theirs"])).status_code == 200


def test_a_connector_who_referred_a_person_on_keeps_seeing_their_record(client, tenant_a):
    theirs = _records(tenant_a)
    let_non_clinical_roles_see_the_team(tenant_a)
    walking = make_service(tenant_a, name="Walk and talk group", categories=["walk_and_talk"])
    referred = make_onward_referral(tenant_a, referral=theirs.referral,
                                    actor=tenant_a.connector, service=walking)
    let_non_clinical_roles_see_the_team(tenant_a, on=False)
    client.force_login(tenant_a.connector)
    for kind in ["care record", "referral page", "referral API", "person page"]:
        assert client.get(KINDS[kind](theirs)).status_code == 200, kind
    assert client.get(reverse("vcse:onward-detail", args=[referred.pk])).status_code == 200
    # The peer support worker referred no one on: still refused.
    client.force_login(tenant_a.peer_support)
    assert client.get(KINDS["care record"](theirs)).status_code == 404


# --------------------------------------------------------------------------- lists


def _ids(response) -> set[str]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


@pytest.mark.parametrize("label", LIMITED)
def test_lists_show_a_peer_support_worker_only_their_people(api, tenant_a, world, label):
    mine, theirs = world["mine"], world["theirs"]
    api.force_authenticate(tenant_a.users[label])
    referrals = _ids(api.get(reverse("api:referral-list")))
    assert str(mine.referral.pk) in referrals and str(theirs.referral.pk) not in referrals
    people = _ids(api.get(reverse("api:person-list")))
    assert str(mine.referral.person_id) in people
    assert str(theirs.referral.person_id) not in people
    contacts = _ids(api.get(reverse("api:contact-list")))
    assert str(mine.contact_id) in contacts and str(theirs.contact_id) not in contacts
    onwards = _ids(api.get(reverse("api:onward-referral-list")))
    assert str(mine.onward.pk) in onwards and str(theirs.onward.pk) not in onwards

    let_non_clinical_roles_see_the_team(tenant_a)
    assert str(theirs.referral.pk) in _ids(api.get(reverse("api:referral-list")))
    assert str(theirs.contact_id) in _ids(api.get(reverse("api:contact-list")))


@pytest.mark.parametrize("label", LIMITED)
def test_the_triage_queue_shows_a_peer_support_worker_nothing_of_the_teams(client, api,
                                                                          tenant_a, label):
    waiting = make_referral(tenant_a, reason="Feels low since the winter")
    name = waiting.person.family_name
    client.force_login(tenant_a.users[label])
    assert name not in client.get(reverse("referrals:triage-queue")).content.decode()
    api.force_authenticate(tenant_a.users[label])
    assert str(waiting.pk) not in _ids(api.get(reverse("api:triage-queue")))
    assert client.get(reverse("referrals:mdt-list", args=[tenant_a.pcn_team.pk])
                      ).status_code in {200, 403}

    let_non_clinical_roles_see_the_team(tenant_a)
    assert name in client.get(reverse("referrals:triage-queue")).content.decode()
    assert str(waiting.pk) in _ids(api.get(reverse("api:triage-queue")))


@pytest.mark.parametrize("label", LIMITED)
def test_what_they_may_record_follows_the_same_rule(tenant_a, world, label):
    user = tenant_a.users[label]
    with tenant_context(tenant_a.tenant.pk):
        mine = Referral.objects.get(pk=world["mine"].referral.pk)
        theirs = Referral.objects.get(pk=world["theirs"].referral.pk)
        assert permissions.can_record_contact(user, mine)
        assert not permissions.can_record_contact(user, theirs)
        assert not permissions.can_view_care_record(user, theirs)
        let_non_clinical_roles_see_the_team(tenant_a)
        user.membership.tenant.refresh_from_db()
        assert permissions.can_record_contact(user, theirs)


@pytest.mark.parametrize("label", LIMITED)
def test_a_person_with_no_referral_yet_is_hidden_from_them_but_not_from_clinicians(
    api, tenant_a, label
):
    unreferred = make_person(tenant_a, given_name="Nobody", family_name="Referredyet")
    api.force_authenticate(tenant_a.users[label])
    assert str(unreferred.pk) not in _ids(api.get(reverse("api:person-list")))
    api.force_authenticate(tenant_a.clinician)
    assert str(unreferred.pk) in _ids(api.get(reverse("api:person-list")))

    let_non_clinical_roles_see_the_team(tenant_a)
    api.force_authenticate(tenant_a.users[label])
    assert str(unreferred.pk) in _ids(api.get(reverse("api:person-list")))
