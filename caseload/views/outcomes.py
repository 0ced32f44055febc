"""Outcome measure pages: record a questionnaire item by item, and the chart of scores."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def outcome_chart(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError


def outcome_new(request: HttpRequest, referral_id) -> HttpResponse:
    raise NotImplementedError
