"""Caseloads: the worker's own (with what needs attention), and a team's for its leads."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from caseload import duty, permissions, presenters, selectors
from pcns.audit import audit_shown
from referrals import permissions as referral_permissions


def my_caseload(request: HttpRequest) -> HttpResponse:
    if not referral_permissions.can_view_caseload(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    referrals = list(selectors.caseload_with_flags(request.user, today))
    audit_shown(request, referrals, note="caseload")
    return render(request, "caseload/mine.jinja", {
        "rows": presenters.caseload_rows(referrals, today),
        "teams": list(selectors.teams_led_by(request.user)),
        "open_concerns": selectors.open_risk_concern_count(request.user),
    })


def team_caseload(request: HttpRequest, team_id) -> HttpResponse:
    team = selectors.team_led_by_user(request.user, team_id)
    if not permissions.can_view_team_caseload(request.user, team):
        raise PermissionDenied
    show = request.GET.get("show", "")
    if show in duty.TEAM_LISTS:  # a list behind a figure of the lead's duty view
        referrals = duty.team_list(team, show)
    else:
        show, referrals = "", list(selectors.team_caseload_referrals(team))
    audit_shown(request, referrals, note="team caseload")
    return render(request, "caseload/team.jinja", {
        "team": team,
        "list_heading": duty.TEAM_LISTS.get(show, "Allocated referrals"),
        "showing_all": not show,
        "days_heading": ("Days waiting (4-week clock)" if show == "over-4-weeks"
                         else "Days since referral"),
        "members": presenters.team_caseload_rows(selectors.team_caseload(team)),
        "referrals": presenters.team_referral_rows(referrals),
        "unallocated": selectors.unallocated_count(team),
    })
