"""Referral journeys in real headless Chromium: triage, allocation, caseload, redirection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pcns.tenancy import tenant_context
from referrals.models import Referral
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import make_person, make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_accepts_and_allocates_a_new_referral_and_the_worker_sees_it(
    page, live_server, tenant_a
):
    person = make_person(tenant_a, given_name="Morgan", family_name="Ellery")
    make_referral(tenant_a, person=person, urgency="urgent",
                  received_on=timezone.localdate() - dt.timedelta(days=16))

    sign_in(page, live_server.url, tenant_a.team_lead.email)
    page.get_by_role("link", name="Triage queue").first.click()
    page.wait_for_url("**" + reverse("referrals:triage-queue"))
    assert serious_violations(page) == []
    row = page.locator("tr", has_text="Morgan Ellery")
    assert "16 days" in row.inner_text()
    row.get_by_role("link", name="Morgan Ellery").click()

    page.get_by_role("button", name="Triage this referral").click()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Accept referral").click()
    page.locator(".nhsuk-notification-banner").get_by_text("Referral accepted").wait_for()

    page.get_by_role("button", name="Allocate to a worker").click()
    assert serious_violations(page) == []
    page.get_by_label("Clinician northtown").first.check()
    page.get_by_role("button", name="Allocate").click()
    page.locator(".nhsuk-notification-banner").get_by_text("Allocated to").wait_for()
    assert "Allocated, awaiting assessment" in page.locator("main").inner_text()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, tenant_a.clinician.email)
    page.get_by_role("link", name="My caseload").first.click()
    row = page.locator("tr", has_text="Morgan Ellery")
    assert "Allocated, awaiting assessment" in row.inner_text()
    assert "Named worker" in row.inner_text()
    assert serious_violations(page) == []


def test_a_redirected_referral_shows_its_destination_on_its_timeline(page, live_server, tenant_a):
    referral = make_referral(tenant_a, person=make_person(tenant_a, given_name="Sam",
                                                          family_name="Quill"))
    sign_in(page, live_server.url, tenant_a.clinician.email)
    page.goto(live_server.url + reverse("referrals:triage", args=[referral.pk]))
    page.get_by_label("NHS Talking Therapies").check()
    page.get_by_role("textbox", name="Handover").fill(
        "Spoke to the talking therapies hub; first session booked"
    )
    page.get_by_role("button", name="Redirect referral").click()
    page.get_by_role("link", name="See the full timeline").click()
    timeline = page.locator("main").inner_text()
    assert "Redirected to NHS Talking Therapies" in timeline
    assert "first session booked" in timeline
    assert serious_violations(page) == []


def test_the_intake_form_shows_errors_inline_and_accessibly(page, live_server, tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        before = Referral.objects.count()
    sign_in(page, live_server.url, tenant_a.clinician.email)
    page.goto(live_server.url + reverse("referrals:new"))
    assert serious_violations(page) == []
    page.get_by_label("NHS number", exact=True).fill("123 456 7890")
    page.get_by_role("button", name="Save referral").click()
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "This is not a valid NHS number" in summary.inner_text()
    assert serious_violations(page) == []
    with tenant_context(tenant_a.tenant.pk):
        assert Referral.objects.count() == before
