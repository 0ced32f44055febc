"""The metric pages: the programme dashboard, the team and "my caseload" pages, the run log and
the CSV of any table on them.

Nothing is computed here: every page reads the tenant's current snapshot (one query for the run,
one for its values) and ``reporting.presenters`` lays the values out. Programme pages show
figures under the tenant's disclosure rule; the team and "my caseload" pages are direct care and
show exact figures. Every CSV download is audited as an export.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from config.csv_export import csv_response
from config.pages import require
from config.templating import uk_datetime
from pcns import selectors as pcns_selectors
from pcns.models import AuditAction, TeamMembership
from pcns.presenters import error_list
from pcns.services import audit_record
from reporting import permissions, presenters, selectors, services
from reporting.disclosure import Rule, rule_for_tenant
from reporting.forms import PeriodForm, month_key, run_months
from reporting.models import RefreshRun, RefreshTrigger

#: Seconds between two looks at a refresh in progress.
POLL_SECONDS = 3
#: The most teams the team page shows at once ("All teams"); a programme manager with more
#: (every team of the tenant) chooses one.
TEAMS_ON_ONE_PAGE = 5
PROGRAMME, TEAM, MINE = "programme", "team", "mine"


# --------------------------------------------------------------------------- shared parts


def _as_of(run: RefreshRun | None) -> str:
    return f"{run.as_of.day} {run.as_of:%B %Y}" if run else ""


def _live(request: HttpRequest) -> dict:
    """The refresh in progress, if any, for the live part of the programme pages."""
    active = selectors.active_run(request.membership.tenant_id)
    progress = services.refresh_progress(active) if active else None
    return {"active": presenters.progress_view(active, progress),
            "poll_url": reverse("reporting:refresh-status"), "poll_ms": POLL_SECONDS * 1000}


def _pcn_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in
            pcns_selectors.organisation_list_for_user(request.user).filter(kind="pcn")
            .order_by("name").values_list("pk", "name")]


def _form(request: HttpRequest, run: RefreshRun | None, *, pcns=(), with_pcn=False,
          teams=(), all_teams=True) -> PeriodForm:
    form = PeriodForm(request.GET, months=run_months(run) if run else [], pcns=pcns,
                      with_pcn=with_pcn, teams=teams, all_teams=all_teams)
    form.is_valid()
    return form


def _query(form: PeriodForm, **extra) -> str:
    data = form.cleaned_data
    params = {"from": month_key(data["period_from"]), "to": month_key(data["period_to"])}
    for name in ("pcn", "team"):
        if data.get(name):
            params[name] = data[name]
    return urlencode({**params, **extra})


def _link_csv(tables, form: PeriodForm, *, publication_link: bool) -> None:
    base = reverse("reporting:export")
    for table in tables:
        table.csv_url = f"{base}?{_query(form, table=table.id)}"
        if publication_link:
            table.publication_csv_url = f"{base}?{_query(form, table=table.id, publication=1)}"


def _field_values(form: PeriodForm) -> dict[str, str]:
    if form.is_valid() and "period_from" in form.cleaned_data:
        return {"from": month_key(form.cleaned_data["period_from"]),
                "to": month_key(form.cleaned_data["period_to"]),
                "pcn": form.cleaned_data.get("pcn", ""), "team": form.cleaned_data.get("team", "")}
    return {name: form.data.get(name, "") for name in ("from", "to", "pcn", "team")}


def _periods(form: PeriodForm) -> list[dt.date]:
    data = form.cleaned_data
    return [m for m in form.months if data["period_from"] <= m <= data["period_to"]]


def _ok(form: PeriodForm) -> bool:
    return form.is_valid() and "period_from" in form.cleaned_data


# --------------------------------------------------------------------------- programme


def _programme_tables(request: HttpRequest, run: RefreshRun, form: PeriodForm, *,
                      codes, rule: Rule) -> list[presenters.Table]:
    pcn = form.cleaned_data.get("pcn", "")
    values = presenters.dashboard_values(
        run, codes=codes, period_from=form.cleaned_data["period_from"],
        period_to=form.cleaned_data["period_to"], pcn=pcn)
    pcn_label = dict(form.fields["pcn"].choices).get(pcn, "") if pcn else ""
    return presenters.dashboard_tables(values=values, codes=codes, periods=_periods(form),
                                       pcn=pcn, pcn_label=pcn_label, rule=rule,
                                       tenant_name=request.tenant.name,
                                       pcns=[c for c in form.fields["pcn"].choices if c[0]])


def dashboard(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_programme_dashboard(request.user))
    run = selectors.current_run(request.membership.tenant_id)
    rule = rule_for_tenant(request.tenant.disclosure_mode)
    context = {"run": run, "as_of": _as_of(run), "live": _live(request),
               "finished": uk_datetime(run.finished_at) if run else "",
               "rule_text": _rule_text(rule), "sections": []}
    if run is None:
        return render(request, "reporting/dashboard.jinja", context)
    form = _form(request, run, pcns=_pcn_choices(request), with_pcn=True)
    context.update({"form": form, "error_list": error_list(form, "from"),
                    "values": _field_values(form),
                    "month_items": [{"value": v, "text": t} for v, t in form.fields["to"].choices],
                    "pcn_items": [{"value": v, "text": t} for v, t in form.fields["pcn"].choices]})
    if not _ok(form):
        return render(request, "reporting/dashboard.jinja", context, status=400)
    tables = _programme_tables(request, run, form, codes=presenters.DASHBOARD_CODES, rule=rule)
    _link_csv(tables, form, publication_link=rule is not Rule.PUBLICATION)
    context["sections"] = presenters.sections(tables)
    context["pcn_name"] = dict(form.fields["pcn"].choices).get(form.cleaned_data["pcn"], "") \
        if form.cleaned_data["pcn"] else ""
    return render(request, "reporting/dashboard.jinja", context)


def _rule_text(rule: Rule) -> str:
    if rule is Rule.PUBLICATION:
        return ("Figures follow the publication rule: counts of 1 to 4 are shown as *, other "
                "counts are rounded to the nearest 5, and a percentage, median or mean based on "
                "1 to 4 is shown as *.")
    return ("Figures are management information: counts of 1 to 4 are shown as * and other "
            "counts are exact. A percentage, median or mean based on 1 to 4 is shown as *.")


def refresh_status(request: HttpRequest) -> HttpResponse:
    """The live part of the programme pages alone, polled while a refresh is in progress."""
    require(permissions.can_view_programme_dashboard(request.user))
    response = render(request, "reporting/_live.jinja", {"live": _live(request)})
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- team and mine


def _team_scope(request: HttpRequest) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(team id, name, [(member id, name)]) for the lead's teams; every PCN team's for a
    programme manager."""
    membership = request.membership
    teams = pcns_selectors.team_list_for_user(request.user).exclude(kind="vcse_service")
    if membership.role not in permissions.PROGRAMME:
        teams = teams.filter(memberships=membership)
    teams = list(teams.order_by("name").values_list("pk", "name"))
    links = (TeamMembership.objects.filter(tenant_id=membership.tenant_id,
                                           team_id__in=[pk for pk, _ in teams],
                                           membership__is_active=True)
             .select_related("membership__user")
             .order_by("membership__user__last_name", "membership__user__first_name"))
    members: dict = {}
    for link in links:
        user = link.membership.user
        members.setdefault(link.team_id, []).append(
            (str(link.membership_id), user.get_full_name() or user.email))
    return [(str(pk), name, members.get(pk, [])) for pk, name in teams]


