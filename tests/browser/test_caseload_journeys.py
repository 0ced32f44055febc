"""Care delivery in real headless Chromium: a worker works one person's referral from their
caseload to discharge, and the timeline shows every step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from caseload.models import CarePlanVersion, Contact, Intervention, OutcomeMeasure
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import make_person, make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
DIALOG = [4, 3, 2, 5, 3, 4, 2, 5, 4, 4, 5]


def _fill_date(page, name: str, day: dt.date) -> None:
    page.locator(f"input[name='{name}-day']").fill(str(day.day))
    page.locator(f"input[name='{name}-month']").fill(str(day.month))
    page.locator(f"input[name='{name}-year']").fill(str(day.year))


def _banner(page, text: str) -> None:
    page.locator(".nhsuk-notification-banner").get_by_text(text).first.wait_for()


def _record_contact(page, *, day: dt.date, what: str, how: str) -> None:
    page.get_by_role("button", name="Record a contact").click()
    _fill_date(page, "on", day)
    page.get_by_label(what, exact=True).check()
    page.get_by_label(how, exact=True).check()
    page.get_by_label("Purpose").select_option("assessment")
    page.get_by_role("button", name="Save").click()
    _banner(page, "contact recorded")


def test_a_worker_records_care_from_their_caseload_to_discharge(page, live_server, tenant_a):
    person = make_person(tenant_a, given_name="Jordan", family_name="Penhale")
    referral = make_referral(tenant_a, person=person,
                             received_on=TODAY - dt.timedelta(days=10))
    with tenant_context(tenant_a.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=tenant_a.team_lead,
                                                     version=referral.version)
        referral_services.referral_allocate(referral=referral, actor=tenant_a.team_lead,
                                            version=referral.version,
                                            worker=tenant_a.clinician.membership)
    base = live_server.url
    sign_in(page, base, tenant_a.clinician.email)

    # My caseload: the new person needs a first contact and a baseline measure.
    page.get_by_role("link", name="My caseload").first.click()
    row = page.locator("tr", has_text="Jordan Penhale")
    assert "No baseline outcome measure" in row.inner_text()
    assert serious_violations(page) == []
    row.get_by_role("link", name="Jordan Penhale").click()
    assert serious_violations(page) == []

    # A DNA, then an attended video contact.
    _record_contact(page, day=TODAY - dt.timedelta(days=8), what="Did not attend",
                    how="Telephone")
    assert serious_violations(page) == []
    _record_contact(page, day=TODAY - dt.timedelta(days=6), what="Attended", how="Video")
    contacts = page.locator("table", has_text="Outcome").inner_text()
    assert "Did not attend" in contacts and "Video" in contacts

    # A baseline DIALOG, item by item.
    page.get_by_role("link", name="Record an outcome measure").click()
    page.get_by_label("DIALOG", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    assert serious_violations(page) == []
    _fill_date(page, "completed_on", TODAY - dt.timedelta(days=6))
    for number, score in enumerate(DIALOG, start=1):
        page.locator(f"input[name='item_{number}'][value='{score}']").check()
        page.locator(f"input[name='help_{number}'][value='{'yes' if score < 3 else 'no'}']"
                     ).check()
    page.get_by_role("button", name="Save outcome measure").click()

    # The chart, with its numbers beside it: quality of life is the mean of the 8 life items.
    page.locator("svg[role='img']").first.wait_for()
    chart_page = page.locator("main").inner_text()
    assert "3.50" in chart_page  # (4+3+2+5+3+4+2+5) / 8
    assert "4.33" in chart_page  # (4+4+5) / 3
    assert serious_violations(page) == []

    # An agreed care plan.
    page.goto(base + f"/referrals/{referral.pk}/care/")
    page.get_by_role("link", name="Write the care plan").click()
    page.get_by_label("Goal 1").fill("Sleep through most nights")
    page.get_by_label("The person", exact=True).check()
    _fill_date(page, "agreed_on", TODAY - dt.timedelta(days=5))
    page.get_by_label("What should prompt a review of the plan?").fill("If sleep gets worse")
    page.get_by_label("Safety and crisis plan").fill("Call NHS 111, option 2, any time")
    page.get_by_role("button", name="Save care plan").click()
    _banner(page, "Care plan saved as version 1")

    # A psychological therapy starts.
    page.get_by_role("link", name="Start an intervention").click()
    page.get_by_label("Psychological therapy", exact=True).check()
    page.get_by_label("Description (optional)").fill("CBT for insomnia")
    _fill_date(page, "started_on", TODAY - dt.timedelta(days=3))
    page.get_by_role("button", name="Save").click()
    _banner(page, "Psychological therapy started")
    assert "CBT for insomnia" in page.locator("main").inner_text()

    # Discharge.
    page.get_by_role("link", name="Discharge, step up or step down").click()
    assert serious_violations(page) == []
    page.get_by_label("Reason").select_option("goals_met")
    page.get_by_role("button", name="Discharge").click()
    _banner(page, "Discharged")

    # The timeline shows each step.
    page.get_by_role("link", name="Timeline").click()
    timeline = page.locator("main").inner_text()
    for step in ["Contact: Telephone, did not attend", "Contact: Video, attended",
                 "DIALOG recorded", "Care plan version 1 saved (agreed",
                 "Psychological therapy started", "Discharged: Goals met"]:
        assert step in timeline, step
    assert serious_violations(page) == []

    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.get(pk=referral.pk)
        assert referral.status == "discharged" and referral.discharge_reason == "goals_met"
        assert Contact.objects.filter(referral=referral).count() == 2
        assert OutcomeMeasure.objects.get(referral=referral).items == DIALOG
        assert CarePlanVersion.objects.get(plan__referral=referral).agreed_on == (
            TODAY - dt.timedelta(days=5))
        # Discharge ended the running therapy.
        assert Intervention.objects.get(referral=referral).ended_on == TODAY
