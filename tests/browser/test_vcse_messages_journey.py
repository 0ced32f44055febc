"""The closed loop with a VCSE partner in real headless Chromium, with an accessibility scan of
each page: the partner's worker asks a question from their inbox item, the clinician answers
from the onward referral page, and once consent is withdrawn the partner's Closed tab keeps a
bare "withdrawn" row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pcns.tenancy import tenant_context
from tests.browser.journeys import serious_violations, sign_in
from vcse.models import OnwardReferral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _banner(page, text: str) -> None:
    page.locator(".nhsuk-notification-banner").get_by_text(text).first.wait_for()


def test_the_partner_and_the_referrer_exchange_messages_and_a_withdrawal_leaves_a_bare_row(
    browser, live_server, tenant_a
):
    with tenant_context(tenant_a.tenant.pk):
        onward = OnwardReferral.objects.get(tenant=tenant_a.tenant, status="in_progress")
    name = f"{onward.shared['given_name']} {onward.shared['family_name']}"
    base = live_server.url

    # The VCSE worker asks, from the inbox item; an empty message is refused first.
    worker = browser.new_context().new_page()
    worker.set_default_timeout(15_000)
    sign_in(worker, base, tenant_a.vcse_worker.email)
    worker.goto(base + reverse("vcse:inbox-detail", args=[onward.pk]))
    assert serious_violations(worker) == []
    worker.get_by_role("button", name="Send message").click()
    worker.locator(".nhsuk-error-summary").get_by_text("Enter your message.").wait_for()
    assert serious_violations(worker) == []
    worker.get_by_label("Send a message to the referring team").fill(
        "We have called twice with no answer. Is there a better time to ring?")
    worker.get_by_role("button", name="Send message").click()
    _banner(worker, "Message sent")

    # The clinician reads it on the onward referral page and answers.
    clinician = browser.new_context().new_page()
    clinician.set_default_timeout(15_000)
    sign_in(clinician, base, tenant_a.clinician.email)
    clinician.goto(base + reverse("vcse:onward-detail", args=[onward.pk]))
    messages = clinician.locator("h2#messages").locator("xpath=following-sibling::*[1]")
    assert "Is there a better time to ring?" in messages.inner_text()
    assert serious_violations(clinician) == []
    clinician.get_by_label(f"Send a message to {tenant_a.vcse.name}").fill(
        "Mornings before ten are best.")
    clinician.get_by_role("button", name="Send message").click()
    _banner(clinician, "Message sent")

    worker.reload()
    assert "Mornings before ten are best." in worker.locator("main").inner_text()

    # Consent is withdrawn: the clinician can still read the thread; the partner keeps a row.
    clinician.get_by_role("button", name="Withdraw consent").click()  # a link styled as one
    clinician.locator("form").get_by_role("button", name="Withdraw consent").click()
    _banner(clinician, "Consent withdrawn")
    assert "no more messages can be sent" in clinician.locator("main").inner_text()
    assert serious_violations(clinician) == []

    worker.goto(base + reverse("vcse:inbox") + "?tab=closed")
    row = worker.locator("tr", has_text=onward.reference)
    assert "Withdrawn by the referrer" in row.inner_text()
    assert name not in worker.locator("main").inner_text()
    assert serious_violations(worker) == []