def _team_form(request: HttpRequest, run: RefreshRun, scope) -> PeriodForm:
    """The period, and a team when there is more than one: "All teams" by default if they
    fit on one page (``TEAMS_ON_ONE_PAGE``), else the first team and no "All teams"."""
    teams = [(team_id, name) for team_id, name, _ in scope] if len(scope) > 1 else []
    return _form(request, run, teams=teams, all_teams=len(scope) <= TEAMS_ON_ONE_PAGE)


def _team_tables(request: HttpRequest, run: RefreshRun, form: PeriodForm, scope):
    if form.cleaned_data.get("team"):
        scope = [team for team in scope if team[0] == form.cleaned_data["team"]]
    values = presenters.team_values(
        run, period_from=form.cleaned_data["period_from"],
        period_to=form.cleaned_data["period_to"], team_ids=[t for t, _, _ in scope],
        worker_ids=[w for _, _, workers in scope for w, _ in workers])
    periods = _periods(form)
    return [(name, presenters.team_tables(team_id=team_id, team_name=name, workers=workers,
                                          values=values, periods=periods))
            for team_id, name, workers in scope]


def team(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_team_dashboard(request.user))
    run = selectors.current_run(request.membership.tenant_id)
    context = {"run": run, "as_of": _as_of(run), "teams": [],
               "finished": uk_datetime(run.finished_at) if run else ""}
    if run is None:
        return render(request, "reporting/team.jinja", context)
    scope = _team_scope(request)
    form = _team_form(request, run, scope)
    context.update(_period_context(form))
    context["team_items"] = [{"value": v, "text": t} for v, t in form.fields["team"].choices] \
        if "team" in form.fields else []
    if not _ok(form):
        return render(request, "reporting/team.jinja", context, status=400)
    teams = _team_tables(request, run, form, scope)
    for _, tables in teams:
        _link_csv(tables, form, publication_link=False)
    context["teams"] = [{"name": name, "tables": tables} for name, tables in teams]
    return render(request, "reporting/team.jinja", context)


def _period_context(form: PeriodForm) -> dict:
    return {"form": form, "error_list": error_list(form, "from"), "values": _field_values(form),
            "month_items": [{"value": v, "text": t} for v, t in form.fields["to"].choices]}


