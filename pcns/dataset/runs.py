"""Uploads imported in the background (``ImportRun``), and the whole-tenant export download.

A tenant administrator uploads a zip of the CSV files (docs/data-formats.md). The upload is
checked as far as it can be without the database (a zip, of the format's files, each readable)
and kept on the run until the Celery task ``pcns.tasks.import_dataset_run`` has read it. The
task imports it with ``dataset_import``, stores the report and empties the payload: the files
carry people's details and are not kept.

The import runs in one transaction, so its progress cannot be read from the database while it
runs: it goes to the cache (Redis) under the run's id instead.

A run whose worker died would stay "importing", and one whose task was lost "waiting", with
the upload kept for ever; ``import_runs_close_abandoned`` (every 15 minutes) records them as
failed and empties their payload. A running import holds an advisory lock named after its run,
so one nobody holds is one nobody is importing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from pcns.dataset import all_kinds, dataset_export, dataset_import
from pcns.dataset.engine import DatasetError, ImportReport
from pcns.dataset.files import read_zip, zip_bytes
from pcns.db import advisory_session_lock, advisory_xact_lock
from pcns.models import AuditAction, ImportRun, ImportStatus, Membership, User
from pcns.services import audit_record
from pcns.tasks import import_dataset_run
from pcns.tenancy import require_tenant_id

logger = logging.getLogger(__name__)

#: The largest upload accepted, in bytes (what the page says: 50 MB).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: How long progress stays in the cache: long enough for the largest import.
PROGRESS_SECONDS = 24 * 60 * 60
#: What a run that stopped on an unexpected error says. The error itself is not shown or
#: logged: a database's message may quote a cell, and cells hold people's details.
UNEXPECTED = "The import stopped because of an unexpected error, so nothing was imported. " \
    "Try again; if it happens again, contact the service's support team."

FINISHED = (ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.FAILED)
#: A queued run that no worker has started in this time never will be (its task was lost).
QUEUED_LIMIT = timedelta(hours=1)
ABANDONED = "The import stopped before it finished, so nothing was imported. Upload the " \
    "file again."


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


# --------------------------------------------------------------------------- reads


def _membership_or_404(user: User) -> Membership:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None or not membership.is_active:
        raise Http404
    return membership


def import_run_list_for_user(user: User) -> QuerySet[ImportRun]:
    """The runs of the user's tenant, newest first, without their payloads (up to 50 MB each)."""
    membership = _membership_or_404(user)
    return (ImportRun.objects.filter(tenant_id=membership.tenant_id)
            .select_related("created_by").defer("payload").order_by("-created_at"))


def import_run_get_for_user(user: User, run_id: uuid.UUID) -> ImportRun:
    """One run of the user's tenant: 404 for a missing run and another tenant's alike."""
    try:
        return import_run_list_for_user(user).get(pk=run_id)
    except ImportRun.DoesNotExist:
        raise Http404 from None


def _progress_key(run_id: uuid.UUID | str) -> str:
    return f"import-run-progress:{run_id}"


def import_run_progress_record(run_id: uuid.UUID | str, done: int, total: int) -> None:
    """Say how far a running import has got (the import's own writes are not visible yet)."""
    cache.set(_progress_key(run_id), {"done": done, "total": total}, PROGRESS_SECONDS)


def import_run_progress(run_id: uuid.UUID | str) -> Progress | None:
    """How far a running import has got (rows checked and saved), if it has said."""
    value = cache.get(_progress_key(run_id))
    if not value:
        return None
    return Progress(done=int(value["done"]), total=int(value["total"]))


# --------------------------------------------------------------------------- writes


def upload_check(data: bytes) -> None:
    """Raise DatasetError unless ``data`` is a zip of the format's files, each readable.

    Only the shape of the files is checked here; the rows are checked by the import itself.
    """
    read_zip(data, all_kinds())


