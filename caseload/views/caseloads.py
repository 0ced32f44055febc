"""The worker's caseload: the referrals they hold as named or joint worker."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from referrals import permissions, presenters, selectors


def my_caseload(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_caseload(request.user):
        raise PermissionDenied
    referrals = selectors.caseload_for_user(request.user)
    return render(request, "caseload/mine.jinja", {"rows": presenters.caseload_rows(referrals)})


def team_caseload(request: HttpRequest, team_id) -> HttpResponse:
    raise NotImplementedError
