"""A safety alert in real headless Chromium: an answer that signals risk reaches the team's lead,
who sees it on their duty view and acknowledges it with what they did."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from caseload.models import RiskConcern
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import make_person, make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
#: Item 9 (thoughts that you would be better off dead, or of hurting yourself) scored 2.
PHQ9 = [1, 2, 1, 2, 1, 1, 0, 1, 2]


def test_a_phq9_with_item_9_at_2_reaches_the_lead_who_acknowledges_it(page, live_server,
                                                                      tenant_a):
    person = make_person(tenant_a, given_name="Morgan", family_name="Tregear")
    referral = make_referral(tenant_a, person=person, received_on=TODAY - dt.timedelta(days=9))
    with tenant_context(tenant_a.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=tenant_a.team_lead,
                                                     version=referral.version)
        referral_services.referral_allocate(referral=referral, actor=tenant_a.team_lead,
                                            version=referral.version,
                                            worker=tenant_a.clinician.membership)
    base = live_server.url
    team = tenant_a.pcn_team.name

    # The clinician records a PHQ-9 item by item.
    sign_in(page, base, tenant_a.clinician.email)
    page.goto(base + f"/referrals/{referral.pk}/outcomes/new/")
    page.get_by_label("PHQ-9", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    day = TODAY - dt.timedelta(days=1)
    page.locator("input[name='completed_on-day']").fill(str(day.day))
    page.locator("input[name='completed_on-month']").fill(str(day.month))
    page.locator("input[name='completed_on-year']").fill(str(day.year))
    for number, score in enumerate(PHQ9, start=1):
        page.locator(f"input[name='item_{number}'][value='{score}']").check()
    page.get_by_role("button", name="Save outcome measure").click()
    page.locator("svg[role='img']").first.wait_for()

    # The care record carries the alert, and so does the clinician's caseload.
    page.goto(base + f"/referrals/{referral.pk}/care/")
    assert "1 open alert" in page.locator("[data-patient-banner]").inner_text()
    page.get_by_role("link", name="My caseload").first.click()
    assert "Open risk alert" in page.locator("tr", has_text="Morgan Tregear").inner_text()
    assert serious_violations(page) == []

    # The lead sees it on their duty view and acknowledges it.
    page.context.clear_cookies()
    sign_in(page, base, tenant_a.team_lead.email)
    page.wait_for_url(re.compile(r".*/home/team-lead/$"))
    assert serious_violations(page) == []
    with tenant_context(tenant_a.tenant.pk):
        open_before = RiskConcern.objects.filter(referral__team=tenant_a.pcn_team,
                                                 acknowledged_at__isnull=True).count()
    page.get_by_role("link", name=f"{open_before} open alerts and risk concerns in {team}"
                     ).click()
    row = page.locator("tr", has_text="PHQ-9")
    row.get_by_role("link", name=re.compile("Respond")).click()
    assert serious_violations(page) == []
    page.get_by_label("What you did").fill("Phoned Morgan the same day; safety plan reviewed")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(re.compile(r".*/risk-concerns/.*"))

    page.goto(base + "/home/team-lead/")
    page.get_by_role("heading", name=team).wait_for()
    assert page.get_by_role(
        "link", name=f"{open_before} open alerts and risk concerns in {team}").count() == 0
    assert page.get_by_text(f"{open_before - 1} open alerts").count() + page.get_by_role(
        "link", name=f"{open_before - 1} open alerts and risk concerns in {team}").count() >= 1

    with tenant_context(tenant_a.tenant.pk):
        alert = RiskConcern.objects.get(referral=referral)
    assert alert.rule == "phq9_item9" and alert.raised_by is None
    assert alert.acknowledged_by == tenant_a.team_lead
    assert alert.response == "Phoned Morgan the same day; safety plan reviewed"