def import_run_create(*, actor: User, file_name: str, payload: bytes,
                      partial: bool) -> ImportRun:
    """Keep an upload as a queued run and queue its import once the run is saved.

    Invariants: the upload has passed ``upload_check``; the task is given ids only, never the
    files or anything in them.
    """
    tenant_id = require_tenant_id()
    with transaction.atomic():
        run = ImportRun.objects.create(
            tenant_id=tenant_id, created_by=actor, file_name=file_name[:200], payload=payload,
            partial=partial, status=ImportStatus.QUEUED)
        audit_record(actor=actor, action=AuditAction.CREATE, target=run,
                     note="Dataset uploaded for import")
        transaction.on_commit(lambda: import_dataset_run.delay(
            tenant_id=str(tenant_id), run_id=str(run.pk)))
    return run


def _status_of(report: ImportReport) -> ImportStatus:
    return ImportStatus.SUCCEEDED if report.imported else ImportStatus.REJECTED


def _finish(run_id: uuid.UUID | str, *, status: ImportStatus, report: dict) -> None:
    ImportRun.objects.filter(pk=run_id).update(
        status=status, report=report, finished_at=timezone.now(), payload=b"")
    cache.delete(_progress_key(run_id))


def import_run_execute(*, run_id: uuid.UUID | str) -> bool:
    """Import a queued run's upload; False (and nothing done) unless the run was queued.

    Invariants: the run is claimed by a conditional update from queued to running, so a
    second execution (a retried or repeated task) does nothing; every finished run has a
    report, a finish time and an empty payload, whatever happened.
    Runs inside the run's tenant context (the task sets it).
    """
    # The run's lock first: a running run whose lock nobody holds is one nobody is importing
    # (import_runs_close_abandoned). Held by another worker: that one has the run.
    with advisory_session_lock(_lock_key(run_id), wait=False) as held:
        if not held:
            return False
        claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.RUNNING, started_at=timezone.now())
        if not claimed:
            return False
        run = ImportRun.objects.select_related("created_by").get(pk=run_id)

        def progress(done: int, total: int) -> None:
            import_run_progress_record(run_id, done, total)

        try:
            tables = read_zip(bytes(run.payload), all_kinds())
            progress(0, 2 * sum(len(rows) for rows in tables.values()))
            report = dataset_import(tables=tables, actor=run.created_by, partial=run.partial,
                                    progress=progress)
        except DatasetError as error:
            _finish(run_id, status=ImportStatus.FAILED, report={"message": str(error)})
        except Exception as error:
            logger.error("Import run %s stopped: %s", run_id, type(error).__name__)
            _finish(run_id, status=ImportStatus.FAILED, report={"message": UNEXPECTED})
        else:
            _finish(run_id, status=_status_of(report), report=report.as_dict())
    return True


def _lock_key(run_id: uuid.UUID | str) -> str:
    return f"import-run:{run_id}"


def import_runs_close_abandoned(*, tenant_id: uuid.UUID | str) -> int:
    """Record as failed, and empty, the tenant's imports that will never finish; returns how
    many. Queued ones older than ``QUEUED_LIMIT`` were lost on the way to a worker; a running
    one whose lock nobody holds lost its worker (its transaction rolled back with it): a
    worker takes the lock before it claims the run and keeps it to the end."""
    now = timezone.now()
    runs = ImportRun.objects.filter(tenant_id=tenant_id)
    closed_fields = {"status": ImportStatus.FAILED, "finished_at": now, "payload": b"",
                     "report": {"message": ABANDONED}}
    closed = runs.filter(status=ImportStatus.QUEUED,
                         created_at__lt=now - QUEUED_LIMIT).update(**closed_fields)
    running = runs.filter(status=ImportStatus.RUNNING)
    for run_id in running.values_list("pk", flat=True):
        with transaction.atomic():
            if advisory_xact_lock(_lock_key(run_id), wait=False):
                closed += running.filter(pk=run_id).update(**closed_fields)
    if closed:
        logger.warning("closed %s abandoned import runs of tenant %s", closed, tenant_id)
    return closed


def tenant_export(*, actor: User) -> bytes:
    """Every record of the current tenant as a zip of the format's CSV files, audited."""
    with transaction.atomic():
        files = dataset_export()
        audit_record(actor=actor, action=AuditAction.EXPORT, target_type="dataset",
                     note="Whole tenant exported from the imports page")
    return zip_bytes(files)
