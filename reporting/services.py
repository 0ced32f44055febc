"""Refreshing a tenant's metrics: the run's life (queued, running, succeeded or failed).

A run computes every metric (``reporting.engine``) and stores the values in one transaction
that also marks it succeeded, so readers (who read the latest succeeded run) see the old
snapshot or the new one, never part of either. A run that fails rolls back, is recorded as
failed with its error, and leaves the previous snapshot as it was. Two runs for one tenant never
compute at once: each takes the tenant's advisory lock first.

A run whose worker died stays "running", and one whose task was lost stays "queued": either
would show as in progress for ever and keep anyone from asking for another.
``refresh_runs_close_abandoned`` records them as failed (every 15 minutes, and before a
refresh is asked for on the run log page).

Edits ask for a refresh through ``refresh_request``, which queues at most one run per tenant per
``METRICS_REFRESH_DEBOUNCE_SECONDS``: a burst of edits gives one refresh after it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from pcns.db import advisory_xact_lock
from pcns.models import Tenant, User
from pcns.tenancy import require_tenant_id
from reporting.engine import RunContext, calculators, compute_snapshot
from reporting.models import MetricValue, RefreshRun, RefreshStatus, RefreshTrigger

logger = logging.getLogger(__name__)

#: Progress of a running refresh lives in the cache (its transaction hides it from others).
PROGRESS_SECONDS = 60 * 60
#: Snapshots kept per tenant: the current one, and the one before it for readers that looked
#: up the current run just before a new one replaced it.
KEEP_SNAPSHOTS = 2
#: A queued run that no worker has started in this time never will be (its task was lost).
QUEUED_LIMIT = timedelta(hours=1)
#: A run is marked running when a worker claims it and takes the tenant's lock a moment later.
CLAIM_GRACE = timedelta(minutes=2)
ABANDONED_QUEUED = ("No worker started this refresh within an hour. The previous figures "
                    "stay current.")
ABANDONED_RUNNING = ("The worker computing this refresh stopped before it finished. The "
                     "previous figures stay current.")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    step: str


def _progress_key(run_id: uuid.UUID | str) -> str:
    return f"metrics-refresh-progress:{run_id}"


def _pending_key(tenant_id: uuid.UUID | str) -> str:
    return f"metrics-refresh-pending:{tenant_id}"


def refresh_progress(run: RefreshRun) -> Progress | None:
    value = cache.get(_progress_key(run.pk))
    return Progress(*value) if value else None


def refresh_run_create(*, trigger: RefreshTrigger | str, as_of: date | None = None,
                       requested_by: User | None = None) -> RefreshRun:
    """A queued run for the current tenant, as of ``as_of`` (default: today, UK time)."""
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise ValueError("A refresh cannot be as of a date in the future.")
    tenant_id = require_tenant_id()
    return RefreshRun.objects.create(
        tenant_id=tenant_id, trigger=trigger, as_of=as_of, requested_by=requested_by,
        months=Tenant.objects.values_list("metrics_months", flat=True).get(pk=tenant_id),
    )


def refresh_run_execute(*, run_id: uuid.UUID | str) -> bool:
    """Claim a queued run and compute it. Returns False if another worker had claimed it
    (safe to call twice). Errors are recorded on the run, not raised."""
    claimed = RefreshRun.objects.filter(pk=run_id, status=RefreshStatus.QUEUED).update(
        status=RefreshStatus.RUNNING, started_at=timezone.now(),
    )
    if not claimed:
        return False
    run = RefreshRun.objects.select_related("tenant").get(pk=run_id)
    steps = len(calculators())
    done = 0

    def progress(step: str) -> None:
        nonlocal done
        cache.set(_progress_key(run.pk), (done, steps, step), PROGRESS_SECONDS)
        done += 1

    try:
        with transaction.atomic():
            _lock_tenant(run.tenant_id)
            if not RefreshRun.objects.filter(pk=run.pk, status=RefreshStatus.RUNNING).exists():
                # Closed as abandoned (refresh_runs_close_abandoned) while this worker was held
                # up between its claim and the lock: the run stays as that closed it.
                return True
            tune_refresh_transaction()
            computed_at = timezone.now()
            written = compute_snapshot(
                ctx=RunContext(tenant_id=run.tenant_id, as_of=run.as_of,
                               months=run.months, progress=progress),
                run_id=run.pk, tenant_name=run.tenant.name, computed_at=computed_at,
            )
            RefreshRun.objects.filter(pk=run.pk).update(
                status=RefreshStatus.SUCCEEDED, finished_at=timezone.now(),
                values_written=written,
            )
            _prune(run.tenant_id)
    except Exception as error:  # recorded on the run; the previous snapshot stays current
        # The type and the first line only: SQL errors from PostgreSQL name no row values
        # unless a DETAIL line does, and that is dropped here.
        message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        logger.exception("metrics refresh %s failed", run.pk)
        RefreshRun.objects.filter(pk=run.pk, status=RefreshStatus.RUNNING).update(
            status=RefreshStatus.FAILED, finished_at=timezone.now(), error=message[:500],
        )
        return True
    finally:
        cache.delete(_progress_key(run.pk))
    return True


def refresh_now(*, trigger: RefreshTrigger | str, as_of: date | None = None,
                requested_by: User | None = None) -> RefreshRun:
    """Create and compute a run for the current tenant in this process (commands, the demo)."""
    run = refresh_run_create(trigger=trigger, as_of=as_of, requested_by=requested_by)
    refresh_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def refresh_queue(*, trigger: RefreshTrigger | str, requested_by: User | None = None,
                  countdown: int = 0) -> RefreshRun:
    """Create a run for the current tenant and queue it for a worker after the commit."""
    from reporting.tasks import refresh_tenant  # tasks call back into this module

    run = refresh_run_create(trigger=trigger, requested_by=requested_by)
    tenant_id = str(run.tenant_id)
    transaction.on_commit(lambda: refresh_tenant.apply_async(
        kwargs={"tenant_id": tenant_id, "run_id": str(run.pk)}, countdown=countdown,
    ))
    return run


def refresh_request(tenant_id: uuid.UUID | str) -> bool:
    """Ask for a refresh soon after an edit; returns True if this call queued one.

    The first edit queues a run to start after the debounce delay and marks the tenant pending;
    edits until then find the mark and queue nothing. The run clears the mark when it starts, so
    an edit made during a run queues the next one.
    """
    delay = settings.METRICS_REFRESH_DEBOUNCE_SECONDS
    if not settings.METRICS_REFRESH_AFTER_CHANGE:
        return False
    if not cache.add(_pending_key(tenant_id), 1, delay * 10):
        return False
    from reporting.tasks import refresh_after_change

    refresh_after_change.apply_async(kwargs={"tenant_id": str(tenant_id)}, countdown=delay)
    return True


def refresh_pending_clear(tenant_id: uuid.UUID | str) -> None:
    cache.delete(_pending_key(tenant_id))


def refresh_runs_close_abandoned(*, tenant_id: uuid.UUID | str) -> int:
    """Record as failed the tenant's runs that will never finish; returns how many.

    Queued runs older than ``QUEUED_LIMIT`` were lost on the way to a worker. A running run is
    abandoned when no refresh of the tenant holds its lock: a live run holds it (or waits for
    it) until it ends, and a dead worker's connection has let it go. The check takes the lock
    itself, so no run can start computing while it looks; a run claimed in the last
    ``CLAIM_GRACE`` may not have taken it yet and is left alone (and a run closed while its
    worker was held up finds itself closed when it gets the lock, and stops).
    """
    now = timezone.now()
    closed = RefreshRun.objects.filter(
        tenant_id=tenant_id, status=RefreshStatus.QUEUED, requested_at__lt=now - QUEUED_LIMIT,
    ).update(status=RefreshStatus.FAILED, finished_at=now, error=ABANDONED_QUEUED)
    running = RefreshRun.objects.filter(
        tenant_id=tenant_id, status=RefreshStatus.RUNNING, started_at__lt=now - CLAIM_GRACE)
    if running.exists():
        with transaction.atomic():
            if _lock_tenant(tenant_id, wait=False):
                closed += running.update(status=RefreshStatus.FAILED, finished_at=now,
                                         error=ABANDONED_RUNNING)
    if closed:
        logger.warning("closed %s abandoned metrics refresh runs of tenant %s", closed, tenant_id)
    return closed


def _lock_tenant(tenant_id: uuid.UUID | str, *, wait: bool = True) -> bool:
    """Serialise refreshes of one tenant (held to the end of the transaction). Without
    ``wait``, returns False at once if another transaction holds the lock."""
    return advisory_xact_lock(f"metrics-refresh:{tenant_id}", wait=wait)


def tune_refresh_transaction() -> None:
    """Settings for the refresh's transaction only.

    Its commit returns before its WAL is flushed to disk: a crash in that moment loses only
    this snapshot, which the next refresh recomputes, and the previous one stays current. That
    saves waiting for tens of megabytes of WAL at a large tenant's commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Grouping a large tenant's contacts by month and category spills to disk with the
        # default 4MB; a refresh is one of a few at a time, so it may use more.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # The statements are many and each takes well under a second: compiling them to
        # machine code (which PostgreSQL does for any plan it estimates to be costly, as it
        # does for the temporary tables it has no statistics for yet) costs more than it saves.
        cursor.execute("SET LOCAL jit = off")


def _prune(tenant_id: uuid.UUID) -> None:
    """Drop the values of all but the newest ``KEEP_SNAPSHOTS`` succeeded runs."""
    # Only succeeded runs have values (a failed one rolled its back), so the old ones are
    # found by their run, through the values' one index.
    succeeded = list(
        RefreshRun.objects.filter(tenant_id=tenant_id, status=RefreshStatus.SUCCEEDED)
        .order_by("-finished_at", "-requested_at").values_list("pk", flat=True)
    )
    MetricValue.objects.filter(run_id__in=succeeded[KEEP_SNAPSHOTS:]).delete()