def mine(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_own_dashboard(request.user))
    run = selectors.current_run(request.membership.tenant_id)
    context = {"run": run, "as_of": _as_of(run), "table": None,
               "finished": uk_datetime(run.finished_at) if run else ""}
    if run is None:
        return render(request, "reporting/mine.jinja", context)
    form = _form(request, run)
    context.update(_period_context(form))
    if not _ok(form):
        return render(request, "reporting/mine.jinja", context, status=400)
    table = _mine_table(request, run, form)
    _link_csv([table], form, publication_link=False)
    context["table"] = table
    return render(request, "reporting/mine.jinja", context)


def _mine_table(request: HttpRequest, run: RefreshRun, form: PeriodForm) -> presenters.Table:
    values = presenters.mine_values(run, period_from=form.cleaned_data["period_from"],
                                    period_to=form.cleaned_data["period_to"],
                                    worker_id=str(request.membership.pk))
    return presenters.mine_table(values=values, periods=_periods(form))


# --------------------------------------------------------------------------- run log


@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_run_log(request.user))
    tenant_id = request.membership.tenant_id
    if request.method == "POST":
        require(permissions.can_request_refresh(request.user))
        services.refresh_runs_close_abandoned(tenant_id=tenant_id)
        if selectors.active_run(tenant_id) is not None:
            messages.info(request, "A refresh is already waiting or running.")
        else:
            services.refresh_queue(trigger=RefreshTrigger.MANUAL, requested_by=request.user)
            messages.success(request, "A refresh has been asked for. The figures change when "
                                      "it finishes.")
        return redirect("reporting:runs")
    return render(request, "reporting/runs.jinja", {
        "runs": [presenters.run_row(run) for run in selectors.run_log(tenant_id)],
        "live": _live(request), "can_refresh": permissions.can_request_refresh(request.user),
    })


# --------------------------------------------------------------------------- CSV


def _export_table(request: HttpRequest, table_id: str, run: RefreshRun):
    """(table, rule, form) for a table id, checking the caller may see the page it is on."""
    if table_id.startswith("team-"):
        require(permissions.can_view_team_dashboard(request.user))
        form = _form(request, run)
        if not _ok(form):
            return None, None, form
        # The table's own team only (its id names it), whichever team the page showed.
        scope = [team for team in _team_scope(request)
                 if table_id.startswith(f"team-{team[0]}-")]
        tables = [t for _, group in _team_tables(request, run, form, scope) for t in group]
        found = next((t for t in tables if t.id == table_id), None)
        return found, Rule.EXACT, form
    if table_id == presenters.MINE_TABLE:
        require(permissions.can_view_own_dashboard(request.user))
        form = _form(request, run)
        if not _ok(form):
            return None, None, form
        return _mine_table(request, run, form), Rule.EXACT, form
    require(permissions.can_view_programme_dashboard(request.user))
    code = table_id.split("-", 1)[0]
    if code not in presenters.DASHBOARD_CODES or (
            table_id != code and table_id not in presenters.BREAKDOWN_IDS):
        return None, None, None
    form = _form(request, run, pcns=_pcn_choices(request), with_pcn=True)
    if not _ok(form):
        return None, None, form
    rule = rule_for_tenant(request.tenant.disclosure_mode,
                           publication=request.GET.get("publication") == "1")
    tables = _programme_tables(request, run, form, codes=[code], rule=rule)
    return next((t for t in tables if t.id == table_id), None), rule, form


def export(request: HttpRequest) -> HttpResponse:
    """``?table=<id>&from=YYYY-MM&to=YYYY-MM[&pcn=<uuid>][&publication=1]``: the rows of a table
    as it is on screen (``publication=1`` applies the publication rule to programme figures)."""
    run = selectors.current_run(request.membership.tenant_id) if request.membership else None
    table_id = request.GET.get("table", "")
    if run is None:
        require(permissions.can_view_programme_dashboard(request.user)
                or permissions.can_view_team_dashboard(request.user)
                or permissions.can_view_own_dashboard(request.user))
        raise Http404("There are no figures yet.")
    table, rule, form = _export_table(request, table_id, run)
    if table is None:
        if form is not None and form.errors:
            return HttpResponse("; ".join(m for errors in form.errors.values() for m in errors),
                                status=400, content_type="text/plain; charset=utf-8")
        raise Http404("No such table.")
    data = form.cleaned_data
    name = f"{table.id}-{month_key(data['period_from'])}-{month_key(data['period_to'])}"
    if request.GET.get("publication") == "1" and rule is Rule.PUBLICATION:
        name += "-publication"
    response = csv_response(filename=f"metrics-{name}.csv",
                            rows=[presenters.CSV_HEADER, *presenters.csv_rows(table, rule)])
    pcn = data.get("pcn") or "all PCNs"
    audit_record(actor=request.user, action=AuditAction.EXPORT, target_type="metrics",
                 note=f"{table.id} {month_key(data['period_from'])} to "
                      f"{month_key(data['period_to'])}, {pcn}, {rule.value} rule, "
                      f"run {run.pk}")
    return response

