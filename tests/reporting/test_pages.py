"""The metric pages and their CSVs, over stored values written by hand (or a real refresh)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import uuid
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent, Membership, User
from pcns.tenancy import tenant_context
from referrals.models import Person
from reporting import presenters, services, views
from reporting.disclosure import Figure
from reporting.models import MetricValue, RefreshRun
from tests.api_helpers import count_in
from tests.reporting.world import World

pytestmark = pytest.mark.django_db

DASHBOARD = "reporting:dashboard"


def store(tenant, rows, *, as_of="2024-03-31", status="succeeded", error="",
          trigger="schedule") -> RefreshRun:
    """A run of ``tenant`` with the given values: (code, 'YYYY-MM', dimension, key, label,
    category, numerator, denominator, value)."""
    now = timezone.now()
    with tenant_context(tenant.pk):
        run = RefreshRun.objects.create(
            tenant=tenant, trigger=trigger, status=status, as_of=dt.date.fromisoformat(as_of),
            started_at=now if status != "queued" else None,
            finished_at=now + dt.timedelta(seconds=2) if status in ("succeeded", "failed")
            else None, values_written=len(rows), error=error)
        MetricValue.objects.bulk_create([
            MetricValue(tenant=tenant, run=run, code=code, version=1,
                        period=dt.date.fromisoformat(f"{period}-01"),
                        period_end=dt.date.fromisoformat(f"{period}-28"), dimension=dimension,
                        dimension_key=str(key), dimension_label=label, category=category,
                        numerator=numerator, denominator=denominator,
                        value=Decimal(str(value)) if value is not None else None,
                        computed_at=now)
            for code, period, dimension, key, label, category, numerator, denominator, value
            in rows])
    return run


def count_row(code, period, n, *, dimension="tenant", key="", label="Whole", category=""):
    return (code, period, dimension, key, label, category, n, None, n)


class _Tables(HTMLParser):
    """The cells of every table on a page, by the table's id: [[heading, cell, ...], ...]."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.current = self.tables.setdefault(attrs.get("id", ""), [])
        elif tag == "tr" and self.current is not None:
            self.row = []
            self.current.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            self.row.append("-" if text == "-no figure" else text)
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables_of(response) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def get(client, user, name, **params):
    client.force_login(user)
    return client.get(reverse(name), params)


# --------------------------------------------------------------------------- programme


@pytest.fixture
def figures(tenant_a):
    """March 2024: RS01b 7 of 9 for the tenant and 3 of 4 in Central PCN; REF01 12 and 3."""
    pcn = tenant_a.pcn
    return store(tenant_a.tenant, [
        ("RS01b", "2024-03", "tenant", "", "Northtown", "", 7, 9, "77.78"),
        ("RS01b", "2024-03", "pcn", pcn.pk, pcn.name, "", 3, 4, "75.00"),
        count_row("REF01", "2024-03", 12),
        count_row("REF01", "2024-03", 3, dimension="pcn", key=pcn.pk, label=pcn.name),
        count_row("REF01", "2024-02", 8),
        count_row("REF01", "2023-03", 40),
        count_row("RS02", "2024-03", 9),
        count_row("RS02", "2024-03", 6, category="band:0-4w"),
        count_row("RS02", "2024-03", 3, category="band:4-8w"),
        count_row("CAS01", "2024-03", 3, dimension="worker",
                  key=tenant_a.clinician.membership.pk, label="Clinician Northtown"),
    ])


