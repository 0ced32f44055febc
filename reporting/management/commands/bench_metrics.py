"""`manage.py bench_metrics`: how long the metrics refresh and the dashboards take at scale.

Run by ``scripts/bench.py`` (``make bench``) on a benchmark database filled by
``generate_synthetic`` (docs/performance.md); it refreshes every tenant and edits one contact
(put back at the end), so never run it on a database in use. It prints a plain report:

1. the floor: one aggregate pass over every contact, as the owner role (which row-level
   security does not bind), best of 3 after a warm-up: what a refresh can hardly beat;
2. the full refresh of every tenant as the nightly schedule runs it: two worker processes (the
   two Celery workers of a 2-core machine) each taking the next tenant from one shared list,
   ``refresh_now`` in the tenant's context; wall-clock time to the last tenant's end;
3. the incremental refresh after one edit, as the debounced after-change job runs it, for the
   tenant with the most contacts; best and median of 3, and where one run's time goes;
4. the dashboard pages for that tenant's programme manager ("my caseload" for the clinician
   with the most contacts: a manager has none), in this process with Django's test client (a
   page whose URL does not resolve yet is reported as not available).
"""

from __future__ import annotations

import calendar
import itertools
import multiprocessing
import os
import platform
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import date

from django.core.management.base import BaseCommand, CommandError

# The worker processes import this module before django.setup(), so models and services are
# imported inside the functions that use them.

FULL_TARGET_SECONDS = 180
INCREMENTAL_TARGET_SECONDS = 10
PAGE_TARGET_MS = 300
WORKERS = 2
INCREMENTAL_ROUNDS = 3
PAGE_REQUESTS = 10

FLOOR_SQL = """
SELECT tenant_id, count(*), count(*) FILTER (WHERE attendance = 'attended'), min("on"), max("on")
FROM caseload_contact GROUP BY tenant_id
"""
TENANT_FLOOR_SQL = """
SELECT count(*), count(*) FILTER (WHERE attendance = 'attended'), min("on"), max("on")
FROM caseload_contact WHERE tenant_id = %s
"""
SCALE_SQL = """
SELECT (SELECT count(*) FROM pcns_tenant),
       (SELECT count(*) FROM pcns_organisation WHERE kind = 'pcn'),
       (SELECT count(*) FROM referrals_referral),
       (SELECT count(*) FROM caseload_contact),
       current_setting('server_version'),
       (SELECT max(received_on) FROM referrals_referral)
"""

PAGES = ["reporting:dashboard", "reporting:team", "reporting:mine", "reporting:runs"]
API_PAGE = "/api/v1/metrics/"
API_QUERY = "code=RS01b"


@dataclass(frozen=True)
class TenantRefresh:
    tenant_id: str
    slug: str
    seconds: float
    ended: float
    status: str
    values: int | None
    error: str
    months: int | None


@dataclass(frozen=True)
class PageResult:
    median_ms: float
    max_ms: float
    status: int


# --------------------------------------------------------------------------- worker processes


def _worker_start(ready) -> None:
    import signal

    import django

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends the pool
    django.setup()
    ready.wait()  # the clock starts when both workers are set up, as Celery's already are


def _refresh_tenant(job: tuple[str, date]) -> TenantRefresh:
    from pcns.tenancy import tenant_context
    from reporting.models import RefreshTrigger
    from reporting.services import refresh_now

    tenant_id, as_of = job
    started = time.monotonic()
    try:
        with tenant_context(tenant_id):
            run = refresh_now(trigger=RefreshTrigger.COMMAND, as_of=as_of)
            slug = run.tenant.slug
    except Exception as error:  # refresh_now records its own failures; this is anything else
        return TenantRefresh(str(tenant_id), str(tenant_id), time.monotonic() - started,
                             time.monotonic(), "error", None, _first_line(error), None)
    ended = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on the machine
    return TenantRefresh(str(tenant_id), slug, ended - started, ended, run.status,
                         run.values_written, run.error, getattr(run, "months", None))


# --------------------------------------------------------------------------- helpers


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _verdict(value: float, target: float) -> str:
    return "ok" if value < target else "OVER"


