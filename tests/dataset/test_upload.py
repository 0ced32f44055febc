"""The administrators' upload page, the import task behind it, and the whole-tenant export."""

from __future__ import annotations

import datetime as dt
import io
import time
import uuid
import zipfile

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from pcns.dataset import all_kinds, runs
from pcns.dataset.files import csv_text, zip_bytes
from pcns.models import AuditEvent, ExternalId, ImportRun, ImportStatus
from pcns.tasks import close_abandoned_imports, import_dataset_run
from pcns.tenancy import tenant_context
from referrals.models import Person
from tests.dataset.helpers import person_row
from tests.factories import fresh_nhs_number

pytestmark = pytest.mark.django_db

BAD_NHS = "9434765918"  # ten digits with the wrong check digit


def zip_of(**files: list[dict[str, str]]) -> bytes:
    """A zip of CSV files, one per keyword (kind name -> rows)."""
    texts = {}
    for name, rows in files.items():
        header = list(dict.fromkeys(key for row in rows for key in row))
        texts[f"{name}.csv"] = csv_text(header, rows)
    return zip_bytes(texts)


def people_zip(*, bad: bool = False) -> bytes:
    second = BAD_NHS if bad else fresh_nhs_number()
    return zip_of(people=[person_row("P1", fresh_nhs_number()),
                          person_row("P2", second, given_name="Bo")])


def upload(client, data: bytes, *, name: str = "records.zip", partial: bool = False):
    post = {"file": SimpleUploadedFile(name, data, content_type="application/zip")}
    if partial:
        post["partial"] = "yes"
    return client.post(reverse("pcns:import-list"), post)


def queued_run(cast, data: bytes, *, partial: bool = False,
               capture=None) -> ImportRun:
    """A run as the upload page makes it, without sending its task to the broker."""
    with capture(execute=False), tenant_context(cast.tenant.pk):
        return runs.import_run_create(actor=cast.tenant_admin, file_name="records.zip",
                                      payload=data, partial=partial)


def execute(cast, run: ImportRun):
    """Run the task body in this process, as the worker would."""
    return import_dataset_run(tenant_id=str(cast.tenant.pk), run_id=str(run.pk))


def reload(cast, run: ImportRun) -> ImportRun:
    with tenant_context(cast.tenant.pk):
        return ImportRun.objects.get(pk=run.pk)


def run_count(cast) -> int:
    with tenant_context(cast.tenant.pk):
        return ImportRun.objects.count()


def imported(cast) -> dict[str, int]:
    with tenant_context(cast.tenant.pk):
        return {"people": Person.objects.count(),
                "ids": ExternalId.objects.filter(kind="people").count()}


@pytest.fixture
def run_for(tenant_a, django_capture_on_commit_callbacks):
    def make(data: bytes, **options) -> ImportRun:
        return queued_run(tenant_a, data, capture=django_capture_on_commit_callbacks, **options)

    return make


# --------------------------------------------------------------------------- who may


@pytest.mark.parametrize("label", ["clinician", "team_lead", "programme_manager", "vcse_lead",
                                   "gp"])
def test_only_tenant_administrators_may_use_the_import_and_export_pages(client, tenant_a,
                                                                        run_for, label):
    run = run_for(people_zip())
    before = run_count(tenant_a)
    client.force_login(tenant_a.users[label])
    assert client.get(reverse("pcns:import-list")).status_code == 403
    assert upload(client, people_zip()).status_code == 403
    assert client.get(reverse("pcns:import-detail", args=[run.pk])).status_code == 403
    assert client.get(reverse("pcns:import-progress", args=[run.pk])).status_code == 403
    assert client.post(reverse("pcns:export")).status_code == 403
    assert run_count(tenant_a) == before


