"""A tenant administrator invites a clinician in the admin; the clinician opens the emailed
link, sets a password, sets up two-factor sign-in (the place asks it of everyone) and signs in.
Password reset the same way, from the sign-in page. Our pages on the way pass the
accessibility scan."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from pcns.models import Tenant
from pcns.tenancy import tenant_context
from tests.browser.journeys import serious_violations, sign_in
from tests.two_factor_helpers import code_for_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Quiet-harbour-lanterns-47"


def emailed_path(mailoutbox, to: str, pattern: str) -> str:
    """The path of the link in the latest email to ``to`` (links use SITE_URL, not the test
    server's address)."""
    body = [m for m in mailoutbox if m.to == [to]][-1].body
    link = re.search(pattern, body).group(0)
    assert link.startswith(settings.SITE_URL + "/")
    return link[len(settings.SITE_URL):]


def test_an_administrator_invites_a_clinician_who_sets_a_password_and_signs_in(
        page, browser, live_server, tenant_a, mailoutbox):
    sign_in(page, live_server.url, tenant_a.tenant_admin.email)
    page.wait_for_url(re.compile(r".*/home/admin/$"))
    page.goto(live_server.url + reverse("admin:pcns_user_add"))
    assert page.locator("input[type=password]").count() == 0
    page.locator("#id_email").fill("nia.starter@northtown.example")
    page.locator("#id_first_name").fill("Nia")
    page.locator("#id_last_name").fill("Starter")
    page.locator("#id_membership-0-role").select_option("mhp")
    page.locator("#id_membership-0-employer").select_option(str(tenant_a.trust.pk))
    page.locator("input[name=_save]").click()
    page.get_by_text("An invitation to set a password has been emailed to "
                     "nia.starter@northtown.example").wait_for()

    path = emailed_path(mailoutbox, "nia.starter@northtown.example",
                        r"https?://\S+/invitation/[^/\s]+/")
    clinician = browser.new_context().new_page()
    clinician.goto(live_server.url + path)
    clinician.wait_for_url(re.compile(r".*/invitation/$"))
    assert clinician.locator("h1").inner_text() == "Set your password"
    assert serious_violations(clinician) == []

    clinician.get_by_label("Create a password").fill("too-short")
    clinician.get_by_label("Type the password again").fill("too-short")
    clinician.get_by_role("button", name="Set password").click()
    clinician.locator(".nhsuk-error-summary").wait_for()
    assert "too short" in clinician.locator(".nhsuk-error-message").first.inner_text()
    assert serious_violations(clinician) == []

    clinician.get_by_label("Create a password").fill(NEW_PASSWORD)
    clinician.get_by_label("Type the password again").fill(NEW_PASSWORD)
    clinician.get_by_role("button", name="Set password").click()
    clinician.wait_for_url(re.compile(r".*/sign-in/$"))
    assert "Your password has been set" in clinician.locator("main").inner_text()
    assert serious_violations(clinician) == []

    with tenant_context(tenant_a.tenant.pk):
        Tenant.objects.filter(pk=tenant_a.tenant.pk).update(require_two_factor=True)
    clinician.get_by_label("Email address").fill("nia.starter@northtown.example")
    clinician.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    clinician.get_by_role("button", name="Sign in").click()
    clinician.wait_for_url(live_server.url + reverse("pcns:two-factor-set-up"))
    assert clinician.locator(".app-qr-code svg").count() == 1
    assert serious_violations(clinician) == []
    secret = clinician.locator("#secret").inner_text()
    clinician.get_by_label("Enter the 6-digit code the app shows").fill(code_for_secret(secret))
    clinician.get_by_role("button", name="Continue").click()
    clinician.wait_for_url(live_server.url + reverse("pcns:recovery-codes"))
    assert clinician.locator(".app-recovery-codes code").count() == 10
    assert serious_violations(clinician) == []
    clinician.get_by_role("button", name=re.compile("I have saved my codes")).click()
    clinician.wait_for_url(re.compile(r".*/home/clinician/$"))

    clinician.goto(live_server.url + path)  # the link is used up
    assert "already been used" in clinician.locator("main").inner_text()
    assert serious_violations(clinician) == []


def test_a_member_of_staff_resets_a_forgotten_password_from_the_sign_in_page(
        page, live_server, tenant_a, mailoutbox):
    page.goto(live_server.url + reverse("pcns:sign-in"))
    page.get_by_role("link", name="Forgotten your password?").click()
    page.wait_for_url(re.compile(r".*/password-reset/$"))
    assert serious_violations(page) == []
    page.get_by_role("button", name="Send the link").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert serious_violations(page) == []
    page.get_by_label("Email address").fill(tenant_a.clinician.email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(re.compile(r".*/password-reset/sent/$"))
    assert page.locator("h1").inner_text() == "Check your email"
    assert serious_violations(page) == []

    page.goto(live_server.url + emailed_path(mailoutbox, tenant_a.clinician.email,
                                             r"https?://\S+/password-reset/[^/\s]+/[^/\s]+/"))
    page.wait_for_url(re.compile(r".*/set-password/$"))
    assert serious_violations(page) == []
    page.get_by_label("Create a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url(re.compile(r".*/sign-in/$"))
    sign_in(page, live_server.url, tenant_a.clinician.email, NEW_PASSWORD)
    page.wait_for_url(re.compile(r".*/home/clinician/$"))
