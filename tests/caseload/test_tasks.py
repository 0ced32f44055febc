"""Risk concern emails: sent by a real Celery worker over a real Redis, to the team's leads
only, once, naming no one."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from caseload import services
from caseload.models import RiskConcern
from caseload.tasks import notify_risk_concern
from config.celery import app
from pcns.models import Membership, Role, TeamMembership
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.factories import make_referral, make_user


@pytest.fixture
def worker(transactional_db):
    app.conf.update(task_always_eager=False)
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                      loglevel="WARNING"):
        yield


def _lead(cast, email: str, team) -> Membership:
    user = make_user(email, first_name="Second", last_name="Lead")
    membership = Membership.objects.create(tenant=cast.tenant, user=user,
                                           role=Role.CLINICAL_LEAD, employer=cast.trust)
    TeamMembership.objects.create(tenant=cast.tenant, membership=membership, team=team)
    return membership


def _allocated(cast):
    referral = make_referral(cast)
    referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                 version=referral.version)
    return referral_services.referral_allocate(referral=referral, actor=cast.team_lead,
                                               version=referral.version,
                                               worker=cast.clinician.membership)


def _wait_for(condition, timeout: float = 30.0) -> None:
    """Poll until ``condition()`` holds: the worker runs in its own thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish in time")
        time.sleep(0.05)


def test_raising_a_risk_concern_emails_the_teams_leads_once_naming_no_one(
    worker, tenant_a, mailoutbox
):
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        _lead(cast, "second.lead@northtown.test", cast.pcn_team)
        _lead(cast, "north.lead@northtown.test", cast.other_pcn_team)
        referral = _allocated(cast)
        person = referral.person
        concern = services.risk_concern_raise(referral=referral, actor=cast.peer_support,
                                              concern="Said they have a plan to end their life")

    _wait_for(lambda: len(mailoutbox) >= 1)
    [email] = mailoutbox
    assert sorted(email.to) == ["second.lead@northtown.test", "team_lead@northtown.test"]
    assert email.subject == f"Risk concern raised in {cast.pcn_team.name}"
    assert cast.pcn_team.name in email.body and "/risk-concerns/" in email.body
    text = f"{email.subject}\n{email.body}"
    number = person.nhs_number
    for personal in [person.given_name, person.family_name, number,
                     f"{number[:3]} {number[3:6]} {number[6:]}", "end their life",
                     str(referral.pk)]:
        assert personal not in text

    # Run again (a retry, a duplicate delivery): the claim is already taken.
    again = notify_risk_concern.delay(tenant_id=str(cast.tenant.pk), concern_id=str(concern.pk))
    assert again.get(timeout=30) == 0
    assert len(mailoutbox) == 1


def test_a_concern_in_a_team_with_no_lead_is_claimed_and_emails_no_one(worker, tenant_a,
                                                                       mailoutbox):
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        referral = make_referral(cast, team=cast.other_pcn_team)
        concern = RiskConcern.objects.create(tenant=cast.tenant, referral=referral,
                                             raised_by=cast.other_clinician, concern="Low")
    result = notify_risk_concern.delay(tenant_id=str(cast.tenant.pk), concern_id=str(concern.pk))
    assert result.get(timeout=30) == 0
    assert mailoutbox == []
    with tenant_context(cast.tenant.pk):
        assert RiskConcern.objects.get(pk=concern.pk).leads_notified_at is not None


def test_a_concern_cannot_be_claimed_from_another_places_context(worker, tenant_a, tenant_b,
                                                                  mailoutbox):
    with tenant_context(tenant_a.tenant.pk):
        concern = RiskConcern.objects.get()  # the cast's own, never notified
    result = notify_risk_concern.delay(tenant_id=str(tenant_b.tenant.pk),
                                       concern_id=str(concern.pk))
    assert result.get(timeout=30) == 0
    assert mailoutbox == []
    with tenant_context(tenant_a.tenant.pk):
        assert RiskConcern.objects.get(pk=concern.pk).leads_notified_at is None
