"""Celery plumbing for tenant work, and platform housekeeping tasks.

Tasks that touch tenant data are declared with ``@tenant_task``: they take ``tenant_id`` as a
keyword argument (ids only, never patient data) and run inside that tenant's context, so row-level
security applies to them exactly as to a web request.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.core.management import call_command

from pcns.tenancy import tenant_context

#: Names of tasks that run without a tenant (platform housekeeping). Everything else is a
#: tenant task; tests/pcns/test_tasks.py holds us to that.
PLATFORM_TASKS: set[str] = set()


def tenant_task(*task_args: Any, **task_options: Any) -> Callable:
    """``@tenant_task(...)``: a shared_task whose body runs in the tenant context of its
    ``tenant_id`` keyword argument."""

    def decorate(func: Callable) -> Any:
        @functools.wraps(func)
        def run(*args: Any, tenant_id: str, **kwargs: Any) -> Any:
            with tenant_context(uuid.UUID(str(tenant_id))):
                return func(*args, tenant_id=tenant_id, **kwargs)

        task_options.setdefault("name", f"{func.__module__}.{func.__name__}")
        task = shared_task(*task_args, **task_options)(run)
        task.is_tenant_task = True
        return task

    return decorate


def platform_task(*task_args: Any, **task_options: Any) -> Callable:
    """A task that touches no tenant data; listed in PLATFORM_TASKS."""

    def decorate(func: Callable) -> Any:
        task = shared_task(*task_args, **task_options)(func)
        PLATFORM_TASKS.add(task.name)
        return task

    return decorate


def queue_for_each_tenant(task: Any) -> int:
    """Queue ``task`` (a tenant task taking only ``tenant_id``) once per tenant; returns how
    many. One task per tenant: a tenant whose task fails does not hold up the others."""
    from pcns.tenancy import all_tenant_ids

    tenant_ids = all_tenant_ids()
    for tenant_id in tenant_ids:
        task.delay(tenant_id=str(tenant_id))
    return len(tenant_ids)


@platform_task(name="pcns.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete expired sessions (the session table is not tenant data)."""
    call_command("clearsessions")


@tenant_task(name="pcns.tasks.import_dataset_run")
def import_dataset_run(*, tenant_id: str, run_id: str) -> bool:
    """Import an uploaded dataset (pcns.dataset.runs). Takes ids only; safe to run twice: the
    run is claimed from queued to running first, so a repeat does nothing and returns False."""
    from pcns.dataset import runs  # runs queues this task: import it when the task runs

    return runs.import_run_execute(run_id=run_id)


@platform_task(name="pcns.tasks.close_abandoned_imports")
def close_abandoned_imports() -> int:
    """Every 15 minutes: one ``close_abandoned_imports_of_tenant`` per tenant."""
    return queue_for_each_tenant(close_abandoned_imports_of_tenant)


@tenant_task(name="pcns.tasks.close_abandoned_imports_of_tenant")
def close_abandoned_imports_of_tenant(*, tenant_id: str) -> int:
    """Record as failed, and empty, the tenant's imports that will never finish (dead worker,
    lost task): their uploads hold people's details and are not kept."""
    from pcns.dataset.runs import import_runs_close_abandoned

    return import_runs_close_abandoned(tenant_id=tenant_id)