def test_the_tenant_administrator_sees_the_imports_page_and_a_run(client, tenant_a, run_for):
    run = run_for(people_zip())
    client.force_login(tenant_a.tenant_admin)
    page = client.get(reverse("pcns:import-list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Import the rows that pass and leave out the failing ones" in text
    assert "smaller than 50 MB" in text
    assert reverse("pcns:import-detail", args=[run.pk]) in text
    assert client.get(reverse("pcns:import-detail", args=[run.pk])).status_code == 200


def test_the_admin_home_page_links_to_the_imports_page(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    page = client.get(reverse("pcns:home-admin"))
    assert reverse("pcns:import-list") in page.content.decode()


def test_another_tenants_run_is_not_found_even_by_its_administrator(client, tenant_a, tenant_b,
                                                                     run_for):
    run = run_for(people_zip())
    client.force_login(tenant_b.tenant_admin)
    assert client.get(reverse("pcns:import-detail", args=[run.pk])).status_code == 404
    assert client.get(reverse("pcns:import-progress", args=[run.pk])).status_code == 404
    assert reverse("pcns:import-detail", args=[run.pk]) not in client.get(
        reverse("pcns:import-list")).content.decode()


def test_the_runs_list_takes_the_same_queries_however_many_runs(client, tenant_a, run_for,
                                                                 django_assert_num_queries):
    client.force_login(tenant_a.tenant_admin)
    run_for(people_zip())
    client.get(reverse("pcns:import-list"))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("pcns:import-list"))
    for _ in range(5):
        run_for(people_zip())
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("pcns:import-list"))
    assert page.content.decode().count("records.zip") == 6


# --------------------------------------------------------------------------- uploading


@pytest.mark.parametrize(("data", "name", "message"), [
    (None, "", "Select a zip file of CSV files to import"),
    (b"", "empty.zip", "The selected file is empty"),
    (b"id,given_name\nP1,Ada\n", "people.csv", "The selected file must be a zip file"),
    (zip_bytes({"patients.csv": "id\n1\n"}), "records.zip", "Unknown files: patients.csv"),
    (zip_bytes({"people.csv": "id,given_name,shoe_size\nP1,Ada,5\n"}), "records.zip",
     "people.csv has columns this format does not have: shoe_size"),
    (zip_bytes({"people.csv": ""}), "records.zip", "people.csv is empty"),
])
def test_a_bad_upload_is_refused_on_the_form_and_nothing_is_saved(
        client, tenant_a, django_capture_on_commit_callbacks, data, name, message):
    before = run_count(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        if data is None:
            response = client.post(reverse("pcns:import-list"), {})
        else:
            response = upload(client, data, name=name)
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert message in text
    assert 'href="#file"' in text
    assert callbacks == []
    assert run_count(tenant_a) == before


def test_an_upload_over_the_limit_is_refused_and_says_the_limit(client, tenant_a):
    assert runs.MAX_UPLOAD_BYTES == 50 * 1024 * 1024
    before = run_count(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    response = upload(client, b"\0" * (runs.MAX_UPLOAD_BYTES + 1))
    assert response.status_code == 400
    assert "The selected file must be smaller than 50 MB" in response.content.decode()
    assert run_count(tenant_a) == before


def test_a_valid_upload_keeps_a_queued_run_and_queues_the_task_with_ids_only(
        client, tenant_a, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr(import_dataset_run, "delay",
                        lambda *args, **kwargs: calls.append((args, kwargs)))
    data = people_zip()
    client.force_login(tenant_a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, data, partial=True)
    with tenant_context(tenant_a.tenant.pk):
        run = ImportRun.objects.get(file_name="records.zip")
    assert response.status_code == 302
    assert response["Location"] == reverse("pcns:import-detail", args=[run.pk])
    assert (run.status, run.partial, run.file_name) == (ImportStatus.QUEUED, True, "records.zip")
    assert run.created_by == tenant_a.tenant_admin
    assert bytes(run.payload) == data
    assert calls == [((), {"tenant_id": str(tenant_a.tenant.pk), "run_id": str(run.pk)})]
    assert imported(tenant_a)["ids"] == 0  # nothing is imported until the task runs


# --------------------------------------------------------------------------- the task


def test_the_task_imports_a_good_zip_stores_the_report_and_empties_the_payload(tenant_a,
                                                                               run_for):
    before = imported(tenant_a)
    run = run_for(people_zip())
    assert execute(tenant_a, run) is True
    run = reload(tenant_a, run)
    assert run.status == ImportStatus.SUCCEEDED
    assert run.report["imported"] is True and run.report["errors"] == []
    assert run.report["counts"]["people"] == {"rows": 2, "created": 2, "updated": 0,
                                              "unchanged": 0, "failed": 0}
    assert bytes(run.payload) == b""
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert imported(tenant_a) == {"people": before["people"] + 2, "ids": 2}
    assert runs.import_run_progress(run.pk) is None  # the page reads the report now


def test_one_bad_row_rejects_the_whole_upload_and_reports_that_row(tenant_a, run_for):
    before = imported(tenant_a)
    run = run_for(people_zip(bad=True))
    execute(tenant_a, run)
    run = reload(tenant_a, run)
    assert run.status == ImportStatus.REJECTED
    assert run.report["imported"] is False
    assert [(e["file"], e["line"], e["id"], e["column"]) for e in run.report["errors"]] == [
        ("people.csv", 3, "P2", "nhs_number")]
    assert run.report["errors"][0]["message"].startswith("This is not a valid NHS number")
    assert BAD_NHS not in str(run.report)  # the report names the row, never its values
    assert bytes(run.payload) == b""
    assert imported(tenant_a) == before


def test_a_partial_upload_imports_the_rows_that_pass(tenant_a, run_for):
    before = imported(tenant_a)
    run = run_for(people_zip(bad=True), partial=True)
    execute(tenant_a, run)
    run = reload(tenant_a, run)
    assert run.status == ImportStatus.SUCCEEDED
    assert run.report["counts"]["people"]["created"] == 1
    assert run.report["counts"]["people"]["failed"] == 1
    assert imported(tenant_a) == {"people": before["people"] + 1, "ids": 1}


def test_running_the_task_twice_imports_once(tenant_a, run_for):
    before = imported(tenant_a)
    run = run_for(people_zip())
    assert execute(tenant_a, run) is True
    first = reload(tenant_a, run)
    assert execute(tenant_a, run) is False
    again = reload(tenant_a, run)
    assert imported(tenant_a) == {"people": before["people"] + 2, "ids": 2}
    assert (again.status, again.report, again.finished_at) == (
        first.status, first.report, first.finished_at)


def test_a_run_already_claimed_by_a_worker_is_left_to_it(tenant_a, run_for):
    run = run_for(people_zip())
    with tenant_context(tenant_a.tenant.pk):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    assert execute(tenant_a, run) is False
    assert reload(tenant_a, run).status == ImportStatus.RUNNING
    assert imported(tenant_a)["ids"] == 0


def test_a_zip_that_cannot_be_read_fails_with_its_message_and_is_not_kept(tenant_a, run_for):
    run = run_for(b"not a zip at all")
    execute(tenant_a, run)
    run = reload(tenant_a, run)
    assert run.status == ImportStatus.FAILED
    assert run.report == {"message": "This is not a zip file."}
    assert bytes(run.payload) == b"" and run.finished_at is not None


def test_an_unexpected_error_fails_the_run_without_showing_the_error(tenant_a, run_for,
                                                                     monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("cell value Ada Lovelace")

    monkeypatch.setattr(runs, "dataset_import", explode)
    run = run_for(people_zip())
    execute(tenant_a, run)
    run = reload(tenant_a, run)
    assert run.status == ImportStatus.FAILED
    assert run.report == {"message": runs.UNEXPECTED}
    assert bytes(run.payload) == b""


def test_the_task_says_how_far_it_has_got_as_it_goes(tenant_a, run_for, monkeypatch):
    seen = []
    record = runs.import_run_progress_record

    def spy(run_id, done, total):
        seen.append((done, total))
        record(run_id, done, total)

    monkeypatch.setattr(runs, "import_run_progress_record", spy)
    run = run_for(people_zip())
    execute(tenant_a, run)
    assert seen == [(0, 4), (2, 4), (4, 4)]  # read, checked, saved


# --------------------------------------------------------------------------- abandoned runs


def lock_held_elsewhere(run: ImportRun) -> bool:
    """Whether some session holds the run's lock, asked from a connection of our own."""
    other = connections.create_connection("default")
    key = f"import-run:{run.pk}"
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 7))", [key])
            taken = cursor.fetchone()[0]
            if taken:
                # Let it go now: closing the connection frees it only once the server has
                # noticed, which on a busy machine can be after the next step asks for it.
                cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 7))", [key])
            return not taken
    finally:
        other.close()


def aged(cast, run: ImportRun, *, minutes: int, status: str) -> ImportRun:
    at = timezone.now() - dt.timedelta(minutes=minutes)
    with tenant_context(cast.tenant.pk):
        ImportRun.objects.filter(pk=run.pk).update(
            status=status, created_at=at, started_at=at if status == "running" else None)
    return run


def close_abandoned(cast) -> int:
    with tenant_context(cast.tenant.pk):
        return runs.import_runs_close_abandoned(tenant_id=cast.tenant.pk)


def hold_lock(run: ImportRun):
    """A connection of its own holding the run's lock, as a live worker does."""
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 7))",
                       [f"import-run:{run.pk}"])
    return other


