"""The care record of a referral, and the forms that add to it: contacts (and contacts with no
referral), assessments, interventions, risk concerns and discharge."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def care_record(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def contact_new(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def team_contact_new(request: HttpRequest, team_id) -> HttpResponse:
    raise NotImplementedError


def contact_outcome(request: HttpRequest, contact_id) -> HttpResponse:
    raise NotImplementedError


def assessment_new(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def intervention_new(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def intervention_end(request: HttpRequest, intervention_id) -> HttpResponse:
    raise NotImplementedError


def discharge(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def risk_concern_new(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def risk_concerns(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def risk_concern_acknowledge(request: HttpRequest, concern_id) -> HttpResponse:
    raise NotImplementedError
