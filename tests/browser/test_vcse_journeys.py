"""VCSE onward referrals in real headless Chromium: a connector refers someone on with their
consent, the partner's worker accepts, logs two contacts and closes, and the connector sees how
it went without chasing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.validators import format_nhs_number
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import make_person, make_referral, make_service
from vcse.models import OnwardReferral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def _fill_date(page, name: str, day: dt.date) -> None:
    page.locator(f"input[name='{name}-day']").fill(str(day.day))
    page.locator(f"input[name='{name}-month']").fill(str(day.month))
    page.locator(f"input[name='{name}-year']").fill(str(day.year))


def _banner(page, text: str) -> None:
    page.locator(".nhsuk-notification-banner").get_by_text(text).first.wait_for()


def _log_contact(page, *, how: str, support: list[str]) -> None:
    page.get_by_role("button", name="Log a contact").click()
    _fill_date(page, "on", TODAY)
    page.get_by_label(how, exact=True).check()
    page.get_by_label("Attended", exact=True).check()
    page.get_by_label("Duration in minutes (optional)").fill("60")
    for label in support:
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Save").click()


def test_a_connector_refers_on_and_sees_the_outcome_the_vcse_worker_records(
    browser, live_server, tenant_a
):
    person = make_person(tenant_a, given_name="Morgan", family_name="Ashworth",
                         phone="07700 900456")
    referral = make_referral(tenant_a, person=person, received_on=TODAY - dt.timedelta(days=12))
    with tenant_context(tenant_a.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=tenant_a.team_lead,
                                                     version=referral.version)
        referral_services.referral_allocate(referral=referral, actor=tenant_a.team_lead,
                                            version=referral.version,
                                            worker=tenant_a.connector.membership)
    make_service(tenant_a, name="Walk and talk group",
                 categories=["walk_and_talk", "social_groups"])
    base = live_server.url

    # The connector refers Morgan on from their care record, with consent.
    connector = browser.new_context().new_page()
    connector.set_default_timeout(15_000)
    sign_in(connector, base, tenant_a.connector.email)
    connector.get_by_role("link", name="My caseload").first.click()
    connector.get_by_role("link", name="Morgan Ashworth").click()
    connector.get_by_role("link", name="Refer on to a VCSE service").click()
    assert serious_violations(connector) == []
    shared = connector.locator("h2", has_text="What will be shared").locator("xpath=..")
    assert "07700 900456" in shared.inner_text()
    connector.get_by_label("Service", exact=True).select_option(label=(
        f"Walk and talk group ({tenant_a.vcse.name})"))
    connector.get_by_label("Reason for the onward referral").fill(
        "Lonely since the divorce; would like to get out walking with other people.")
    connector.get_by_label("Walk and talk", exact=True).check()
    connector.get_by_label("Social groups", exact=True).check()
    connector.get_by_label("The person themselves", exact=True).check()
    _fill_date(connector, "consent_given_on", TODAY)
    connector.get_by_label("What they agreed their details may be used for").fill(
        "Joining the walk and talk group")
    _fill_date(connector, "consent_expires_on", TODAY + dt.timedelta(days=120))
    connector.locator("input[name='share_risk'][value='no']").check()
    connector.get_by_role("button", name="Send the onward referral").click()
    _banner(connector, "sent")
    assert serious_violations(connector) == []
    assert "New" in connector.locator("main").inner_text()
    with tenant_context(tenant_a.tenant.pk):
        onward = OnwardReferral.objects.get(person=person)
        assert onward.consent.purpose == "Joining the walk and talk group"
        assert onward.shared["risk"] == ""

    # The VCSE worker finds it in their inbox with only what was shared, and works it.
    worker = browser.new_context().new_page()
    worker.set_default_timeout(15_000)
    sign_in(worker, base, tenant_a.vcse_worker.email)
    worker.get_by_role("link", name="Inbox").first.click()
    assert serious_violations(worker) == []
    worker.get_by_role("link", name="Morgan Ashworth").click()
    assert serious_violations(worker) == []
    detail = worker.locator("main").inner_text()
    assert "07700 900456" in detail
    assert person.nhs_number not in detail and format_nhs_number(person.nhs_number) not in detail
    worker.get_by_role("button", name="Accept").click()
    _banner(worker, "ccepted")
    _log_contact(worker, how="In person", support=["Walk and talk"])
    _banner(worker, "ontact")
    assert serious_violations(worker) == []
    _log_contact(worker, how="Group session", support=["Walk and talk", "Social groups"])
    _banner(worker, "ontact")
    contacts = worker.locator("h2#contacts").locator("xpath=following-sibling::*[1]")
    assert "Group session" in contacts.inner_text()
    worker.get_by_role("button", name="Close").click()
    assert serious_violations(worker) == []
    worker.get_by_label("Support completed", exact=True).check()
    worker.get_by_label("Note for the referrer").fill(
        "Enjoyed the walks; now goes to the Tuesday group on their own.")
    worker.get_by_role("button", name="Close").click()
    _banner(worker, "losed")

    # The connector sees the outcome, the two contacts and the support given.
    connector.reload()
    page_text = connector.locator("main").inner_text()
    assert "Closed" in page_text and "Support completed" in page_text
    assert "now goes to the Tuesday group on their own" in page_text
    assert "(2)" in connector.locator("h2#contacts").inner_text()
    assert "Social groups" in page_text
    assert serious_violations(connector) == []
    connector.get_by_role("link", name="Back to the care record").click()
    row = connector.locator("tr", has_text="Walk and talk group")
    assert "Closed" in row.inner_text() and "Support completed" in row.inner_text()