def test_the_programme_dashboard_rounds_counts_and_hides_small_figures(client, tenant_a,
                                                                      figures):
    response = get(client, tenant_a.programme_manager, DASHBOARD)
    assert response.status_code == 200
    tables = tables_of(response)
    ref01 = tables["table-REF01"]
    # every PCN of the place, in every table, whether or not it has figures
    assert ref01[0] == ["Month", "Northtown (all PCNs)", "Northtown Central PCN",
                        "Northtown North PCN"]
    assert tables["table-RS01b"][0] == ref01[0]
    # 12 rounds to 10; 3 is 1 to 4, so *
    assert ref01[-1] == ["March 2024", "10", "*", "-"]
    # 8 rounds to 10
    assert ref01[-2] == ["February 2024", "10", "-", "-"]
    # RS01b: 7 of 9 = 77.8% -> 78; the PCN's is based on 4 spells -> *
    assert tables["table-RS01b"][-1] == ["March 2024", "78", "*", "-"]
    assert "* a figure based on 1 to 4" in response.content.decode()


def test_the_waiting_list_is_shown_by_weeks_waited(client, tenant_a, figures):
    response = get(client, tenant_a.programme_manager, DASHBOARD)
    bands = tables_of(response)["table-RS02-bands"]
    assert bands[0][:3] == ["Month", "0 to 4 weeks", "Over 4 to 8 weeks"]
    assert bands[-1][:3] == ["March 2024", "5", "*"]  # 6 -> 5; 3 -> *


@pytest.fixture
def inequalities(tenant_a, figures):
    """EQ01 in March 2024 for the tenant (by group and category) and Central PCN (by group)."""
    pcn = tenant_a.pcn
    with tenant_context(tenant_a.tenant.pk):
        MetricValue.objects.bulk_create([
            MetricValue(tenant=tenant_a.tenant, run=figures, code="EQ01", version=1,
                        period=dt.date(2024, 3, 1), period_end=dt.date(2024, 3, 31),
                        dimension=dimension, dimension_key=str(key), dimension_label=label,
                        category=category, numerator=n, value=n, computed_at=timezone.now())
            for dimension, key, label, category, n in [
                ("tenant", "", "Northtown", "", 40),
                ("tenant", "", "Northtown", "ethnic_group:white", 22),
                ("tenant", "", "Northtown", "ethnic_group:asian", 13),
                ("tenant", "", "Northtown", "ethnic_group:not_stated", 5),
                ("tenant", "", "Northtown", "ethnic_category:K", 7),
                ("tenant", "", "Northtown", "age:65+", 6),
                ("tenant", "", "Northtown", "imd:1", 19),
                ("pcn", pcn.pk, pcn.name, "", 12),
                ("pcn", pcn.pk, pcn.name, "ethnic_group:white", 9),
                ("pcn", pcn.pk, pcn.name, "ethnic_group:asian", 3),
            ]])


def test_inequalities_are_shown_by_group_for_the_place_chosen(client, tenant_a, inequalities):
    tables = tables_of(get(client, tenant_a.programme_manager, DASHBOARD))
    groups = tables["table-EQ01-ethnic-group"]
    assert groups[0] == ["Month", "White", "Mixed", "Asian or Asian British",
                         "Black or Black British", "Other ethnic groups",
                         "Not stated or not known"]
    assert groups[-1] == ["March 2024", "20", "-", "15", "-", "-", "5"]
    categories = tables["table-EQ01-ethnic-category"]
    assert categories[0][1:4] == ["White: British", "White: Irish",
                                  "White: any other White background"]
    assert categories[-1][categories[0].index("Asian or Asian British: Bangladeshi")] == "5"
    assert tables["table-EQ01-age"][0][-1] == "65 and over"
    assert tables["table-EQ01-age"][-1][-1] == "5"
    assert tables["table-EQ01-deprivation"][0][1] == "1 (most deprived)"
    assert tables["table-EQ01-deprivation"][-1][1] == "20"

    one_pcn = tables_of(get(client, tenant_a.programme_manager, DASHBOARD,
                            pcn=str(tenant_a.pcn.pk)))
    assert one_pcn["table-EQ01-ethnic-group"][-1][:4] == ["March 2024", "10", "-", "*"]
    # the national categories are stored for the tenant only (too small for a PCN)
    assert "table-EQ01-ethnic-category" not in one_pcn


