"""Each role signs in through the real page, lands on its own page, and that page (and the
sign-in page) pass an automated accessibility scan with no serious or critical violations."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.browser.journeys import serious_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDING = {
    "clinician": ("caseload:home-clinician", "Your work"),
    "team_lead": ("caseload:home-team-lead", "Duty view"),
    "vcse_worker": ("pcns:home-vcse", "Northtown Mind"),
    "gp": ("pcns:home-practice", "Northtown Surgery"),
    "programme_manager": ("pcns:home-programme", "Programme overview"),
    "tenant_admin": ("pcns:home-admin", "Administration"),
}


@pytest.mark.parametrize("label", LANDING)
def test_each_role_signs_in_and_lands_on_an_accessible_page(page, live_server, tenant_a, label):
    url_name, heading = LANDING[label]
    sign_in(page, live_server.url, tenant_a.users[label].email)
    page.wait_for_url(live_server.url + reverse(url_name))
    assert heading in page.locator("h1").inner_text()
    assert page.locator("header").get_by_text("Northtown").count() >= 1
    assert serious_violations(page) == []


def test_the_sign_in_page_is_accessible_and_shows_errors_inline(page, live_server, tenant_a):
    page.goto(live_server.url + reverse("pcns:sign-in"))
    assert serious_violations(page) == []
    sign_in(page, live_server.url, tenant_a.clinician.email, "not-the-password")
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "Enter a correct email address and password" in summary.inner_text()
    assert serious_violations(page) == []


def test_the_skip_link_moves_keyboard_focus_to_the_main_content(page, live_server, tenant_a):
    sign_in(page, live_server.url, tenant_a.clinician.email)
    page.wait_for_url(re.compile(r".*/home/clinician/$"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "maincontent"


def test_signing_out_from_the_header_ends_the_session(page, live_server, tenant_a):
    sign_in(page, live_server.url, tenant_a.team_lead.email)
    page.wait_for_url(re.compile(r".*/home/team-lead/$"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/signed-out/$"))
    page.goto(live_server.url + reverse("caseload:home-team-lead"))
    assert "/sign-in/" in page.url
