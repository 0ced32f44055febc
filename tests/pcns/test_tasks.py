"""Celery: tenant tasks run in their tenant's context, in a real worker over a real Redis."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from pcns.models import Organisation
from pcns.tasks import PLATFORM_TASKS, tenant_task


@tenant_task(name="tests.count_organisations")
def count_organisations(*, tenant_id: str) -> dict:
    """Counts with no filter at all: only the context can keep other tenants out."""
    return {"all": Organisation.objects.count(),
            "mine": Organisation.objects.filter(tenant_id=tenant_id).count()}


@pytest.fixture
def worker(transactional_db):
    app.conf.update(task_always_eager=False)
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                      loglevel="WARNING"):
        yield


def test_a_tenant_task_in_a_real_worker_sees_only_its_tenants_rows(worker, tenant_a, tenant_b):
    result = count_organisations.delay(tenant_id=str(tenant_b.tenant.pk)).get(timeout=30)
    assert result["all"] == result["mine"] > 0


def test_a_tenant_task_needs_its_tenant_id():
    with pytest.raises(TypeError):
        count_organisations.run()


def test_every_task_of_ours_is_a_tenant_task_or_a_declared_platform_task():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks
            if name.split(".")[0] in {"pcns", "referrals", "caseload", "vcse", "reporting"}]
    assert ours
    for name in ours:
        task = app.tasks[name]
        assert getattr(task, "is_tenant_task", False) or name in PLATFORM_TASKS, name