def test_a_breakdown_downloads_as_csv(client, tenant_a, inequalities):
    client.force_login(tenant_a.programme_manager)
    rows = read_csv(client.get(reverse("reporting:export"), {
        "table": "EQ01-ethnic-group", "from": "2024-03", "to": "2024-03"}))
    assert [(r["category"], r["figure"]) for r in rows] == [
        ("ethnic_group:white", "20"), ("ethnic_group:asian", "15"),
        ("ethnic_group:not_stated", "5")]
    assert client.get(reverse("reporting:export"),
                      {"table": "EQ01-religion"}).status_code == 404


def test_the_last_12_months_are_shown_unless_the_filter_says_otherwise(client, tenant_a,
                                                                       figures):
    ref01 = tables_of(get(client, tenant_a.programme_manager, DASHBOARD))["table-REF01"]
    months = [row[0] for row in ref01[1:]]
    assert months[0] == "April 2023" and months[-1] == "March 2024" and len(months) == 12
    ref01 = tables_of(get(client, tenant_a.programme_manager, DASHBOARD,
                          **{"from": "2023-03", "to": "2023-03"}))["table-REF01"]
    # only the tenant had a row that month (a real refresh stores a 0 for every PCN)
    assert ref01[1:] == [["March 2023", "40", "-", "-"]]


def test_filtering_to_one_pcn_shows_that_pcns_rows_only(client, tenant_a, figures):
    response = get(client, tenant_a.programme_manager, DASHBOARD, pcn=str(tenant_a.pcn.pk))
    ref01 = tables_of(response)["table-REF01"]
    assert ref01[0] == ["Month", "Northtown Central PCN"]
    assert ref01[-1] == ["March 2024", "*"]
    assert "Showing Northtown Central PCN only" in response.content.decode()


def test_an_unknown_month_or_pcn_is_a_form_error(client, tenant_a, figures):
    assert get(client, tenant_a.programme_manager, DASHBOARD,
               **{"from": "2019-01"}).status_code == 400
    assert get(client, tenant_a.programme_manager, DASHBOARD,
               pcn=str(uuid.uuid4())).status_code == 400


def test_management_mode_shows_exact_counts_but_still_hides_1_to_4(client, tenant_a, figures):
    with tenant_context(tenant_a.tenant.pk):
        type(tenant_a.tenant).objects.filter(pk=tenant_a.tenant.pk).update(
            disclosure_mode="management")
    ref01 = tables_of(get(client, tenant_a.programme_manager, DASHBOARD))["table-REF01"]
    assert ref01[-1] == ["March 2024", "12", "*", "-"]


@pytest.mark.parametrize("label", ["clinician", "team_lead", "gp", "vcse_worker", "connector"])
def test_only_programme_managers_and_admins_open_the_dashboard(client, tenant_a, figures,
                                                                label):
    assert get(client, tenant_a.users[label], DASHBOARD).status_code == 403
    assert get(client, tenant_a.users[label], "reporting:runs").status_code == 403


def test_a_tenant_admin_opens_the_dashboard_and_the_run_log(client, tenant_a, figures):
    assert get(client, tenant_a.tenant_admin, DASHBOARD).status_code == 200
    assert get(client, tenant_a.tenant_admin, "reporting:runs").status_code == 200


def test_a_programme_manager_sees_only_their_own_tenants_figures(client, tenant_a, tenant_b,
                                                                 figures):
    store(tenant_b.tenant, [count_row("REF01", "2024-03", 95)])
    ref01 = tables_of(get(client, tenant_a.programme_manager, DASHBOARD))["table-REF01"]
    assert ref01[-1][1] == "10"
    ref01 = tables_of(get(client, tenant_b.programme_manager, DASHBOARD))["table-REF01"]
    assert ref01[0] == ["Month", "Southvale (all PCNs)", "Southvale Central PCN",
                        "Southvale North PCN"]
    assert ref01[-1] == ["March 2024", "95", "-", "-"]


