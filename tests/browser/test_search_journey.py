"""Find a patient in real headless Chromium: the header's search box, the results, the banner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser.journeys import serious_violations, sign_in
from tests.factories import make_person, make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinician_finds_a_person_from_the_header_and_opens_their_record(page, live_server,
                                                                           tenant_a):
    person = make_person(tenant_a, given_name="Morgan", family_name="Ellery")
    make_referral(tenant_a, person=person)
    n = person.nhs_number
    spaced = f"{n[:3]} {n[3:6]} {n[6:]}"

    sign_in(page, live_server.url, tenant_a.clinician.email)
    page.get_by_label("Find a patient by NHS number, name or date of birth").fill("Elery")
    with page.expect_navigation():
        page.get_by_role("button", name="Find a patient").click()
    assert page.url == live_server.url + reverse("referrals:search")
    assert "1 person found" in page.locator("main").inner_text()
    assert serious_violations(page) == []

    page.get_by_label("NHS number, name or date of birth", exact=True).fill(spaced)
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    assert n not in page.url
    page.get_by_role("link", name="ELLERY, Morgan", exact=True).click()
    page.wait_for_url("**" + reverse("referrals:person-detail", args=[person.pk]))
    banner = page.get_by_role("region", name="Patient banner: ELLERY, Morgan")
    assert spaced in banner.inner_text()
    assert "12-Apr-1985" in banner.inner_text()
    assert serious_violations(page) == []
