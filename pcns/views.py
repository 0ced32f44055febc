"""Pages: a landing page per role, teams and organisations, error pages (sign-in: pcns.accounts)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader

from pcns import permissions, presenters, selectors
from pcns.models import OrganisationKind, TeamKind
from pcns.roles import landing_url_name


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --------------------------------------------------------------------------- landing pages


def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    if membership is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        raise PermissionDenied("Your account is not linked to a team or organisation.")
    return redirect(landing_url_name(membership.role))


def _my_team_summaries(request: HttpRequest) -> list[dict]:
    teams = list(selectors.team_list_for_user(request.user).filter(memberships=request.membership))
    summaries = []
    for team in teams:
        members = list(selectors.team_members(team))
        summaries.append(presenters.team_summary(team, members))
    return summaries


def home_vcse(request: HttpRequest) -> HttpResponse:
    # pcns does not otherwise depend on the vcse app (which builds on pcns).
    from vcse import inbox_presenters
    from vcse import selectors as vcse_selectors

    _require(permissions.can_view_vcse_home(request.user))
    counts = vcse_selectors.inbox_counts(request.user)
    unanswered = (vcse_selectors.inbox_tab(request.user, "new")
                  .filter(flagged_unanswered_at__isnull=False).count())
    return render(
        request,
        "pcns/home_vcse.jinja",
        {"organisation": request.membership.employer, "teams": _my_team_summaries(request),
         "inbox": inbox_presenters.inbox_tabs(counts, ""), "unanswered": unanswered},
    )


def home_practice(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_practice_home(request.user))
    practice = request.membership.employer
    pcn = practice.parent if practice.parent and practice.parent.kind == "pcn" else None
    teams = list(pcn.teams.all()) if pcn else []
    return render(
        request, "pcns/home_practice.jinja", {"practice": practice, "pcn": pcn, "teams": teams}
    )


def home_programme(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_programme_home(request.user))
    teams = selectors.teams_with_counts(selectors.team_list_for_user(request.user))
    return render(
        request,
        "pcns/home_programme.jinja",
        {
            "pcns": presenters.pcn_rows(selectors.pcn_overview(request.user)),
            "teams": presenters.team_rows(teams.exclude(kind=TeamKind.VCSE_SERVICE)),
        },
    )


def home_admin(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_administer_tenant(request.user))
    organisations = selectors.organisation_list_for_user(request.user)
    return render(
        request,
        "pcns/home_admin.jinja",
        {
            "counts": {
                "organisations": organisations.count(),
                "pcns": organisations.filter(kind=OrganisationKind.PCN).count(),
                "teams": selectors.team_list_for_user(request.user).count(),
                "staff": selectors.staff_list_for_user(request.user).count(),
            },
            "events": selectors.recent_audit_events(request.user),
        },
    )


# --------------------------------------------------------------------------- teams, organisations


def team_list(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_with_counts(selectors.team_list_for_user(request.user))
    return render(request, "pcns/team_list.jinja", {"teams": teams})


def team_detail(request: HttpRequest, team_id) -> HttpResponse:
    team = selectors.team_get_for_user(request.user, team_id)
    members = list(selectors.team_members(team))
    show_staff = permissions.can_view_team_members(request.user, team)
    return render(
        request,
        "pcns/team_detail.jinja",
        {
            "team": team,
            "summary": presenters.team_summary(team, members),
            "staff": presenters.staff_rows(members) if show_staff else None,
        },
    )


def organisation_list(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_programme_home(request.user))
    organisations = selectors.organisation_list_for_user(request.user).order_by("kind", "name")
    return render(
        request,
        "pcns/organisation_list.jinja",
        {"rows": presenters.organisation_rows(organisations)},
    )


def organisation_detail(request: HttpRequest, organisation_id) -> HttpResponse:
    organisation = selectors.organisation_get_for_user(request.user, organisation_id)
    _require(permissions.can_view_organisation(request.user, organisation))
    children = selectors.organisation_list_for_user(request.user).filter(parent=organisation)
    return render(
        request,
        "pcns/organisation_detail.jinja",
        {
            "organisation": organisation,
            "children": presenters.organisation_rows(children),
            "teams": selectors.team_list_for_user(request.user).filter(host=organisation),
            "pauses": organisation.intake_pauses.all(),
            "intake": presenters.intake_status(organisation)
            if organisation.kind == OrganisationKind.PCN else "",
        },
    )


# --------------------------------------------------------------------------- errors


def _error(request, status: int, heading: str, paragraphs: list[str]) -> HttpResponse:
    return render(
        request, "error.jinja", {"heading": heading, "paragraphs": paragraphs}, status=status
    )


@login_not_required
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(
        request, 404, "Page not found",
        ["If you typed the web address, check it is correct.",
         "If you followed a link, the page may have moved, or you may not have access to it."],
    )


@login_not_required
def bad_request(request: HttpRequest, exception=None, *, message: str = "") -> HttpResponse:
    return _error(
        request, 400, "There is a problem with the request",
        [message or "The page could not be shown from the request as it was sent.",
         "Check the web address or go back and try again."],
    )


@login_not_required
def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(
        request, 403, "You do not have access to this page",
        ["Your role does not include this page. If you think it should, "
         "contact your service administrator."],
    )


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    # No database, no context processors: the failure may be in either.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
