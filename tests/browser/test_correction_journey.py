"""Correcting a record in real headless Chromium: a clinician marks a contact entered in error
and sees it struck through on the timeline, with the earlier version a link away."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from caseload import services as care_services
from caseload.models import Contact
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import make_person, make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def test_a_clinician_marks_a_contact_entered_in_error_and_sees_it_struck_through(
    page, live_server, tenant_a
):
    person = make_person(tenant_a, given_name="Morgan", family_name="Trevithick")
    referral = make_referral(tenant_a, person=person, received_on=TODAY - dt.timedelta(days=10))
    with tenant_context(tenant_a.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=tenant_a.team_lead,
                                                     version=referral.version)
        referral = referral_services.referral_allocate(
            referral=referral, actor=tenant_a.team_lead, version=referral.version,
            worker=tenant_a.clinician.membership)
        contact = care_services.contact_record(
            actor=tenant_a.clinician, referral=referral,
            data=care_services.ContactInput(on=TODAY - dt.timedelta(days=2), mode="telephone",
                                            attendance="attended", purpose="review",
                                            note="Talked about sleep"))
    base = live_server.url
    sign_in(page, base, tenant_a.clinician.email)

    # From the care record, the contact's own "Correct" link.
    page.get_by_role("link", name="My caseload").first.click()
    page.get_by_role("link", name="Morgan Trevithick").first.click()
    page.get_by_role("link", name=f"Correct the contact on {contact.on:%-d %B %Y}").click()
    page.get_by_role("heading", name="Correct this contact").wait_for()
    assert serious_violations(page) == []

    # A reason is required.
    page.get_by_role("button", name="Mark as entered in error").click()
    page.locator(".nhsuk-error-summary").get_by_text(
        "Say why the record is being corrected.").wait_for()
    assert serious_violations(page) == []
    page.get_by_label("Why was it entered in error?").fill("Recorded for the wrong person")
    page.get_by_role("button", name="Mark as entered in error").click()
    page.locator(".nhsuk-notification-banner").get_by_text(
        "marked entered in error").first.wait_for()

    # Still on the care record, struck through.
    struck = page.locator("#contacts ~ table del").first
    assert "Entered in error" in struck.inner_text()
    assert serious_violations(page) == []

    # The timeline strikes the contact through and names who, when and why.
    page.get_by_role("link", name="Timeline").first.click()
    entry = page.locator("li.app-timeline__item", has=page.locator("del"))
    assert entry.count() == 1
    title = entry.locator("del").first
    assert " ".join(title.inner_text().split()) == "Entered in error: Contact recorded"
    assert "line-through" in title.evaluate("e => getComputedStyle(e).textDecorationLine")
    correction = page.locator("li.app-timeline__item",
                              has_text="Contact marked entered in error")
    assert "Recorded for the wrong person" in correction.inner_text()
    assert tenant_a.clinician.first_name in correction.inner_text()
    assert serious_violations(page) == []

    # The earlier version is a link away.
    correction.get_by_role("link", name="View the earlier version").click()
    page.get_by_role("heading", name="Earlier version: Contact").wait_for()
    assert "Talked about sleep" in page.locator("main").inner_text()
    assert serious_violations(page) == []
    with tenant_context(tenant_a.tenant.pk):
        assert Contact.objects.get(pk=contact.pk).entered_in_error_at is not None
