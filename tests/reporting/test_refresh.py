"""Refresh runs: idempotent, atomic, failures recorded, isolated, run by real workers."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from io import StringIO

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils import timezone

from config.celery import app
from pcns.dataset import dataset_export, dataset_import
from pcns.models import Organisation, Tenant, User
from pcns.services import audit_record
from pcns.tenancy import tenant_context
from reporting import engine
from reporting.models import MetricValue, RefreshRun, RefreshStatus, RefreshTrigger
from reporting.registry import METRICS
from reporting.selectors import current_run
from reporting.services import (
    ABANDONED_QUEUED,
    ABANDONED_RUNNING,
    refresh_now,
    refresh_queue,
    refresh_request,
    refresh_runs_close_abandoned,
)
from reporting.tasks import close_abandoned_refreshes, refresh_all_tenants
from tests.dataset.test_round_trip import tables_from
from tests.reporting.world import World

COMPARED = ("code", "version", "period", "period_end", "dimension", "dimension_label",
            "category", "numerator", "denominator", "value")


def snapshot(tenant_id: uuid.UUID, *, labels: bool = True) -> list[tuple]:
    """The current snapshot's values, without what differs between runs (ids, times)."""
    with tenant_context(tenant_id):
        run = current_run(tenant_id)
        rows = MetricValue.objects.filter(run=run).values_list(*COMPARED)
        return sorted(
            row if labels or row[4] != "tenant" else (*row[:5], "", *row[6:]) for row in rows
        )


@pytest.fixture
def world(db):
    world = World.build()
    referral = world.referral(world.person(), received="2024-03-01", status="active",
                              worker="mhp_a", allocated="2024-03-02", triaged="2024-03-02")
    world.contact(referral, "2024-03-05")
    world.contact(referral, "2024-03-07", attendance="dna")
    world.assessment(referral, "2024-03-05")
    world.referral(world.person(practice=world.practice_b), received="2024-02-10",
                   team=world.team_b)
    return world


def test_two_refreshes_of_the_same_records_store_identical_snapshots(world):
    world.refresh("2024-03-31")
    first = snapshot(world.tenant.pk)
    world.refresh("2024-03-31")
    assert snapshot(world.tenant.pk) == first
    assert len(first) > 1000


def test_a_refresh_keeps_the_previous_snapshot_and_drops_older_ones(world):
    runs = [world.refresh("2024-03-31") for _ in range(3)]
    with tenant_context(world.tenant.pk):
        kept = set(MetricValue.objects.values_list("run_id", flat=True).distinct())
        assert kept == {runs[1].pk, runs[2].pk}
        assert current_run(world.tenant.pk) == runs[2]


def test_a_failing_refresh_is_recorded_and_the_previous_snapshot_stays_current(
        world, monkeypatch):
    good = world.refresh("2024-03-31")
    before = snapshot(world.tenant.pk)

    def broken(ctx):  # a calculator whose SQL fails after others have written values
        ctx.execute("SELECT 1 / 0")

    every = engine.calculators()
    monkeypatch.setattr(engine, "calculators", lambda: [*every, broken])
    with tenant_context(world.tenant.pk):
        failed = refresh_now(trigger=RefreshTrigger.COMMAND)
        assert failed.status == RefreshStatus.FAILED
        assert failed.error.startswith("DataError: division by zero")
        assert failed.finished_at is not None
        assert not MetricValue.objects.filter(run=failed).exists()
        assert current_run(world.tenant.pk) == good
    assert snapshot(world.tenant.pk) == before


def test_a_claimed_run_is_not_computed_twice(world):
    from reporting.services import refresh_run_execute

    with tenant_context(world.tenant.pk):
        run = refresh_now(trigger=RefreshTrigger.COMMAND, as_of=timezone.localdate())
        assert refresh_run_execute(run_id=run.pk) is False
        assert MetricValue.objects.filter(run=run).count() == run.values_written


def test_a_refresh_counts_only_its_own_tenants_records(world):
    other = World.build("other")
    for _ in range(3):
        other.referral(other.person(), received="2024-03-01")
    world.refresh("2024-03-31")
    other.refresh("2024-03-31")
    assert world.count("RS04", "2024-03") == 1
    assert other.count("RS04", "2024-03") == 3
    with tenant_context(world.tenant.pk):
        assert set(MetricValue.objects.values_list("tenant_id", flat=True)) == {world.tenant.pk}


