"""More doors in, in real headless Chromium: a GP refers and later sees the outcome; a member of
the public refers themselves and the referral reaches the clinician's triage queue."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from pcns.tenancy import tenant_context
from referrals import services
from referrals.models import Referral
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import fresh_nhs_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def uncounted(settings):
    """No minimum time to fill the form (a test types fast) and no count carried over."""
    settings.SELF_REFERRAL_MIN_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


def _date_of_birth(page, day: str, month: str, year: str) -> None:
    page.get_by_label("Day").fill(day)
    page.get_by_label("Month").fill(month)
    page.get_by_label("Year").fill(year)


def test_a_gp_refers_a_patient_and_later_sees_the_outcome(page, live_server, tenant_a):
    sign_in(page, live_server.url, tenant_a.gp.email)
    page.get_by_role("link", name="Refer a patient").click()
    page.wait_for_url("**" + reverse("referrals:practice-referral-new"))
    assert serious_violations(page) == []

    page.get_by_label("NHS number", exact=True).fill(fresh_nhs_number())
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Brightwater")
    _date_of_birth(page, "21", "5", "1988")
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Phone number").fill("07700 900555")
    page.get_by_label("Urgent", exact=True).check()
    page.get_by_label("Low mood or depression").check()
    page.get_by_label("Reason for referral").fill("Low mood since a bereavement in the summer")
    page.get_by_role("button", name="Send referral").click()
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "Confirm the patient agrees to the referral" in summary.inner_text()
    assert serious_violations(page) == []

    page.get_by_label("The patient agrees to this referral").check()
    page.get_by_role("button", name="Send referral").click()
    page.locator(".nhsuk-notification-banner").get_by_text("Referral sent to").wait_for()
    row = page.locator("tr", has_text="Casey Brightwater")
    assert "Awaiting triage" in row.inner_text()
    assert "Not decided yet" in row.inner_text()
    assert serious_violations(page) == []

    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.get(person__family_name="Brightwater")
        assert (referral.source, referral.referrer_organisation_id) == ("gp", tenant_a.practice.pk)
        services.referral_redirect(referral=referral, actor=tenant_a.clinician,
                                   version=referral.version, destination="talking_therapies",
                                   note="Handed over to the talking therapies hub")

    page.reload()
    row = page.locator("tr", has_text="Casey Brightwater")
    assert "Redirected" in row.inner_text()
    assert "to NHS Talking Therapies" in row.inner_text()
    assert "Handed over" not in page.locator("main").inner_text()
    assert serious_violations(page) == []


def test_a_member_of_the_public_refers_themselves_and_the_clinician_sees_it_in_the_queue(
    page, live_server, tenant_a
):
    page.goto(live_server.url + reverse("referrals:self-referral", args=[tenant_a.tenant.slug]))
    assert serious_violations(page) == []
    page.get_by_role("button", name="Send referral").click()
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "Enter your first name." in summary.inner_text()
    assert serious_violations(page) == []

    page.get_by_label("First name").fill("Indigo")
    page.get_by_label("Last name").fill("Marchbank")
    _date_of_birth(page, "3", "11", "1999")
    page.get_by_label("I would rather not say").check()
    page.get_by_label("Your GP practice").select_option(label=tenant_a.practice.name)
    page.get_by_label("Phone call").check()
    page.get_by_label("Phone number").fill("07700 900999")
    page.get_by_label("Anxiety or worry").check()
    page.get_by_label("Tell us what is happening").fill("Panic attacks most days on the bus")
    page.get_by_label("I agree to the mental health team").check()
    page.get_by_role("button", name="Send referral").click()
    page.get_by_role("heading", name="Your referral has been sent").wait_for()
    assert "Marchbank" not in page.content()
    assert serious_violations(page) == []

    sign_in(page, live_server.url, tenant_a.clinician.email)
    page.get_by_role("link", name="Triage queue").first.click()
    page.wait_for_url("**" + reverse("referrals:triage-queue"))
    row = page.locator("tr", has_text="Indigo Marchbank")
    assert "Self-referral" in row.inner_text()
    assert "Identity not yet checked" in row.inner_text()
    assert serious_violations(page) == []
