"""Two-factor sign-in in real headless Chromium: a programme manager signs in with a password,
sets up an authenticator app from the QR page (a wrong code first), keeps the recovery codes,
signs out and signs in again with a code. Each page passes the accessibility scan."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.browser.journeys import serious_violations
from tests.factories import PASSWORD
from tests.two_factor_helpers import code_for, code_for_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password(page, base: str, email: str) -> None:
    page.goto(base + reverse("pcns:sign-in"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_programme_manager_sets_up_two_factor_and_signs_in_with_it(
    page, live_server, tenant_a, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the right code follows a wrong one at once
    base, user = live_server.url, tenant_a.programme_manager
    _password(page, base, user.email)
    page.wait_for_url(base + reverse("pcns:two-factor-set-up"))
    assert page.locator(".app-qr-code svg").count() == 1
    assert serious_violations(page) == []

    code_box = page.get_by_label("Enter the 6-digit code the app shows")
    code_box.fill("000000")
    page.get_by_role("button", name="Continue").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert "The code is not right" in page.locator(".nhsuk-error-summary").inner_text()
    assert serious_violations(page) == []

    secret = page.locator("#secret").inner_text()
    code_box.fill(code_for_secret(secret))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base + reverse("pcns:recovery-codes"))
    codes = page.locator(".app-recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert serious_violations(page) == []
    page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    page.wait_for_url(base + reverse("pcns:home-programme"))

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/signed-out/$"))
    _password(page, base, user.email)
    page.wait_for_url(base + reverse("pcns:two-factor"))
    assert serious_violations(page) == []
    page.get_by_label("Enter your security code").fill(code_for(user))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base + reverse("pcns:home-programme"))
    assert "Programme overview" in page.locator("h1").inner_text()