def test_the_programme_page_names_no_person_or_member_of_staff(client, tenant_a, figures):
    page = get(client, tenant_a.programme_manager, DASHBOARD).content.decode()
    with tenant_context(tenant_a.tenant.pk):
        people = list(Person.objects.values_list("given_name", "family_name", "nhs_number"))
    assert people
    for given, family, nhs_number in people:
        assert f"{given} {family}" not in page
        assert family not in page
        if nhs_number:
            assert nhs_number not in page
    assert "Clinician Northtown" not in page  # a worker row is stored, but not shown here


def test_without_a_finished_refresh_the_dashboard_says_so(client):
    world = World.build("empty")
    with tenant_context(world.tenant.pk):
        user = User.objects.create(email="pm@empty.test")
        Membership.objects.create(tenant=world.tenant, user=user, role="programme_manager",
                                  employer=world.pcn_a)
    response = get(client, user, DASHBOARD)
    assert response.status_code == 200
    assert "no refresh has finished successfully" in response.content.decode()


def test_a_refresh_in_progress_shows_its_progress(client, tenant_a, figures):
    running = store(tenant_a.tenant, [], status="running")
    cache.set(services._progress_key(running.pk), (3, 10, "spells"), 60)
    try:
        page = get(client, tenant_a.programme_manager, DASHBOARD).content.decode()
        assert "3 of 10 steps done (now: spells)" in page
        assert 'data-in-progress="true"' in page
        fragment = client.get(reverse("reporting:refresh-status")).content.decode()
        assert "3 of 10 steps done" in fragment
    finally:
        cache.delete(services._progress_key(running.pk))
    # the figures shown are still the last finished refresh's
    assert tables_of(get(client, tenant_a.programme_manager, DASHBOARD))["table-REF01"][-1][1] \
        == "10"


def test_the_dashboard_shows_when_it_was_refreshed_in_uk_time(client, tenant_a, figures):
    with tenant_context(tenant_a.tenant.pk):
        RefreshRun.objects.filter(pk=figures.pk).update(
            finished_at=dt.datetime(2099, 7, 1, 8, 30, tzinfo=dt.UTC))
    page = get(client, tenant_a.programme_manager, DASHBOARD).content.decode()
    assert "Last refreshed 1 July 2099 at 09:30" in page  # British Summer Time
    assert "as the records stood on 31 March 2024" in page


def test_the_dashboards_queries_do_not_grow_with_the_number_of_pcns(client, tenant_a,
                                                                     django_assert_max_num_queries):
    few = [count_row("REF01", "2024-03", 10, dimension="pcn", key=uuid.uuid4(), label="P1")]
    store(tenant_a.tenant, few)
    client.force_login(tenant_a.programme_manager)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse(DASHBOARD))
    keys = [uuid.uuid4() for _ in range(30)]
    many = [count_row(code, f"2024-{m:02d}", 10, dimension="pcn", key=keys[n],
                      label=f"PCN {n:02d}")
            for n in range(30) for m in (1, 2, 3) for code in ("REF01", "ACT01", "RS02")]
    store(tenant_a.tenant, many)
    # the session, the user and the tenant context; then the run, a refresh in progress, the
    # PCNs for the filter and the values: one query each
    with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as second:
        response = client.get(reverse(DASHBOARD))
    # month, tenant, the place's 2 PCNs and the 30 with figures
    assert len(tables_of(response)["table-REF01"][0]) == 34
    assert len(second.captured_queries) == len(first.captured_queries)