def test_a_running_import_holds_its_lock_until_it_ends(tenant_a, run_for, monkeypatch):
    run = run_for(people_zip())
    held = []
    real_import = runs.dataset_import

    def spy(**kwargs):
        held.append(lock_held_elsewhere(run))
        return real_import(**kwargs)

    monkeypatch.setattr(runs, "dataset_import", spy)
    assert lock_held_elsewhere(run) is False
    execute(tenant_a, run)
    assert held == [True]
    assert lock_held_elsewhere(run) is False
    assert reload(tenant_a, run).status == ImportStatus.SUCCEEDED


def test_imports_a_dead_worker_or_a_lost_task_left_are_failed_and_emptied(
        client, tenant_a, run_for):
    # a worker takes the run's lock before it claims it: running without it is dead at once
    dead = aged(tenant_a, run_for(people_zip()), minutes=1, status="running")
    lost = aged(tenant_a, run_for(people_zip()), minutes=61, status="queued")
    waiting = aged(tenant_a, run_for(people_zip()), minutes=30, status="queued")
    assert close_abandoned(tenant_a) == 2
    for run in (dead, lost):
        run = reload(tenant_a, run)
        assert (run.status, run.report) == (ImportStatus.FAILED, {"message": runs.ABANDONED})
        assert bytes(run.payload) == b"" and run.finished_at is not None
    waiting = reload(tenant_a, waiting)
    assert waiting.status == ImportStatus.QUEUED and bytes(waiting.payload) != b""
    assert execute(tenant_a, lost) is False  # the lost task arrives after all: nothing done
    assert imported(tenant_a)["ids"] == 0
    client.force_login(tenant_a.tenant_admin)
    page = client.get(reverse("pcns:import-detail", args=[dead.pk])).content.decode()
    assert "The import stopped before it finished, so nothing was imported." in page