def test_every_registered_code_is_computed_from_a_tenant_with_every_kind_of_record(db):
    world = World.build("everything")
    with tenant_context(world.tenant.pk):
        Organisation.objects.filter(pk=world.pcn_a.pk).update(registered_population=30_000)
    person = world.person(ethnicity="H", imd_decile=2)
    first = world.referral(person, received="2024-03-01", status="discharged",
                           triaged="2024-03-02", worker="mhp_a", allocated="2024-03-02",
                           discharged="2024-04-30", discharge_reason="goals_met")
    world.contact(first, "2024-03-03", attendance="dna")
    world.contact(first, "2024-03-05")
    world.contact(first, "2024-03-10", attendance="cancelled_by_patient")
    world.contact(first, "2024-03-12", staff="connector")
    world.contact(first, "2024-03-20", mode="video")
    world.assessment(first, "2024-03-05")
    world.care_plan(first, "2024-03-25")
    world.intervention(first, "2024-03-28")
    world.outcome(first, "2024-03-05", items=[3] * 11)
    world.outcome(first, "2024-04-20", items=[5] * 11)
    onward = world.onward(first, "2024-03-10", status="accepted", responded="2024-03-12")
    world.vcse_contact(onward, "2024-03-15")
    world.referral(world.person(), received="2024-03-02", status="rejected",
                   triaged="2024-03-04", rejection_reason="not_eligible")
    world.referral(world.person(), received="2024-03-02", status="redirected",
                   triaged="2024-03-04", redirect_destination="crisis")
    world.referral(world.person(), received="2024-05-02")
    active = world.referral(world.person(), received="2024-05-01", status="active",
                            triaged="2024-05-02", worker="mhp_a", allocated="2024-05-02")
    world.assessment(active, "2024-05-03")
    world.referral(person, received="2024-05-20", previous=first)  # a re-referral
    world.refresh("2024-05-31")
    stored = {value.code for metric in METRICS for value in world.values(metric.code)}
    assert stored == {metric.code for metric in METRICS}


def test_export_import_into_an_empty_tenant_and_refresh_gives_the_same_figures(tenant_a):
    as_of = timezone.localdate()
    with tenant_context(tenant_a.tenant.pk):
        files = dataset_export()
        refresh_now(trigger=RefreshTrigger.COMMAND, as_of=as_of)
    User.objects.filter(email__endswith="@northtown.test").update(
        email=Concat(Value("moved-"), "email"))
    target = uuid.uuid4()
    with tenant_context(target):
        Tenant.objects.create(id=target, slug="copy", name="Copy")
        report = dataset_import(tables=tables_from(files), actor=None)
        assert report.errors == []
        refresh_now(trigger=RefreshTrigger.COMMAND, as_of=as_of)
    original = snapshot(tenant_a.tenant.pk, labels=False)
    assert snapshot(target, labels=False) == original
    assert sum(1 for row in original if row[7]) > 50  # figures, not only zeros


# --------------------------------------------------------------------------- command


def test_the_command_refreshes_a_tenant_as_of_a_past_date(world):
    out = StringIO()
    call_command("refresh_metrics", "--tenant", "metrics", "--as-of", "2024-03-31", stdout=out)
    assert "metrics:" in out.getvalue()
    with tenant_context(world.tenant.pk):
        run = current_run(world.tenant.pk)
    assert (run.as_of.isoformat(), run.trigger) == ("2024-03-31", "command")
    assert world.count("RS04", "2024-03") == 1


@pytest.mark.parametrize("args, message", [
    (["--tenant", "nowhere"], "There is no tenant"),
    (["--tenant", "metrics", "--as-of", "2999-01-01"], "cannot be in the future"),
    (["--tenant", "metrics", "--as-of", "31/03/2024"], "YYYY-MM-DD"),
])
def test_the_command_refuses_bad_arguments(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("refresh_metrics", *args)


# --------------------------------------------------------------------------- after edits


def test_a_burst_of_edits_queues_one_refresh(settings, world):
    settings.METRICS_REFRESH_AFTER_CHANGE = True
    settings.METRICS_REFRESH_DEBOUNCE_SECONDS = 3600  # never runs: nothing here consumes it
    try:
        assert [refresh_request(world.tenant.pk) for _ in range(3)] == [True, False, False]
        assert refresh_request(uuid.uuid4()) is True  # another tenant has its own
    finally:
        app.control.purge()


# --------------------------------------------------------------------------- abandoned runs


def stale(world, status: str, minutes: int) -> RefreshRun:
    """A run left queued or running ``minutes`` ago, as a lost task or a dead worker leaves it."""
    at = timezone.now() - dt.timedelta(minutes=minutes)
    with tenant_context(world.tenant.pk):
        return RefreshRun.objects.create(
            tenant=world.tenant, trigger=RefreshTrigger.SCHEDULE, as_of=dt.date(2024, 3, 31),
            status=status, requested_at=at, started_at=at if status == "running" else None)


def statuses(world) -> dict[str, str]:
    with tenant_context(world.tenant.pk):
        return {str(run.pk): run.status for run in RefreshRun.objects.all()}


def closed(world) -> dict[str, str]:
    """The statuses after the tenant's abandoned runs are closed."""
    with tenant_context(world.tenant.pk):
        refresh_runs_close_abandoned(tenant_id=world.tenant.pk)
    return statuses(world)


def close_and_wait(connection_) -> None:
    """Close a connection and wait until the server has ended its session (and let its
    locks go): closing returns before the server has finished."""
    with connection_.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    connection_.close()
    with connection.cursor() as cursor:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("the closed session did not end")


def test_runs_a_dead_worker_or_a_lost_task_left_are_recorded_as_failed(world):
    dead = stale(world, "running", minutes=10)
    lost = stale(world, "queued", minutes=61)
    claiming = stale(world, "running", minutes=1)  # claimed; about to take the lock
    waiting = stale(world, "queued", minutes=30)  # behind other tenants in the queue
    assert closed(world) == {str(dead.pk): "failed", str(lost.pk): "failed",
                             str(claiming.pk): "running", str(waiting.pk): "queued"}
    with tenant_context(world.tenant.pk):
        dead.refresh_from_db()
        lost.refresh_from_db()
        assert dead.error == ABANDONED_RUNNING and dead.finished_at is not None
        assert lost.error == ABANDONED_QUEUED
        # a lost task that reaches a worker after all finds its run closed, and does nothing
        from reporting.services import refresh_run_execute
        assert refresh_run_execute(run_id=lost.pk) is False
        assert not MetricValue.objects.filter(run=lost).exists()


def test_closing_one_tenants_abandoned_runs_leaves_another_tenants_alone(world):
    other = World.build("other")
    theirs = stale(other, "running", minutes=30)
    mine = stale(world, "running", minutes=30)
    assert closed(world) == {str(mine.pk): "failed"}
    assert statuses(other) == {str(theirs.pk): "running"}


def test_a_running_refresh_that_holds_its_tenants_lock_is_left_running(world):
    run = stale(world, "running", minutes=10)
    other = connections.create_connection("default")  # the live worker's own connection
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 7))",
                           [f"metrics-refresh:{world.tenant.pk}"])
        assert closed(world) == {str(run.pk): "running"}
        close_and_wait(other)  # the worker dies: its connection and the lock go with it
        assert closed(world) == {str(run.pk): "failed"}
    finally:
        other.close()