def test_a_real_refresh_shows_a_single_clock_stop_as_a_star(client):
    world = World.build("real")
    person = world.person(born="1980-06-01")
    r1 = world.referral(person, received="2024-03-01", status="active", triaged="2024-03-02",
                        worker="mhp_a", allocated="2024-03-02")
    world.contact(r1, "2024-03-05", mode="telephone")
    world.contact(r1, "2024-03-20", mode="video")
    world.outcome(r1, "2024-03-05")
    world.assessment(r1, "2024-03-05", kind="initial")
    world.care_plan(r1, "2024-03-25")
    world.refresh("2024-03-31")
    with tenant_context(world.tenant.pk):
        user = User.objects.create(email="pm@real.test")
        Membership.objects.create(tenant=world.tenant, user=user, role="programme_manager",
                                  employer=world.pcn_a, wte=None)
    rs01b = tables_of(get(client, user, DASHBOARD))["table-RS01b"]
    # one spell stopped its clock in 24 days: 100%, but based on 1 spell, so *
    march = next(row for row in rs01b if row[0] == "March 2024")
    assert march[1] == "*"
    with tenant_context(world.tenant.pk):
        assert world.number("RS01b", "2024-03") == 100


# --------------------------------------------------------------------------- run log


def test_the_run_log_shows_a_failed_runs_error(client, tenant_a, figures):
    store(tenant_a.tenant, [], status="failed", error="ProgrammingError: division by zero")
    page = get(client, tenant_a.programme_manager, "reporting:runs").content.decode()
    assert "ProgrammingError: division by zero" in page
    assert "Failed" in page


def test_the_run_log_shows_how_many_figures_a_run_wrote(client, tenant_a, figures):
    with tenant_context(tenant_a.tenant.pk):
        RefreshRun.objects.filter(pk=figures.pk).update(values_written=12345)
    page = get(client, tenant_a.programme_manager, "reporting:runs").content.decode()
    assert re.search(r'<td class="nhsuk-table__cell app-table-numeric">\s*12,345\s*</td>', page)


def test_refresh_now_queues_a_manual_run(client, tenant_a, figures):
    client.force_login(tenant_a.programme_manager)
    response = client.post(reverse("reporting:runs"))
    assert response.status_code == 302 and response["Location"] == reverse("reporting:runs")
    with tenant_context(tenant_a.tenant.pk):
        run = RefreshRun.objects.get(trigger="manual")
    assert run.status == "queued"
    assert run.requested_by_id == tenant_a.programme_manager.pk
    # a second press while it waits queues nothing more
    client.post(reverse("reporting:runs"))
    assert count_in(tenant_a, RefreshRun, trigger="manual") == 1


def test_refresh_now_is_not_blocked_by_a_run_whose_worker_died(client, tenant_a, figures):
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    with tenant_context(tenant_a.tenant.pk):
        dead = RefreshRun.objects.create(
            tenant=tenant_a.tenant, trigger="schedule", as_of=timezone.localdate(),
            status="running", requested_at=an_hour_ago, started_at=an_hour_ago)
    client.force_login(tenant_a.programme_manager)
    client.post(reverse("reporting:runs"))
    with tenant_context(tenant_a.tenant.pk):
        dead.refresh_from_db()
        assert dead.status == "failed"
        assert RefreshRun.objects.get(trigger="manual").status == "queued"
    page = get(client, tenant_a.programme_manager, "reporting:runs").content.decode()
    assert "The worker computing this refresh stopped before it finished." in page


def test_refresh_now_needs_the_csrf_token_and_the_role(tenant_a, figures):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(tenant_a.programme_manager)
    assert strict.post(reverse("reporting:runs")).status_code == 403
    lax = Client()
    lax.force_login(tenant_a.team_lead)
    assert lax.post(reverse("reporting:runs")).status_code == 403
    assert count_in(tenant_a, RefreshRun, trigger="manual") == 0


# --------------------------------------------------------------------------- CSV


