"""The team lead's duty view in real headless Chromium: the lead lands on it, follows a figure to
the list behind it and acts; a clinician's home lists whose care plan review is overdue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from caseload import services as care_services
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import make_person, make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def test_a_lead_follows_the_duty_view_to_an_open_concern_and_responds(page, live_server,
                                                                       tenant_a):
    person = make_person(tenant_a, given_name="Robin", family_name="Ashdown")
    referral = make_referral(tenant_a, person=person, received_on=_ago(40), urgency="urgent")
    with tenant_context(tenant_a.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=tenant_a.team_lead,
                                                     version=referral.version)
        referral = referral_services.referral_allocate(
            referral=referral, actor=tenant_a.team_lead, version=referral.version,
            worker=tenant_a.clinician.membership)
        care_services.care_plan_save(
            referral=referral, actor=tenant_a.clinician, version=None,
            data=care_services.CarePlanInput(
                goals=["Walk daily"], co_produced_with=["person"], agreed_on=_ago(30),
                review_by=_ago(2), review_trigger="If sleep worsens",
                safety_plan="Crisis line 0800 000 0000"))
        care_services.risk_concern_raise(referral=referral, actor=tenant_a.clinician,
                                         concern="Spoke of giving things away")
    base = live_server.url
    team = tenant_a.pcn_team.name

    sign_in(page, base, tenant_a.team_lead.email)
    page.wait_for_url(re.compile(r".*/home/team-lead/$"))
    page.get_by_role("heading", name=team).wait_for()
    assert serious_violations(page) == []
    page.get_by_role("link", name=f"2 open alerts and risk concerns in {team}").click()
    row = page.locator("tr", has_text="Spoke of giving things away")
    row.get_by_role("link", name=re.compile("Respond")).click()
    page.get_by_label("What you did").fill("Called Robin, safety plan reviewed")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(re.compile(r".*/risk-concerns/.*"))

    page.goto(base + "/home/team-lead/")
    page.get_by_role("link", name=f"1 open alerts and risk concerns in {team}").wait_for()
    page.get_by_role("link", name=f"1 care plan reviews overdue in {team}").click()
    page.get_by_role("heading", name="Care plan review overdue").wait_for()
    assert page.locator("tr", has_text="Robin Ashdown").count() == 1
    assert serious_violations(page) == []

    page.context.clear_cookies()
    sign_in(page, base, tenant_a.clinician.email)
    page.wait_for_url(re.compile(r".*/home/clinician/$"))
    overdue = page.locator("tr", has_text="Robin Ashdown").first
    assert "2" in overdue.inner_text()
    assert serious_violations(page) == []
