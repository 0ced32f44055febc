"""Bulk import in real headless Chromium, with a real Celery worker: the tenant administrator
uploads records with one bad row, sees that row reported and nothing imported, fixes it, uploads
again and sees the records imported. Each page passes the accessibility scan."""

from __future__ import annotations

import re

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from config.celery import app
from pcns.dataset.files import csv_text, zip_bytes
from pcns.models import ExternalId
from pcns.tenancy import tenant_context
from referrals.models import Person
from tests.browser.journeys import serious_violations, sign_in
from tests.factories import fresh_nhs_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["id", "nhs_number", "given_name", "family_name", "date_of_birth", "sex"]


@pytest.fixture
def worker(transactional_db):
    app.conf.update(task_always_eager=False)
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                      loglevel="WARNING"):
        yield


def people_zip(second_nhs_number: str) -> dict:
    rows = [
        {"id": "J1", "nhs_number": fresh_nhs_number(), "given_name": "Jo",
         "family_name": "Hartley", "date_of_birth": "1979-05-14", "sex": "female"},
        {"id": "J2", "nhs_number": second_nhs_number, "given_name": "Sam",
         "family_name": "Okafor", "date_of_birth": "1991-11-02", "sex": "male"},
    ]
    data = zip_bytes({"people.csv": csv_text(HEADER, rows)})
    return {"name": "people.zip", "mimeType": "application/zip", "buffer": data}


def upload(page, files: dict) -> None:
    page.locator("input[type=file][name=file]").set_input_files(files)
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r".*/admin-tools/imports/[0-9a-f-]{36}/$"))


def imported_ids(cast) -> list[str]:
    with tenant_context(cast.tenant.pk):
        ids = list(ExternalId.objects.filter(kind="people").values_list("external_id", flat=True))
        assert Person.objects.filter(family_name__in=["Hartley", "Okafor"]).count() == len(ids)
    return sorted(ids)


def test_an_administrator_fixes_a_rejected_upload_and_imports_it(page, live_server, worker,
                                                                 tenant_a):
    base = live_server.url
    sign_in(page, base, tenant_a.tenant_admin.email)
    page.wait_for_url(base + reverse("pcns:home-admin"))
    page.get_by_role("link", name="Import and export records").click()
    page.wait_for_url(base + reverse("pcns:import-list"))
    assert serious_violations(page) == []

    # A file that is not a zip is refused on the form.
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": b"id\nJ1\n"})
    page.get_by_role("button", name="Upload and import").click()
    page.locator(".nhsuk-error-summary").get_by_text(
        "The selected file must be a zip file").wait_for()
    assert serious_violations(page) == []

    # One bad NHS number: nothing is imported and the row is named.
    upload(page, people_zip("9434765918"))
    page.get_by_text("Nothing was imported").wait_for()
    errors = page.locator("table", has_text="Reason")
    row = errors.locator("tbody tr")
    assert row.count() == 1
    assert [cell.strip() for cell in row.locator("td").all_inner_texts()][:4] == [
        "people.csv", "3", "J2", "nhs_number"]
    assert "not a valid NHS number" in row.inner_text()
    assert "9434765918" not in page.content()
    assert serious_violations(page) == []
    assert imported_ids(tenant_a) == []

    # Fixed: both people are imported.
    page.get_by_role("link", name="Back to imports").click()
    upload(page, people_zip(fresh_nhs_number()))
    page.get_by_text("Every row was imported.").wait_for()
    counts = page.locator("table", has_text="Created").locator("tbody tr")
    assert [cell.strip() for cell in counts.locator("th, td").all_inner_texts()] == [
        "people.csv", "2", "2", "0", "0", "0"]
    assert serious_violations(page) == []
    assert imported_ids(tenant_a) == ["J1", "J2"]

    # The history lists both uploads, newest first.
    page.get_by_role("link", name="Back to imports").click()
    history = page.locator("table", has_text="Uploaded by").locator("tbody tr")
    assert "Imported" in history.nth(0).inner_text()
    assert "Not imported" in history.nth(1).inner_text()


def running_run(cast):
    from pcns.models import ImportRun, ImportStatus

    with tenant_context(cast.tenant.pk):
        return ImportRun.objects.create(
            tenant=cast.tenant, created_by=cast.tenant_admin, file_name="big.zip",
            status=ImportStatus.RUNNING)


def finish(cast, run) -> None:
    from pcns.models import ImportRun, ImportStatus

    report = {"imported": True, "errors": [], "counts": {"people": {
        "rows": 5000, "created": 5000, "updated": 0, "unchanged": 0, "failed": 0}}}
    with tenant_context(cast.tenant.pk):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.SUCCEEDED, report=report)


def test_the_run_page_follows_a_running_import_without_reloading(page, live_server, tenant_a):
    from pcns.dataset.runs import import_run_progress_record

    run = running_run(tenant_a)
    import_run_progress_record(run.pk, 1234, 10000)
    sign_in(page, live_server.url, tenant_a.tenant_admin.email)
    page.wait_for_url(re.compile(r".*/home/admin/$"))
    page.goto(live_server.url + reverse("pcns:import-detail", args=[run.pk]))
    page.get_by_text("1,234 of 5,000 rows checked").wait_for()
    assert page.locator("progress").get_attribute("value") == "1234"
    assert serious_violations(page) == []
    page.evaluate("window.stillTheSamePage = true")
    import_run_progress_record(run.pk, 4000, 10000)
    page.get_by_text("4,000 of 5,000 rows checked").wait_for()
    finish(tenant_a, run)
    page.get_by_text("Every row was imported.").wait_for()
    assert page.locator("progress").count() == 0
    assert page.evaluate("window.stillTheSamePage") is True  # the live part was swapped in


def test_without_script_the_run_page_refreshes_itself(browser, live_server, tenant_a):
    run = running_run(tenant_a)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server.url, tenant_a.tenant_admin.email)
        page.wait_for_url(re.compile(r".*/home/admin/$"))
        page.goto(live_server.url + reverse("pcns:import-detail", args=[run.pk]))
        page.get_by_text("Reading the files").wait_for()
        finish(tenant_a, run)
        page.get_by_text("Every row was imported.").wait_for()
    finally:
        context.close()