def _last_day(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


class Command(BaseCommand):
    help = "Measure the metrics refresh and the dashboard pages (see scripts/bench.py)."
    # The URL checks import every page; a page being written must not stop the measurements.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=date.fromisoformat, default=None,
            help="Refresh as of this date (default: the last day of the month of the latest "
                 "referral, the generated period's end).")
        parser.add_argument("--workers", type=int, default=WORKERS,
                            help=f"Worker processes for the full refresh (default {WORKERS}).")

    def line(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args, **options):
        load_before = os.getloadavg()
        scale, floor = self._floor()
        if not scale["contacts"]:
            raise CommandError("The database holds no contacts: run generate_synthetic first.")
        as_of = options["as_of"] or _last_day(scale["latest_referral"])
        self.line(f"Metrics benchmark, as of {as_of}, {time.strftime('%Y-%m-%d %H:%M %Z')}")
        self.line(f"Scale:   {scale['tenants']} tenants, {scale['pcns']:,} PCNs, "
                  f"{scale['referrals']:,} referrals, {scale['contacts']:,} contacts")
        self.line(f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
                  f"PostgreSQL {scale['postgres']}, DEBUG "
                  f"{'on' if self._debug() else 'off'}; load average "
                  f"{' '.join(f'{x:.1f}' for x in load_before)} at the start")
        self.line()
        self.line(f"Floor: one aggregate pass over the contacts table (owner role, every tenant "
                  f"in one query, best of 3 after a warm-up): {floor['all']:.2f} s")
        # The tenant with the most contacts stands for one tenant below.
        tenant_id, contacts = max(floor["per_tenant"].items(), key=lambda item: item[1])
        self.line(f"       the same for one tenant ({contacts:,} contacts, in its context as "
                  f"the application role): {self._tenant_floor(tenant_id):.3f} s")

        failures = 0
        for section in (lambda: self._report_full(as_of, options["workers"]),
                        lambda: self._report_incremental(tenant_id, contacts, as_of),
                        lambda: self._report_pages(tenant_id)):
            self.line()
            try:
                failures += section()
            except Exception as error:  # the other figures are still worth having
                failures += 1
                self.line(f"FAILED: {_first_line(error)}")
        self.line()
        self.line("Load average at the end: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        if failures:
            raise CommandError(f"{failures} failure(s); see above.")

    def _report_full(self, as_of: date, workers: int) -> int:
        runs, wall = self._full_refresh(as_of, workers)
        failed = [run for run in runs if run.status != "succeeded"]
        seconds = [run.seconds for run in runs]
        months = sorted({run.months for run in runs if run.months})
        self.line(f"Full refresh: {len(runs)} tenants, {', '.join(map(str, months)) or '?'} "
                  f"months, {workers} worker processes: {wall:.1f} s wall clock   target < "
                  f"{FULL_TARGET_SECONDS} s: {_verdict(wall, FULL_TARGET_SECONDS)}")
        self.line(f"       per tenant: min {min(seconds):.1f} s, median {_median(seconds):.1f} s, "
                  f"max {max(seconds):.1f} s; {sum(run.values or 0 for run in runs):,} values "
                  f"written; {len(runs) - len(failed)} of {len(runs)} runs succeeded")
        for run in failed:
            self.line(f"       FAILED {run.slug}: {run.status}: {run.error}")
        return len(failed)

    def _report_incremental(self, tenant_id: str, contacts: int, as_of: date) -> int:
        slug, times, failed = self._incremental(tenant_id, as_of)
        self.line(f"Incremental: {slug} ({contacts:,} contacts) after editing one contact, "
                  f"{INCREMENTAL_ROUNDS} runs: best {min(times):.2f} s, median "
                  f"{_median(times):.2f} s   target < {INCREMENTAL_TARGET_SECONDS} s: "
                  f"{_verdict(_median(times), INCREMENTAL_TARGET_SECONDS)}")
        for error in failed:
            self.line(f"       FAILED: {error}")
        steps = self._steps(tenant_id, as_of)
        self.line(f"       where one run's time goes ({sum(steps.values()):.2f} s computing, "
                  "slowest first): " + ", ".join(
                      f"{name} {secs:.2f}"
                      for name, secs in sorted(steps.items(), key=lambda item: -item[1])))
        return len(failed)

    def _report_pages(self, tenant_id: str) -> int:
        failures = 0
        slug, who, pages = self._pages(tenant_id)
        self.line(f"Pages: {slug}, as {who}, {PAGE_REQUESTS} requests each after a warm-up   "
                  f"target < {PAGE_TARGET_MS} ms")
        for label, result in pages:
            if isinstance(result, str):
                self.line(f"       {label:<34} {result}")
                continue
            verdict = _verdict(result.median_ms, PAGE_TARGET_MS)
            if result.status != 200:
                failures += 1
                verdict = "FAILED"
            self.line(f"       {label:<34} median {result.median_ms:6.0f} ms, max "
                      f"{result.max_ms:6.0f} ms, status {result.status}: {verdict}")
        return failures

    # ----------------------------------------------------------------------- measurements

    @staticmethod
    def _debug() -> bool:
        from django.conf import settings

        return settings.DEBUG

    def _floor(self) -> tuple[dict, dict]:
        from django.db import connection

        from pcns.db import owner_connection

        timings = []
        with owner_connection(), connection.cursor() as cursor:
            cursor.execute(SCALE_SQL)
            tenants, pcns, referrals, contacts, postgres, latest = cursor.fetchone()
            for _ in range(4):
                started = time.perf_counter()
                cursor.execute(FLOOR_SQL)
                rows = cursor.fetchall()
                timings.append(time.perf_counter() - started)
        if sum(row[1] for row in rows) != contacts:
            raise CommandError("The floor query did not see every contact: is the owner role "
                               "bound by row-level security?")
        scale = {"tenants": tenants, "pcns": pcns, "referrals": referrals, "contacts": contacts,
                 "postgres": postgres, "latest_referral": latest}
        return scale, {"all": min(timings[1:]),
                       "per_tenant": {str(row[0]): row[1] for row in rows}}

    def _tenant_floor(self, tenant_id: str) -> float:
        from django.db import connection

        from pcns.tenancy import tenant_context

        timings = []
        with tenant_context(tenant_id), connection.cursor() as cursor:
            for _ in range(4):
                started = time.perf_counter()
                cursor.execute(TENANT_FLOOR_SQL, [tenant_id])
                cursor.fetchall()
                timings.append(time.perf_counter() - started)
        return min(timings[1:])

    def _full_refresh(self, as_of: date, workers: int) -> tuple[list[TenantRefresh], float]:
        from django.db import connections

        from pcns.tenancy import all_tenant_ids

        jobs = [(str(tenant_id), as_of) for tenant_id in all_tenant_ids()]
        connections.close_all()  # nothing of ours is shared with the workers
        # spawn, not fork: a forked worker would inherit this process's state half set up.
        context = multiprocessing.get_context("spawn")
        ready = context.Barrier(workers + 1)
        with context.Pool(workers, initializer=_worker_start, initargs=(ready,)) as pool:
            ready.wait(timeout=300)
            started = time.monotonic()
            runs = list(pool.imap_unordered(_refresh_tenant, jobs, chunksize=1))
            pool.close()
            pool.join()
        return runs, max(run.ended for run in runs) - started

    def _incremental(self, tenant_id: str, as_of: date) -> tuple[str, list[float], list[str]]:
        """Edit one contact, then refresh, three times; the contact is put back at the end."""
        from caseload.codes import Attendance
        from caseload.models import Contact
        from pcns.models import Tenant
        from pcns.tenancy import tenant_context
        from reporting.models import RefreshStatus, RefreshTrigger
        from reporting.services import refresh_now

        seconds, failed = [], []
        with tenant_context(tenant_id):
            slug = Tenant.objects.get(pk=tenant_id).slug
            # The latest attended contact of the period: the kind of edit made every day.
            edited = (Contact.objects.filter(on__lte=as_of, attendance=Attendance.ATTENDED)
                      .order_by("-on").values_list("pk", flat=True).first())
            if edited is None:
                raise CommandError("The tenant has no attended contact to edit.")
            try:
                for round_number in range(INCREMENTAL_ROUNDS):
                    outcome = Attendance.DNA if round_number % 2 == 0 else Attendance.ATTENDED
                    Contact.objects.filter(pk=edited).update(attendance=outcome)
                    started = time.perf_counter()
                    run = refresh_now(trigger=RefreshTrigger.COMMAND, as_of=as_of)
                    seconds.append(time.perf_counter() - started)
                    if run.status != RefreshStatus.SUCCEEDED:
                        failed.append(f"{run.status}: {run.error}")
            finally:
                Contact.objects.filter(pk=edited).update(attendance=Attendance.ATTENDED)
        return slug, seconds, failed

    def _steps(self, tenant_id: str, as_of: date) -> dict[str, float]:
        """Where a refresh's time goes: one more run, rolled back, timed by calculator module
        (the engine reports each calculator's start) and its last two statements."""
        from django.db import transaction
        from django.utils import timezone

        from pcns.models import Tenant
        from pcns.tenancy import tenant_context
        from reporting import engine
        from reporting.models import RefreshTrigger
        from reporting.services import refresh_run_create, tune_refresh_transaction

        marks: list[tuple[str, float]] = []
        # The engine's statements that fill in zero rows and store the values (private names:
        # if they change, their time is counted in the last calculator's).
        finishing = {id(sql): label for name, label in (("_ZERO_FILL", "zero rows"),
                                                        ("_STORE", "storing"))
                     if (sql := getattr(engine, name, None)) is not None}

        class TimedContext(engine.RunContext):
            def execute(self, sql: str, extra: dict | None = None) -> int:
                if id(sql) in finishing:
                    marks.append((finishing[id(sql)], time.perf_counter()))
                return super().execute(sql, extra)

        class RolledBack(Exception):
            pass

        def progress(step: str) -> None:
            marks.append((step, time.perf_counter()))

        try:
            with tenant_context(tenant_id), transaction.atomic():
                tune_refresh_transaction()  # as refresh_run_execute runs it
                run = refresh_run_create(trigger=RefreshTrigger.COMMAND, as_of=as_of)
                months = {"months": run.months} if hasattr(run, "months") else {}
                engine.compute_snapshot(
                    ctx=TimedContext(tenant_id=uuid.UUID(tenant_id), as_of=as_of,
                                     progress=progress, **months),
                    run_id=run.pk, tenant_name=Tenant.objects.get(pk=tenant_id).name,
                    computed_at=timezone.now())
                marks.append(("end", time.perf_counter()))
                raise RolledBack
        except RolledBack:
            pass
        steps: dict[str, float] = {}
        for (name, at), (_, following) in itertools.pairwise(marks):
            steps[name] = steps.get(name, 0.0) + following - at
        return steps

    def _pages(self, tenant_id: str) -> tuple[str, str, list[tuple[str, PageResult | str]]]:
        """The tenant's slug, who was signed in, and each page's timings or why there are
        none."""
        import logging

        from django.test import Client
        from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse

        from pcns.models import Tenant
        from pcns.tenancy import tenant_context

        with tenant_context(tenant_id):
            slug = Tenant.objects.get(pk=tenant_id).slug
        labels = [*PAGES, f"{API_PAGE}?{API_QUERY}"]
        try:
            get_resolver().url_patterns  # noqa: B018 - imports every URLconf
        except Exception as error:  # pages being written: measure nothing, fail nothing
            problem = f"not available ({_first_line(error)})"
            return slug, "nobody", [(label, problem) for label in labels]
        manager = self._programme_manager(tenant_id)
        clinician, contacts = self._clinician(tenant_id)
        users = {"reporting:mine": clinician}  # only someone with a caseload has that page
        who = "its programme manager"
        if clinician is not None:
            role = clinician.membership.get_role_display().lower()
            who += f" (mine: a {role} with {contacts:,} contacts)"
        urls: dict[str, str | None] = {}
        for name in PAGES:
            try:
                urls[name] = reverse(name)
            except NoReverseMatch:
                urls[name] = None
        try:
            resolve(API_PAGE)
            urls[labels[-1]] = labels[-1]
        except Resolver404:
            urls[labels[-1]] = None

        results: list[tuple[str, PageResult | str]] = []
        request_log = logging.getLogger("django.request")
        level = request_log.level
        request_log.setLevel(logging.ERROR)  # a refused page is reported below, once
        try:
            for label in labels:
                url, user = urls[label], users.get(label, manager)
                if url is None or user is None:
                    results.append((label, "not available" if url is None else "nobody to ask"))
                    continue
                # localhost is in the default ALLOWED_HOSTS; Django's "testserver" is not.
                client = Client(HTTP_HOST="localhost", raise_request_exception=False)
                client.force_login(user)
                client.get(url)  # warm-up
                timings, status = [], 0
                for _ in range(PAGE_REQUESTS):
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                    status = response.status_code
                results.append((label, PageResult(_median(timings), max(timings), status)))
        finally:
            request_log.setLevel(level)
        return slug, who, results

    def _clinician(self, tenant_id: str):
        """The member of a team with the most contacts, for the "my caseload" page."""
        from django.db.models import Count, Exists, OuterRef

        from pcns.models import Membership, TeamMembership
        from pcns.roles import CLINICAL_ROLES
        from pcns.tenancy import tenant_context

        with tenant_context(tenant_id):
            membership = (
                Membership.objects.filter(role__in=CLINICAL_ROLES, is_active=True,
                                          user__is_active=True)
                .filter(Exists(TeamMembership.objects.filter(membership=OuterRef("pk"))))
                .annotate(contact_count=Count("contacts")).order_by("-contact_count")
                .select_related("user").first())
        if membership is None:
            return None, 0
        return membership.user, membership.contact_count

    def _programme_manager(self, tenant_id: str):
        """The tenant's programme manager (generate_synthetic makes one), or a new one."""
        from django.contrib.auth.hashers import make_password

        from pcns.models import Membership, Organisation, OrganisationKind, Role, Tenant, User
        from pcns.tenancy import tenant_context

        with tenant_context(tenant_id):
            membership = (Membership.objects.filter(role=Role.PROGRAMME_MANAGER, is_active=True,
                                                    user__is_active=True)
                          .select_related("user").first())
            if membership:
                return membership.user
            slug = Tenant.objects.get(pk=tenant_id).slug
            employer = (Organisation.objects.filter(kind=OrganisationKind.PLACE).first()
                        or Organisation.objects.first())
            user = User.objects.create(email=f"bench.manager@{slug}.test", first_name="Bench",
                                       last_name="Manager", password=make_password(None))
            Membership.objects.create(tenant_id=tenant_id, user=user,
                                      role=Role.PROGRAMME_MANAGER, employer=employer)
            return user