def test_closing_one_tenants_abandoned_imports_leaves_another_tenants_alone(
        tenant_a, tenant_b, run_for, django_capture_on_commit_callbacks):
    mine = aged(tenant_a, run_for(people_zip()), minutes=90, status="queued")
    theirs = aged(tenant_b, queued_run(tenant_b, people_zip(),
                                       capture=django_capture_on_commit_callbacks),
                  minutes=90, status="queued")
    assert close_abandoned(tenant_a) == 1
    assert reload(tenant_a, mine).status == ImportStatus.FAILED
    theirs = reload(tenant_b, theirs)
    assert theirs.status == ImportStatus.QUEUED and bytes(theirs.payload) != b""


def test_an_import_whose_lock_is_held_is_left_running(tenant_a, run_for):
    run = aged(tenant_a, run_for(people_zip()), minutes=10, status="running")
    other = hold_lock(run)
    try:
        assert close_abandoned(tenant_a) == 0
        assert reload(tenant_a, run).status == ImportStatus.RUNNING
    finally:
        other.close()


def test_a_second_worker_leaves_a_run_whose_lock_is_held_at_once(tenant_a, run_for):
    run = run_for(people_zip())
    other = hold_lock(run)  # the first worker, about to claim it
    try:
        started = time.monotonic()
        assert execute(tenant_a, run) is False
        assert time.monotonic() - started < 5  # it did not wait for the lock
        assert reload(tenant_a, run).status == ImportStatus.QUEUED
    finally:
        other.close()


# --------------------------------------------------------------------------- the run page