def read_csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_has_the_tables_rows_as_shown_and_is_audited(client, tenant_a, figures):
    client.force_login(tenant_a.programme_manager)
    response = client.get(reverse("reporting:export"),
                          {"table": "REF01", "from": "2024-02", "to": "2024-03"})
    rows = read_csv(response)
    assert [(r["period"], r["dimension"], r["figure"]) for r in rows] == [
        ("2024-02", "tenant", "10"), ("2024-03", "tenant", "10"), ("2024-03", "pcn", "*")]
    assert rows[0]["code"] == "REF01" and rows[0]["title"] == "Referrals received"
    assert rows[2]["dimension label"] == "Northtown Central PCN"
    assert list(rows[0]) == ["code", "title", "version", "period", "dimension",
                             "dimension label", "category", "figure", "computed at"]
    assert count_in(tenant_a, AuditEvent, action="export", target_type="metrics") == 1


def test_the_publication_csv_rounds_even_in_management_mode(client, tenant_a, figures):
    with tenant_context(tenant_a.tenant.pk):
        type(tenant_a.tenant).objects.filter(pk=tenant_a.tenant.pk).update(
            disclosure_mode="management")
    client.force_login(tenant_a.programme_manager)
    page = client.get(reverse(DASHBOARD)).content.decode()
    assert "Download CSV for publication" in page
    params = {"table": "REF01", "from": "2024-03", "to": "2024-03"}
    plain = read_csv(client.get(reverse("reporting:export"), params))
    published = read_csv(client.get(reverse("reporting:export"), {**params, "publication": 1}))
    assert [r["figure"] for r in plain] == ["12", "*"]
    assert [r["figure"] for r in published] == ["10", "*"]


def test_the_csv_of_one_pcn_has_only_that_pcns_rows(client, tenant_a, figures):
    client.force_login(tenant_a.programme_manager)
    rows = read_csv(client.get(reverse("reporting:export"), {
        "table": "RS01b", "from": "2024-03", "to": "2024-03", "pcn": str(tenant_a.pcn.pk)}))
    assert [(r["dimension"], r["figure"]) for r in rows] == [("pcn", "*")]


def test_the_csv_refuses_other_roles_and_unknown_tables(client, tenant_a, figures):
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("reporting:export"), {"table": "REF01"}).status_code == 403
    client.force_login(tenant_a.programme_manager)
    assert client.get(reverse("reporting:export"), {"table": "RS01m"}).status_code == 404


# --------------------------------------------------------------------------- team and mine


@pytest.fixture
def caseloads(tenant_a):
    team, other = tenant_a.pcn_team, tenant_a.other_pcn_team
    mine = tenant_a.clinician.membership.pk
    elsewhere = tenant_a.other_clinician.membership.pk
    return store(tenant_a.tenant, [
        count_row("CAS02", "2024-03", 3, dimension="team", key=team.pk, label=team.name),
        count_row("CAS02", "2024-03", 2, dimension="team", key=team.pk, label=team.name,
                  category="band:0-6d"),
        count_row("CAS02", "2024-03", 1, dimension="team", key=team.pk, label=team.name,
                  category="band:7-13d"),
        count_row("CAS02", "2024-03", 7, dimension="team", key=other.pk, label=other.name),
        count_row("W2C05", "2024-03", 4, dimension="team", key=team.pk, label=team.name),
        count_row("W2C05", "2024-03", 4, dimension="team", key=team.pk, label=team.name,
                  category="band:85d+"),
        count_row("W2C05", "2024-02", 0, dimension="team", key=team.pk, label=team.name),
        count_row("W2C05", "2024-03", 8, dimension="team", key=other.pk, label=other.name),
        count_row("CAS01", "2024-03", 3, dimension="worker", key=mine, label="Clinician N"),
        count_row("CAS01", "2024-03", 2, dimension="worker", key=mine, label="Clinician N",
                  category="state:allocated"),
        ("CAS01w", "2024-03", "worker", mine, "Clinician N", "", None, 3, "3.75"),
        count_row("CAS01", "2024-02", 1, dimension="worker", key=mine, label="Clinician N"),
        count_row("CAS01", "2024-03", 9, dimension="worker", key=elsewhere, label="Other N"),
    ])


