"""Care plan pages: edit (a new version each save), one version, and the printable copy."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def care_plan_edit(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def care_plan_version(request: HttpRequest, plan_id, number: int) -> HttpResponse:
    raise NotImplementedError


def care_plan_print(request: HttpRequest, plan_id) -> HttpResponse:
    raise NotImplementedError