def test_the_progress_fragment_shows_the_cached_progress_while_running(client, tenant_a,
                                                                       run_for):
    run = run_for(people_zip())
    with tenant_context(tenant_a.tenant.pk):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    runs.import_run_progress_record(run.pk, 1234, 10000)
    client.force_login(tenant_a.tenant_admin)
    fragment = client.get(reverse("pcns:import-progress", args=[run.pk]))
    text = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in text  # the live part only
    assert "1,234 of 5,000 rows checked" in text
    assert '<progress id="import-progress-bar"' in text
    assert 'max="10000" value="1234"' in text
    assert f'hx-get="{reverse("pcns:import-progress", args=[run.pk])}"' in text
    runs.import_run_progress_record(run.pk, 7500, 10000)
    text = client.get(reverse("pcns:import-progress", args=[run.pk])).content.decode()
    assert "All 5,000 rows checked, 2,500 of 5,000 saved" in text
    page = client.get(reverse("pcns:import-detail", args=[run.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh"' in page  # without script, the page reloads


def test_a_finished_run_stops_polling_and_shows_the_counts(client, tenant_a, run_for):
    run = run_for(people_zip())
    execute(tenant_a, run)
    client.force_login(tenant_a.tenant_admin)
    text = client.get(reverse("pcns:import-progress", args=[run.pk])).content.decode()
    assert "hx-get" not in text and "<progress" not in text
    assert "Every row was imported." in text
    page = client.get(reverse("pcns:import-detail", args=[run.pk])).content.decode()
    assert "http-equiv" not in page
    assert "people.csv" in page and "Rows with errors" not in page


def test_a_rejected_run_page_lists_each_failing_row_and_says_nothing_was_imported(
        client, tenant_a, run_for):
    run = run_for(people_zip(bad=True))
    execute(tenant_a, run)
    client.force_login(tenant_a.tenant_admin)
    page = client.get(reverse("pcns:import-detail", args=[run.pk])).content.decode()
    assert "Nothing was imported" in page
    assert "Rows with errors" in page
    row = page.split("Rows with errors")[1]
    for cell in ("people.csv", ">3<", ">P2<", "nhs_number", "not a valid NHS number"):
        assert cell in row, cell
    listing = client.get(reverse("pcns:import-list")).content.decode()
    assert "Not imported" in listing and "2 rows, 1 failed" in listing


# --------------------------------------------------------------------------- export


def test_the_export_downloads_every_file_and_is_audited(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    assert client.get(reverse("pcns:export")).status_code == 405
    response = client.post(reverse("pcns:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment;" in response["Content-Disposition"]
    assert "northtown-records-" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        people = archive.read("people.csv").decode()
    assert sorted(names) == sorted(kind.file_name for kind in all_kinds())
    assert people.count("\n") > 1  # the cast's people are in it
    with tenant_context(tenant_a.tenant.pk):
        audit = AuditEvent.objects.filter(action="export", target_type="dataset").get()
    assert audit.actor == tenant_a.tenant_admin


# --------------------------------------------------------------------------- a real worker


@pytest.fixture
def worker(transactional_db):
    app.conf.update(task_always_eager=False)
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                      loglevel="WARNING"):
        yield


def wait_until_finished(cast, run_id: uuid.UUID, timeout: float = 30) -> ImportRun:
    deadline = time.monotonic() + timeout
    while True:
        with tenant_context(cast.tenant.pk):
            run = ImportRun.objects.get(pk=run_id)
        if run.status in runs.FINISHED or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def test_an_upload_is_imported_by_a_real_worker(worker, client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = upload(client, people_zip())
    run_id = uuid.UUID(response["Location"].rstrip("/").split("/")[-1])
    run = wait_until_finished(tenant_a, run_id)
    assert run.status == ImportStatus.SUCCEEDED
    assert run.report["counts"]["people"]["created"] == 2
    assert imported(tenant_a)["ids"] == 2


def lost_run(cast) -> ImportRun:
    """A queued run whose task never reached a worker (made without queueing one)."""
    with tenant_context(cast.tenant.pk):
        run = ImportRun.objects.create(
            tenant=cast.tenant, created_by=cast.tenant_admin, file_name="records.zip",
            payload=people_zip(), status=ImportStatus.QUEUED)
    return aged(cast, run, minutes=90, status="queued")


def test_abandoned_imports_of_every_tenant_are_closed_by_the_scheduled_task(
        worker, tenant_a, tenant_b):
    made = [lost_run(cast) for cast in (tenant_a, tenant_b)]
    close_abandoned_imports.delay()
    for cast, run in zip((tenant_a, tenant_b), made, strict=True):
        assert wait_until_finished(cast, run.pk).status == ImportStatus.FAILED
    schedule = settings.CELERY_BEAT_SCHEDULE["close-abandoned-imports"]
    assert schedule["task"] == close_abandoned_imports.name