def test_a_run_closed_while_its_worker_was_held_up_is_not_computed(world, monkeypatch):
    from reporting import services
    from reporting.services import refresh_run_execute

    with tenant_context(world.tenant.pk):
        run = services.refresh_run_create(trigger=RefreshTrigger.COMMAND,
                                          as_of=dt.date(2024, 3, 31))
    lock = services._lock_tenant

    def held_up(tenant_id, **kwargs):  # the run is closed between the claim and the lock
        RefreshRun.objects.filter(pk=run.pk).update(status="failed", error=ABANDONED_RUNNING)
        return lock(tenant_id, **kwargs)

    monkeypatch.setattr(services, "_lock_tenant", held_up)
    with tenant_context(world.tenant.pk):
        assert refresh_run_execute(run_id=run.pk) is True
        run.refresh_from_db()
        assert (run.status, run.error) == ("failed", ABANDONED_RUNNING)
        assert not MetricValue.objects.filter(run=run).exists()


# --------------------------------------------------------------------------- real workers


@pytest.fixture
def worker(transactional_db):
    app.conf.update(task_always_eager=False)
    app.control.purge()
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                      loglevel="WARNING"):
        yield


def wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def finished_runs(tenant_id: uuid.UUID, trigger: str) -> list[RefreshRun]:
    with tenant_context(tenant_id):
        return list(RefreshRun.objects.filter(
            trigger=trigger, status__in=[RefreshStatus.SUCCEEDED, RefreshStatus.FAILED]))


def test_edits_are_followed_by_one_refresh_in_a_real_worker(worker, settings):
    settings.METRICS_REFRESH_AFTER_CHANGE = True
    settings.METRICS_REFRESH_DEBOUNCE_SECONDS = 1
    world = World.build("edited")
    world.referral(world.person(), received=timezone.localdate().isoformat())
    for _ in range(3):  # three audited changes, each committed
        with tenant_context(world.tenant.pk), transaction.atomic():
            audit_record(actor=None, action="change", target_type="referrals.referral",
                         target_id="x", actor_label="test")
    runs = wait_for(lambda: finished_runs(world.tenant.pk, "change"))
    assert [run.status for run in runs] == ["succeeded"]
    assert world.count("RS04", timezone.localdate().strftime("%Y-%m")) == 1


def test_queued_and_scheduled_refreshes_run_in_a_real_worker(worker):
    first, second = World.build("first"), World.build("second")
    with tenant_context(first.tenant.pk), transaction.atomic():
        run = refresh_queue(trigger=RefreshTrigger.MANUAL)
    assert wait_for(lambda: finished_runs(first.tenant.pk, "manual"))[0].pk == run.pk
    refresh_all_tenants.delay()
    for world in (first, second):
        runs = wait_for(lambda w=world: finished_runs(w.tenant.pk, "schedule"))
        assert [r.status for r in runs] == ["succeeded"]
    with connection.cursor() as cursor:  # nothing left locked or half-written
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert cursor.fetchone()[0] == 0


def test_abandoned_runs_of_every_tenant_are_closed_by_the_scheduled_task(worker):
    first, second = World.build("first"), World.build("second")
    runs = [stale(first, "running", minutes=20), stale(second, "queued", minutes=90)]
    close_abandoned_refreshes.delay()
    wait_for(lambda: statuses(first) == {str(runs[0].pk): "failed"}
             and statuses(second) == {str(runs[1].pk): "failed"})
    schedule = settings.CELERY_BEAT_SCHEDULE["close-abandoned-metrics-refreshes"]
    assert schedule["task"] == close_abandoned_refreshes.name
