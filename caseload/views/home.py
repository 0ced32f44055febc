"""Landing pages that show the work: a team lead's duty view, a clinician's home."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from caseload import duty, duty_presenters, selectors
from pcns import permissions as pcns_permissions
from pcns import selectors as pcns_selectors
from pcns.audit import audit_shown
from referrals import selectors as referral_selectors

#: How many of the longest waits a clinician's home lists.
LONGEST_WAITS = 10


def home_team_lead(request: HttpRequest) -> HttpResponse:
    if not pcns_permissions.can_view_team_lead_home(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    teams = list(selectors.teams_led_by(request.user))
    duties = duty.team_duty(teams, today)
    return render(request, "caseload/home_team_lead.jinja", {
        "alerts": duty_presenters.open_alerts_banner(duties),
        "teams": duty_presenters.duty_sections(duties),
    })


def home_clinician(request: HttpRequest) -> HttpResponse:
    if not pcns_permissions.can_view_clinician_home(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    caseload = referral_selectors.caseload_for_user(request.user)
    overdue = list(duty.review_overdue(caseload, today).order_by("review_by", "id"))
    clock_list = duty.clocks(tenant_id=request.membership.tenant_id, today=today,
                             referral_ids=list(caseload.values_list("pk", flat=True)))
    longest = sorted((c for c in clock_list if not c.stopped),
                     key=lambda c: (c.start_on, str(c.referral_id)))[:LONGEST_WAITS]
    waiting = {r.pk: r for r in caseload.filter(pk__in=[c.referral_id for c in longest])}
    audit_shown(request, [*overdue, *waiting.values()], note="home")
    teams = pcns_selectors.team_list_for_user(request.user).filter(
        memberships=request.membership).order_by("name")
    return render(request, "caseload/home_clinician.jinja", {
        "employer": request.membership.employer.name,
        "teams": list(teams),
        "overdue": duty_presenters.review_rows(overdue, today),
        "waiting": duty_presenters.waiting_rows(longest, waiting, today),
    })
