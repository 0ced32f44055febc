"""Celery tasks of the metrics refresh: thin wrappers over reporting.services (ids only)."""

from __future__ import annotations

from pcns.tasks import platform_task, queue_for_each_tenant, tenant_task
from pcns.tenancy import all_tenant_ids, tenant_context


@tenant_task(name="reporting.tasks.refresh_tenant")
def refresh_tenant(*, tenant_id: str, run_id: str) -> bool:
    """Compute a queued run. A repeat finds it claimed and does nothing."""
    from reporting.services import refresh_run_execute

    return refresh_run_execute(run_id=run_id)


@tenant_task(name="reporting.tasks.refresh_after_change")
def refresh_after_change(*, tenant_id: str) -> str:
    """The debounced refresh after edits (reporting.services.refresh_request)."""
    from reporting.models import RefreshTrigger
    from reporting.services import refresh_pending_clear, refresh_run_create, refresh_run_execute

    refresh_pending_clear(tenant_id)
    run = refresh_run_create(trigger=RefreshTrigger.CHANGE)
    refresh_run_execute(run_id=run.pk)
    return str(run.pk)


@platform_task(name="reporting.tasks.refresh_all_tenants")
def refresh_all_tenants() -> int:
    """The scheduled full refresh: one queued run per tenant, computed by the workers."""
    from reporting.models import RefreshTrigger
    from reporting.services import refresh_run_create

    queued = 0
    for tenant_id in all_tenant_ids():
        with tenant_context(tenant_id):
            run = refresh_run_create(trigger=RefreshTrigger.SCHEDULE)
        refresh_tenant.apply_async(kwargs={"tenant_id": str(tenant_id), "run_id": str(run.pk)})
        queued += 1
    return queued


@platform_task(name="reporting.tasks.close_abandoned_refreshes")
def close_abandoned_refreshes() -> int:
    """Every 15 minutes: one ``close_abandoned_refreshes_of_tenant`` per tenant."""
    return queue_for_each_tenant(close_abandoned_refreshes_of_tenant)


@tenant_task(name="reporting.tasks.close_abandoned_refreshes_of_tenant")
def close_abandoned_refreshes_of_tenant(*, tenant_id: str) -> int:
    """Record as failed the tenant's refreshes that will never finish (dead worker, lost
    task), so dashboards stop showing them as in progress."""
    from reporting.services import refresh_runs_close_abandoned

    return refresh_runs_close_abandoned(tenant_id=tenant_id)