def test_a_team_lead_sees_exact_figures_for_their_own_team(client, tenant_a, caseloads):
    response = get(client, tenant_a.team_lead, "reporting:team")
    assert response.status_code == 200
    tables = tables_of(response)
    waiting = tables[f"table-team-{tenant_a.pcn_team.pk}-waiting"]
    assert waiting[0] == ["Month", "All", "85 days or more"]
    assert waiting[-2:] == [["February 2024", "0", "-"], ["March 2024", "4", "4"]]
    backlog = tables[f"table-team-{tenant_a.pcn_team.pk}-triage"]
    assert backlog[0] == ["Month", "All", "0 to 6 days", "7 to 13 days"]
    assert backlog[-1] == ["March 2024", "3", "2", "1"]
    caseload = tables[f"table-team-{tenant_a.pcn_team.pk}-caseload"]
    assert caseload[0] == ["Worker", "Open caseload", "Allocated", "Per whole-time equivalent"]
    assert ["Clinician N", "3", "2", "3.8"] in caseload  # 3.75 to one decimal place
    page = response.content.decode()
    assert "Other N" not in page and str(tenant_a.other_pcn_team.pk) not in page


def test_a_lead_of_one_team_is_offered_no_team_to_choose(client, tenant_a, caseloads):
    page = get(client, tenant_a.team_lead, "reporting:team").content.decode()
    assert 'name="team"' not in page


def test_a_programme_manager_sees_all_teams_or_chooses_one(client, tenant_a, caseloads):
    central, north = tenant_a.pcn_team, tenant_a.other_pcn_team
    response = get(client, tenant_a.programme_manager, "reporting:team")
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>',
                         response.content.decode().split('name="team"')[1].split("</select>")[0])
    assert options == [("", "All teams"), (str(central.pk), central.name),
                       (str(north.pk), north.name)]
    assert f"table-team-{central.pk}-waiting" in tables_of(response)
    assert f"table-team-{north.pk}-waiting" in tables_of(response)

    response = get(client, tenant_a.programme_manager, "reporting:team", team=str(north.pk))
    tables = tables_of(response)
    assert f"table-team-{central.pk}-waiting" not in tables
    assert tables[f"table-team-{north.pk}-waiting"][-1] == ["March 2024", "8"]
    page = response.content.decode()
    assert f"team={north.pk}" in page  # the CSV links keep the choice


def test_with_more_teams_than_fit_a_page_the_first_is_shown_until_another_is_chosen(
        client, tenant_a, caseloads, monkeypatch):
    monkeypatch.setattr(views, "TEAMS_ON_ONE_PAGE", 1)
    central, north = tenant_a.pcn_team, tenant_a.other_pcn_team
    response = get(client, tenant_a.programme_manager, "reporting:team")
    page = response.content.decode()
    assert "All teams" not in page
    assert list(t for t in tables_of(response) if t.endswith("-waiting")) == [
        f"table-team-{central.pk}-waiting"]
    # a team table's CSV is found by its id, whichever team the page shows
    rows = read_csv(client.get(reverse("reporting:export"), {
        "table": f"team-{north.pk}-waiting", "from": "2024-03", "to": "2024-03"}))
    assert [(r["code"], r["figure"]) for r in rows] == [("W2C05", "8")]


def test_a_team_not_in_the_list_is_a_field_error(client, tenant_a, tenant_b, caseloads):
    for team in (str(uuid.uuid4()), str(tenant_a.vcse_team.pk), str(tenant_b.pcn_team.pk)):
        response = get(client, tenant_a.programme_manager, "reporting:team", team=team)
        assert response.status_code == 400
        assert "Choose a team from the list." in response.content.decode()
    # a team lead cannot reach another team's figures by naming it
    response = get(client, tenant_a.team_lead, "reporting:team",
                   team=str(tenant_a.other_pcn_team.pk))
    assert str(tenant_a.other_pcn_team.pk) not in response.content.decode()


