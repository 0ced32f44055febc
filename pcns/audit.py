"""Reads of people's data, audited: what a request showed is written in one insert.

A page or endpoint that shows a person's data says so with ``audit_shown(request, targets)``
(a person, a referral, an onward referral, or a page of them) as it builds its answer.
``AuditReadsMiddleware`` then writes every target the request showed in one bulk insert
(pcns.services.audit_views) once the view has answered, while the tenant context is still
active. Nothing is written for a redirect or a failure (5xx): they show nothing. So a view may
say what it shows as soon as it has checked access, before it knows how it will answer.

Lists audit the page of rows actually returned, never the whole query.
tests/isolation/test_audit_coverage.py walks every URL and fails on a page or endpoint that
shows a person without an audit row, so a new one cannot forget.

Records belonging to a person (for "Who has looked at this record" and the audit log search) are
declared by each app on its AppConfig as ``person_records = {model label: lookup to the
person}``, so this module needs to import none of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models

from pcns.services import Viewed, audit_views

_PENDING = "_audit_shown"

#: Something shown: a model instance, or (model label, id).
Target = models.Model | tuple[str, Any]


def _http_request(request):
    """The Django request under a DRF one (both work here)."""
    return getattr(request, "_request", request)


def audit_shown(request, targets: Target | Iterable[Target] | None, *, note: str = "") -> None:
    """Record that this request shows ``targets`` to the signed-in user (written at its end).

    A target is a model instance, or a (model label, id) pair for one not loaded.
    """
    if targets is None:
        return
    if isinstance(targets, models.Model | tuple):
        targets = [targets]
    pending: dict = _pending(request)
    for target in targets:
        if isinstance(target, models.Model):
            target = (target._meta.label_lower, target.pk)
        target_type, target_id = target
        if target_id is not None:
            pending.setdefault((target_type, str(target_id)), note)


def _pending(request) -> dict:
    http = _http_request(request)
    if not hasattr(http, _PENDING):
        setattr(http, _PENDING, {})
    return getattr(http, _PENDING)


def audit_shown_targets(request) -> list[Viewed]:
    """What the request has said it shows so far, in order."""
    return [Viewed(target_type=target_type, target_id=target_id, note=note)
            for (target_type, target_id), note in _pending(request).items()]


class AuditReadsMiddleware:
    """Write what the request showed, once, in one insert. Sits inside TenantContextMiddleware,
    so the tenant context (set there, or by the API's permission) is still active."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        viewed = audit_shown_targets(request)
        user = getattr(request, "user", None)
        if viewed and _shows_a_page(response) and user is not None and user.is_authenticated:
            audit_views(actor=user, targets=viewed)
        return response


def _shows_a_page(response) -> bool:
    """A page or an answer, errors included (a form with errors shows the person again); not a
    redirect (it shows nothing) nor a failure (5xx)."""
    return 200 <= response.status_code < 300 or 400 <= response.status_code < 500


# --------------------------------------------------------------------------- records of a person


def person_record_models() -> dict[str, str]:
    """Every model label holding a person's records, with its lookup to the person, as the
    apps declare them (``person_records`` on each AppConfig)."""
    found: dict[str, str] = {}
    for config in apps.get_app_configs():
        found.update(getattr(config, "person_records", {}))
    return found


def person_record_targets(person_ids: Iterable[Any]) -> dict[str, list[str]]:
    """The audit targets that concern these people: their records of every kind, by label.
    One query per kind of record."""
    person_ids = [str(pk) for pk in person_ids]
    targets: dict[str, list[str]] = {}
    for label, lookup in person_record_models().items():
        model = apps.get_model(label)
        if lookup == "pk":
            ids = person_ids
        else:
            ids = [str(pk) for pk in model._default_manager.filter(
                **{f"{lookup}__in": person_ids}).values_list("pk", flat=True)]
        if ids:
            targets[label] = ids
    return targets


def person_of_targets(target_type: str, target_ids: Iterable[str]) -> dict[str, Any]:
    """For targets of one kind, the person each concerns: {target id: person id}."""
    lookup = person_record_models().get(target_type)
    if lookup is None:
        return {}
    model = apps.get_model(target_type)
    ids = [pk for pk in target_ids if _is_uuid(pk)]
    rows = model._default_manager.filter(pk__in=ids).values_list("pk", lookup)
    return {str(pk): person for pk, person in rows}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