@pytest.mark.parametrize("label", ["clinician", "gp", "vcse_worker", "tenant_admin"])
def test_others_cannot_open_the_team_page(client, tenant_a, caseloads, label):
    assert get(client, tenant_a.users[label], "reporting:team").status_code == 403


def test_a_clinician_sees_their_own_caseload_exactly(client, tenant_a, caseloads):
    response = get(client, tenant_a.clinician, "reporting:mine",
                   **{"from": "2024-02", "to": "2024-03"})
    table = tables_of(response)["table-mine-caseload"]
    assert table == [["Month", "Open caseload", "Allocated", "Per whole-time equivalent"],
                     ["February 2024", "1", "-", "-"],
                     ["March 2024", "3", "2", "3.8"]]
    assert "Other N" not in response.content.decode()


def test_the_my_caseload_csv_is_exact_and_my_own(client, tenant_a, caseloads):
    client.force_login(tenant_a.clinician)
    rows = read_csv(client.get(reverse("reporting:export"), {
        "table": "mine-caseload", "from": "2024-03", "to": "2024-03"}))
    assert sorted((r["code"], r["category"], r["figure"]) for r in rows) == [
        ("CAS01", "", "3"), ("CAS01", "state:allocated", "2"), ("CAS01w", "", "3.8")]


@pytest.mark.parametrize("label", ["gp", "vcse_worker", "programme_manager"])
def test_people_without_a_caseload_cannot_open_my_caseload(client, tenant_a, caseloads, label):
    assert get(client, tenant_a.users[label], "reporting:mine").status_code == 403


def test_the_navigation_links_each_role_to_its_metrics(client, tenant_a, figures):
    def links(user):
        client.force_login(user)
        page = client.get(reverse("pcns:home")).content.decode()
        if client.get(reverse("pcns:home")).status_code == 302:
            page = client.get(client.get(reverse("pcns:home"))["Location"]).content.decode()
        return set(re.findall(r'href="(/metrics/[a-z/]*)"', page))

    assert reverse(DASHBOARD) in links(tenant_a.programme_manager)
    assert reverse("reporting:team") in links(tenant_a.team_lead)
    assert reverse("reporting:mine") in links(tenant_a.clinician)
    assert links(tenant_a.gp) == set()


@pytest.mark.parametrize("months", [1, 2, 6, 7, 12, 13, 24])
def test_chart_month_labels_end_on_the_last_month_and_never_sit_side_by_side(months):
    periods = [dt.date(2024 + (m // 12), m % 12 + 1, 1) for m in range(months)]
    figure = Figure("1", Decimal(1))
    chart = presenters.line_chart(title="t", series="s", metric=presenters.BY_CODE["REF01"],
                                  points=[(p, figure) for p in periods])
    labels = [tick.label for tick in chart.x_ticks]
    assert labels[-1] == f"{periods[-1]:%b %Y}"
    assert 1 <= len(labels) <= presenters.MAX_X_TICKS
    shown = [i for i, p in enumerate(periods) if f"{p:%b %Y}" in labels]
    gaps = {b - a for a, b in itertools.pairwise(shown)}
    assert len(gaps) <= 1 and min(gaps, default=2) >= (2 if months > 6 else 1)


@pytest.mark.parametrize(("category", "label"), [
    ("", "All"),
    ("band:0-4w", "0 to 4 weeks"),
    ("band:4-8w", "Over 4 to 8 weeks"),
    ("band:104w+", "Over 104 weeks"),
    ("band:0-6d", "0 to 6 days"),
    ("band:85d+", "85 days or more"),
    ("age:18-24", "18 to 24"),
    ("age:65+", "65 and over"),
    ("state:awaiting_assessment", "Awaiting assessment"),
])
def test_category_labels(category, label):
    assert presenters.category_label(category) == label
